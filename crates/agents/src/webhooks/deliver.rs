//! Sending webhook deliveries: the scheduled work's part of the outbox.
//!
//! Each delivery is a `POST` of `{"id", "type", "created_at", "data"}`
//! signed two ways: `X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the
//! body>` keyed with the secret's text, as the specification's `verify()`
//! checks it, and the Standard Webhooks headers (`webhook-id`,
//! `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "{id}.{timestamp}.{body}">`, keyed with the secret base64-decoded, as
//! the Standard Webhooks libraries take it), so a receiver can refuse
//! replays. `webhook-id` is the delivery's id: the same on every retry.
//!
//! A 2xx answer delivers; `410 Gone` disables the endpoint; anything else,
//! no answer within [`TIMEOUT`], or a refused connection is retried with
//! exponential backoff for about a day ([`RETRY_SCHEDULE`], honouring a
//! longer `Retry-After`), then the delivery fails. A destination the
//! runtime's egress policy refuses (a private address) fails at once.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde_json::{Value, json};

use adspin_core::clock::{Clock, with_deadline};
use adspin_core::db::{Database, DbError, transaction};
use adspin_core::outbound::{HttpClient, OutboundError, OutboundRequest};
use adspin_core::signed::hmac_sha256;
use adspin_core::time::UnixSeconds;

use super::store::{self, Due, Outcome};

/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The largest delivery body; larger event data is replaced by a note.
pub const MAX_BODY: usize = 64 * 1024;

/// The most of a receiver's answer that is read.
const ANSWER_LIMIT: usize = 64 * 1024;

/// Waits before each retry, as multiples of the base delay: with the
/// default 30 s, retries come after 30 s, 2, 10 and 30 minutes, 1, 2, 4
/// and 8 hours, and 8 hours again: about 24 hours in all.
pub const RETRY_SCHEDULE: [i64; 9] = [1, 4, 20, 60, 120, 240, 480, 960, 960];

/// Deliveries one pass sends at most (at once).
pub const BATCH: u32 = 50;

/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER_SECONDS: i64 = 8 * 3_600;

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub delivered: u32,
    pub retrying: u32,
    pub failed: u32,
}

/// The delivery body of an event.
pub fn body(event_id: &str, event_type: &str, created_at: UnixSeconds, data: &str) -> Vec<u8> {
    let data: Value = serde_json::from_str(data).unwrap_or(Value::Null);
    let payload = json!({
        "id": event_id,
        "type": event_type,
        "created_at": created_at.to_iso8601_numeric_offset(),
        "data": data,
    });
    let bytes = payload.to_string().into_bytes();
    if bytes.len() <= MAX_BODY {
        return bytes;
    }
    json!({
        "id": event_id,
        "type": event_type,
        "created_at": created_at.to_iso8601_numeric_offset(),
        "data": {"truncated": true},
    })
    .to_string()
    .into_bytes()
}

/// The signature headers of a delivery.
pub fn signature_headers(
    secret: &str,
    delivery_id: &str,
    timestamp: UnixSeconds,
    body: &[u8],
) -> Vec<(String, String)> {
    let simple = hmac_sha256(secret.as_bytes(), &[body]);
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .unwrap_or_else(|_| secret.as_bytes().to_vec());
    let timestamp_text = timestamp.get().to_string();
    let standard = hmac_sha256(
        &key,
        &[
            delivery_id.as_bytes(),
            b".",
            timestamp_text.as_bytes(),
            b".",
            body,
        ],
    );
    vec![
        (
            "x-webhook-signature".into(),
            format!("sha256={}", hex::encode(simple)),
        ),
        ("webhook-id".into(), delivery_id.into()),
        ("webhook-timestamp".into(), timestamp_text),
        (
            "webhook-signature".into(),
            format!("v1,{}", STANDARD.encode(standard)),
        ),
    ]
}

/// When the retry after `attempts` failed attempts comes, or `None` when
/// they are used up.
pub fn next_attempt(
    attempts: i64,
    base_seconds: i64,
    retry_after: Option<i64>,
    now: UnixSeconds,
) -> Option<UnixSeconds> {
    let index = usize::try_from(attempts.saturating_sub(1)).ok()?;
    let factor = *RETRY_SCHEDULE.get(index)?;
    let wait = factor
        .saturating_mul(base_seconds)
        .max(retry_after.unwrap_or(0).clamp(0, MAX_RETRY_AFTER_SECONDS));
    Some(now.plus_seconds(wait))
}

/// Sends the due deliveries once (at most [`BATCH`], concurrently).
pub async fn deliver_due(
    db: &impl Database,
    http: &impl HttpClient,
    clock: &impl Clock,
    retry_base_seconds: i64,
) -> Result<Report, DbError> {
    let now = clock.now();
    let lease_until = now.plus_seconds(TIMEOUT.as_secs() as i64 * 6);
    let due = transaction(db, || store::claim_due(db, now, lease_until, BATCH))?;
    let answers =
        futures::future::join_all(due.iter().map(|delivery| send(http, clock, delivery))).await;
    let mut report = Report::default();
    for (delivery, answer) in due.iter().zip(answers) {
        let finished = clock.now();
        let attempts = delivery.attempts + 1;
        let (outcome, disable) = match answer.status {
            Some(status) if (200..300).contains(&status) => (Outcome::Delivered, None),
            Some(410) => (Outcome::Failed, Some("the endpoint answered 410 Gone")),
            _ if answer.refused => (
                Outcome::Failed,
                Some("the endpoint's address is refused by the egress policy"),
            ),
            _ => match next_attempt(attempts, retry_base_seconds, answer.retry_after, finished) {
                Some(at) => (Outcome::Retry(at), None),
                None => (Outcome::Failed, None),
            },
        };
        match outcome {
            Outcome::Delivered => report.delivered += 1,
            Outcome::Retry(_) => report.retrying += 1,
            Outcome::Failed => report.failed += 1,
        }
        transaction(db, || {
            store::record_attempt(
                db,
                delivery.seq,
                answer.status,
                answer.error.as_deref(),
                answer.duration_ms,
                &outcome,
                finished,
            )?;
            if let Some(reason) = disable {
                store::disable_webhook(db, delivery.webhook_id, reason, finished)?;
            }
            Ok::<_, DbError>(())
        })?;
    }
    Ok(report)
}

/// What came back from one attempt.
struct Answer {
    status: Option<u16>,
    retry_after: Option<i64>,
    error: Option<String>,
    refused: bool,
    duration_ms: i64,
}

async fn send(http: &impl HttpClient, clock: &impl Clock, delivery: &Due) -> Answer {
    let body = body(
        &delivery.event_id,
        &delivery.event_type,
        delivery.event_created_at,
        &delivery.event_data,
    );
    let mut request = OutboundRequest::post_json(delivery.url.clone(), Vec::new())
        .with_header("user-agent", "adspin-webhooks/1");
    request.headers.extend(signature_headers(
        &delivery.secret,
        &delivery.id,
        clock.now(),
        &body,
    ));
    request.body = body;
    let started = clock.monotonic();
    let outcome = with_deadline(clock, started + TIMEOUT, http.send(request, ANSWER_LIMIT)).await;
    let duration_ms = i64::try_from(
        clock
            .monotonic()
            .saturating_duration_since(started)
            .as_millis(),
    )
    .unwrap_or(i64::MAX);
    match outcome {
        None => Answer {
            status: None,
            retry_after: None,
            error: Some(format!("no answer within {} seconds", TIMEOUT.as_secs())),
            refused: false,
            duration_ms,
        },
        Some(Ok(response)) => Answer {
            status: Some(response.status),
            retry_after: response
                .header("retry-after")
                .and_then(|value| value.trim().parse::<i64>().ok()),
            error: (!(200..300).contains(&response.status))
                .then(|| format!("the endpoint answered {}", response.status)),
            refused: false,
            duration_ms,
        },
        // A body past the limit came with a status we did not keep.
        Some(Err(OutboundError::TooLarge(_))) => Answer {
            status: None,
            retry_after: None,
            error: Some("the endpoint's answer was too large".into()),
            refused: false,
            duration_ms,
        },
        Some(Err(error)) => Answer {
            status: None,
            retry_after: None,
            refused: matches!(error, OutboundError::Refused(_)),
            error: Some(error.to_string()),
            duration_ms,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    #[test]
    fn the_specifications_verify_accepts_the_simple_signature() {
        let secret = "686950eb37608aa7686950eb37608aa7686950eb37608aa7686950eb37608aa7";
        let body = br#"{"id":"evt_1","type":"account.verified"}"#;
        let headers = signature_headers(secret, "msg_1", UnixSeconds::new(1_800_000_000), body);
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(body);
        let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(headers[0], ("x-webhook-signature".into(), expected));
        assert_eq!(headers[1], ("webhook-id".into(), "msg_1".into()));
        assert_eq!(
            headers[2],
            ("webhook-timestamp".into(), "1800000000".into())
        );
        let key = STANDARD.decode(secret).expect("hex is base64 too");
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
        mac.update(b"msg_1.1800000000.");
        mac.update(body);
        let standard = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        assert_eq!(headers[3], ("webhook-signature".into(), standard));
    }

    #[test]
    fn retries_back_off_for_about_a_day_and_honour_a_longer_retry_after() {
        let now = UnixSeconds::new(0);
        assert_eq!(next_attempt(1, 30, None, now), Some(UnixSeconds::new(30)));
        assert_eq!(next_attempt(2, 30, None, now), Some(UnixSeconds::new(120)));
        assert_eq!(
            next_attempt(1, 30, Some(600), now),
            Some(UnixSeconds::new(600))
        );
        assert_eq!(
            next_attempt(1, 30, Some(10_000_000), now),
            Some(UnixSeconds::new(28_800))
        );
        let total: i64 = RETRY_SCHEDULE.iter().map(|factor| factor * 30).sum();
        assert!((20 * 3_600..=30 * 3_600).contains(&total), "{total}");
        assert_eq!(next_attempt(10, 30, None, now), None, "ten attempts in all");
    }

    #[test]
    fn a_body_past_the_cap_keeps_its_id_and_type() {
        let data = json!({ "text": "x".repeat(MAX_BODY) }).to_string();
        let body = body("evt_1", "alert.spend", UnixSeconds::new(0), &data);
        assert!(body.len() < 1_000);
        let value: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(value["id"], "evt_1");
        assert_eq!(value["data"]["truncated"], true);
    }
}

#[cfg(test)]
mod delivery_tests {
    use super::*;
    use crate::events;
    use crate::store::Mode;
    use crate::test_support::NOW;
    use adspin_core::ids::OrganizationId;
    use adspin_core::testing::{FakeReply, TestEnv, organization, run};

    const URL: &str = "https://receiver.example/hook";

    fn account_with_webhook(env: &TestEnv) -> OrganizationId {
        let organization = organization(&env.db);
        store::insert_webhook(
            &env.db,
            organization,
            Mode::Live,
            URL,
            &["alert.spend".to_string()],
            "secret",
            NOW,
        )
        .expect("webhook");
        organization
    }

    fn pass(env: &TestEnv, base: i64) -> Report {
        run(
            &env.clock,
            deliver_due(&env.db, &env.http, env.clock.as_ref(), base),
        )
        .expect("pass")
    }

    #[test]
    fn failures_are_retried_on_schedule_and_a_hung_receiver_times_out() {
        let env = TestEnv::new(NOW);
        let organization = account_with_webhook(&env);
        events::emit(
            &env.db,
            organization,
            Mode::Live,
            "alert.spend",
            &json!({"threshold": 0.8}),
            NOW,
        )
        .expect("emit");
        events::emit(
            &env.db,
            organization,
            Mode::Test,
            "alert.spend",
            &json!({}),
            NOW,
        )
        .expect("sandbox");
        events::emit(
            &env.db,
            organization,
            Mode::Live,
            "campaign.created",
            &json!({}),
            NOW,
        )
        .expect("other type");

        env.http.reply(URL, FakeReply::Hang);
        assert_eq!(
            pass(&env, 30),
            Report {
                delivered: 0,
                retrying: 1,
                failed: 0
            }
        );
        assert_eq!(
            pass(&env, 30),
            Report::default(),
            "not due before its retry time"
        );
        let sent = env.http.sent();
        assert_eq!(sent.len(), 1, "only the subscribed live event");
        let body: Value = serde_json::from_slice(&sent[0].body).expect("json");
        assert_eq!(body["type"], "alert.spend");
        assert_eq!(body["data"]["threshold"], 0.8);

        let later = env.clock.monotonic() + Duration::from_secs(30);
        run(&env.clock, env.clock.sleep_until(later));
        env.http.reply(URL, FakeReply::json(0, 200, &json!({})));
        assert_eq!(pass(&env, 30).delivered, 1);
        let resent = env.http.sent();
        let id_of = |request: &OutboundRequest| {
            request
                .headers
                .iter()
                .find(|(name, _)| name == "webhook-id")
                .map(|(_, value)| value.clone())
        };
        assert_eq!(id_of(&resent[1]), id_of(&sent[0]), "a retry keeps its id");
        assert_eq!(resent[1].body, sent[0].body);
    }

    #[test]
    fn attempts_run_out_after_about_a_day() {
        let env = TestEnv::new(NOW);
        let organization = account_with_webhook(&env);
        events::emit(
            &env.db,
            organization,
            Mode::Live,
            "alert.spend",
            &json!({}),
            NOW,
        )
        .expect("emit");
        env.http.reply(URL, FakeReply::json(0, 503, &json!({})));
        let mut report = Report::default();
        for _ in 0..10 {
            let this = pass(&env, 0);
            report.retrying += this.retrying;
            report.failed += this.failed;
        }
        assert_eq!(
            report,
            Report {
                delivered: 0,
                retrying: 9,
                failed: 1
            }
        );
        assert_eq!(env.http.sent().len(), 10);
    }
}

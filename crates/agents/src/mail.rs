//! Sending the email outbox: the scheduled work's other part.
//!
//! Two transports, chosen by `email_transport`:
//! - `mailbox` (the embedded default): the development mailbox. Emails are
//!   delivered where they are stored; the operator reads them with
//!   `GET /admin/mailbox`.
//! - `http`: an HTTP email API at `email_api_url`. Each email is one
//!   `POST` of `{"from", "to", "subject", "text", "tags": {"kind"}}` with
//!   `Authorization: Bearer <email_api_key>` and
//!   `Idempotency-Key: email-<id>`; a 2xx answer delivers it. Failures are
//!   retried after 1, 5 and 30 minutes, 2 and 6 hours; a 4xx other than
//!   408 and 429 means the API refuses the message, which then fails at
//!   once.

use std::time::Duration;

use serde::Serialize;
use serde_json::json;

use adspin_core::clock::{Clock, with_deadline};
use adspin_core::db::{Database, DbError, transaction};
use adspin_core::env::Env;
use adspin_core::outbound::{HttpClient, OutboundRequest};
use adspin_core::outbox::{self, StoredEmail};
use adspin_core::settings;

/// How long the email API has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Emails one pass sends at most.
pub const BATCH: u32 = 50;

/// Waits before each retry, in seconds.
pub const RETRY_SCHEDULE: [i64; 5] = [60, 300, 1_800, 7_200, 21_600];

/// The sender when `email_from` is not set.
pub const DEFAULT_FROM: &str = "adspin <no-reply@adspin.invalid>";

/// Where emails go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Mailbox,
    Http {
        url: String,
        api_key: String,
        from: String,
    },
}

impl Transport {
    /// `email_transport` (`mailbox` or `http`), `email_api_url`,
    /// `email_api_key`, `email_from`.
    pub fn from_env(env: &impl Env) -> Self {
        let variable = |name: &str| settings::text(env, name);
        match variable("email_transport").as_deref() {
            Some("http") => Self::Http {
                url: variable("email_api_url").unwrap_or_default(),
                api_key: variable("email_api_key").unwrap_or_default(),
                from: variable("email_from").unwrap_or_else(|| DEFAULT_FROM.to_string()),
            },
            _ => Self::Mailbox,
        }
    }
}

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub delivered: u32,
    pub retrying: u32,
    pub failed: u32,
}

/// Sends the due emails once.
pub async fn deliver_due(
    db: &impl Database,
    http: &impl HttpClient,
    clock: &impl Clock,
    transport: &Transport,
) -> Result<Report, DbError> {
    let now = clock.now();
    let lease_until = now.plus_seconds(60);
    let due = transaction(db, || outbox::claim_due(db, now, lease_until, BATCH))?;
    let mut report = Report::default();
    for email in &due {
        let result = match transport {
            Transport::Mailbox => Ok(()),
            Transport::Http { url, api_key, from } => {
                send(http, clock, email, url, api_key, from).await
            }
        };
        let finished = clock.now();
        match result {
            Ok(()) => {
                let name = match transport {
                    Transport::Mailbox => "mailbox",
                    Transport::Http { .. } => "http",
                };
                outbox::delivered(db, email.id, name, finished)?;
                report.delivered += 1;
            }
            Err(Failure { message, permanent }) => {
                let retry_at = (!permanent)
                    .then(|| usize::try_from(email.attempts).ok())
                    .flatten()
                    .and_then(|index| RETRY_SCHEDULE.get(index))
                    .map(|wait| finished.plus_seconds(*wait));
                outbox::attempt_failed(db, email.id, &message, retry_at, finished)?;
                if retry_at.is_some() {
                    report.retrying += 1;
                } else {
                    report.failed += 1;
                }
            }
        }
    }
    Ok(report)
}

/// Why an attempt failed, and whether retrying could help.
struct Failure {
    message: String,
    permanent: bool,
}

async fn send(
    http: &impl HttpClient,
    clock: &impl Clock,
    email: &StoredEmail,
    url: &str,
    api_key: &str,
    from: &str,
) -> Result<(), Failure> {
    if url.is_empty() {
        return Err(Failure {
            message: "email_transport is http but email_api_url is not set".into(),
            permanent: false,
        });
    }
    let body = json!({
        "from": from,
        "to": email.to,
        "subject": email.subject,
        "text": email.body,
        "tags": {"kind": email.kind},
    });
    let request = OutboundRequest::post_json(url, body.to_string().into_bytes())
        .with_header("authorization", format!("Bearer {api_key}"))
        .with_header("idempotency-key", format!("email-{}", email.id));
    let started = clock.monotonic();
    match with_deadline(clock, started + TIMEOUT, http.send(request, 64 * 1024)).await {
        None => Err(Failure {
            message: format!("no answer within {} seconds", TIMEOUT.as_secs()),
            permanent: false,
        }),
        Some(Ok(response)) if (200..300).contains(&response.status) => Ok(()),
        Some(Ok(response)) => Err(Failure {
            message: format!(
                "the email API answered {}: {}",
                response.status,
                String::from_utf8_lossy(&response.body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            ),
            permanent: (400..500).contains(&response.status)
                && response.status != 408
                && response.status != 429,
        }),
        Some(Err(error)) => Err(Failure {
            message: error.to_string(),
            permanent: false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::NOW;
    use adspin_core::outbox::{Email, enqueue, mailbox};
    use adspin_core::testing::{FakeReply, TestEnv, run};
    const URL: &str = "https://mail.example/v1/send";

    fn queue(env: &TestEnv, to: &str) {
        enqueue(
            &env.db,
            &Email {
                to,
                kind: "verification_code",
                subject: "Your verification code",
                body: "Your verification code is 123456.",
            },
            NOW,
        )
        .expect("queued");
    }

    fn http() -> Transport {
        Transport::Http {
            url: URL.into(),
            api_key: "key_123".into(),
            from: DEFAULT_FROM.into(),
        }
    }

    fn pass(env: &TestEnv, transport: &Transport) -> Report {
        run(
            &env.clock,
            deliver_due(&env.db, &env.http, env.clock.as_ref(), transport),
        )
        .expect("pass")
    }

    #[test]
    fn the_mailbox_delivers_where_it_stores() {
        let env = TestEnv::new(NOW);
        queue(&env, "jane@example.com");
        assert_eq!(pass(&env, &Transport::Mailbox).delivered, 1);
        assert!(env.http.sent().is_empty());
        let mail = mailbox(&env.db, None, 1).expect("mailbox");
        assert_eq!(
            (mail[0].status.as_str(), mail[0].transport.as_deref()),
            ("delivered", Some("mailbox"))
        );
    }

    #[test]
    fn the_http_transport_posts_the_documented_shape_and_retries_failures() {
        let env = TestEnv::new(NOW);
        queue(&env, "jane@example.com");
        queue(&env, "joe@example.com");
        env.http.reply(URL, FakeReply::json(0, 503, &json!({})));
        assert_eq!(pass(&env, &http()).retrying, 2);
        let sent = env.http.sent();
        let body: serde_json::Value = serde_json::from_slice(&sent[0].body).expect("json");
        assert_eq!(body["to"], "jane@example.com");
        assert_eq!(body["subject"], "Your verification code");
        assert_eq!(body["text"], "Your verification code is 123456.");
        assert_eq!(body["tags"]["kind"], "verification_code");
        assert!(
            sent[0]
                .headers
                .contains(&("authorization".into(), "Bearer key_123".into()))
        );
        assert!(
            sent[0]
                .headers
                .iter()
                .any(|(k, v)| k == "idempotency-key" && v.starts_with("email-"))
        );

        assert_eq!(
            pass(&env, &http()),
            Report::default(),
            "not due before a minute"
        );
        let later = env.clock.monotonic() + Duration::from_secs(60);
        run(&env.clock, env.clock.sleep_until(later));
        env.http
            .reply(URL, FakeReply::json(0, 202, &json!({"id": "m_1"})));
        assert_eq!(pass(&env, &http()).delivered, 2);
    }

    #[test]
    fn a_refused_message_fails_at_once() {
        let env = TestEnv::new(NOW);
        queue(&env, "jane@example.com");
        env.http.reply(
            URL,
            FakeReply::json(0, 422, &json!({"error": "bad address"})),
        );
        assert_eq!(pass(&env, &http()).failed, 1);
        let mail = mailbox(&env.db, None, 1).expect("mailbox");
        assert_eq!(mail[0].status, "failed");
        assert!(
            mail[0]
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("422"))
        );
    }
}

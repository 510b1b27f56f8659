//! Sponsored polls: the `poll` object of a winning poll bid, and its vote
//! and results links.
//!
//! A served poll carries two signed links (one token, [`PollToken`], per
//! impression): `vote_url` (`POST` with `{"option_id": "1"}`) and
//! `results_url` (`GET`). The token names the impression, the poll and its
//! answers, so neither link reads the creative again. Each impression
//! votes once: a second vote changes nothing and answers the current
//! results with `duplicate: true` (`200`, so a double tap is harmless).
//! Both links answer any origin (`Access-Control-Allow-Origin: *`): the
//! token is the only authority, and the publisher's page calls them.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use adspin_core::clock::Clock;
use adspin_core::db::{Database, DbError};
use adspin_core::dsp_protocol::RenderedPoll;
use adspin_core::env::Env;
use adspin_core::settings;
use adspin_core::signed::{sign, verify};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Body, ReadError, Request, Response, json_response, read_body};

use crate::tracking::TrackingError;

/// The largest vote body read.
pub const BODY_LIMIT: usize = 1024;

/// What a poll's links carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollToken {
    /// The impression that showed the poll (it votes once).
    pub i: String,
    /// The poll: the ad for the platform's own demand, else a digest of the
    /// DSP and the poll's text, so its votes add up across impressions.
    pub p: String,
    /// The question and the answers, in order.
    pub q: String,
    pub o: Vec<String>,
    /// Until when the links work (Unix seconds).
    pub e: i64,
}

/// The poll's id: the ad's when the platform's own demand won, else a
/// digest of the DSP and the poll.
pub fn poll_id(ad_id: Option<&str>, dsp: &str, poll: &RenderedPoll) -> String {
    if let Some(ad) = ad_id {
        return ad.to_string();
    }
    let mut hash = Sha256::new();
    for part in std::iter::once(dsp)
        .chain(std::iter::once(poll.question.as_str()))
        .chain(poll.options.iter().map(String::as_str))
    {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    format!("poll_{}", hex::encode(&hash.finalize()[..12]))
}

/// The `poll` object of a winning poll bid: `question`, `options` (`id`,
/// `text`), `vote_url`, `results_url` and `cta_url` (the click link).
pub fn poll_json(
    base: &str,
    poll: &RenderedPoll,
    token: &PollToken,
    click_url: &str,
    secret: &[u8],
) -> Value {
    let token = sign(token, secret);
    let options: Vec<Value> = poll
        .options
        .iter()
        .enumerate()
        .map(|(index, text)| json!({"id": index.to_string(), "text": text}))
        .collect();
    json!({
        "question": poll.question,
        "options": options,
        "vote_url": format!("{base}/api/v1/tracking/sponsored-polls/vote?token={token}"),
        "results_url": format!("{base}/api/v1/tracking/sponsored-polls/results?token={token}"),
        "cta_url": click_url,
    })
}

/// The token of a link's `?token=`, when it verifies and has not expired.
fn token_of(
    request: &Request,
    secret: &[u8],
    now: UnixSeconds,
) -> Result<PollToken, TrackingError> {
    let token = request
        .uri()
        .query()
        .and_then(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .find(|(name, _)| name == "token")
                .map(|(_, value)| value.into_owned())
        })
        .filter(|token| !token.is_empty())
        .ok_or_else(|| TrackingError::unprocessable("token is required"))?;
    verify::<PollToken>(&token, secret)
        .filter(|token| now.get() <= token.e)
        .ok_or_else(TrackingError::not_found)
}

#[derive(Deserialize)]
struct Vote {
    #[serde(default)]
    option_id: Option<Value>,
}

/// The answer chosen: `option_id` as a string (`"1"`) or a number.
fn option_of(body: &[u8], answers: usize) -> Result<usize, TrackingError> {
    let vote: Vote = serde_json::from_slice(body)
        .map_err(|_| TrackingError::unprocessable("The body must be {\"option_id\": \"...\"}"))?;
    let option = match vote.option_id {
        None | Some(Value::Null) => {
            return Err(TrackingError::unprocessable("option_id is required"));
        }
        Some(Value::String(text)) => text.trim().parse::<usize>().ok(),
        Some(Value::Number(number)) => number.as_u64().and_then(|n| usize::try_from(n).ok()),
        Some(_) => None,
    };
    option
        .filter(|option| *option < answers)
        .ok_or_else(|| TrackingError::bad_request("Invalid poll option"))
}

/// `POST /api/v1/tracking/sponsored-polls/vote?token=...` with
/// `{"option_id": "1"}`: records the impression's vote once; the results.
/// The token is checked before the body is read.
pub async fn vote(
    env: &impl Env,
    mut request: Request,
    body: Body,
) -> Result<Response, TrackingError> {
    let now = env.clock().now();
    let token = token_of(&request, &settings::tracking_secret(env), now)?;
    match read_body(&mut request, body, BODY_LIMIT).await {
        Ok(()) => {}
        Err(ReadError::TooLarge { .. }) => return Err(TrackingError::too_large()),
        Err(ReadError::Failed(_)) => {
            return Err(TrackingError::bad_request("The body could not be read"));
        }
    }
    let option = option_of(request.body(), token.o.len())?;
    let db = env.db()?;
    let recorded = db.query_row(
        "INSERT INTO poll_votes (impression_id, poll_id, option_id, created_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (impression_id) DO NOTHING RETURNING option_id",
        &[
            token.i.as_str().into(),
            token.p.as_str().into(),
            i64::try_from(option).unwrap_or(i64::MAX).into(),
            now.into(),
        ],
    )?;
    let (chosen, duplicate) = match recorded {
        Some(_) => (Some(option), false),
        None => (choice_of(db, &token.i)?, true),
    };
    let mut body = results(db, &token)?;
    body["selected_option_id"] = json!(chosen.map(|c| c.to_string()));
    body["duplicate"] = json!(duplicate);
    Ok(json_response(200, &body))
}

/// `GET /api/v1/tracking/sponsored-polls/results?token=...`: the poll's
/// votes so far, and this impression's choice if it voted.
pub fn results_of(env: &impl Env, request: &Request) -> Result<Response, TrackingError> {
    let now = env.clock().now();
    let token = token_of(request, &settings::tracking_secret(env), now)?;
    let db = env.db()?;
    let mut body = results(db, &token)?;
    body["selected_option_id"] = json!(choice_of(db, &token.i)?.map(|c| c.to_string()));
    Ok(json_response(200, &body))
}

/// The answer an impression voted for, if it did.
fn choice_of(db: &impl Database, impression: &str) -> Result<Option<usize>, DbError> {
    Ok(db
        .query_row(
            "SELECT option_id FROM poll_votes WHERE impression_id = ?1",
            &[impression.into()],
        )?
        .and_then(|row| row.get::<i64>(0).ok())
        .and_then(|option| usize::try_from(option).ok()))
}

/// `{sponsored_poll_id, question, total_votes, options: [{id, text, votes,
/// percentage}]}`; percentages are of all votes, rounded to one decimal.
fn results(db: &impl Database, token: &PollToken) -> Result<Value, DbError> {
    let mut votes = vec![0_i64; token.o.len()];
    for row in db.execute(
        "SELECT option_id, COUNT(*) FROM poll_votes WHERE poll_id = ?1 GROUP BY option_id",
        &[token.p.as_str().into()],
    )? {
        let option: i64 = row.get(0)?;
        if let Some(count) = usize::try_from(option).ok().and_then(|o| votes.get_mut(o)) {
            *count = row.get(1)?;
        }
    }
    let total: i64 = votes.iter().sum();
    let options: Vec<Value> = token
        .o
        .iter()
        .zip(&votes)
        .enumerate()
        .map(|(index, (text, count))| {
            let percentage = if total == 0 {
                0.0
            } else {
                (*count as f64 * 1000.0 / total as f64).round() / 10.0
            };
            json!({"id": index.to_string(), "text": text, "votes": count, "percentage": percentage})
        })
        .collect();
    Ok(json!({
        "sponsored_poll_id": token.p,
        "question": token.q,
        "total_votes": total,
        "options": options,
    }))
}

/// Lets any origin call a poll link: the answer to a preflight, and the
/// header on every answer.
pub fn allow_any_origin(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
        http::HeaderValue::from_static("*"),
    );
    headers.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
}

/// `OPTIONS` on a poll link: `204` allowing `POST`/`GET` with a JSON body
/// from any origin.
pub fn preflight() -> Response {
    let mut response = adspin_core::web::no_content();
    allow_any_origin(&mut response);
    let headers = response.headers_mut();
    headers.insert(
        http::header::ACCESS_CONTROL_ALLOW_METHODS,
        http::HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    headers.insert(
        http::header::ACCESS_CONTROL_ALLOW_HEADERS,
        http::HeaderValue::from_static("content-type"),
    );
    headers.insert(
        http::header::ACCESS_CONTROL_MAX_AGE,
        http::HeaderValue::from_static("600"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll() -> RenderedPoll {
        RenderedPoll {
            question: "Which plan fits?".into(),
            options: vec!["Solo".into(), "Team".into()],
        }
    }

    #[test]
    fn a_poll_is_named_by_its_ad_or_by_its_dsp_and_text() {
        assert_eq!(poll_id(Some("ad-1"), "thrad", &poll()), "ad-1");
        let external = poll_id(None, "acme", &poll());
        assert!(external.starts_with("poll_"), "{external}");
        assert_eq!(external, poll_id(None, "acme", &poll()));
        assert_ne!(external, poll_id(None, "other", &poll()));
    }

    #[test]
    fn options_are_read_as_strings_or_numbers_within_the_answers() {
        assert_eq!(option_of(br#"{"option_id": "1"}"#, 2), Ok(1));
        assert_eq!(option_of(br#"{"option_id": 0}"#, 2), Ok(0));
        for (body, status) in [
            (&br#"{"option_id": "2"}"#[..], 400),
            (br#"{"option_id": -1}"#, 400),
            (br#"{"option_id": "one"}"#, 400),
            (br#"{"option_id": null}"#, 422),
            (br#"{}"#, 422),
            (br#"not json"#, 422),
        ] {
            let error = option_of(body, 2).expect_err("refused");
            assert_eq!(
                adspin_core::error::SurfaceError::status(&error),
                status,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}

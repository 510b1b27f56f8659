//! The click redirect and the view beacon, and their signed tokens.
//!
//! Tokens are [`adspin_core::signed`] with the `tracking_secret` variable as
//! key. A token that does not verify is treated exactly like an unknown
//! one: the redirect never follows a URL it did not sign. Tokens expire
//! ([`TOKEN_TTL_SECONDS`]): an expired click still takes the user to the
//! landing page it signed, but counts nothing; an expired view is a 404.

use adspin_core::clock::Clock;
use adspin_core::db::DbError;
use adspin_core::delivery;
use adspin_core::env::Env;
use adspin_core::error::{RequestInfo, SurfaceError};
use adspin_core::settings;
use adspin_core::web::{Request, Response, header, json_response};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use adspin_core::signed::{sign, verify};

/// How long a served ad's click and view links count: a day.
pub const TOKEN_TTL_SECONDS: i64 = 86_400;

/// What a click token carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClickToken {
    /// The impression clicked.
    pub i: String,
    /// Where the click goes.
    pub u: String,
    /// Until when the click counts (Unix seconds; tokens without it never
    /// count).
    #[serde(default)]
    pub e: i64,
}

/// What a view token carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewToken {
    /// The impression viewed.
    pub v: String,
    /// Until when the view counts (Unix seconds).
    #[serde(default)]
    pub e: i64,
}

/// The landing page with the click id appended (`thrad_click_id`).
pub fn landing_url(target: &str, click_id: &str) -> String {
    match url::Url::parse(target) {
        Ok(mut url) => {
            url.query_pairs_mut()
                .append_pair("thrad_click_id", click_id);
            url.to_string()
        }
        Err(_) => target.to_string(),
    }
}

/// An error of the tracking links: `{"detail": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingError {
    status: u16,
    detail: &'static str,
    /// The internal failure behind a 500, for the log only.
    cause: Option<String>,
    /// The methods a 405's path takes (the `Allow` header).
    allow: Option<String>,
}

impl TrackingError {
    /// 404 for an unknown, expired or tampered link (they read the same).
    pub fn not_found() -> Self {
        Self::new(404, "Link expired or not found")
    }

    /// 405 for a link called with another method than `allow`.
    pub fn method_not_allowed(allow: &str) -> Self {
        Self {
            allow: Some(allow.to_string()),
            ..Self::new(405, "Method Not Allowed")
        }
    }

    pub(crate) fn bad_request(detail: &'static str) -> Self {
        Self::new(400, detail)
    }

    /// 422 for a link called without what it needs.
    pub(crate) fn unprocessable(detail: &'static str) -> Self {
        Self::new(422, detail)
    }

    /// 413 for a body over `polls::BODY_LIMIT`.
    pub(crate) fn too_large() -> Self {
        Self::new(413, "Request body too large")
    }

    fn new(status: u16, detail: &'static str) -> Self {
        Self {
            status,
            detail,
            cause: None,
            allow: None,
        }
    }
}

/// A storage failure is the client's generic 500; the cause is logged.
impl From<DbError> for TrackingError {
    fn from(error: DbError) -> Self {
        Self {
            cause: Some(format!("database: {error}")),
            ..Self::new(500, "Internal server error")
        }
    }
}

impl SurfaceError for TrackingError {
    fn status(&self) -> u16 {
        self.status
    }

    fn render(&self, _: &RequestInfo) -> Response {
        let mut response = json_response(self.status, &json!({ "detail": self.detail }));
        if let Some(allow) = self
            .allow
            .as_deref()
            .and_then(|allow| http::HeaderValue::from_str(allow).ok())
        {
            response.headers_mut().insert(http::header::ALLOW, allow);
        }
        response
    }

    fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }
}

/// `GET /api/v1/dsp/redirect/{token}`: counts the click and sends the
/// browser to the landing page with `thrad_click_id`.
pub fn click(env: &impl Env, token: &str) -> Result<Response, TrackingError> {
    let token = verify::<ClickToken>(token, &settings::tracking_secret(env))
        .ok_or_else(TrackingError::not_found)?;
    let now = env.clock().now();
    // The landing page is the one the token signed (the impression's).
    let location = if now.get() > token.e {
        token.u.clone()
    } else {
        let click_id = delivery::record_click(env.db()?, &token.i, now)?
            .ok_or_else(TrackingError::not_found)?;
        landing_url(&token.u, &click_id)
    };
    let mut response = http::Response::new(Vec::new());
    *response.status_mut() = http::StatusCode::FOUND;
    if let Ok(value) = http::HeaderValue::from_str(&location) {
        response.headers_mut().insert(http::header::LOCATION, value);
    }
    response.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `GET /api/v1/tracking/view/{token}`: the ad became viewable. Pings
/// must carry the end user's `User-Agent`.
pub fn view(env: &impl Env, request: &Request, token: &str) -> Result<Response, TrackingError> {
    let now = env.clock().now();
    let token = verify::<ViewToken>(token, &settings::tracking_secret(env))
        .filter(|token| now.get() <= token.e)
        .ok_or_else(TrackingError::not_found)?;
    if header(request, "user-agent").is_none_or(str::is_empty) {
        return Err(TrackingError::bad_request(
            "View pings must carry the end user's User-Agent",
        ));
    }
    delivery::record_view(env.db()?, &token.v, now)?.ok_or_else(TrackingError::not_found)?;
    Ok(adspin_core::web::no_content())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let token = sign(
            &ClickToken {
                i: "imp".into(),
                u: "https://e.com/x".into(),
                e: 0,
            },
            b"secret",
        );
        let back: ClickToken = verify(&token, b"secret").expect("valid");
        assert_eq!(back.u, "https://e.com/x");
        assert!(verify::<ClickToken>(&token, b"other").is_none());
        let (_, signature) = token.split_once('.').expect("two parts");
        let forged = format!(
            "{}.{signature}",
            URL_SAFE_NO_PAD.encode(br#"{"i":"imp","u":"https://evil.example"}"#)
        );
        assert!(verify::<ClickToken>(&forged, b"secret").is_none());
        assert!(verify::<ClickToken>("garbage", b"secret").is_none());
    }

    #[test]
    fn a_view_token_is_not_a_click_token() {
        let view = sign(
            &ViewToken {
                v: "imp".into(),
                e: 0,
            },
            b"secret",
        );
        assert!(verify::<ClickToken>(&view, b"secret").is_none());
    }

    #[test]
    fn the_click_id_is_appended_to_the_landing_page() {
        assert_eq!(
            landing_url("https://e.com/p", "c1"),
            "https://e.com/p?thrad_click_id=c1"
        );
        assert_eq!(
            landing_url("https://e.com/p?a=1", "c1"),
            "https://e.com/p?a=1&thrad_click_id=c1"
        );
    }

    mod links {
        use super::super::*;
        use adspin_core::db::Database;
        use adspin_core::money::Micros;
        use adspin_core::testing::{self, TestEnv};
        use adspin_core::time::UnixSeconds;

        const SERVED: UnixSeconds = UnixSeconds::new(1_800_000_000);

        /// An env at `now` with one billable impression served at SERVED.
        fn served(now: UnixSeconds) -> (TestEnv, String) {
            let env = TestEnv::new(now).with_variable("tracking_secret", "s");
            let demand = testing::live_ad(&env.db, testing::organization(&env.db));
            let impression =
                testing::impression(&env.db, Some(demand), true, Micros::new(1_000_000), SERVED);
            (env, impression)
        }

        fn clicks(env: &TestEnv) -> i64 {
            env.db
                .query_row("SELECT COUNT(*) FROM clicks", &[])
                .expect("count")
                .and_then(|row| row.integer(0))
                .expect("row")
        }

        fn click_token(impression: &str) -> String {
            sign(
                &ClickToken {
                    i: impression.into(),
                    u: "https://shop.example.com/p".into(),
                    e: SERVED.get() + TOKEN_TTL_SECONDS,
                },
                b"s",
            )
        }

        #[test]
        fn a_click_within_a_day_counts_and_carries_its_click_id() {
            let (env, impression) = served(SERVED.plus_seconds(3_600));
            let response = click(&env, &click_token(&impression)).expect("redirect");
            assert_eq!(response.status(), 302);
            let location = response.headers()["location"].to_str().expect("text");
            assert!(location.contains("thrad_click_id="), "{location}");
            assert_eq!(clicks(&env), 1);
        }

        #[test]
        fn an_expired_click_goes_to_the_landing_page_and_counts_nothing() {
            let (env, impression) = served(SERVED.plus_seconds(TOKEN_TTL_SECONDS + 1));
            let response = click(&env, &click_token(&impression)).expect("redirect");
            assert_eq!(response.status(), 302);
            assert_eq!(response.headers()["location"], "https://shop.example.com/p");
            assert_eq!(clicks(&env), 0, "a replay days later is not a click");
        }

        #[test]
        fn an_expired_view_is_not_found() {
            let (env, impression) = served(SERVED.plus_seconds(TOKEN_TTL_SECONDS + 1));
            let token = sign(
                &ViewToken {
                    v: impression,
                    e: SERVED.get() + TOKEN_TTL_SECONDS,
                },
                b"s",
            );
            let request = http::Request::builder()
                .header("user-agent", "Mozilla/5.0")
                .body(Vec::new())
                .expect("request");
            assert_eq!(
                view(&env, &request, &token).expect_err("expired"),
                TrackingError::not_found()
            );
        }
    }
}

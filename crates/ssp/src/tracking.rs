//! The click redirect and the view beacon, and their signed tokens.
//!
//! Tokens are [`adspin_core::signed`] with the `tracking_secret` variable as
//! key. A token that does not verify is
//! treated exactly like an unknown one: the redirect never follows a URL
//! it did not sign.

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

/// What a click token carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClickToken {
    /// The impression clicked.
    pub i: String,
    /// Where the click goes.
    pub u: String,
}

/// What a view token carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewToken {
    /// The impression viewed.
    pub v: String,
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
}

impl TrackingError {
    /// 404 for an unknown, expired or tampered link (they read the same).
    pub fn not_found() -> Self {
        Self {
            status: 404,
            detail: "Link expired or not found",
            cause: None,
        }
    }

    fn bad_request(detail: &'static str) -> Self {
        Self {
            status: 400,
            detail,
            cause: None,
        }
    }
}

/// A storage failure is the client's generic 500; the cause is logged.
impl From<DbError> for TrackingError {
    fn from(error: DbError) -> Self {
        Self {
            status: 500,
            detail: "Internal server error",
            cause: Some(format!("database: {error}")),
        }
    }
}

impl SurfaceError for TrackingError {
    fn status(&self) -> u16 {
        self.status
    }

    fn render(&self, _: &RequestInfo) -> Response {
        json_response(self.status, &json!({ "detail": self.detail }))
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
    let click_id = delivery::record_click(env.db()?, &token.i, env.clock().now())?
        .ok_or_else(TrackingError::not_found)?;
    // The landing page is the one the token signed (the impression's).
    let location = landing_url(&token.u, &click_id);
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
    let token = verify::<ViewToken>(token, &settings::tracking_secret(env))
        .ok_or_else(TrackingError::not_found)?;
    if header(request, "user-agent").is_none_or(str::is_empty) {
        return Err(TrackingError::bad_request(
            "View pings must carry the end user's User-Agent",
        ));
    }
    delivery::record_view(env.db()?, &token.v, env.clock().now())?
        .ok_or_else(TrackingError::not_found)?;
    let mut response = http::Response::new(Vec::new());
    *response.status_mut() = http::StatusCode::NO_CONTENT;
    Ok(response)
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
        let view = sign(&ViewToken { v: "imp".into() }, b"secret");
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
}

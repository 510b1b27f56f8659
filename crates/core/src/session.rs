//! The dashboard's session cookie.
//!
//! The dashboard signs in either with an operator-minted token
//! (`POST /dashboard/session`) or with an agents API account's email and
//! password (`POST /api/v1/auth/session`); both answer with this cookie,
//! which holds a dashboard session token ([`crate::jwt`]). It is
//! `HttpOnly` and `SameSite=Strict`, so no script reads it, and `/v1`
//! accepts it only beside [`SESSION_HEADER`] (no CSRF: another origin
//! cannot add that header without a preflight `/v1` never grants).

use crate::web::{Response, no_content};

/// The cookie that holds the dashboard's session token.
pub const SESSION_COOKIE: &str = "adspin_dashboard";
/// The header a dashboard request carries beside the cookie.
pub const SESSION_HEADER: &str = "x-adspin-dashboard";

/// `204` setting the session cookie to `token` for `max_age` seconds (with
/// `max_age` 0 and an empty token: clearing it); `Secure` on HTTPS.
pub fn cookie_response(token: &str, max_age: i64, secure: bool) -> Response {
    let mut response = no_content();
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        max_age.max(0)
    );
    if let Ok(value) = http::HeaderValue::from_str(&cookie) {
        response
            .headers_mut()
            .insert(http::header::SET_COOKIE, value);
    }
    response.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_on_https() {
        let response = cookie_response("t.o.k", 3600, true);
        assert_eq!(response.status(), 204);
        assert_eq!(
            response.headers()["set-cookie"],
            "adspin_dashboard=t.o.k; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict; Secure"
        );
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(
            cookie_response("", -5, false).headers()["set-cookie"],
            "adspin_dashboard=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
        );
    }
}

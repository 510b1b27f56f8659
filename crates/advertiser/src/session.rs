//! The dashboard's sign-in: `POST /dashboard/session` with `{"token": ...}`
//! (an operator-minted dashboard session token) answers `204` and keeps the
//! token in an `HttpOnly`, `SameSite=Strict` cookie that no script can
//! read, for as long as the token lives; `DELETE /dashboard/session` signs
//! out. Errors are in the `/v1` shape. What the cookie allows is in
//! [`crate::auth`].

use serde::Deserialize;

use adspin_core::body::parse_json;
use adspin_core::routes::{self, Matched, Route};
use adspin_core::session::cookie_response;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Request, Response};

use crate::ApiError;
use crate::auth;

/// The largest sign-in body: a token and its JSON.
pub const BODY_LIMIT: usize = 8 * 1024;

#[derive(Debug, Clone, Copy)]
enum Endpoint {
    SignIn,
    SignOut,
}

const ROUTES: &[Route<Endpoint>] = &[
    Route::new("POST", "/dashboard/session", Endpoint::SignIn),
    Route::new("DELETE", "/dashboard/session", Endpoint::SignOut),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    token: String,
}

/// Serves a request of `/dashboard/session` whose body was read.
pub fn handle(request: &Request, now: UnixSeconds, secret: &[u8]) -> Result<Response, ApiError> {
    let method = request.method().as_str();
    let path = request.uri().path();
    let secure = adspin_core::web::base_url(request).starts_with("https://");
    match routes::find(ROUTES, method, path) {
        Matched::Found(Endpoint::SignIn, _) => {
            let body: SignIn = parse_json(request.body())?;
            let token = body.token.trim();
            auth::authenticate_session(token, now, secret)?;
            // The token was verified, so its expiry is a number.
            let expires = adspin_core::jwt::verify(token, secret, now)
                .map(|claims| claims.exp)
                .unwrap_or(now.get());
            Ok(cookie_response(token, expires - now.get(), secure))
        }
        Matched::Found(Endpoint::SignOut, _) => Ok(cookie_response("", 0, secure)),
        Matched::MethodNotAllowed(allow) => Err(ApiError::method_not_allowed(method, path, &allow)),
        Matched::NotFound => Err(ApiError::unknown_path(method, path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use adspin_core::jwt::{Claims, Role, sign};

    fn request(method: &str, body: &str) -> Request {
        http::Request::builder()
            .method(method)
            .uri("/dashboard/session")
            .body(body.as_bytes().to_vec())
            .expect("request")
    }

    fn token(exp: i64) -> String {
        sign(
            &Claims {
                sub: "jane".into(),
                org: "0d3e0000-0000-4000-8000-000000000001".into(),
                role: Role::Owner,
                iat: 0,
                exp,
            },
            b"s",
        )
    }

    #[test]
    fn signing_in_keeps_the_token_in_an_http_only_cookie_until_it_expires() {
        let token = token(4_600);
        let body = format!(r#"{{"token": "{token}"}}"#);
        let response =
            handle(&request("POST", &body), UnixSeconds::new(1_000), b"s").expect("signed in");
        assert_eq!(response.status(), 204);
        assert_eq!(
            response.headers()["set-cookie"],
            format!("adspin_dashboard={token}; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict")
                .as_str()
        );
    }

    #[test]
    fn a_bad_token_or_body_signs_nobody_in() {
        let expired = format!(r#"{{"token": "{}"}}"#, token(999));
        let error =
            handle(&request("POST", &expired), UnixSeconds::new(1_000), b"s").expect_err("expired");
        assert_eq!((error.status(), error.code()), (401, "invalid_session"));
        let error = handle(
            &request("POST", r#"{"tok": "x"}"#),
            UnixSeconds::new(1_000),
            b"s",
        )
        .expect_err("bad body");
        assert_eq!(error.status(), 400);
    }

    #[test]
    fn signing_out_clears_the_cookie() {
        let response =
            handle(&request("DELETE", ""), UnixSeconds::new(1_000), b"s").expect("signed out");
        assert_eq!(
            response.headers()["set-cookie"],
            "adspin_dashboard=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
        );
    }
}

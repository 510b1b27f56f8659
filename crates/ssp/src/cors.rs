//! CORS for browser integrations: the preflight, and the headers that let
//! an allowed page read the response. Which origins may call is checked
//! per key in the auction (`403` otherwise).

use adspin_core::web::{Request, Response, header};
use http::HeaderValue;

/// `OPTIONS` preflight: methods, headers and a 24-hour max age.
pub fn preflight(request: &Request) -> Response {
    let mut response = adspin_core::web::no_content();
    let headers = response.headers_mut();
    headers.insert(
        "access-control-allow-methods",
        HeaderValue::from_static("POST, OPTIONS"),
    );
    headers.insert(
        "access-control-allow-headers",
        HeaderValue::from_static("thrad-api-key, Content-Type, Origin, Referer"),
    );
    headers.insert("access-control-max-age", HeaderValue::from_static("86400"));
    allow_origin(&mut response, header(request, "origin"));
    response
}

/// Lets the calling page read the response (only reached for allowed
/// origins, or by the preflight).
pub fn allow_origin(response: &mut Response, origin: Option<&str>) {
    let Some(origin) = origin.and_then(|o| HeaderValue::from_str(o).ok()) else {
        return;
    };
    let headers = response.headers_mut();
    headers.insert("access-control-allow-origin", origin);
    headers.insert("vary", HeaderValue::from_static("Origin"));
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"),
    );
}

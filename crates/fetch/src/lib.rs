//! The image-fetch surface: `POST /fetch` with `{"url": "..."}` downloads
//! one image for the Advertiser API's `POST /v1/upload` by `image_url`.
//!
//! Reached only by service chaining, it is the one component whose
//! `allowed_outbound_hosts` reach hosts users choose. The runtime's egress
//! guard (`[outbound_networking] block_networks` in the runtime
//! configuration) refuses private, loopback and link-local destinations
//! after DNS resolution, before connecting; this surface adds what the
//! runtime does not: http(s) only, no credentials in the URL, redirects
//! refused (not followed), at most 5 MB, 10 seconds in all.

use std::time::Duration;

use adspin_core::clock::{Clock, with_deadline};
use adspin_core::env::Env;
use adspin_core::image_fetch::{
    FailureCode, FetchFailure, FetchRequest, MAX_IMAGE_BYTES, check_url,
};
use adspin_core::outbound::{HttpClient, OutboundError, OutboundRequest};
use adspin_core::web::{IncomingRequest, Response, json_response, read_request};
use serde_json::json;

/// The whole download's time budget.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request read (a URL of at most 2048 characters, in JSON).
const BODY_LIMIT: usize = 16 * 1024;

/// Serves one request of the protocol.
pub async fn handle(env: &impl Env, request: IncomingRequest) -> Response {
    if request.method() != http::Method::POST || request.uri().path() != "/fetch" {
        return json_response(404, &json!({ "error": "not found" }));
    }
    let asked = match read_request(request, BODY_LIMIT).await {
        Ok(request) => serde_json::from_slice::<FetchRequest>(request.body()).ok(),
        Err(_) => None,
    };
    let Some(asked) = asked else {
        return json_response(400, &json!({ "error": "expected {\"url\": \"...\"}" }));
    };
    match fetch(env, &asked.url).await {
        Ok(image) => {
            let mut response = Response::new(image);
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/octet-stream"),
            );
            response
        }
        Err(failure) => json_response(422, &failure),
    }
}

/// Downloads `url`: its bytes, or why not.
pub async fn fetch(env: &impl Env, url: &str) -> Result<Vec<u8>, FetchFailure> {
    let url = check_url(url).map_err(|message| failure(FailureCode::InvalidImageUrl, message))?;
    let host = url.host_str().unwrap_or_default().to_string();
    let request = OutboundRequest {
        method: http::Method::GET,
        url: url.into(),
        headers: vec![
            ("accept".into(), "image/png, image/jpeg, image/webp".into()),
            ("user-agent".into(), "adspin-image-fetch".into()),
        ],
        body: Vec::new(),
    };
    let clock = env.clock();
    let deadline = clock.monotonic() + FETCH_TIMEOUT;
    let sent = with_deadline(clock, deadline, env.http().send(request, MAX_IMAGE_BYTES)).await;
    let response = match sent {
        None => {
            return Err(failure(
                FailureCode::ImageFetchFailed,
                "image_url did not answer within 10 seconds.",
            ));
        }
        Some(Err(error)) => return Err(refusal(&host, error)),
        Some(Ok(response)) => response,
    };
    match response.status {
        200..=299 => Ok(response.body),
        status @ 300..=399 => Err(failure(
            FailureCode::TooManyRedirects,
            &format!(
                "image_url answered with a redirect (HTTP {status}); redirects are not followed, send the final URL."
            ),
        )),
        status => Err(failure(
            FailureCode::ImageFetchFailed,
            &format!("image_url answered HTTP {status}."),
        )),
    }
}

/// The failure for a request that got no answer.
fn refusal(host: &str, error: OutboundError) -> FetchFailure {
    match error {
        OutboundError::Refused(reason) => {
            // Worth an operator's eye: someone pointed us at a non-public
            // address (or a port we do not reach).
            adspin_core::log::warn(&format!(
                "image_url to {host:?} refused by the egress policy ({reason})"
            ));
            failure(
                FailureCode::InvalidImageUrl,
                "image_url must point to a public host on the standard port of its scheme.",
            )
        }
        OutboundError::Unresolvable(_) => failure(
            FailureCode::InvalidImageUrl,
            "image_url's host does not resolve.",
        ),
        OutboundError::TooLarge(limit) => failure(
            FailureCode::FileTooLarge,
            &format!("The image at image_url is larger than {limit} bytes (5 MB)."),
        ),
        OutboundError::Failed(_) | OutboundError::Read(_) => failure(
            FailureCode::ImageFetchFailed,
            "image_url could not be downloaded (the connection failed).",
        ),
    }
}

fn failure(code: FailureCode, message: &str) -> FetchFailure {
    FetchFailure {
        code,
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests;

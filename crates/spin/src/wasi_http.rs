//! Spin's incoming request in, the core's response out.

use std::future::Future;

use adspin_core::web::{Body, Response};
use futures::StreamExt;
use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};

/// Hands the request (its body unread: the surface reads it once it knows
/// who is calling, up to its own limit) to `handler` and writes its
/// response.
pub async fn serve<F, Fut>(incoming: IncomingRequest, response_out: ResponseOutparam, handler: F)
where
    F: FnOnce(adspin_core::web::IncomingRequest) -> Fut,
    Fut: Future<Output = Response>,
{
    let response = match read_request(incoming) {
        Ok(request) => handler(request).await,
        Err(message) => plain(400, message),
    };
    write_response(response, response_out).await;
}

fn read_request(incoming: IncomingRequest) -> Result<adspin_core::web::IncomingRequest, String> {
    let mut builder = http::Request::builder()
        .method(incoming.method().to_string().as_str())
        .uri(incoming.uri());
    for (name, value) in incoming.headers().entries() {
        builder = builder.header(name, value);
    }
    let chunks = incoming
        .into_body_stream()
        .map(|chunk| chunk.map_err(|error| format!("{error:?}")));
    builder
        .body(Body::Stream(Box::pin(chunks)))
        .map_err(|error| format!("malformed request: {error}"))
}

async fn write_response(response: Response, response_out: ResponseOutparam) {
    let (parts, body) = response.into_parts();
    let headers: Vec<(String, Vec<u8>)> = parts
        .headers
        .iter()
        .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec()))
        .collect();
    // Header names and values the http crate accepted are valid fields.
    let fields = Fields::from_list(&headers).unwrap_or_else(|_| Fields::new());
    let outgoing = OutgoingResponse::new(fields);
    if outgoing.set_status_code(parts.status.as_u16()).is_err() {
        // Unreachable for a status the http crate accepted; 500 is the
        // honest answer if it happens.
        let _unchanged = outgoing.set_status_code(500);
    }
    if let Err(error) = response_out.set_with_body(outgoing, body).await {
        // The client went away: nobody is left to answer.
        adspin_core::log::warn(&format!("response body not delivered: {error:?}"));
    }
}

fn plain(status: u16, message: String) -> Response {
    let mut response = http::Response::new(message.into_bytes());
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response
}

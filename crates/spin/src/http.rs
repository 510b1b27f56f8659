//! [`HttpClient`] over Spin's outbound `wasi:http`: the manifest's
//! `allowed_outbound_hosts` decide what may be called.

use adspin_core::outbound::{HttpClient, OutboundError, OutboundRequest, OutboundResponse};
use futures::StreamExt;
use spin_sdk::http::{ErrorCode, IncomingResponse, Method, Request, SendError, send};

/// Sends through the host.
#[derive(Debug, Default, Clone, Copy)]
pub struct SpinHttp;

impl HttpClient for SpinHttp {
    async fn send(
        &self,
        request: OutboundRequest,
        body_limit: usize,
    ) -> Result<OutboundResponse, OutboundError> {
        let mut builder = Request::builder();
        builder.method(method(&request.method)).uri(request.url);
        for (name, value) in &request.headers {
            builder.header(name.as_str(), value.as_str());
        }
        let outgoing = builder.body(request.body).build();
        let response: IncomingResponse = send(outgoing).await.map_err(send_error)?;
        let status = response.status();
        let headers = response
            .headers()
            .entries()
            .into_iter()
            .filter_map(|(name, value)| {
                String::from_utf8(value)
                    .ok()
                    .map(|value| (name.to_ascii_lowercase(), value))
            })
            .collect();
        let mut stream = response.take_body_stream();
        let mut body = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|error| OutboundError::Read(format!("{error:?}")))?;
            body.extend_from_slice(&chunk);
            if body.len() > body_limit {
                return Err(OutboundError::TooLarge(body_limit));
            }
        }
        Ok(OutboundResponse {
            status,
            headers,
            body,
        })
    }
}

/// What the runtime's error code says about a request that got no answer.
fn send_error(error: SendError) -> OutboundError {
    match error {
        SendError::Http(
            code @ (ErrorCode::DestinationIpProhibited | ErrorCode::HttpRequestDenied),
        ) => OutboundError::Refused(format!("{code:?}")),
        SendError::Http(code @ (ErrorCode::DnsError(_) | ErrorCode::DestinationNotFound)) => {
            OutboundError::Unresolvable(format!("{code:?}"))
        }
        other => OutboundError::Failed(other.to_string()),
    }
}

fn method(method: &http::Method) -> Method {
    match *method {
        http::Method::GET => Method::Get,
        http::Method::POST => Method::Post,
        http::Method::PUT => Method::Put,
        http::Method::DELETE => Method::Delete,
        http::Method::PATCH => Method::Patch,
        http::Method::HEAD => Method::Head,
        http::Method::OPTIONS => Method::Options,
        _ => Method::Other(method.as_str().to_string()),
    }
}

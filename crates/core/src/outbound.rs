//! Outgoing HTTP requests, behind a trait: the Spin adapter sends them
//! through `wasi:http` (where `allowed_outbound_hosts` applies), tests
//! answer them from a fake.

use std::future::Future;

/// A request to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    pub method: http::Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl OutboundRequest {
    /// A `POST` of a JSON body.
    pub fn post_json(url: impl Into<String>, body: Vec<u8>) -> Self {
        Self {
            method: http::Method::POST,
            url: url.into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        }
    }

    /// A request without a body (`GET`, `DELETE`).
    pub fn without_body(method: http::Method, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A `POST` of a form (`application/x-www-form-urlencoded`).
    pub fn post_form(url: impl Into<String>, body: Vec<u8>) -> Self {
        Self {
            method: http::Method::POST,
            url: url.into(),
            headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            body,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// The status, headers and body of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundResponse {
    pub status: u16,
    /// Header names lower-cased; values that are not UTF-8 are left out.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl OutboundResponse {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Why no answer came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// The runtime refused the destination before connecting: the host is
    /// not in the component's `allowed_outbound_hosts`, or every address
    /// it resolves to is in a blocked network (the runtime configuration's
    /// `[outbound_networking] block_networks`).
    #[error("destination refused by the outbound policy: {0}")]
    Refused(String),
    /// The host name does not resolve.
    #[error("the host name does not resolve: {0}")]
    Unresolvable(String),
    /// Unreachable, or the connection failed.
    #[error("request failed: {0}")]
    Failed(String),
    #[error("reading the response failed: {0}")]
    Read(String),
    #[error("response body larger than {0} bytes")]
    TooLarge(usize),
}

/// Sends requests.
pub trait HttpClient {
    /// Sends `request`; a response body longer than `body_limit` bytes is
    /// an error (it is not read past the limit).
    fn send(
        &self,
        request: OutboundRequest,
        body_limit: usize,
    ) -> impl Future<Output = Result<OutboundResponse, OutboundError>>;
}

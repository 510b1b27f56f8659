//! Small HTTP helpers over the `http` crate types the components use.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use serde::Serialize;

/// A request with its body read (what handlers take).
pub type Request = http::Request<Vec<u8>>;
/// The response type shared handlers produce.
pub type Response = http::Response<Vec<u8>>;
/// A request as it arrives: its body not read yet. A surface reads it
/// with [`read_body`] once it knows who is calling and how much it takes.
pub type IncomingRequest = http::Request<Body>;

/// The body of an incoming request, read on demand.
pub enum Body {
    /// Already in memory (tests, and chained requests built in process).
    Bytes(Vec<u8>),
    /// Chunks as the runtime delivers them.
    Stream(Pin<Box<dyn Stream<Item = Result<Vec<u8>, String>>>>),
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Self::Bytes(bytes)
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bytes(bytes) => write!(f, "Body::Bytes({} bytes)", bytes.len()),
            Self::Stream(_) => f.write_str("Body::Stream"),
        }
    }
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Larger than the surface takes (`413`); the rest was not read.
    #[error("the body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// The client went away or the runtime failed mid-body.
    #[error("reading the body failed: {0}")]
    Failed(String),
}

impl Body {
    /// Reads the whole body, refusing it as soon as it passes `limit`
    /// bytes (nothing past the limit is read or kept).
    pub async fn read(self, limit: usize) -> Result<Vec<u8>, ReadError> {
        match self {
            Self::Bytes(bytes) if bytes.len() > limit => Err(ReadError::TooLarge { limit }),
            Self::Bytes(bytes) => Ok(bytes),
            Self::Stream(mut stream) => {
                let mut bytes = Vec::new();
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.map_err(ReadError::Failed)?;
                    if bytes.len() + chunk.len() > limit {
                        return Err(ReadError::TooLarge { limit });
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(bytes)
            }
        }
    }
}

/// Splits an incoming request into its head (the request line and
/// headers, with an empty body) and its unread body: who is calling and
/// which endpoint is checked on the head before the body is read.
pub fn split(request: IncomingRequest) -> (Request, Body) {
    let (parts, body) = request.into_parts();
    (http::Request::from_parts(parts, Vec::new()), body)
}

/// Reads `body` into `head`, at most `limit` bytes. A declared
/// `Content-Length` past the limit is refused before anything is read.
pub async fn read_body(head: &mut Request, body: Body, limit: usize) -> Result<(), ReadError> {
    let declared = head
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(ReadError::TooLarge { limit });
    }
    *head.body_mut() = body.read(limit).await?;
    Ok(())
}

/// Reads the whole of `request`, at most `limit` bytes (for surfaces that
/// check nothing before the body).
pub async fn read_request(request: IncomingRequest, limit: usize) -> Result<Request, ReadError> {
    let (mut head, body) = split(request);
    read_body(&mut head, body, limit).await?;
    Ok(head)
}

/// A JSON response with the given status.
pub fn json_response(status: u16, body: &impl Serialize) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = http::Response::new(bytes);
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// `204 No Content`.
pub fn no_content() -> Response {
    let mut response = Response::new(Vec::new());
    *response.status_mut() = http::StatusCode::NO_CONTENT;
    response
}

/// A JSON response from already-serialized text (sent byte for byte).
pub fn raw_json_response(status: u16, body: String) -> Response {
    let mut response = json_response(status, &());
    *response.body_mut() = body.into_bytes();
    response
}

/// What [`header`] reads for a value that is not UTF-8.
pub const UNREADABLE_HEADER: &str = "\u{FFFD}";

/// A request header as text: `None` when absent. A value that is not
/// UTF-8 reads as U+FFFD, so every check refuses it as invalid instead of
/// taking it for missing (an `Idempotency-Key` or a country that cannot be
/// read must not be ignored).
pub fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers()
        .get(name)
        .map(|v| std::str::from_utf8(v.as_bytes()).unwrap_or(UNREADABLE_HEADER))
}

/// `scheme://authority` of the URL the client called, from Spin's
/// `spin-full-url` header (or the request URI), for building public URLs.
pub fn base_url(request: &Request) -> String {
    let full = header(request, "spin-full-url")
        .and_then(|url| url.parse::<http::Uri>().ok())
        .unwrap_or_else(|| request.uri().clone());
    match (full.scheme_str(), full.authority()) {
        (Some(scheme), Some(authority)) => format!("{scheme}://{authority}"),
        _ => "http://localhost".to_string(),
    }
}

/// Decoded query parameters, in order; keys may repeat (`fields[]=a&fields[]=b`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(query: &str) -> Self {
        Self {
            pairs: form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        }
    }

    pub fn from_request(request: &Request) -> Self {
        Self::parse(request.uri().query().unwrap_or_default())
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of the array parameter `name`, written `name[]` or
    /// `name`, in order.
    pub fn array(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k.strip_suffix("[]").unwrap_or(k) == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Names present in the query, each once, in first-seen order.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for (name, _) in &self.pairs {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        names
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_parsed_case_insensitively() {
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("Bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Bearer a b"), None);
        assert_eq!(bearer_token("Bearerabc"), None);
    }

    #[test]
    fn query_values_are_decoded_and_may_repeat() {
        let query = Query::parse("fields[]=clicks&fields%5B%5D=spend&q=a+b%21&empty=");
        assert_eq!(
            query.get_all("fields[]").collect::<Vec<_>>(),
            ["clicks", "spend"]
        );
        assert_eq!(query.get("q"), Some("a b!"));
        assert_eq!(query.get("empty"), Some(""));
        assert_eq!(query.get("missing"), None);
        assert_eq!(query.names(), ["fields[]", "q", "empty"]);
    }

    #[test]
    fn the_base_url_comes_from_spin_full_url() {
        let request = http::Request::builder()
            .uri("/v1/ads")
            .header("spin-full-url", "https://ads.example.com:8443/v1/ads?x=1")
            .body(Vec::new())
            .expect("request");
        assert_eq!(base_url(&request), "https://ads.example.com:8443");
        let bare = http::Request::builder()
            .uri("/x")
            .body(Vec::new())
            .expect("request");
        assert_eq!(base_url(&bare), "http://localhost");
    }

    #[test]
    fn json_responses_carry_status_and_content_type() {
        let response = json_response(201, &serde_json::json!({"ok": true}));
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.body(), br#"{"ok":true}"#);
    }

    #[test]
    fn unreadable_header_values_are_present_not_missing() {
        let request = http::Request::builder()
            .header(
                "idempotency-key",
                http::HeaderValue::from_bytes(b"caf\xe9").expect("obs-text"),
            )
            .header(
                "x-name",
                http::HeaderValue::from_bytes("café".as_bytes()).expect("utf-8"),
            )
            .body(Vec::new())
            .expect("request");
        assert_eq!(header(&request, "idempotency-key"), Some(UNREADABLE_HEADER));
        assert_eq!(header(&request, "x-name"), Some("café"));
        assert_eq!(header(&request, "absent"), None);
    }

    #[test]
    fn bodies_are_read_up_to_their_limit_and_no_further() {
        let chunks: Vec<Result<Vec<u8>, String>> =
            vec![Ok(vec![1; 4]), Ok(vec![2; 4]), Ok(vec![3; 4])];
        let body = Body::Stream(Box::pin(futures::stream::iter(chunks.clone())));
        assert_eq!(
            futures::executor::block_on(body.read(10)),
            Err(ReadError::TooLarge { limit: 10 })
        );
        let body = Body::Stream(Box::pin(futures::stream::iter(chunks)));
        assert_eq!(
            futures::executor::block_on(body.read(12)).map(|b| b.len()),
            Ok(12)
        );
        assert_eq!(
            futures::executor::block_on(Body::from(vec![0; 3]).read(2)),
            Err(ReadError::TooLarge { limit: 2 })
        );
    }

    #[test]
    fn a_declared_length_past_the_limit_is_refused_before_reading() {
        let request = http::Request::builder()
            .header("content-length", "104857600")
            .body(Body::Stream(Box::pin(futures::stream::pending())))
            .expect("request");
        assert_eq!(
            futures::executor::block_on(read_request(request, 1024)).map(|_| ()),
            Err(ReadError::TooLarge { limit: 1024 })
        );
    }
}

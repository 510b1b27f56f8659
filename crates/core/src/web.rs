//! Small HTTP helpers over the `http` crate types the components use.

use serde::Serialize;

/// The request type components hand to shared handlers.
pub type Request = http::Request<Vec<u8>>;
/// The response type shared handlers produce.
pub type Response = http::Response<Vec<u8>>;

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

/// A JSON response from already-serialized text (sent byte for byte).
pub fn raw_json_response(status: u16, body: String) -> Response {
    let mut response = json_response(status, &());
    *response.body_mut() = body.into_bytes();
    response
}

/// A request header as text (`None` when absent or not visible ASCII).
pub fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
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
}

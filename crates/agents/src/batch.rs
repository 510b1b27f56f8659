//! `POST /batch`: up to [`MAX_REQUESTS`] agents API requests in one body,
//! run concurrently in the same component instance, each for the batch's
//! caller (its key, its scopes, its rate limit: every item counts, the
//! batch itself once more) and each answered with its own status and body
//! under its `id`. One item failing never fails the others.
//!
//! Paths may be written `/api/v1/campaigns`, `/v1/campaigns` (as the
//! specification's example does) or `/campaigns`; a path may carry a
//! query string. An item may name any endpoint that takes a key, except
//! `/batch` itself; public endpoints (registration, login, OAuth, checkout
//! pages) and paths outside this API are refused in that item's result.

use std::collections::BTreeMap;

use adspin_core::body::parse_json;
use adspin_core::env::Env;
use adspin_core::error::{RequestInfo, respond};
use adspin_core::web::{Request, Response, json_response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::{AgentsError, Context, limits};

/// The most requests one batch may hold.
pub const MAX_REQUESTS: usize = 20;

/// The longest item `id`.
pub const MAX_ID_LENGTH: usize = 64;

/// The methods an item may use.
const METHODS: [&str; 4] = ["GET", "POST", "PATCH", "DELETE"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchRequest {
    #[serde(default)]
    requests: Option<Vec<ItemRequest>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemRequest {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    body: Option<Value>,
}

/// One checked item: what it will run.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    pub method: http::Method,
    /// The path as this API serves it (`/api/v1/...`), with its query.
    pub path: String,
    pub body: Option<Value>,
}

/// `400` for an item naming `/batch`.
pub fn nested() -> AgentsError {
    AgentsError::new(
        400,
        "invalid_batch_request",
        "A batch cannot contain POST /batch.",
    )
}

/// `400` for an item naming an endpoint that takes no key.
pub fn not_keyed(path: &str) -> AgentsError {
    AgentsError::new(
        400,
        "invalid_batch_request",
        format!("{path} takes no API key and cannot run in a batch."),
    )
}

/// `path` as this API serves it: `/v1/x` and `/x` become `/api/v1/x`.
pub fn agents_path(path: &str) -> String {
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .filter(|rest| rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
    };
    if under("/api/v1").is_some() {
        path.to_string()
    } else if let Some(rest) = under("/v1") {
        format!("/api/v1{rest}")
    } else {
        format!("/api/v1{path}")
    }
}

/// The items of a batch body, checked: `422` naming the first field in
/// error (`requests[2].path`).
pub fn parse(body: &[u8]) -> Result<Vec<Item>, AgentsError> {
    let request: BatchRequest = parse_json(body)?;
    let requests = request
        .requests
        .ok_or_else(|| AgentsError::validation("requests", "requests is required."))?;
    if requests.is_empty() || requests.len() > MAX_REQUESTS {
        return Err(AgentsError::validation(
            "requests",
            format!("A batch holds 1 to {MAX_REQUESTS} requests."),
        ));
    }
    let mut items: Vec<Item> = Vec::with_capacity(requests.len());
    for (index, request) in requests.into_iter().enumerate() {
        let field = |name: &str| format!("requests[{index}].{name}");
        let id = request.id.unwrap_or_default();
        if id.trim().is_empty() || id.chars().count() > MAX_ID_LENGTH {
            return Err(AgentsError::validation(
                &field("id"),
                format!("id is a string of 1 to {MAX_ID_LENGTH} characters, not only spaces."),
            ));
        }
        if items.iter().any(|item| item.id == id) {
            return Err(AgentsError::validation(
                &field("id"),
                format!("The id {id} is used twice; each request needs its own."),
            ));
        }
        let method = request.method.unwrap_or_default().to_ascii_uppercase();
        if !METHODS.contains(&method.as_str()) {
            return Err(AgentsError::validation(
                &field("method"),
                "method is one of GET, POST, PATCH, DELETE.",
            ));
        }
        let path = request.path.unwrap_or_default();
        if !path.starts_with('/') || path.parse::<http::uri::PathAndQuery>().is_err() {
            return Err(AgentsError::validation(
                &field("path"),
                "path is this API's path, such as /v1/campaigns/camp_123.",
            ));
        }
        let method = http::Method::from_bytes(method.as_bytes())
            .map_err(|_| AgentsError::validation(&field("method"), "method is not valid."))?;
        items.push(Item {
            id,
            method,
            path: agents_path(&path),
            body: request.body.filter(|body| !body.is_null()),
        });
    }
    Ok(items)
}

/// The request an item makes: the batch's headers (its key, its host, the
/// runtime's headers) with the item's method, path and JSON body.
fn item_request(batch: &Request, item: &Item) -> Result<Request, AgentsError> {
    let mut request = http::Request::new(
        item.body
            .as_ref()
            .map(|body| body.to_string().into_bytes())
            .unwrap_or_default(),
    );
    *request.method_mut() = item.method.clone();
    *request.uri_mut() = item
        .path
        .parse()
        .map_err(|_| AgentsError::validation("path", "path is not valid."))?;
    *request.headers_mut() = batch.headers().clone();
    request.headers_mut().remove(http::header::CONTENT_LENGTH);
    request.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    Ok(request)
}

/// An item's result: its status and its body (JSON as JSON, other text
/// as a string with its `content_type`, nothing for a `204`).
pub fn result_of(response: &Response) -> Value {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let bytes = response.body();
    if bytes.is_empty() {
        return json!({"status": status, "body": null});
    }
    if content_type.starts_with("application/json")
        && let Ok(body) = serde_json::from_slice::<Value>(bytes)
    {
        return json!({"status": status, "body": body});
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => json!({"status": status, "content_type": content_type, "body": text}),
        Err(_) => {
            use base64::Engine;
            json!({"status": status, "content_type": content_type, "body_encoding": "base64",
                   "body": base64::engine::general_purpose::STANDARD.encode(bytes)})
        }
    }
}

/// `POST /batch`: `200` with `{"results": {id: {status, body}}}`.
pub(crate) async fn run<E: Env>(
    context: &Context<'_, E>,
    caller: &Caller,
) -> Result<Response, AgentsError> {
    let items = parse(context.body())?;
    // Every item counts, with one increment per window for all of them;
    // the items past the limit are refused in their turn.
    let count = crate::count_caller_requests(
        context.env,
        context.kv,
        caller,
        context.now,
        u32::try_from(items.len()).unwrap_or(u32::MAX),
    )?;
    let runs = items.iter().zip(0..).map(|(item, index)| {
        let request = item_request(context.request, item);
        let usage = count.of(index);
        async move {
            let outcome = match request {
                _ if usage.exceeded() => Err(limits::too_many_requests(&usage, context.now)),
                Ok(request) => crate::batch_item(context, &request, caller).await,
                Err(error) => Err(error),
            };
            match outcome {
                Ok(response) => response,
                Err(error) => respond(&RequestInfo::new("req_"), &error),
            }
        }
    });
    let responses = futures::future::join_all(runs).await;
    let results: BTreeMap<&str, Value> = items
        .iter()
        .zip(&responses)
        .map(|(item, response)| (item.id.as_str(), result_of(response)))
        .collect();
    Ok(json_response(200, &json!({ "results": results })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_path_names_the_same_endpoint() {
        for path in ["/api/v1/campaigns/5", "/v1/campaigns/5", "/campaigns/5"] {
            assert_eq!(agents_path(path), "/api/v1/campaigns/5", "{path}");
        }
        assert_eq!(agents_path("/v1?limit=2"), "/api/v1?limit=2");
        assert_eq!(agents_path("/v1campaigns"), "/api/v1/v1campaigns");
        assert_eq!(agents_path("/api/v10/x"), "/api/v1/api/v10/x");
    }

    #[test]
    fn a_batch_names_the_first_field_in_error() {
        let refused = |body: Value| parse(body.to_string().as_bytes()).expect_err("refused");
        let field = |error: AgentsError| {
            let response = error.to_response("req_1");
            let body: Value = serde_json::from_slice(response.body()).expect("json");
            body["error"]["details"]["field"].clone()
        };
        assert_eq!(field(refused(json!({}))), "requests");
        assert_eq!(field(refused(json!({"requests": []}))), "requests");
        let many: Vec<Value> = (0..=MAX_REQUESTS)
            .map(|i| json!({"id": i.to_string(), "method": "GET", "path": "/campaigns"}))
            .collect();
        assert_eq!(field(refused(json!({ "requests": many }))), "requests");
        assert_eq!(
            field(refused(json!({"requests": [
                {"id": "a", "method": "GET", "path": "/campaigns"},
                {"id": "a", "method": "GET", "path": "/campaigns"}]}))),
            "requests[1].id"
        );
        assert_eq!(
            field(refused(
                json!({"requests": [{"id": "a", "method": "PUT", "path": "/campaigns"}]})
            )),
            "requests[0].method"
        );
        assert_eq!(
            field(refused(
                json!({"requests": [{"id": "a", "method": "GET", "path": "campaigns"}]})
            )),
            "requests[0].path"
        );
        let items = parse(
            json!({"requests": [{"id": "x", "method": "patch", "path": "/v1/campaigns/camp_3",
                "body": {"budget": {"amount": 75}}}]})
            .to_string()
            .as_bytes(),
        )
        .expect("valid");
        assert_eq!(items[0].method, http::Method::PATCH);
        assert_eq!(items[0].path, "/api/v1/campaigns/camp_3");
        assert_eq!(items[0].body, Some(json!({"budget": {"amount": 75}})));
    }
}

//! Errors of the agents API: `{"error": {code, message, status, details,
//! request_id}}`, with a machine-readable `code` for every error.

use serde::Serialize;
use serde_json::Value;

use adspin_core::body::BodyError;
use adspin_core::db::DbError;
use adspin_core::error::{RequestInfo, SurfaceError};
use adspin_core::web::{ReadError, Response, json_response};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} {}: {}", .0.status, .0.code, .0.message)]
pub struct AgentsError(Box<Inner>);

/// Boxed so that results carrying an error stay small.
#[derive(Debug, Clone, PartialEq)]
struct Inner {
    status: u16,
    code: String,
    message: String,
    details: Option<Value>,
    /// The internal failure behind a 500, for the log only.
    cause: Option<String>,
    retry_after: Option<i64>,
    allow: Option<String>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a Value>,
    request_id: &'a str,
}

impl AgentsError {
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            status,
            code: code.into(),
            message: message.into(),
            details: None,
            cause: None,
            retry_after: None,
            allow: None,
        }))
    }

    /// 500 `internal_error`; `cause` is logged, never sent.
    pub fn internal_because(cause: impl std::fmt::Display) -> Self {
        let mut error = Self::new(500, "internal_error", "An internal error occurred.");
        error.0.cause = Some(cause.to_string());
        error
    }

    /// Keeps `cause` for the log (never sent).
    pub fn with_cause(mut self, cause: impl std::fmt::Display) -> Self {
        self.0.cause = Some(cause.to_string());
        self
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.0.details = Some(details);
        self
    }

    /// 422 about one field.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::new(422, "validation_error", message)
            .with_details(serde_json::json!({ "field": field }))
    }

    /// 404 `not_found` for a path no endpoint serves.
    pub fn not_found(path: &str) -> Self {
        Self::new(
            404,
            "not_found",
            format!("No endpoint is served at {path}."),
        )
    }

    /// 405 `method_not_allowed` with the path's `Allow` header.
    pub fn method_not_allowed(method: &str, allow: &str) -> Self {
        Self::new(
            405,
            "method_not_allowed",
            format!("{method} is not allowed here; use {allow}."),
        )
        .with_allow(allow)
    }

    pub fn status(&self) -> u16 {
        self.0.status
    }

    pub fn code(&self) -> &str {
        &self.0.code
    }

    /// Adds a `Retry-After` of `seconds` to the response (429s).
    pub fn with_retry_after(mut self, seconds: i64) -> Self {
        self.0.retry_after = Some(seconds);
        self
    }

    /// The seconds a `429` asks the client to wait (`Retry-After`).
    pub fn retry_after(&self) -> Option<i64> {
        self.0.retry_after
    }

    /// Adds the `Allow` header of a 405.
    pub fn with_allow(mut self, allow: &str) -> Self {
        self.0.allow = Some(allow.to_string());
        self
    }

    pub fn to_response(&self, request_id: &str) -> Response {
        let error = &self.0;
        let mut response = json_response(
            error.status,
            &Envelope {
                error: Body {
                    code: &error.code,
                    message: &error.message,
                    status: error.status,
                    details: error.details.as_ref(),
                    request_id,
                },
            },
        );
        let headers = response.headers_mut();
        if let Some(seconds) = error.retry_after {
            headers.insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
        if let Some(allow) = error
            .allow
            .as_deref()
            .and_then(|a| http::HeaderValue::from_str(a).ok())
        {
            headers.insert(http::header::ALLOW, allow);
        }
        response
    }
}

impl SurfaceError for AgentsError {
    fn status(&self) -> u16 {
        self.0.status
    }

    fn render(&self, request: &RequestInfo) -> Response {
        self.to_response(&request.id)
    }

    fn cause(&self) -> Option<&str> {
        self.0.cause.as_deref()
    }
}

/// A storage failure is the client's generic 500; the cause is logged.
impl From<DbError> for AgentsError {
    fn from(error: DbError) -> Self {
        Self::internal_because(format_args!("database: {error}"))
    }
}

/// A key-value failure is the client's generic 500; the cause is logged.
impl From<adspin_core::kv::KvError> for AgentsError {
    fn from(error: adspin_core::kv::KvError) -> Self {
        Self::internal_because(format_args!("key-value: {error}"))
    }
}

/// A body past the limit is `413 payload_too_large`; one cut short, `400`.
impl From<ReadError> for AgentsError {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::TooLarge { .. } => Self::new(413, "payload_too_large", error.to_string()),
            ReadError::Failed(_) => Self::new(
                400,
                "invalid_body",
                "The body could not be read to its end.",
            ),
        }
    }
}

impl From<BodyError> for AgentsError {
    fn from(error: BodyError) -> Self {
        match error.param() {
            Some(field) => Self::validation(field, error.to_string()),
            None => Self::new(400, "invalid_json", error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_render_the_documented_shape() {
        let error = AgentsError::new(
            422,
            "campaign_budget_too_low",
            "Daily budget must be at least $10.00",
        )
        .with_details(json!({"field": "budget.amount", "min_value": 10.0}));
        let response = error.to_response("req_abc123");
        assert_eq!(response.status(), 422);
        let value: Value = serde_json::from_slice(response.body()).expect("json");
        assert_eq!(
            value,
            json!({"error": {
                "code": "campaign_budget_too_low",
                "message": "Daily budget must be at least $10.00",
                "status": 422,
                "details": {"field": "budget.amount", "min_value": 10.0},
                "request_id": "req_abc123"
            }})
        );
    }
}

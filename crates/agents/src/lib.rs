//! The agents API surface (`/api/v1/...`): errors are
//! `{"error": {code, message, status, details, request_id}}`.

use serde::Serialize;
use serde_json::Value;

use adspin_core::body::BodyError;
use adspin_core::db::DbError;
use adspin_core::error::{RequestInfo, SurfaceError};
use adspin_core::web::{Response, json_response};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct AgentsError {
    status: u16,
    code: String,
    message: String,
    details: Option<Value>,
    /// The internal failure behind a 500, for the log only.
    cause: Option<String>,
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
        Self {
            status,
            code: code.into(),
            message: message.into(),
            details: None,
            cause: None,
        }
    }

    /// 500 `internal_error`; `cause` is logged, never sent.
    pub fn internal_because(cause: impl std::fmt::Display) -> Self {
        Self {
            cause: Some(cause.to_string()),
            ..Self::new(500, "internal_error", "An internal error occurred.")
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// 422 about one field.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::new(422, "validation_error", message)
            .with_details(serde_json::json!({ "field": field }))
    }

    pub fn status(&self) -> u16 {
        self.status
    }

    pub fn to_response(&self, request_id: &str) -> Response {
        json_response(
            self.status,
            &Envelope {
                error: Body {
                    code: &self.code,
                    message: &self.message,
                    status: self.status,
                    details: self.details.as_ref(),
                    request_id,
                },
            },
        )
    }
}

impl SurfaceError for AgentsError {
    fn status(&self) -> u16 {
        self.status
    }

    fn render(&self, request: &RequestInfo) -> Response {
        self.to_response(&request.id)
    }

    fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }
}

/// A storage failure is the client's generic 500; the cause is logged.
impl From<DbError> for AgentsError {
    fn from(error: DbError) -> Self {
        Self::internal_because(format_args!("database: {error}"))
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

//! Errors of the S2S surface: `{"detail": "..."}`, and validation errors
//! (422) that list each problem as `{"loc", "msg", "type"}`, the shape of
//! the FastAPI service the specification describes.

use serde::Serialize;

use adspin_core::body::BodyError;
use adspin_core::db::DbError;
use adspin_core::error::{RequestInfo, SurfaceError};
use adspin_core::web::{ReadError, Response, json_response};

/// One validation problem of a 422.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationIssue {
    pub loc: Vec<String>,
    pub msg: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum S2sError {
    #[error("{status}: {detail}")]
    Detail { status: u16, detail: String },
    #[error("422: {} validation issue(s)", .0.len())]
    Validation(Vec<ValidationIssue>),
    /// `500 Internal server error`; the cause is logged, never sent.
    #[error("500: {cause}")]
    Internal { cause: String },
    /// `405 Method Not Allowed`, with the methods the path takes.
    #[error("405: allowed {allow}")]
    MethodNotAllowed { allow: &'static str },
}

impl S2sError {
    pub fn missing_bearer_token() -> Self {
        Self::detail(401, "Missing bearer token")
    }

    pub fn invalid_api_key() -> Self {
        Self::detail(401, "Invalid API key")
    }

    pub fn detail(status: u16, detail: impl Into<String>) -> Self {
        Self::Detail {
            status,
            detail: detail.into(),
        }
    }

    /// A 422 about one field of the body.
    pub fn invalid_field(field: &str, message: impl Into<String>, kind: &str) -> Self {
        Self::Validation(vec![ValidationIssue {
            loc: body_location(field),
            msg: message.into(),
            kind: kind.to_string(),
        }])
    }

    pub fn internal() -> Self {
        Self::detail(500, "Internal server error")
    }

    /// A 500 whose `cause` goes to the log.
    pub fn internal_because(cause: impl std::fmt::Display) -> Self {
        Self::Internal {
            cause: cause.to_string(),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::Detail { status, .. } => *status,
            Self::Validation(_) => 422,
            Self::Internal { .. } => 500,
            Self::MethodNotAllowed { .. } => 405,
        }
    }

    pub fn to_response(&self) -> Response {
        match self {
            Self::Detail { status, detail } => {
                json_response(*status, &serde_json::json!({ "detail": detail }))
            }
            Self::Validation(issues) => {
                json_response(422, &serde_json::json!({ "detail": issues }))
            }
            Self::Internal { .. } => Self::internal().to_response(),
            Self::MethodNotAllowed { allow } => {
                let mut response =
                    json_response(405, &serde_json::json!({ "detail": "Method Not Allowed" }));
                response
                    .headers_mut()
                    .insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
                response
            }
        }
    }
}

/// A body past the limit is `413`; one the client stopped sending, `400`.
impl From<ReadError> for S2sError {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::TooLarge { .. } => Self::detail(413, "Request body too large"),
            ReadError::Failed(_) => Self::detail(400, "Request body could not be read"),
        }
    }
}

/// A storage failure is the client's generic 500; the cause is logged.
impl From<DbError> for S2sError {
    fn from(error: DbError) -> Self {
        Self::internal_because(format_args!("database: {error}"))
    }
}

impl SurfaceError for S2sError {
    fn status(&self) -> u16 {
        S2sError::status(self)
    }

    fn render(&self, _: &RequestInfo) -> Response {
        self.to_response()
    }

    fn cause(&self) -> Option<&str> {
        match self {
            Self::Internal { cause } => Some(cause),
            _ => None,
        }
    }
}

/// `["body", "params", "step"]` for `params.step`.
fn body_location(field: &str) -> Vec<String> {
    std::iter::once("body".to_string())
        .chain(field.split('.').filter(|s| !s.is_empty()).map(String::from))
        .collect()
}

impl From<BodyError> for S2sError {
    fn from(error: BodyError) -> Self {
        let message = error.to_string();
        let (field, kind) = match &error {
            BodyError::Empty | BodyError::Malformed { .. } => ("", "json_invalid"),
            BodyError::UnknownField { param } => (param.as_str(), "extra_forbidden"),
            BodyError::MissingField { param } => (param.as_str(), "missing"),
            BodyError::InvalidValue { param, .. } => (param.as_str(), "value_error"),
        };
        Self::invalid_field(field, message, kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn parse(error: &S2sError) -> (u16, Value) {
        let response = error.to_response();
        (
            response.status().as_u16(),
            serde_json::from_slice(response.body()).expect("json"),
        )
    }

    #[test]
    fn auth_errors_use_the_documented_messages() {
        assert_eq!(
            parse(&S2sError::missing_bearer_token()),
            (401, json!({"detail": "Missing bearer token"}))
        );
        assert_eq!(
            parse(&S2sError::invalid_api_key()),
            (401, json!({"detail": "Invalid API key"}))
        );
        assert_eq!(parse(&S2sError::detail(404, "Click not found")).0, 404);
    }

    #[test]
    fn validation_errors_locate_the_field_in_the_body() {
        let (status, value) = parse(
            &BodyError::MissingField {
                param: "click_id".into(),
            }
            .into(),
        );
        assert_eq!(status, 422);
        assert_eq!(value["detail"][0]["loc"], json!(["body", "click_id"]));
        assert_eq!(value["detail"][0]["type"], "missing");
    }
}

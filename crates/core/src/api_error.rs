//! The `/v1` error: one `error` object with `message`, `type`, `param` and
//! `code`, as OpenAI's APIs (and the Thrad Advertiser API) return it.

use std::borrow::Cow;

use serde::Serialize;

use crate::body::BodyError;
use crate::db::DbError;
use crate::error::{RequestInfo, SurfaceError};
use crate::web::{ReadError, Response, json_response};

/// The `type` of a `/v1` error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    InvalidRequestError,
    AuthenticationError,
    RateLimitError,
    ServerError,
}

/// An error of the `/v1` surface: an HTTP status plus the error object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    status: u16,
    error_type: ErrorType,
    code: Cow<'static, str>,
    message: String,
    param: Option<String>,
    /// What only some errors carry (boxed: errors travel in `Result`s).
    extra: Option<Box<Extra>>,
}

/// The rarer parts of an [`ApiError`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Extra {
    /// Seconds to send as `Retry-After` (rate limits).
    retry_after: Option<i64>,
    /// The internal failure behind a 500, for the log only.
    cause: Option<String>,
    /// The methods a 405's path takes (the `Allow` header).
    allow: Option<String>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    error_type: ErrorType,
    param: Option<&'a str>,
    code: &'a str,
}

impl ApiError {
    fn new(
        status: u16,
        error_type: ErrorType,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error_type,
            code: code.into(),
            message: message.into(),
            param: None,
            extra: None,
        }
    }

    fn extra(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// Adds a `Retry-After` header to the response.
    pub fn with_retry_after(mut self, seconds: i64) -> Self {
        self.extra().retry_after = Some(seconds);
        self
    }

    /// Names the request parameter the error is about.
    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// 400 `invalid_request_error` with a specific code.
    pub fn invalid_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(400, ErrorType::InvalidRequestError, code, message)
    }

    /// 400 `invalid_value` about `param`.
    pub fn invalid_value(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid_request("invalid_value", message).with_param(param)
    }

    /// 404 for an id the caller's organization does not own (or that does
    /// not exist: the two are indistinguishable on purpose).
    pub fn not_found(resource: &str, id: &str) -> Self {
        Self::new(
            404,
            ErrorType::InvalidRequestError,
            "not_found",
            format!("No {resource} found with id '{id}'."),
        )
    }

    /// 404 for a path that no endpoint serves.
    pub fn unknown_path(method: &str, path: &str) -> Self {
        Self::new(
            404,
            ErrorType::InvalidRequestError,
            "unknown_url",
            format!("Unrecognized request URL ({method} {path})."),
        )
    }

    /// 405 for a known path called with the wrong method; `allow` lists
    /// the methods it takes (sent as `Allow`).
    pub fn method_not_allowed(method: &str, path: &str, allow: &str) -> Self {
        let mut error = Self::new(
            405,
            ErrorType::InvalidRequestError,
            "method_not_allowed",
            format!("{method} is not supported for {path}."),
        );
        error.extra().allow = Some(allow.to_string());
        error
    }

    /// 401 when no `Authorization` header was sent.
    pub fn auth_required() -> Self {
        Self::new(
            401,
            ErrorType::AuthenticationError,
            "auth_required",
            "Authentication credentials were not provided.",
        )
    }

    /// 401 for any key that does not authenticate (malformed, unknown,
    /// expired, revoked): the response never says which.
    pub fn invalid_api_key() -> Self {
        Self::new(
            401,
            ErrorType::AuthenticationError,
            "invalid_api_key",
            "Invalid API key.",
        )
    }

    /// 401 for a dashboard session token that does not verify (malformed,
    /// signed with another secret, expired): the response never says which.
    pub fn invalid_session() -> Self {
        Self::new(
            401,
            ErrorType::AuthenticationError,
            "invalid_session",
            "Invalid or expired dashboard session token.",
        )
    }

    /// 403: the caller is known but may not do this.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(403, ErrorType::InvalidRequestError, code, message)
    }

    /// 409 with a specific code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(409, ErrorType::InvalidRequestError, code, message)
    }

    /// 429 `rate_limit_exceeded`.
    pub fn rate_limited(message: impl Into<String>) -> Self {
        Self::new(
            429,
            ErrorType::RateLimitError,
            "rate_limit_exceeded",
            message,
        )
    }

    /// 500 with no internal detail.
    pub fn internal() -> Self {
        Self::new(
            500,
            ErrorType::ServerError,
            "internal_error",
            "The server had an error while processing the request.",
        )
    }

    /// 500 with no internal detail; `cause` is logged, never sent.
    pub fn internal_because(cause: impl std::fmt::Display) -> Self {
        let mut error = Self::internal();
        error.extra().cause = Some(cause.to_string());
        error
    }

    pub fn status(&self) -> u16 {
        self.status
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn param(&self) -> Option<&str> {
        self.param.as_deref()
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The response: `{"error": {message, type, param, code}}`.
    pub fn to_response(&self) -> Response {
        let mut response = json_response(
            self.status,
            &Envelope {
                error: Body {
                    message: &self.message,
                    error_type: self.error_type,
                    param: self.param.as_deref(),
                    code: &self.code,
                },
            },
        );
        let extra = self.extra.as_deref();
        if let Some(seconds) = extra.and_then(|extra| extra.retry_after) {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
        if let Some(allow) = extra
            .and_then(|extra| extra.allow.as_deref())
            .and_then(|allow| http::HeaderValue::from_str(allow).ok())
        {
            response.headers_mut().insert(http::header::ALLOW, allow);
        }
        response
    }
}

impl From<BodyError> for ApiError {
    fn from(error: BodyError) -> Self {
        let message = error.to_string();
        match error {
            BodyError::Empty | BodyError::Malformed { .. } => {
                Self::invalid_request("invalid_json", message)
            }
            BodyError::UnknownField { param } => {
                Self::invalid_request("unknown_parameter", message).with_param(param)
            }
            BodyError::MissingField { param } => {
                Self::invalid_request("missing_required_parameter", message).with_param(param)
            }
            BodyError::InvalidValue { param, .. } => {
                let error = Self::invalid_request("invalid_value", message);
                if param.is_empty() {
                    error
                } else {
                    error.with_param(param)
                }
            }
        }
    }
}

/// A storage failure is the client's generic 500; the cause is logged.
/// A body past the endpoint's limit is `413 request_too_large`; one the
/// client stopped sending is `400 unreadable_body`.
impl From<ReadError> for ApiError {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::TooLarge { limit } => Self::new(
                413,
                ErrorType::InvalidRequestError,
                "request_too_large",
                format!("The request body is larger than this endpoint takes ({limit} bytes)."),
            ),
            ReadError::Failed(_) => Self::invalid_request(
                "unreadable_body",
                "The request body could not be read to its end.",
            ),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        Self::internal_because(format_args!("database: {error}"))
    }
}

impl SurfaceError for ApiError {
    fn status(&self) -> u16 {
        self.status
    }

    fn render(&self, _: &RequestInfo) -> Response {
        self.to_response()
    }

    fn cause(&self) -> Option<&str> {
        self.extra.as_ref().and_then(|extra| extra.cause.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn body(error: &ApiError) -> Value {
        serde_json::from_slice(error.to_response().body()).expect("json")
    }

    #[test]
    fn errors_render_the_documented_shape() {
        let error = ApiError::invalid_value("time_granularity", "Invalid time_granularity.");
        assert_eq!(error.to_response().status(), 400);
        assert_eq!(
            body(&error),
            json!({"error": {
                "message": "Invalid time_granularity.",
                "type": "invalid_request_error",
                "param": "time_granularity",
                "code": "invalid_value"
            }})
        );
    }

    #[test]
    fn authentication_errors_have_a_null_param() {
        let value = body(&ApiError::auth_required());
        assert_eq!(value["error"]["type"], "authentication_error");
        assert_eq!(value["error"]["code"], "auth_required");
        assert_eq!(value["error"]["param"], Value::Null);
        assert_eq!(
            body(&ApiError::invalid_api_key())["error"]["code"],
            "invalid_api_key"
        );
    }

    #[test]
    fn rate_limit_and_server_errors_use_their_types() {
        assert_eq!(
            body(&ApiError::rate_limited("slow down"))["error"]["type"],
            "rate_limit_error"
        );
        let internal = ApiError::internal();
        assert_eq!(internal.status(), 500);
        assert_eq!(body(&internal)["error"]["type"], "server_error");
    }

    #[test]
    fn body_errors_map_to_codes_and_params() {
        let unknown: ApiError = BodyError::UnknownField {
            param: "ad_groups[0].x".into(),
        }
        .into();
        assert_eq!(
            (unknown.code(), unknown.param()),
            ("unknown_parameter", Some("ad_groups[0].x"))
        );
        let missing: ApiError = BodyError::MissingField {
            param: "name".into(),
        }
        .into();
        assert_eq!(missing.code(), "missing_required_parameter");
        let malformed: ApiError = BodyError::Malformed {
            message: "eof".into(),
        }
        .into();
        assert_eq!(
            (malformed.code(), malformed.param()),
            ("invalid_json", None)
        );
    }
}

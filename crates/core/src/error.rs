//! The one convention every surface's errors follow.
//!
//! Each surface has its own error type, rendered in that surface's
//! documented shape (the `/v1` error object, the SSP envelope, the S2S
//! `detail`, the dashboard envelope, the agents API `error`). An error
//! that hides an internal failure carries its cause; [`respond`] logs
//! that cause once, with the request id, and sends only the rendering.
//! Nothing else logs an error's cause, and nothing but [`crate::log`]
//! writes to stderr (a workspace lint keeps it so).

use std::time::Duration;

use crate::web::Response;

/// An error of a surface.
pub trait SurfaceError {
    /// The HTTP status.
    fn status(&self) -> u16;

    /// The response in the surface's documented shape.
    fn render(&self, request: &RequestInfo) -> Response;

    /// What failed inside, for the log; `None` for the client's errors.
    /// Never part of the response.
    fn cause(&self) -> Option<&str>;
}

/// What an error response and its log line know about the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInfo {
    /// The id the surface answers with (or only logs).
    pub id: String,
    /// Time since the request arrived.
    pub elapsed: Duration,
}

impl RequestInfo {
    /// A request that just arrived, with a fresh id `<prefix><32 hex>`.
    pub fn new(prefix: &str) -> Self {
        Self {
            id: format!("{prefix}{}", uuid::Uuid::new_v4().simple()),
            elapsed: Duration::ZERO,
        }
    }
}

/// The response to `error`, after logging its cause (if any) once.
pub fn respond(request: &RequestInfo, error: &impl SurfaceError) -> Response {
    if let Some(cause) = error.cause() {
        crate::log::error(&request.id, &cause);
    }
    error.render(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::json_response;

    struct Failure(Option<String>);

    impl SurfaceError for Failure {
        fn status(&self) -> u16 {
            500
        }

        fn render(&self, request: &RequestInfo) -> Response {
            json_response(500, &serde_json::json!({ "request_id": request.id }))
        }

        fn cause(&self) -> Option<&str> {
            self.0.as_deref()
        }
    }

    #[test]
    fn the_response_never_carries_the_cause() {
        let request = RequestInfo::new("req_");
        let response = respond(&request, &Failure(Some("disk I/O error".into())));
        let body = String::from_utf8(response.body().clone()).expect("utf-8");
        assert!(!body.contains("disk"), "{body}");
        assert!(body.contains(&request.id), "{body}");
        assert_eq!(response.status(), 500);
    }

    #[test]
    fn request_ids_are_fresh_and_prefixed() {
        let (a, b) = (RequestInfo::new("req_"), RequestInfo::new("req_"));
        assert_ne!(a.id, b.id);
        assert!(a.id.starts_with("req_") && a.id.len() == 36, "{}", a.id);
    }
}

//! The one place that writes to stderr (Spin and the local host collect a
//! component's stderr as its log). Everything else reports through here,
//! so a cause is logged once, in one format, with its request id.

use std::fmt::Display;

/// Logs an internal cause that the client only sees as a generic error
/// (called by [`crate::error::respond`], once per error).
#[expect(clippy::print_stderr, reason = "this module is the application's log")]
pub fn error(request_id: &str, cause: &dyn Display) {
    eprintln!("error {request_id}: {cause}");
}

/// Logs something worth an operator's attention that is not a failure of
/// the request (a DSP's bid dropped, a client gone before the answer).
#[expect(clippy::print_stderr, reason = "this module is the application's log")]
pub fn warn(message: &str) {
    eprintln!("warning: {message}");
}

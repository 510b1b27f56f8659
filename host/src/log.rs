//! The host's console: progress and startup lines on stdout, problems on
//! stderr (as `spin up` prints them). The only module that prints.

use std::fmt::Display;

/// A line for the operator: what the host is doing or serving.
#[expect(clippy::print_stdout, reason = "this module is the host's console")]
pub fn info(line: impl Display) {
    println!("{line}");
}

/// A problem worth an operator's attention; the host keeps serving.
#[expect(clippy::print_stderr, reason = "this module is the host's console")]
pub fn warn(line: impl Display) {
    eprintln!("{line}");
}

//! The component's Spin variables.

use shared::web::{Request, base_url};
use spin_sdk::variables;

/// HMAC key of the tracking tokens (and of the internal DSP's bid ids).
pub fn tracking_secret() -> Vec<u8> {
    variables::get("tracking_secret")
        .unwrap_or_default()
        .into_bytes()
}

/// The public base of the tracking URLs: `public_base_url`, or the
/// address the publisher called.
pub fn public_base_url(request: &Request) -> String {
    variables::get("public_base_url")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| base_url(request))
}

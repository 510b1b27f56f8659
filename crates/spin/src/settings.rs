//! Spin variables that more than one component reads.

use spin_sdk::variables;

use adspin_core::web::{Request, base_url};

/// HMAC key of the tracking tokens and of the internal DSP's bid ids
/// (`tracking_secret`).
pub fn tracking_secret() -> Vec<u8> {
    variables::get("tracking_secret")
        .unwrap_or_default()
        .into_bytes()
}

/// The `public_base_url` variable, when set.
pub fn configured_public_base_url() -> Option<String> {
    variables::get("public_base_url")
        .ok()
        .filter(|url| !url.is_empty())
}

/// Where this deployment is reached: `public_base_url`, or the address
/// the request was made to.
pub fn public_base_url(request: &Request) -> String {
    configured_public_base_url().unwrap_or_else(|| base_url(request))
}

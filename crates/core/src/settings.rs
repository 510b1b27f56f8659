//! Configuration variables that more than one surface reads.

use crate::env::Env;
use crate::web::{Request, base_url};

/// HMAC key of the tracking tokens and of the internal DSP's bid ids
/// (`tracking_secret`).
pub fn tracking_secret(env: &impl Env) -> Vec<u8> {
    env.variable("tracking_secret")
        .unwrap_or_default()
        .into_bytes()
}

/// The `public_base_url` variable, when set.
pub fn configured_public_base_url(env: &impl Env) -> Option<String> {
    env.variable("public_base_url")
        .filter(|url| !url.is_empty())
}

/// Where this deployment is reached: `public_base_url`, or the address
/// the request was made to.
pub fn public_base_url(env: &impl Env, request: &Request) -> String {
    configured_public_base_url(env).unwrap_or_else(|| base_url(request))
}

/// A positive integer variable, or `default` when it is unset or not a
/// positive number.
pub fn positive_integer<T: std::str::FromStr + PartialOrd + Default>(
    env: &impl Env,
    name: &str,
    default: T,
) -> T {
    env.variable(name)
        .and_then(|value| value.trim().parse::<T>().ok())
        .filter(|value| *value > T::default())
        .unwrap_or(default)
}

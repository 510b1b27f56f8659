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

/// A variable's value trimmed; `None` when it is unset or blank.
pub fn text(env: &impl Env, name: &str) -> Option<String> {
    env.variable(name)
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
}

/// The `public_base_url` variable, when set.
pub fn configured_public_base_url(env: &impl Env) -> Option<String> {
    text(env, "public_base_url")
}

/// Where this deployment is reached: `public_base_url`, or the address
/// the request was made to (what the caller sees of its own request).
pub fn public_base_url(env: &impl Env, request: &Request) -> String {
    configured_public_base_url(env).unwrap_or_else(|| base_url(request))
}

/// The base of links handed to third parties (click, view and image URLs
/// that publishers show to their users): `public_base_url`, or, when it is
/// not set, the request's address only if that names this machine
/// (`localhost`, a loopback address: development). Anywhere else the
/// request's `Host` is the client's to choose, so links built from it
/// could point anywhere: the deployment must set `public_base_url`.
pub fn trusted_base_url(env: &impl Env, request: &Request) -> Result<String, UntrustedHost> {
    if let Some(configured) = configured_public_base_url(env) {
        return Ok(configured);
    }
    let base = base_url(request);
    let host = base
        .parse::<http::Uri>()
        .ok()
        .and_then(|uri| uri.host().map(String::from))
        .unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(base)
    } else {
        Err(UntrustedHost(base))
    }
}

/// `public_base_url` is not set and the request's address is not this
/// machine's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("public_base_url is not set, and links cannot be built from the request's address {0}")]
pub struct UntrustedHost(pub String);

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestEnv;
    use crate::time::UnixSeconds;

    fn request(full_url: &str) -> Request {
        http::Request::builder()
            .uri("/api/v1/ssp/bid-request")
            .header("spin-full-url", full_url)
            .body(Vec::new())
            .expect("request")
    }

    #[test]
    fn links_use_the_configured_base_whatever_the_host() {
        let env = TestEnv::new(UnixSeconds::new(0))
            .with_variable("public_base_url", "https://ads.example.com");
        assert_eq!(
            trusted_base_url(&env, &request("http://evil.example/x")),
            Ok("https://ads.example.com".into())
        );
    }

    #[test]
    fn without_a_configured_base_only_this_machine_is_trusted() {
        let env = TestEnv::new(UnixSeconds::new(0));
        for trusted in [
            "http://127.0.0.1:3000/x",
            "http://localhost:3000/x",
            "http://[::1]:3000/x",
            "http://127.0.0.2/x",
        ] {
            assert!(
                trusted_base_url(&env, &request(trusted)).is_ok(),
                "{trusted}"
            );
        }
        for untrusted in [
            "http://evil.example/x",
            "http://evil.example:3000/x",
            "http://10.0.0.1:3000/x",
            "http://localhost.evil.example/x",
        ] {
            assert!(
                trusted_base_url(&env, &request(untrusted)).is_err(),
                "{untrusted}"
            );
        }
    }
}

//! Signed tracking tokens for the click redirect and the view beacon.
//!
//! A token is `base64url(payload).base64url(HMAC-SHA256(payload))` with the
//! `tracking_secret` variable as key. A token that does not verify is
//! treated exactly like an unknown one: the redirect never follows a URL
//! it did not sign.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What a click token carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClickToken {
    /// The impression clicked.
    pub i: String,
    /// Where the click goes.
    pub u: String,
}

/// What a view token carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewToken {
    /// The impression viewed.
    pub v: String,
}

fn mac(secret: &[u8], payload: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(payload);
    mac
}

/// Signs a payload into a URL-safe token.
pub fn sign<T: Serialize>(payload: &T, secret: &[u8]) -> String {
    let json = serde_json::to_vec(payload).unwrap_or_default();
    let signature = mac(secret, &json).finalize().into_bytes();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&json),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// Verifies a token and returns its payload; `None` for anything else.
pub fn verify<T: for<'de> Deserialize<'de>>(token: &str, secret: &[u8]) -> Option<T> {
    let (payload, signature) = token.split_once('.')?;
    let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    mac(secret, &payload).verify_slice(&signature).ok()?;
    serde_json::from_slice(&payload).ok()
}

/// The landing page with the click id appended (`thrad_click_id`).
pub fn landing_url(target: &str, click_id: &str) -> String {
    match url::Url::parse(target) {
        Ok(mut url) => {
            url.query_pairs_mut()
                .append_pair("thrad_click_id", click_id);
            url.to_string()
        }
        Err(_) => target.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let token = sign(
            &ClickToken {
                i: "imp".into(),
                u: "https://e.com/x".into(),
            },
            b"secret",
        );
        let back: ClickToken = verify(&token, b"secret").expect("valid");
        assert_eq!(back.u, "https://e.com/x");
        assert!(verify::<ClickToken>(&token, b"other").is_none());
        let (_, signature) = token.split_once('.').expect("two parts");
        let forged = format!(
            "{}.{signature}",
            URL_SAFE_NO_PAD.encode(br#"{"i":"imp","u":"https://evil.example"}"#)
        );
        assert!(verify::<ClickToken>(&forged, b"secret").is_none());
        assert!(verify::<ClickToken>("garbage", b"secret").is_none());
    }

    #[test]
    fn a_view_token_is_not_a_click_token() {
        let view = sign(&ViewToken { v: "imp".into() }, b"secret");
        assert!(verify::<ClickToken>(&view, b"secret").is_none());
    }

    #[test]
    fn the_click_id_is_appended_to_the_landing_page() {
        assert_eq!(
            landing_url("https://e.com/p", "c1"),
            "https://e.com/p?thrad_click_id=c1"
        );
        assert_eq!(
            landing_url("https://e.com/p?a=1", "c1"),
            "https://e.com/p?a=1&thrad_click_id=c1"
        );
    }
}

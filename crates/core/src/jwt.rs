//! Dashboard session tokens: JWTs signed with HMAC-SHA256 (`HS256`).
//!
//! Only `HS256` is accepted (the header is checked, so a token cannot pick
//! a weaker algorithm), the signature is verified in constant time, and
//! `exp` is enforced. Operators mint tokens through the admin API.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::time::UnixSeconds;

/// The dashboard role of the token's user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Member,
}

impl Role {
    /// Owners and admins may manage API keys.
    pub fn can_manage_keys(self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }

    /// Owners and admins may change the organization's campaigns from the
    /// dashboard; members only read.
    pub fn can_change_campaigns(self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }
}

/// What a dashboard token asserts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: String,
    /// The organization the user belongs to.
    pub org: String,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's algorithm is not HS256")]
    Algorithm,
    #[error("the token's signature is invalid")]
    Signature,
    #[error("the token has expired")]
    Expired,
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    typ: Option<String>,
}

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length.
    Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length")
}

/// Signs `claims` with `secret`.
pub fn sign(claims: &Claims, secret: &[u8]) -> String {
    let header = serde_json::to_vec(&Header {
        alg: "HS256".into(),
        typ: Some("JWT".into()),
    })
    .unwrap_or_default();
    let payload = serde_json::to_vec(claims).unwrap_or_default();
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let mut mac = mac(secret);
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// Verifies a token and returns its claims.
pub fn verify(token: &str, secret: &[u8], now: UnixSeconds) -> Result<Claims, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| JwtError::Malformed)
    };
    let parsed: Header =
        serde_json::from_slice(&decode(header)?).map_err(|_| JwtError::Malformed)?;
    if parsed.alg != "HS256" {
        return Err(JwtError::Algorithm);
    }
    let mut mac = mac(secret);
    mac.update(format!("{header}.{payload}").as_bytes());
    mac.verify_slice(&decode(signature)?)
        .map_err(|_| JwtError::Signature)?;
    let claims: Claims =
        serde_json::from_slice(&decode(payload)?).map_err(|_| JwtError::Malformed)?;
    if claims.exp <= now.get() {
        return Err(JwtError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: "user-1".into(),
            org: "0d3e0000-0000-4000-8000-000000000001".into(),
            role: Role::Owner,
            iat: 1_000,
            exp,
        }
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let token = sign(&claims(2_000), b"secret");
        assert_eq!(
            verify(&token, b"secret", UnixSeconds::new(1_500)),
            Ok(claims(2_000))
        );
        assert_eq!(
            verify(&token, b"secret", UnixSeconds::new(2_000)),
            Err(JwtError::Expired)
        );
    }

    #[test]
    fn a_wrong_secret_or_altered_payload_is_rejected() {
        let token = sign(&claims(2_000), b"secret");
        assert_eq!(
            verify(&token, b"other", UnixSeconds::new(1_500)),
            Err(JwtError::Signature)
        );
        let forged_payload = URL_SAFE_NO_PAD
            .encode(br#"{"sub":"x","org":"y","role":"owner","iat":0,"exp":9999999999}"#);
        let parts: Vec<&str> = token.split('.').collect();
        let forged = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
        assert_eq!(
            verify(&forged, b"secret", UnixSeconds::new(1_500)),
            Err(JwtError::Signature)
        );
    }

    #[test]
    fn other_algorithms_and_malformed_tokens_are_rejected() {
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(2_000)).expect("json"));
        let unsigned = format!("{none_header}.{payload}.");
        assert_eq!(
            verify(&unsigned, b"secret", UnixSeconds::new(1_500)),
            Err(JwtError::Algorithm)
        );
        for bad in ["", "a.b", "a.b.c.d", "!!.!!.!!"] {
            assert_eq!(
                verify(bad, b"secret", UnixSeconds::new(1_500)),
                Err(JwtError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn only_owners_and_admins_manage_keys() {
        assert!(Role::Owner.can_manage_keys() && Role::Admin.can_manage_keys());
        assert!(!Role::Member.can_manage_keys());
    }
}

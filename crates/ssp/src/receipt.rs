//! Signed auction receipts: every auction that fills returns (in
//! `data.receipt`) what it decided — the request, the DSPs called, the
//! winner, the clearing price, the floor and the time — signed with
//! Ed25519, and the winning OpenRTB DSP gets the same receipt with its win
//! notice (`X-Adspin-Receipt`). Publisher and bidder can each check the
//! price they were told against the public key at
//! `GET /api/v1/ssp/receipt-keys`.
//!
//! A receipt is a JWS in compact form (RFC 7515, `EdDSA` as in RFC 8037):
//! `base64url(header).base64url(payload).base64url(signature)`, the
//! signature over the first two parts as sent, so no JSON canonicalization
//! is needed to verify it. The key is derived from `tracking_secret`
//! (stable across restarts and instances with no configuration). It is not
//! a variable of its own: under `spin up` every variable an auction reads
//! costs it dearly (`adspin_spin::env`), and a filled auction already
//! reads `tracking_secret`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use adspin_core::env::Env;
use adspin_core::settings;

/// The JWS `typ` of a receipt.
pub const TYPE: &str = "adspin-receipt+jws";
/// Where the public keys are published (a JWK set).
pub const KEYS_PATH: &str = "/api/v1/ssp/receipt-keys";
/// The header that carries the receipt on the win notice.
pub const NOTICE_HEADER: &str = "x-adspin-receipt";

/// What an auction that filled decided.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Receipt<'a> {
    pub request_id: &'a str,
    /// The publisher (organization id).
    pub publisher: String,
    /// The DSPs the auction called.
    pub bidders: Vec<&'a str>,
    pub winner: &'a str,
    pub bid_id: &'a str,
    /// The clearing price (first price: the winning bid), CPM.
    pub price: f64,
    pub currency: &'static str,
    /// The publisher's floor, CPM.
    pub floor: f64,
    /// When the auction ended (ISO 8601, UTC).
    pub time: String,
}

/// The key receipts are signed with.
pub struct ReceiptKey {
    signing: SigningKey,
    kid: String,
}

impl ReceiptKey {
    /// The key derived from `tracking_secret`.
    pub fn from_env(env: &impl Env) -> Self {
        Self::from_tracking_secret(&settings::tracking_secret(env))
    }

    /// The key derived from a tracking secret (SHA-256 with its own
    /// domain, so the receipts' key reveals nothing of the secret).
    pub fn from_tracking_secret(secret: &[u8]) -> Self {
        let mut hash = Sha256::new();
        hash.update(b"adspin auction receipts v1\0");
        hash.update(secret);
        Self::from_seed(&hash.finalize().into())
    }

    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let signing = SigningKey::from_bytes(seed);
        let public = signing.verifying_key().to_bytes();
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(public)[..9]);
        Self { signing, kid }
    }

    /// The key's id (`kid`): a hash of the public key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK (RFC 8037).
    pub fn jwk(&self) -> Value {
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(self.signing.verifying_key().to_bytes()),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        })
    }

    /// The receipt as a compact JWS.
    pub fn sign(&self, receipt: &Receipt<'_>) -> String {
        let header = json!({"alg": "EdDSA", "kid": self.kid, "typ": TYPE});
        let payload = serde_json::to_vec(receipt).unwrap_or_default();
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let signature = self.signing.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

/// `GET /api/v1/ssp/receipt-keys`: the JWK set of the receipts' key.
pub fn keys(env: &impl Env) -> adspin_core::web::Response {
    let key = ReceiptKey::from_env(env);
    let mut response = adspin_core::web::json_response(200, &json!({ "keys": [key.jwk()] }));
    if let Ok(value) = http::HeaderValue::from_str("public, max-age=3600") {
        response
            .headers_mut()
            .insert(http::header::CACHE_CONTROL, value);
    }
    cors_any(&mut response);
    response
}

/// Anyone may read the public key, from any page.
fn cors_any(response: &mut adspin_core::web::Response) {
    response.headers_mut().insert(
        http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
        http::HeaderValue::from_static("*"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use adspin_core::money::Micros;
    use adspin_core::time::UnixSeconds;
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};

    fn receipt() -> Receipt<'static> {
        Receipt {
            request_id: "api_req_1",
            publisher: "org_1".into(),
            bidders: vec!["acme", "thrad_dsp"],
            winner: "acme",
            bid_id: "b1",
            price: Micros::new(5_500_000).to_dollars(),
            currency: "USD",
            floor: 1.0,
            time: UnixSeconds::new(1_776_000_000).to_iso8601(),
        }
    }

    #[test]
    fn a_receipt_is_a_compact_jws_that_verifies_with_the_published_key() {
        let key = ReceiptKey::from_seed(&[7; 32]);
        let token = key.sign(&receipt());
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64")).expect("json");
        assert_eq!(
            header,
            json!({"alg": "EdDSA", "kid": key.kid(), "typ": TYPE})
        );
        let payload: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        assert_eq!(
            payload,
            json!({"request_id": "api_req_1", "publisher": "org_1", "bidders": ["acme", "thrad_dsp"],
                   "winner": "acme", "bid_id": "b1", "price": 5.5, "currency": "USD",
                   "floor": 1.0, "time": "2026-04-12T13:20:00Z"})
        );
        let jwk = key.jwk();
        let public: [u8; 32] = URL_SAFE_NO_PAD
            .decode(jwk["x"].as_str().expect("x"))
            .expect("b64")
            .try_into()
            .expect("32 bytes");
        let verifying = VerifyingKey::from_bytes(&public).expect("key");
        let signature: [u8; 64] = URL_SAFE_NO_PAD
            .decode(parts[2])
            .expect("b64")
            .try_into()
            .expect("64 bytes");
        let input = format!("{}.{}", parts[0], parts[1]);
        verifying
            .verify(input.as_bytes(), &Signature::from_bytes(&signature))
            .expect("verifies");
        let forged = input.replace(parts[1], &URL_SAFE_NO_PAD.encode(b"{\"price\":0.01}"));
        assert!(
            verifying
                .verify(forged.as_bytes(), &Signature::from_bytes(&signature))
                .is_err()
        );
    }

    #[test]
    fn the_key_is_derived_from_the_tracking_secret() {
        use adspin_core::testing::TestEnv;
        let epoch = UnixSeconds::new(0);
        let derived = |secret: &str| {
            ReceiptKey::from_env(&TestEnv::new(epoch).with_variable("tracking_secret", secret))
                .jwk()
        };
        assert_eq!(derived("a"), derived("a"), "stable");
        assert_ne!(derived("a"), derived("b"));
        assert_eq!(derived("a"), ReceiptKey::from_tracking_secret(b"a").jwk());
    }
}

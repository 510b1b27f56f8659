//! Platform access tokens at rest: sealed with ChaCha20-Poly1305 under a
//! key derived from the deployment's tracking secret (HMAC-SHA256 of a
//! fixed label), with a random nonce per token. A database copy alone does
//! not give the tokens away; rotating the tracking secret means
//! reconnecting the platforms.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

use adspin_core::signed::hmac_sha256;

const LABEL: &[u8] = b"adspin platform tokens v1";

fn cipher(secret: &[u8]) -> ChaCha20Poly1305 {
    let key = hmac_sha256(secret, &[LABEL]);
    ChaCha20Poly1305::new(Key::from_slice(&key))
}

/// 12 random bytes (the random parts of two version 4 UUIDs).
fn nonce() -> [u8; 12] {
    let (a, b) = (
        uuid::Uuid::new_v4().into_bytes(),
        uuid::Uuid::new_v4().into_bytes(),
    );
    let mut nonce = [0; 12];
    nonce[..6].copy_from_slice(&a[..6]);
    nonce[6..].copy_from_slice(&b[10..]);
    nonce
}

/// `token` sealed: base64url of nonce then ciphertext.
pub fn seal(secret: &[u8], token: &str) -> String {
    let nonce = nonce();
    let sealed = cipher(secret)
        .encrypt(Nonce::from_slice(&nonce), token.as_bytes())
        .unwrap_or_default();
    let mut bytes = nonce.to_vec();
    bytes.extend(sealed);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The token, or `None` when it was sealed under another key or altered.
pub fn open(secret: &[u8], sealed: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
    if bytes.len() < 12 {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(12);
    let plain = cipher(secret)
        .decrypt(Nonce::from_slice(nonce), ciphertext)
        .ok()?;
    String::from_utf8(plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_open_only_under_their_key_and_unaltered() {
        let sealed = seal(b"secret", "EAAB-token");
        assert_ne!(
            sealed,
            seal(b"secret", "EAAB-token"),
            "a fresh nonce each time"
        );
        assert!(!sealed.contains("EAAB"));
        assert_eq!(open(b"secret", &sealed).as_deref(), Some("EAAB-token"));
        assert_eq!(open(b"other", &sealed), None);
        let mut altered = sealed.into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            open(b"secret", &String::from_utf8(altered).expect("ascii")),
            None
        );
    }
}

//! API keys: generated with high entropy, shown once, stored as SHA-256
//! hashes.
//!
//! The keys are random 256-bit secrets, so a fast hash is the right tool:
//! there is nothing to brute-force that a slow password hash would protect.
//! A presented key is found by its hash (an indexed lookup); the secret
//! itself is never compared, so the time a lookup takes says nothing about
//! how close a guess came to it.

use sha2::{Digest, Sha256};

/// Prefix of Advertiser API keys (`Authorization: Bearer ak_...`).
pub const ADVERTISER_PREFIX: &str = "ak_";
/// Prefix of publisher keys (`thrad-api-key`).
pub const PUBLISHER_PREFIX: &str = "pk_";
/// Prefix of S2S partner tokens.
pub const PARTNER_PREFIX: &str = "pt_";
/// Prefix of live agents API keys (`Authorization: Bearer aa_live_...`).
pub const AGENTS_LIVE_PREFIX: &str = "aa_live_";
/// Prefix of sandbox agents API keys.
pub const AGENTS_TEST_PREFIX: &str = "aa_test_";
/// Prefix of agents API OAuth access tokens.
pub const AGENTS_OAUTH_PREFIX: &str = "aa_oat_";
/// Prefix of agents API OAuth refresh tokens.
pub const AGENTS_REFRESH_PREFIX: &str = "aa_ort_";

/// Hex SHA-256 of a key: what the database stores.
pub fn hash_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new secret: `prefix` followed by 64 hex characters of randomness.
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    format!("{prefix}{}", hex::encode(bytes))
}

/// The non-secret beginning of a key, safe to show and log.
pub fn display_prefix(secret: &str) -> &str {
    let end = secret
        .char_indices()
        .nth(12)
        .map_or(secret.len(), |(i, _)| i);
    &secret[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_hex_sha256() {
        assert_eq!(
            hash_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn generated_keys_are_prefixed_unique_and_hash_apart() {
        let a = generate(ADVERTISER_PREFIX);
        let b = generate(ADVERTISER_PREFIX);
        assert!(a.starts_with("ak_") && a.len() == 3 + 64);
        assert_ne!(a, b);
        let stored = hash_key(&a);
        assert_eq!(hash_key(&a), stored, "the same key always finds its hash");
        assert_ne!(hash_key(&b), stored);
    }

    #[test]
    fn the_dev_seed_stores_the_hashes_of_its_documented_demo_keys() {
        let seed = include_str!("../../../seed/dev.sql");
        let secrets: Vec<&str> = seed
            .lines()
            .filter(|line| line.starts_with("--"))
            .filter_map(|line| line.split_whitespace().last())
            .filter(|word| word.contains("_demo_"))
            .collect();
        assert_eq!(secrets.len(), 4, "{secrets:?}");
        for secret in secrets {
            assert!(seed.contains(&hash_key(secret)), "no hash for {secret}");
            assert!(
                !seed.contains(&format!("'{secret}'")),
                "{secret} stored in clear"
            );
        }
    }

    #[test]
    fn display_prefixes_hide_the_secret() {
        assert_eq!(display_prefix("ak_0123456789abcdef"), "ak_012345678");
        assert_eq!(display_prefix("short"), "short");
    }
}

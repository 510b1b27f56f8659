//! Account passwords: Argon2id (RFC 9106) with the `argon2` crate's
//! defaults, OWASP's recommended minimum: 19 MiB of memory, 2 passes, one
//! lane, a 16-byte random salt, stored as a PHC string
//! (`$argon2id$v=19$m=19456,t=2,p=1$...`). A stored hash keeps its own
//! parameters, so raising them later leaves existing hashes verifiable.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Shortest accepted password, in characters.
pub const MIN_LENGTH: usize = 8;
/// Longest accepted password, in characters (hashing time is bounded).
pub const MAX_LENGTH: usize = 128;

/// Why a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("password must be 8 to 128 characters long")]
    Length,
    #[error("hashing failed")]
    Hashing,
}

/// Checks the length rules.
pub fn check(password: &str) -> Result<(), PasswordError> {
    let length = password.chars().count();
    if (MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        Ok(())
    } else {
        Err(PasswordError::Length)
    }
}

/// The PHC string to store for `password`.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    check(password)?;
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())
        .map_err(|_| PasswordError::Hashing)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| PasswordError::Hashing)
}

/// Whether `password` matches the stored `phc` string. A malformed stored
/// value matches nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spends the time of one verification for an email that has no account,
/// so a wrong email and a wrong password take as long as each other.
pub fn verify_nothing(password: &str) {
    let _never = verify(password, DUMMY);
}

/// A well-formed hash, with the parameters above, that no password matches
/// in practice (its output was not computed from any password).
const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$u2Pw2T3Vz0A4yHWf2Pq5m8sXYxRgV2I9lXhWJ9bC8oU";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_others_do_not() {
        let stored = hash("correct horse battery").expect("hash");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse batterY", &stored));
        assert!(!verify("anything", "not a phc string"));
        assert_ne!(
            hash("correct horse battery").expect("hash"),
            stored,
            "salted"
        );
    }

    #[test]
    fn the_stand_in_hash_is_well_formed_so_it_costs_a_full_verification() {
        let parsed = PasswordHash::new(DUMMY).expect("well-formed");
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
    }

    #[test]
    fn lengths_are_bounded() {
        assert_eq!(check("short"), Err(PasswordError::Length));
        assert_eq!(check(&"x".repeat(129)), Err(PasswordError::Length));
        assert_eq!(check("eight ch"), Ok(()));
    }
}

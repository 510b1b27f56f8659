//! Who is calling: the key of `Authorization: Bearer aa_live_...` (or
//! `aa_test_...`, or an OAuth access token `aa_oat_...`), what it may do
//! (its scopes) and the account's access level.
//!
//! Access levels, as the specification's table has them: an unverified
//! account reaches the auth and account endpoints only (`403
//! account_not_verified` elsewhere); a verified one everything its plan
//! allows.

use adspin_core::db::Database;
use adspin_core::ids::OrganizationId;
use adspin_core::keys;
use adspin_core::time::UnixSeconds;
use adspin_core::web::bearer_token;

use crate::AgentsError;
use crate::plans::{self, Plan};
use crate::scopes::Scope;
use crate::store::{self, KeyRecord, Mode};

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub key: KeyRecord,
    /// Whether the account's email is verified.
    pub verified: bool,
    /// The plan the account's live subscription is on (Free without one):
    /// it sets the request limits.
    pub plan: Plan,
}

impl Caller {
    pub fn organization_id(&self) -> OrganizationId {
        self.key.organization_id
    }

    /// Live or sandbox: what the caller makes and sees.
    pub fn mode(&self) -> Mode {
        self.key.mode
    }

    /// `403 insufficient_scope` unless the key holds `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), AgentsError> {
        if self.key.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(insufficient_scope(&[scope]))
        }
    }

    /// `403 account_not_verified` until the email is verified.
    pub fn require_verified(&self) -> Result<(), AgentsError> {
        if self.verified {
            Ok(())
        } else {
            Err(AgentsError::new(
                403,
                "account_not_verified",
                "Verify your email first: submit the 6-digit code with POST /auth/verify.",
            ))
        }
    }
}

/// `403 insufficient_scope` naming the scopes that are missing.
pub fn insufficient_scope(missing: &[Scope]) -> AgentsError {
    let names: Vec<&str> = missing.iter().map(|scope| scope.as_str()).collect();
    AgentsError::new(
        403,
        "insufficient_scope",
        format!("This key lacks the scope {}.", names.join(", ")),
    )
    .with_details(serde_json::json!({ "required_scopes": names }))
}

/// The caller of `authorization`: `401 missing_api_key` without a bearer
/// token, `401 invalid_api_key` for a key that is unknown, revoked or
/// expired (alike).
pub fn authenticate(
    db: &impl Database,
    authorization: Option<&str>,
    now: UnixSeconds,
) -> Result<Caller, AgentsError> {
    let Some(token) = authorization.and_then(bearer_token) else {
        return Err(AgentsError::new(
            401,
            "missing_api_key",
            "Send your API key as Authorization: Bearer aa_live_...",
        ));
    };
    let invalid = || AgentsError::new(401, "invalid_api_key", "The API key is not valid.");
    let known_prefix = [
        keys::AGENTS_LIVE_PREFIX,
        keys::AGENTS_TEST_PREFIX,
        keys::AGENTS_OAUTH_PREFIX,
    ]
    .iter()
    .any(|prefix| token.starts_with(prefix));
    if !known_prefix {
        return Err(invalid());
    }
    let grant = store::find_grant(db, &keys::hash_key(token), now)?.ok_or_else(invalid)?;
    Ok(Caller {
        key: grant.key,
        verified: grant.user_enabled,
        plan: grant
            .live_plan_id
            .and_then(Plan::by_id)
            .unwrap_or(plans::FREE),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{Account, NOW};
    use adspin_core::testing::database;

    fn account(db: &impl Database) -> (Caller, String) {
        Account {
            email: "jane@example.com",
            mode: Mode::Test,
            scopes: &[Scope::CampaignsRead],
            password_hash: "$argon2id$...",
            verified: false,
        }
        .create(db)
    }

    #[test]
    fn a_key_grants_its_scopes_until_revoked_or_expired() {
        let db = database();
        let (created, secret) = account(&db);
        let record = created.key;
        let header = format!("Bearer {secret}");
        let caller = authenticate(&db, Some(&header), NOW).expect("valid");
        assert_eq!(caller.mode(), Mode::Test);
        assert!(!caller.verified);
        assert!(caller.require(Scope::CampaignsRead).is_ok());
        let error = caller.require(Scope::BillingWrite).expect_err("lacks it");
        assert_eq!((error.status(), error.code()), (403, "insufficient_scope"));
        assert_eq!(
            caller.require_verified().expect_err("unverified").code(),
            "account_not_verified"
        );

        store::enable_user(&db, record.user_id, NOW).expect("verify");
        assert!(
            authenticate(&db, Some(&header), NOW)
                .expect("valid")
                .verified
        );

        store::expire_key(&db, record.seq, NOW.plus_seconds(60)).expect("expire");
        assert!(authenticate(&db, Some(&header), NOW.plus_seconds(59)).is_ok());
        let expired = authenticate(&db, Some(&header), NOW.plus_seconds(60)).expect_err("expired");
        assert_eq!((expired.status(), expired.code()), (401, "invalid_api_key"));

        store::revoke_key(&db, record.seq, NOW).expect("revoke");
        assert_eq!(
            authenticate(&db, Some(&header), NOW)
                .expect_err("revoked")
                .code(),
            "invalid_api_key"
        );
    }

    #[test]
    fn missing_and_foreign_tokens_are_401() {
        let db = database();
        assert_eq!(
            authenticate(&db, None, NOW).expect_err("missing").code(),
            "missing_api_key"
        );
        for header in ["Basic abc", "Bearer ak_live_x", "Bearer aa_live_unknown"] {
            let error = authenticate(&db, Some(header), NOW).expect_err("refused");
            assert_eq!(error.status(), 401, "{header}");
        }
    }
}

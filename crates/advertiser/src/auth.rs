//! Authentication of `/v1` requests: `Authorization: Bearer ak_...`.
//!
//! Keys are looked up by their SHA-256 hash ([`api_keys::find_accepted`]).
//! Every failure is the same uniform `401`: missing header →
//! `auth_required`; anything else (malformed, unknown, expired past its
//! rotation grace, revoked) → `invalid_api_key`.

use adspin_core::api_keys::{self, KeyKind};
use adspin_core::db::Database;
use adspin_core::ids::{ApiKeyId, OrganizationId};
use adspin_core::time::UnixSeconds;
use adspin_core::web::bearer_token;

use super::ApiError;

/// The authenticated caller of a `/v1` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub organization_id: OrganizationId,
    pub key_id: ApiKeyId,
}

/// Authenticates the `Authorization` header value.
pub fn authenticate(
    db: &impl Database,
    authorization: Option<&str>,
    now: UnixSeconds,
) -> Result<Caller, ApiError> {
    let Some(header) = authorization else {
        return Err(ApiError::auth_required());
    };
    let secret = bearer_token(header).ok_or_else(ApiError::invalid_api_key)?;
    let key = api_keys::find_accepted(db, KeyKind::Advertiser, secret, now)
        .map_err(ApiError::from)?
        .ok_or_else(ApiError::invalid_api_key)?;
    Ok(Caller {
        organization_id: key.organization_id,
        key_id: key.id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use adspin_core::db::native::NativeDb;

    const KEY: &str = "ak_demo_7f3c9a2e4b1d4e6f8a0b2c4d6e8f0a1b";

    fn db() -> NativeDb {
        NativeDb::with_schema(&[
            include_str!("../../../migrations/0001_foundation.sql"),
            include_str!("../../../seed/dev.sql"),
        ])
        .expect("seeded")
    }

    fn code(result: Result<Caller, ApiError>) -> String {
        result.expect_err("rejected").code().to_string()
    }

    #[test]
    fn the_demo_key_authenticates_as_the_demo_organization() {
        let caller =
            authenticate(&db(), Some(&format!("Bearer {KEY}")), UnixSeconds::now()).expect("valid");
        assert_eq!(
            caller.organization_id.to_string(),
            "0d3e0000-0000-4000-8000-000000000001"
        );
    }

    #[test]
    fn a_missing_header_is_auth_required() {
        assert_eq!(
            code(authenticate(&db(), None, UnixSeconds::now())),
            "auth_required"
        );
    }

    #[test]
    fn malformed_unknown_and_foreign_surface_keys_are_invalid() {
        let now = UnixSeconds::now();
        for header in [
            KEY.to_string(),
            format!("Basic {KEY}"),
            "Bearer ".to_string(),
            "Bearer ak_unknown".to_string(),
            "Bearer pt_demo_3a5c7e9b1d2f4a6c8e0b2d4f6a8c1e3b".to_string(),
        ] {
            assert_eq!(
                code(authenticate(&db(), Some(&header), now)),
                "invalid_api_key",
                "{header}"
            );
        }
    }

    #[test]
    fn expired_and_revoked_keys_are_invalid() {
        let db = db();
        let now = UnixSeconds::new(2_000_000_000);
        let header = format!("Bearer {KEY}");
        db.execute(
            "UPDATE api_keys SET expires_at = ?1 WHERE kind = 'advertiser'",
            &[now.into()],
        )
        .expect("expire");
        assert_eq!(
            code(authenticate(&db, Some(&header), now)),
            "invalid_api_key"
        );
        db.execute(
            "UPDATE api_keys SET expires_at = ?1, revoked_at = ?2",
            &[(now.get() + 60).into(), now.into()],
        )
        .expect("revoke");
        assert_eq!(
            code(authenticate(&db, Some(&header), now)),
            "invalid_api_key"
        );
    }
}

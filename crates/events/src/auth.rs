//! Partner tokens: `Authorization: Bearer pt_...`, minted by the operator
//! for an organization, stored hashed ([`api_keys::find_accepted`]).

use adspin_core::api_keys::{self, KeyKind};
use adspin_core::db::Database;
use adspin_core::ids::{ApiKeyId, OrganizationId};
use adspin_core::time::UnixSeconds;
use adspin_core::web::bearer_token;

use super::S2sError;

/// The authenticated sender of an S2S request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    pub organization_id: OrganizationId,
    pub key_id: ApiKeyId,
    /// The token's label, stamped on every event as `api_key_label`.
    pub label: Option<String>,
}

/// Authenticates the `Authorization` header value: no header is `401
/// Missing bearer token`; anything else that is not an active partner
/// token is `401 Invalid API key`.
pub fn authenticate(
    db: &impl Database,
    authorization: Option<&str>,
    now: UnixSeconds,
) -> Result<Partner, S2sError> {
    let Some(header) = authorization.filter(|h| !h.trim().is_empty()) else {
        return Err(S2sError::missing_bearer_token());
    };
    let secret = bearer_token(header).ok_or_else(S2sError::invalid_api_key)?;
    let key = api_keys::find_accepted(db, KeyKind::Partner, secret, now)
        .map_err(S2sError::from)?
        .ok_or_else(S2sError::invalid_api_key)?;
    Ok(Partner {
        organization_id: key.organization_id,
        key_id: key.id,
        label: key.label,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use adspin_core::db::native::NativeDb;
    use adspin_core::keys;

    const TOKEN: &str = "pt_test_0123456789abcdef";
    const ORG: &str = "0d3e0000-0000-4000-8000-00000000000b";

    fn database(kind: &str, revoked: Option<i64>) -> NativeDb {
        let db = NativeDb::with_schema(&[include_str!("../../../migrations/0001_foundation.sql")])
            .expect("schema");
        db.execute(
            "INSERT INTO organizations (id, name, created_at, updated_at) VALUES (?1, 'Partner Co', 0, 0)",
            &[ORG.into()],
        )
        .expect("organization");
        db.execute(
            "INSERT INTO api_keys (id, organization_id, kind, key_hash, key_prefix, label, created_at, revoked_at)
             VALUES ('0d3e0000-0000-4000-8000-0000000000aa', ?1, ?2, ?3, 'pt_test', 'shop backend', 0, ?4)",
            &[
                ORG.into(),
                kind.into(),
                keys::hash_key(TOKEN).into(),
                revoked.into(),
            ],
        )
        .expect("key");
        db
    }

    fn detail(result: Result<Partner, S2sError>) -> String {
        match result {
            Err(S2sError::Detail { status, detail }) => format!("{status} {detail}"),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn an_active_partner_token_names_its_organization_and_label() {
        let db = database("partner", None);
        let partner = authenticate(&db, Some(&format!("Bearer {TOKEN}")), UnixSeconds::new(10))
            .expect("authenticated");
        assert_eq!(partner.organization_id.to_string(), ORG);
        assert_eq!(partner.label.as_deref(), Some("shop backend"));
    }

    #[test]
    fn missing_malformed_revoked_and_foreign_kinds_are_refused() {
        let now = UnixSeconds::new(10);
        let db = database("partner", None);
        assert_eq!(
            detail(authenticate(&db, None, now)),
            "401 Missing bearer token"
        );
        assert_eq!(
            detail(authenticate(&db, Some("  "), now)),
            "401 Missing bearer token"
        );
        for header in ["Basic abc", "Bearer", "Bearer pt_unknown", "Bearer ak_x"] {
            assert_eq!(
                detail(authenticate(&db, Some(header), now)),
                "401 Invalid API key"
            );
        }
        let bearer = format!("Bearer {TOKEN}");
        let revoked = database("partner", Some(5));
        assert_eq!(
            detail(authenticate(&revoked, Some(&bearer), now)),
            "401 Invalid API key"
        );
        let advertiser = database("advertiser", None);
        assert_eq!(
            detail(authenticate(&advertiser, Some(&bearer), now)),
            "401 Invalid API key"
        );
    }
}

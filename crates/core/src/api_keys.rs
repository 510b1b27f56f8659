//! API key records of every surface: minting (the secret is returned once,
//! only its hash is stored), listing, rotation with a grace window, and
//! revocation.
//!
//! An organization has at most one active Advertiser API key: a partial
//! unique index enforces it, so concurrent mints cannot both succeed.

use serde::Serialize;

use crate::db::{Database, DbError, FromRow, Row, transaction};
use crate::ids::{ApiKeyId, OrganizationId};
use crate::keys;
use crate::time::UnixSeconds;

/// How long a rotated-out key keeps working.
pub const ROTATION_GRACE_SECONDS: i64 = 30 * 60;

/// Which surface a key authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    Advertiser,
    Publisher,
    Partner,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Advertiser => "advertiser",
            Self::Publisher => "publisher",
            Self::Partner => "partner",
        }
    }

    pub fn prefix(self) -> &'static str {
        match self {
            Self::Advertiser => keys::ADVERTISER_PREFIX,
            Self::Publisher => keys::PUBLISHER_PREFIX,
            Self::Partner => keys::PARTNER_PREFIX,
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "advertiser" => Some(Self::Advertiser),
            "publisher" => Some(Self::Publisher),
            "partner" => Some(Self::Partner),
            _ => None,
        }
    }
}

/// Publisher keys are for staging (always fills, never billed) or production.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Staging,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staging => "staging",
            Self::Production => "production",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "staging" => Some(Self::Staging),
            "production" => Some(Self::Production),
            _ => None,
        }
    }
}

/// A key record (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub id: ApiKeyId,
    pub organization_id: OrganizationId,
    pub kind: KeyKind,
    pub environment: Option<Environment>,
    pub prefix: String,
    pub label: Option<String>,
    pub created_at: UnixSeconds,
    pub expires_at: Option<UnixSeconds>,
    pub revoked_at: Option<UnixSeconds>,
}

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Active,
    /// Rotated out, still accepted until `expires_at`.
    Expiring,
    Expired,
    Revoked,
}

impl KeyStatus {
    /// The status at `now` of a key revoked and expiring at these times.
    pub fn of(
        revoked_at: Option<UnixSeconds>,
        expires_at: Option<UnixSeconds>,
        now: UnixSeconds,
    ) -> Self {
        match (revoked_at, expires_at) {
            (Some(_), _) => Self::Revoked,
            (None, Some(expires_at)) if expires_at <= now => Self::Expired,
            (None, Some(_)) => Self::Expiring,
            (None, None) => Self::Active,
        }
    }

    /// Whether a request presenting the key is let in.
    pub fn accepts(self) -> bool {
        matches!(self, Self::Active | Self::Expiring)
    }
}

impl KeyRecord {
    pub fn status(&self, now: UnixSeconds) -> KeyStatus {
        KeyStatus::of(self.revoked_at, self.expires_at, now)
    }
}

/// A freshly minted key: the record and its secret, shown once.
#[derive(Debug, Clone)]
pub struct MintedKey {
    pub record: KeyRecord,
    pub secret: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the organization already has an active key")]
    ActiveKeyExists,
    #[error("no such key")]
    NotFound,
    #[error("the key is not the active key")]
    NotActive,
    #[error(transparent)]
    Db(#[from] DbError),
}

const COLUMNS: &str =
    "id, organization_id, kind, environment, key_prefix, label, created_at, expires_at, revoked_at";

crate::sql_text_enum!(KeyKind, Environment);

impl FromRow for KeyRecord {
    /// Reads [`COLUMNS`].
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: row.get(0)?,
            organization_id: row.get(1)?,
            kind: row.get(2)?,
            environment: row.get(3)?,
            prefix: row.get(4)?,
            label: row.get(5)?,
            created_at: row.get(6)?,
            expires_at: row.get(7)?,
            revoked_at: row.get(8)?,
        })
    }
}

/// The key a request presents as `secret`, when it is a `kind` key that is
/// let in (active, or rotated out and still in its grace window). Keys are
/// looked up by the SHA-256 of the secret, the only form stored; the
/// secret itself is never compared.
pub fn find_accepted(
    db: &impl Database,
    kind: KeyKind,
    secret: &str,
    now: UnixSeconds,
) -> Result<Option<KeyRecord>, DbError> {
    if !secret.starts_with(kind.prefix()) {
        return Ok(None);
    }
    let record: Option<KeyRecord> = db.find(
        &format!("SELECT {COLUMNS} FROM api_keys WHERE key_hash = ?1 AND kind = ?2"),
        &[keys::hash_key(secret).into(), kind.into()],
    )?;
    Ok(record.filter(|record| record.status(now).accepts()))
}

/// Mints a key. An Advertiser API key is refused while the organization
/// has an active one.
pub fn mint(
    db: &impl Database,
    organization: OrganizationId,
    kind: KeyKind,
    environment: Option<Environment>,
    label: Option<&str>,
    now: UnixSeconds,
) -> Result<MintedKey, KeyError> {
    let secret = keys::generate(kind.prefix());
    let record = KeyRecord {
        id: ApiKeyId::new_random(),
        organization_id: organization,
        kind,
        environment,
        prefix: keys::display_prefix(&secret).to_string(),
        label: label.map(String::from),
        created_at: now,
        expires_at: None,
        revoked_at: None,
    };
    let inserted = db.execute(
        "INSERT INTO api_keys (id, organization_id, kind, environment, key_hash, key_prefix, label, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[
            record.id.into(),
            organization.into(),
            kind.as_str().into(),
            environment.map(Environment::as_str).into(),
            keys::hash_key(&secret).into(),
            record.prefix.as_str().into(),
            label.into(),
            now.into(),
        ],
    );
    match inserted {
        Ok(_) => Ok(MintedKey { record, secret }),
        Err(error) if error.is_unique_violation() && kind == KeyKind::Advertiser => {
            Err(KeyError::ActiveKeyExists)
        }
        Err(error) => Err(error.into()),
    }
}

/// The organization's keys of one kind, newest first.
pub fn list(
    db: &impl Database,
    organization: OrganizationId,
    kind: KeyKind,
) -> Result<Vec<KeyRecord>, DbError> {
    db.list(
        &format!(
            "SELECT {COLUMNS} FROM api_keys WHERE organization_id = ?1 AND kind = ?2 ORDER BY created_at DESC, id"
        ),
        &[organization.into(), kind.into()],
    )
}

pub fn find(
    db: &impl Database,
    organization: OrganizationId,
    kind: KeyKind,
    id: ApiKeyId,
) -> Result<Option<KeyRecord>, DbError> {
    db.find(
        &format!(
            "SELECT {COLUMNS} FROM api_keys WHERE id = ?1 AND organization_id = ?2 AND kind = ?3"
        ),
        &[id.into(), organization.into(), kind.into()],
    )
}

/// Replaces the active key: the old one keeps working for
/// [`ROTATION_GRACE_SECONDS`], the new one is returned with its secret.
pub fn rotate(
    db: &impl Database,
    organization: OrganizationId,
    kind: KeyKind,
    id: ApiKeyId,
    now: UnixSeconds,
) -> Result<(MintedKey, KeyRecord), KeyError> {
    transaction(db, || {
        let mut old = find(db, organization, kind, id)?.ok_or(KeyError::NotFound)?;
        if old.status(now) != KeyStatus::Active {
            return Err(KeyError::NotActive);
        }
        let expires_at = now.plus_seconds(ROTATION_GRACE_SECONDS);
        db.execute(
            "UPDATE api_keys SET expires_at = ?1 WHERE id = ?2 AND expires_at IS NULL AND revoked_at IS NULL",
            &[expires_at.into(), id.into()],
        )?;
        old.expires_at = Some(expires_at);
        let new = mint(
            db,
            organization,
            kind,
            old.environment,
            old.label.as_deref(),
            now,
        )?;
        Ok((new, old))
    })
}

/// Revokes a key at once (no grace). Revoking a revoked key changes nothing.
pub fn revoke(
    db: &impl Database,
    organization: OrganizationId,
    kind: KeyKind,
    id: ApiKeyId,
    now: UnixSeconds,
) -> Result<KeyRecord, KeyError> {
    db.execute(
        "UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND organization_id = ?3 AND kind = ?4 AND revoked_at IS NULL",
        &[now.into(), id.into(), organization.into(), kind.into()],
    )?;
    find(db, organization, kind, id)?.ok_or(KeyError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::native::NativeDb;

    fn db() -> NativeDb {
        NativeDb::with_schema(&[
            include_str!("../../../migrations/0001_foundation.sql"),
            include_str!("../../../migrations/0002_advertiser.sql"),
            include_str!("../../../seed/dev.sql"),
        ])
        .expect("schema")
    }

    fn demo() -> OrganizationId {
        OrganizationId::parse("0d3e0000-0000-4000-8000-000000000001").expect("demo org")
    }

    #[test]
    fn a_second_active_advertiser_key_is_refused() {
        let db = db();
        let error = mint(
            &db,
            demo(),
            KeyKind::Advertiser,
            None,
            None,
            UnixSeconds::now(),
        )
        .expect_err("one active");
        assert!(matches!(error, KeyError::ActiveKeyExists));
        assert!(
            mint(
                &db,
                demo(),
                KeyKind::Partner,
                None,
                None,
                UnixSeconds::now()
            )
            .is_ok()
        );
    }

    #[test]
    fn rotation_leaves_the_old_key_a_grace_window() {
        let db = db();
        let now = UnixSeconds::new(2_000_000_000);
        let current = list(&db, demo(), KeyKind::Advertiser).expect("list")[0].clone();
        let (new, old) = rotate(&db, demo(), KeyKind::Advertiser, current.id, now).expect("rotate");
        assert_eq!(
            old.expires_at.map(UnixSeconds::get),
            Some(now.get() + ROTATION_GRACE_SECONDS)
        );
        assert_eq!(old.status(now), KeyStatus::Expiring);
        assert_eq!(
            old.status(now.plus_seconds(ROTATION_GRACE_SECONDS)),
            KeyStatus::Expired
        );
        assert!(new.secret.starts_with("ak_"));
        assert_eq!(new.record.status(now), KeyStatus::Active);
        assert!(matches!(
            rotate(&db, demo(), KeyKind::Advertiser, current.id, now),
            Err(KeyError::NotActive)
        ));
    }

    #[test]
    fn revocation_is_immediate_and_idempotent() {
        let db = db();
        let now = UnixSeconds::now();
        let current = list(&db, demo(), KeyKind::Advertiser).expect("list")[0].clone();
        let revoked = revoke(&db, demo(), KeyKind::Advertiser, current.id, now).expect("revoke");
        assert_eq!(revoked.status(now), KeyStatus::Revoked);
        let again = revoke(
            &db,
            demo(),
            KeyKind::Advertiser,
            current.id,
            now.plus_seconds(5),
        )
        .expect("again");
        assert_eq!(again.revoked_at.map(UnixSeconds::get), Some(now.get()));
        // With the active key revoked, a new one can be minted.
        assert!(mint(&db, demo(), KeyKind::Advertiser, None, None, now).is_ok());
    }

    #[test]
    fn another_organizations_key_is_not_found() {
        let db = db();
        let current = list(&db, demo(), KeyKind::Advertiser).expect("list")[0].clone();
        let stranger = OrganizationId::new_random();
        assert!(matches!(
            revoke(
                &db,
                stranger,
                KeyKind::Advertiser,
                current.id,
                UnixSeconds::now()
            ),
            Err(KeyError::NotFound)
        ));
    }
}

//! The agents API's SQL: users, verification codes and keys.

use adspin_core::db::{Database, DbError, FromRow, Json, Row};
use adspin_core::ids::OrganizationId;
use adspin_core::keys;
use adspin_core::time::UnixSeconds;

use crate::pages::PageRequest;

use crate::scopes::Scope;

/// An account's user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub organization_id: OrganizationId,
    pub email: String,
    pub password_hash: String,
    pub first_name: String,
    pub last_name: String,
    pub enabled: bool,
    pub created_at: UnixSeconds,
}

impl FromRow for User {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: row.get(0)?,
            organization_id: row.get(1)?,
            email: row.get(2)?,
            password_hash: row.get(3)?,
            first_name: row.get(4)?,
            last_name: row.get(5)?,
            enabled: row.get(6)?,
            created_at: row.get(7)?,
        })
    }
}

const USER_COLUMNS: &str =
    "id, organization_id, email, password_hash, first_name, last_name, enabled, created_at";

/// A user about to be created.
pub struct NewUser<'a> {
    pub organization_id: OrganizationId,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
}

/// Inserts a user and returns it; a taken email is a unique-constraint
/// error.
pub fn insert_user(
    db: &impl Database,
    user: &NewUser<'_>,
    now: UnixSeconds,
) -> Result<User, DbError> {
    db.find(
        &format!(
            "INSERT INTO agent_users (organization_id, email, password_hash, first_name, last_name, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) RETURNING {USER_COLUMNS}"
        ),
        &[
            user.organization_id.into(),
            user.email.into(),
            user.password_hash.into(),
            user.first_name.into(),
            user.last_name.into(),
            now.into(),
        ],
    )?
    .ok_or_else(|| DbError::Malformed("INSERT ... RETURNING returned no row".into()))
}

pub fn find_user(db: &impl Database, id: i64) -> Result<Option<User>, DbError> {
    db.find(
        &format!("SELECT {USER_COLUMNS} FROM agent_users WHERE id = ?1"),
        &[id.into()],
    )
}

pub fn find_user_by_email(db: &impl Database, email: &str) -> Result<Option<User>, DbError> {
    db.find(
        &format!("SELECT {USER_COLUMNS} FROM agent_users WHERE email = ?1"),
        &[email.into()],
    )
}

/// Marks the user verified and removes its code.
pub fn enable_user(db: &impl Database, user_id: i64, now: UnixSeconds) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_users SET enabled = 1, verified_at = ?2, updated_at = ?2 WHERE id = ?1",
        &[user_id.into(), now.into()],
    )?;
    db.execute(
        "DELETE FROM agent_verification_codes WHERE user_id = ?1",
        &[user_id.into()],
    )?;
    Ok(())
}

/// A stored verification code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCode {
    pub code_hash: String,
    pub salt: String,
    pub expires_at: UnixSeconds,
    pub attempts: i64,
}

impl FromRow for StoredCode {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            code_hash: row.get(0)?,
            salt: row.get(1)?,
            expires_at: row.get(2)?,
            attempts: row.get(3)?,
        })
    }
}

/// Replaces the user's code (a new one voids the old).
pub fn put_code(
    db: &impl Database,
    user_id: i64,
    code_hash: &str,
    salt: &str,
    expires_at: UnixSeconds,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO agent_verification_codes (user_id, code_hash, salt, expires_at, attempts, created_at)
         VALUES (?1, ?2, ?3, ?4, 0, ?5)
         ON CONFLICT (user_id) DO UPDATE SET code_hash = excluded.code_hash, salt = excluded.salt,
             expires_at = excluded.expires_at, attempts = 0, created_at = excluded.created_at",
        &[user_id.into(), code_hash.into(), salt.into(), expires_at.into(), now.into()],
    )?;
    Ok(())
}

pub fn find_code(db: &impl Database, user_id: i64) -> Result<Option<StoredCode>, DbError> {
    db.find(
        "SELECT code_hash, salt, expires_at, attempts FROM agent_verification_codes WHERE user_id = ?1",
        &[user_id.into()],
    )
}

/// Spends one of the code's `max_attempts` submissions and returns the
/// code to compare against; `None` when the user has no code or none is
/// left. Spending first, in one statement, bounds the guesses however many
/// arrive at once.
pub fn claim_attempt(
    db: &impl Database,
    user_id: i64,
    max_attempts: i64,
) -> Result<Option<StoredCode>, DbError> {
    db.find(
        "UPDATE agent_verification_codes SET attempts = attempts + 1
         WHERE user_id = ?1 AND attempts < ?2
         RETURNING code_hash, salt, expires_at, attempts",
        &[user_id.into(), max_attempts.into()],
    )
}

/// Whether a key is live or in the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Live,
    Test,
}

adspin_core::sql_text_enum!(Mode);

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Test => "test",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "live" => Some(Self::Live),
            "test" => Some(Self::Test),
            _ => None,
        }
    }

    pub fn prefix(self) -> &'static str {
        match self {
            Self::Live => keys::AGENTS_LIVE_PREFIX,
            Self::Test => keys::AGENTS_TEST_PREFIX,
        }
    }
}

/// A key about to be minted.
pub struct NewKey<'a> {
    pub organization_id: OrganizationId,
    pub user_id: i64,
    pub mode: Mode,
    pub name: Option<&'a str>,
    pub scopes: &'a [Scope],
    /// An OAuth access token (listed with the OAuth client, not the keys)
    /// that ends at this time; `None` for an API key.
    pub oauth_expires_at: Option<UnixSeconds>,
}

/// A key record (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub seq: i64,
    pub id: String,
    pub organization_id: OrganizationId,
    pub user_id: i64,
    pub mode: Mode,
    pub prefix: String,
    pub name: Option<String>,
    pub scopes: Vec<Scope>,
    pub created_at: UnixSeconds,
    pub expires_at: Option<UnixSeconds>,
    pub revoked_at: Option<UnixSeconds>,
}

impl FromRow for KeyRecord {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        let Json(scopes) = row.get(7)?;
        Ok(Self {
            seq: row.get(0)?,
            id: row.get(1)?,
            organization_id: row.get(2)?,
            user_id: row.get(3)?,
            mode: row.get(4)?,
            prefix: row.get(5)?,
            name: row.get(6)?,
            scopes,
            created_at: row.get(8)?,
            expires_at: row.get(9)?,
            revoked_at: row.get(10)?,
        })
    }
}

/// The columns [`KeyRecord`] reads, of `agent_keys k`.
const KEY_COLUMNS: &str = "k.seq, k.id, k.organization_id, k.user_id, k.mode, k.key_prefix, k.name, \
     k.scopes, k.created_at, k.expires_at, k.revoked_at";

/// The same columns unqualified (`RETURNING` names no table alias).
const KEY_RETURNING: &str = "seq, id, organization_id, user_id, mode, key_prefix, name, \
     scopes, created_at, expires_at, revoked_at";

impl KeyRecord {
    /// `active`, `expiring` (rotated, in its grace window), `expired` or
    /// `revoked`.
    pub fn status(&self, now: UnixSeconds) -> &'static str {
        match (self.revoked_at, self.expires_at) {
            (Some(_), _) => "revoked",
            (None, Some(at)) if at <= now => "expired",
            (None, Some(_)) => "expiring",
            (None, None) => "active",
        }
    }
}

/// Mints a key; returns its record and its secret (shown once; only the
/// hash is stored).
pub fn mint_key(
    db: &impl Database,
    key: &NewKey<'_>,
    now: UnixSeconds,
) -> Result<(KeyRecord, String), DbError> {
    let (prefix, kind) = match key.oauth_expires_at {
        Some(_) => (keys::AGENTS_OAUTH_PREFIX, "oauth"),
        None => (key.mode.prefix(), "key"),
    };
    let secret = keys::generate(prefix);
    let record = db
        .find(
            &format!(
                "INSERT INTO agent_keys (id, organization_id, user_id, mode, key_hash, key_prefix, name, scopes,
                     created_at, kind, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING {KEY_RETURNING}"
            ),
            &[
                format!("key_{}", uuid::Uuid::new_v4().simple()).into(),
                key.organization_id.into(),
                key.user_id.into(),
                key.mode.into(),
                keys::hash_key(&secret).into(),
                keys::display_prefix(&secret).into(),
                key.name.into(),
                Json(key.scopes).into(),
                now.into(),
                kind.into(),
                key.oauth_expires_at.into(),
            ],
        )?
        .ok_or_else(|| DbError::Malformed("INSERT ... RETURNING returned no row".into()))?;
    Ok((record, secret))
}

/// What a presented key grants: the key, its user's state and the plan
/// the account's live subscription is on (when there is one in force).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub key: KeyRecord,
    pub user_enabled: bool,
    pub live_plan_id: Option<i64>,
}

impl FromRow for Grant {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            key: KeyRecord::from_row(row)?,
            user_enabled: row.get(11)?,
            live_plan_id: row.get(12)?,
        })
    }
}

/// The grant of the key whose secret hashes to `key_hash`, if it is
/// neither revoked nor past its expiry: one statement per request.
pub fn find_grant(
    db: &impl Database,
    key_hash: &str,
    now: UnixSeconds,
) -> Result<Option<Grant>, DbError> {
    db.find(
        &format!(
            "SELECT {KEY_COLUMNS}, u.enabled, s.plan_id FROM agent_keys k
             JOIN agent_users u ON u.id = k.user_id
             LEFT JOIN agent_subscriptions s ON s.organization_id = k.organization_id AND s.mode = 'live'
                 AND s.status = 'active' AND (s.current_period_end IS NULL OR s.current_period_end > ?2)
             WHERE k.key_hash = ?1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?2)"
        ),
        &[key_hash.into(), now.into()],
    )
}

/// A page of the organization's keys, newest first: those before `cursor`
/// (a `seq`), `limit + 1` rows so the caller learns whether more follow.
pub fn list_keys(
    db: &impl Database,
    organization_id: OrganizationId,
    page: &PageRequest,
) -> Result<Vec<KeyRecord>, DbError> {
    db.list(
        &format!(
            "SELECT {KEY_COLUMNS} FROM agent_keys k
             WHERE k.organization_id = ?1 AND k.kind = 'key' AND (?2 IS NULL OR k.seq < ?2)
             ORDER BY k.seq DESC LIMIT ?3"
        ),
        &[
            organization_id.into(),
            page.before_seq.into(),
            page.rows_to_fetch().into(),
        ],
    )
}

pub fn count_keys(db: &impl Database, organization_id: OrganizationId) -> Result<i64, DbError> {
    db.count(
        "SELECT COUNT(*) FROM agent_keys WHERE organization_id = ?1 AND kind = 'key'",
        &[organization_id.into()],
    )
}

pub fn find_key(
    db: &impl Database,
    organization_id: OrganizationId,
    id: &str,
) -> Result<Option<KeyRecord>, DbError> {
    db.find(
        &format!(
            "SELECT {KEY_COLUMNS} FROM agent_keys k WHERE k.organization_id = ?1 AND k.id = ?2"
        ),
        &[organization_id.into(), id.into()],
    )
}

/// Revokes a key at once; revoking a revoked key changes nothing.
pub fn revoke_key(db: &impl Database, seq: i64, now: UnixSeconds) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_keys SET revoked_at = ?2 WHERE seq = ?1 AND revoked_at IS NULL",
        &[seq.into(), now.into()],
    )?;
    Ok(())
}

/// Ends a key at `at` unless it already ends sooner.
pub fn expire_key(db: &impl Database, seq: i64, at: UnixSeconds) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_keys SET expires_at = ?2 WHERE seq = ?1 AND (expires_at IS NULL OR expires_at > ?2)",
        &[seq.into(), at.into()],
    )?;
    Ok(())
}

/// A business profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Business {
    pub id: i64,
    pub name: String,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub country: Option<String>,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
}

impl FromRow for Business {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: row.get(0)?,
            name: row.get(1)?,
            website: row.get(2)?,
            industry: row.get(3)?,
            country: row.get(4)?,
            created_at: row.get(5)?,
            updated_at: row.get(6)?,
        })
    }
}

const BUSINESS_COLUMNS: &str = "id, name, website, industry, country, created_at, updated_at";

pub fn find_business(
    db: &impl Database,
    organization_id: OrganizationId,
) -> Result<Option<Business>, DbError> {
    db.find(
        &format!("SELECT {BUSINESS_COLUMNS} FROM agent_businesses WHERE organization_id = ?1"),
        &[organization_id.into()],
    )
}

/// The fields of a business profile.
pub struct BusinessFields<'a> {
    pub name: &'a str,
    pub website: Option<&'a str>,
    pub industry: Option<&'a str>,
    pub country: Option<&'a str>,
}

/// Creates the organization's business profile (a second one is a
/// unique-constraint error) and names the organization after it.
pub fn insert_business(
    db: &impl Database,
    organization_id: OrganizationId,
    fields: &BusinessFields<'_>,
    now: UnixSeconds,
) -> Result<Business, DbError> {
    let business = db
        .find(
            &format!(
                "INSERT INTO agent_businesses (organization_id, name, website, industry, country, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) RETURNING {BUSINESS_COLUMNS}"
            ),
            &[
                organization_id.into(),
                fields.name.into(),
                fields.website.into(),
                fields.industry.into(),
                fields.country.into(),
                now.into(),
            ],
        )?
        .ok_or_else(|| DbError::Malformed("INSERT ... RETURNING returned no row".into()))?;
    name_organization(db, organization_id, fields.name, fields.website, now)?;
    Ok(business)
}

/// Replaces the profile's fields.
pub fn update_business(
    db: &impl Database,
    organization_id: OrganizationId,
    fields: &BusinessFields<'_>,
    now: UnixSeconds,
) -> Result<Option<Business>, DbError> {
    let business = db.find(
        &format!(
            "UPDATE agent_businesses SET name = ?2, website = ?3, industry = ?4, country = ?5, updated_at = ?6
             WHERE organization_id = ?1 RETURNING {BUSINESS_COLUMNS}"
        ),
        &[
            organization_id.into(),
            fields.name.into(),
            fields.website.into(),
            fields.industry.into(),
            fields.country.into(),
            now.into(),
        ],
    )?;
    if business.is_some() {
        name_organization(db, organization_id, fields.name, fields.website, now)?;
    }
    Ok(business)
}

fn name_organization(
    db: &impl Database,
    organization_id: OrganizationId,
    name: &str,
    url: Option<&str>,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE organizations SET name = ?2, url = ?3, updated_at = ?4 WHERE id = ?1",
        &[organization_id.into(), name.into(), url.into(), now.into()],
    )?;
    Ok(())
}

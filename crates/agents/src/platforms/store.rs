//! SQL of platform connections and of the objects launches created.

use adspin_core::db::{Database, DbError, FromRow, Row};
use adspin_core::ids::OrganizationId;
use adspin_core::time::UnixSeconds;

use crate::store::Mode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub id: i64,
    pub organization_id: OrganizationId,
    pub mode: Mode,
    pub platform: String,
    pub provider: String,
    pub status: String,
    pub setup_used_at: Option<UnixSeconds>,
    pub expires_at: UnixSeconds,
    pub failure: Option<String>,
    pub sealed_token: Option<String>,
    pub ad_account_id: Option<String>,
    pub ad_account_name: Option<String>,
    pub page_id: Option<String>,
    pub connected_at: Option<UnixSeconds>,
    pub created_at: UnixSeconds,
}

pub(crate) const COLUMNS: &str = "id, organization_id, mode, platform, provider, status, setup_used_at, expires_at, \
    failure, sealed_token, ad_account_id, ad_account_name, page_id, connected_at, created_at";

impl FromRow for Connection {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: row.get(0)?,
            organization_id: row.get(1)?,
            mode: row.get(2)?,
            platform: row.get(3)?,
            provider: row.get(4)?,
            status: row.get(5)?,
            setup_used_at: row.get(6)?,
            expires_at: row.get(7)?,
            failure: row.get(8)?,
            sealed_token: row.get(9)?,
            ad_account_id: row.get(10)?,
            ad_account_name: row.get(11)?,
            page_id: row.get(12)?,
            connected_at: row.get(13)?,
            created_at: row.get(14)?,
        })
    }
}

pub struct NewConnection<'a> {
    pub organization_id: OrganizationId,
    pub mode: Mode,
    pub platform: &'a str,
    pub provider: &'a str,
    pub setup_token_hash: &'a str,
    pub expires_at: UnixSeconds,
}

pub fn insert(
    db: &impl Database,
    connection: &NewConnection<'_>,
    now: UnixSeconds,
) -> Result<Connection, DbError> {
    db.returning(
        &format!(
            "INSERT INTO agent_platform_connections (organization_id, mode, platform, provider, status,
                 setup_token_hash, expires_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7, ?7) RETURNING {COLUMNS}"
        ),
        &[
            connection.organization_id.into(),
            connection.mode.into(),
            connection.platform.into(),
            connection.provider.into(),
            connection.setup_token_hash.into(),
            connection.expires_at.into(),
            now.into(),
        ],
    )
}

pub fn by_setup_token(
    db: &impl Database,
    platform: &str,
    token_hash: &str,
) -> Result<Option<Connection>, DbError> {
    db.find(
        &format!(
            "SELECT {COLUMNS} FROM agent_platform_connections WHERE setup_token_hash = ?1 AND platform = ?2"
        ),
        &[token_hash.into(), platform.into()],
    )
}

pub fn by_state(
    db: &impl Database,
    platform: &str,
    state_hash: &str,
) -> Result<Option<Connection>, DbError> {
    db.find(
        &format!(
            "SELECT {COLUMNS} FROM agent_platform_connections WHERE state_hash = ?1 AND platform = ?2"
        ),
        &[state_hash.into(), platform.into()],
    )
}

/// Marks the setup link used and keeps the OAuth state it issued; `false`
/// when it was used already (single use, even under concurrent visits).
pub fn use_setup_link(
    db: &impl Database,
    id: i64,
    state_hash: Option<&str>,
    now: UnixSeconds,
) -> Result<bool, DbError> {
    Ok(!db
        .execute(
            "UPDATE agent_platform_connections SET setup_used_at = ?1, state_hash = ?2, updated_at = ?1
             WHERE id = ?3 AND setup_used_at IS NULL AND status = 'pending' RETURNING id",
            &[now.into(), state_hash.into(), id.into()],
        )?
        .is_empty())
}

/// What a completed connection reached.
pub struct Connected<'a> {
    pub sealed_token: &'a str,
    pub token_expires_at: Option<UnixSeconds>,
    pub ad_account_id: &'a str,
    pub ad_account_name: &'a str,
    pub page_id: Option<&'a str>,
}

/// Completes a pending connection (and retires the account's earlier
/// connection of the platform); `false` when it is no longer pending.
pub fn connect(
    db: &impl Database,
    connection: &Connection,
    connected: &Connected<'_>,
    now: UnixSeconds,
) -> Result<bool, DbError> {
    let done = db.execute(
        "UPDATE agent_platform_connections SET status = 'connected', sealed_token = ?1, token_expires_at = ?2,
             ad_account_id = ?3, ad_account_name = ?4, page_id = ?5, connected_at = ?6, updated_at = ?6
         WHERE id = ?7 AND status = 'pending' RETURNING id",
        &[
            connected.sealed_token.into(),
            connected.token_expires_at.into(),
            connected.ad_account_id.into(),
            connected.ad_account_name.into(),
            connected.page_id.into(),
            now.into(),
            connection.id.into(),
        ],
    )?;
    if done.is_empty() {
        return Ok(false);
    }
    db.execute(
        "UPDATE agent_platform_connections SET status = 'disconnected', sealed_token = NULL, updated_at = ?1
         WHERE organization_id = ?2 AND mode = ?3 AND platform = ?4 AND status = 'connected' AND id <> ?5",
        &[
            now.into(),
            connection.organization_id.into(),
            connection.mode.into(),
            connection.platform.as_str().into(),
            connection.id.into(),
        ],
    )?;
    Ok(true)
}

pub fn fail(db: &impl Database, id: i64, reason: &str, now: UnixSeconds) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_platform_connections SET status = 'failed', failure = ?1, updated_at = ?2
         WHERE id = ?3 AND status = 'pending'",
        &[reason.into(), now.into(), id.into()],
    )?;
    Ok(())
}

/// Disconnects a connection and forgets its token.
pub fn disconnect(db: &impl Database, id: i64, now: UnixSeconds) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_platform_connections SET status = 'disconnected', sealed_token = NULL, updated_at = ?1
         WHERE id = ?2",
        &[now.into(), id.into()],
    )?;
    Ok(())
}

pub fn find(
    db: &impl Database,
    organization: OrganizationId,
    mode: Mode,
    id: i64,
) -> Result<Option<Connection>, DbError> {
    db.find(
        &format!(
            "SELECT {COLUMNS} FROM agent_platform_connections
             WHERE id = ?1 AND organization_id = ?2 AND mode = ?3 AND status = 'connected'"
        ),
        &[id.into(), organization.into(), mode.into()],
    )
}

/// The account's connected platforms, oldest first.
pub fn connected(
    db: &impl Database,
    organization: OrganizationId,
    mode: Mode,
) -> Result<Vec<Connection>, DbError> {
    db.list(
        &format!(
            "SELECT {COLUMNS} FROM agent_platform_connections
             WHERE organization_id = ?1 AND mode = ?2 AND status = 'connected' ORDER BY id"
        ),
        &[organization.into(), mode.into()],
    )
}

/// The remote id of a local object on a platform.
pub fn remote_id(
    db: &impl Database,
    kind: &str,
    local_id: i64,
    platform: &str,
) -> Result<Option<String>, DbError> {
    db.execute(
        "SELECT remote_id FROM agent_platform_objects WHERE kind = ?1 AND local_id = ?2 AND platform = ?3",
        &[kind.into(), local_id.into(), platform.into()],
    )?
    .first()
    .map(|row| row.get(0))
    .transpose()
}

pub fn record_object(
    db: &impl Database,
    (kind, local_id, platform): (&str, i64, &str),
    remote_id: &str,
    connection: i64,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "INSERT OR REPLACE INTO agent_platform_objects (kind, local_id, platform, remote_id, connection, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[
            kind.into(),
            local_id.into(),
            platform.into(),
            remote_id.into(),
            connection.into(),
            now.into(),
        ],
    )?;
    Ok(())
}

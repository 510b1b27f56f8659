//! OAuth's SQL: clients, authorization codes and refresh tokens.

use adspin_core::db::{Database, DbError, FromRow, Json, Row};
use adspin_core::ids::OrganizationId;
use adspin_core::time::UnixSeconds;

use crate::scopes::Scope;

/// A registered client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub id: String,
    pub organization_id: OrganizationId,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub secret_hash: Option<String>,
    pub created_at: UnixSeconds,
}

impl FromRow for Client {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        let Json(redirect_uris) = row.get(3)?;
        Ok(Self {
            id: row.get(0)?,
            organization_id: row.get(1)?,
            name: row.get(2)?,
            redirect_uris,
            secret_hash: row.get(4)?,
            created_at: row.get(5)?,
        })
    }
}

const CLIENT_COLUMNS: &str = "id, organization_id, name, redirect_uris, secret_hash, created_at";

pub fn insert_client(db: &impl Database, client: &Client) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO oauth_clients (id, organization_id, name, redirect_uris, secret_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[
            client.id.as_str().into(),
            client.organization_id.into(),
            client.name.as_str().into(),
            Json(&client.redirect_uris).into(),
            client.secret_hash.as_deref().into(),
            client.created_at.into(),
        ],
    )?;
    Ok(())
}

/// A client that is not revoked.
pub fn find_client(db: &impl Database, id: &str) -> Result<Option<Client>, DbError> {
    db.find(
        &format!("SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE id = ?1 AND revoked_at IS NULL"),
        &[id.into()],
    )
}

/// The account's clients, newest first.
pub fn list_clients(
    db: &impl Database,
    organization_id: OrganizationId,
) -> Result<Vec<Client>, DbError> {
    db.list(
        &format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients
             WHERE organization_id = ?1 AND revoked_at IS NULL ORDER BY created_at DESC, id"
        ),
        &[organization_id.into()],
    )
}

/// Revokes a client with every token issued to it.
pub fn revoke_client(db: &impl Database, id: &str, now: UnixSeconds) -> Result<(), DbError> {
    db.execute(
        "UPDATE oauth_clients SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        &[id.into(), now.into()],
    )?;
    db.execute(
        "UPDATE agent_keys SET revoked_at = ?2 WHERE revoked_at IS NULL AND seq IN
             (SELECT access_key_seq FROM oauth_refresh_tokens WHERE client_id = ?1)",
        &[id.into(), now.into()],
    )?;
    db.execute(
        "UPDATE oauth_refresh_tokens SET revoked_at = ?2 WHERE client_id = ?1 AND revoked_at IS NULL",
        &[id.into(), now.into()],
    )?;
    Ok(())
}

/// An authorization code's grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    pub code_hash: String,
    pub client_id: String,
    pub organization_id: OrganizationId,
    pub user_id: i64,
    pub scopes: Vec<Scope>,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub expires_at: UnixSeconds,
    pub used_at: Option<UnixSeconds>,
}

impl FromRow for Code {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        let Json(scopes) = row.get(4)?;
        Ok(Self {
            code_hash: row.get(0)?,
            client_id: row.get(1)?,
            organization_id: row.get(2)?,
            user_id: row.get(3)?,
            scopes,
            redirect_uri: row.get(5)?,
            code_challenge: row.get(6)?,
            expires_at: row.get(7)?,
            used_at: row.get(8)?,
        })
    }
}

pub fn insert_code(db: &impl Database, code: &Code, now: UnixSeconds) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO oauth_codes (code_hash, client_id, organization_id, user_id, scopes, redirect_uri,
             code_challenge, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        &[
            code.code_hash.as_str().into(),
            code.client_id.as_str().into(),
            code.organization_id.into(),
            code.user_id.into(),
            Json(&code.scopes).into(),
            code.redirect_uri.as_str().into(),
            code.code_challenge.as_str().into(),
            code.expires_at.into(),
            now.into(),
        ],
    )?;
    Ok(())
}

pub fn find_code(db: &impl Database, code_hash: &str) -> Result<Option<Code>, DbError> {
    db.find(
        "SELECT code_hash, client_id, organization_id, user_id, scopes, redirect_uri, code_challenge,
             expires_at, used_at
         FROM oauth_codes WHERE code_hash = ?1",
        &[code_hash.into()],
    )
}

/// Marks a code used; `false` when it already was (a replay).
pub fn use_code(db: &impl Database, code_hash: &str, now: UnixSeconds) -> Result<bool, DbError> {
    let rows = db.execute(
        "UPDATE oauth_codes SET used_at = ?2 WHERE code_hash = ?1 AND used_at IS NULL RETURNING 1",
        &[code_hash.into(), now.into()],
    )?;
    Ok(!rows.is_empty())
}

/// A refresh token's grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refresh {
    pub token_hash: String,
    pub family: String,
    pub client_id: String,
    pub organization_id: OrganizationId,
    pub user_id: i64,
    pub scopes: Vec<Scope>,
    pub access_key_seq: i64,
    pub expires_at: UnixSeconds,
    pub used_at: Option<UnixSeconds>,
    pub revoked_at: Option<UnixSeconds>,
}

impl FromRow for Refresh {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        let Json(scopes) = row.get(5)?;
        Ok(Self {
            token_hash: row.get(0)?,
            family: row.get(1)?,
            client_id: row.get(2)?,
            organization_id: row.get(3)?,
            user_id: row.get(4)?,
            scopes,
            access_key_seq: row.get(6)?,
            expires_at: row.get(7)?,
            used_at: row.get(8)?,
            revoked_at: row.get(9)?,
        })
    }
}

const REFRESH_COLUMNS: &str = "token_hash, family, client_id, organization_id, user_id, scopes, \
     access_key_seq, expires_at, used_at, revoked_at";

pub fn insert_refresh(
    db: &impl Database,
    refresh: &Refresh,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO oauth_refresh_tokens (token_hash, family, client_id, organization_id, user_id, scopes,
             access_key_seq, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        &[
            refresh.token_hash.as_str().into(),
            refresh.family.as_str().into(),
            refresh.client_id.as_str().into(),
            refresh.organization_id.into(),
            refresh.user_id.into(),
            Json(&refresh.scopes).into(),
            refresh.access_key_seq.into(),
            refresh.expires_at.into(),
            now.into(),
        ],
    )?;
    Ok(())
}

pub fn find_refresh(db: &impl Database, token_hash: &str) -> Result<Option<Refresh>, DbError> {
    db.find(
        &format!("SELECT {REFRESH_COLUMNS} FROM oauth_refresh_tokens WHERE token_hash = ?1"),
        &[token_hash.into()],
    )
}

/// The grant an access token was issued with.
pub fn find_refresh_by_access(
    db: &impl Database,
    access_key_seq: i64,
) -> Result<Option<Refresh>, DbError> {
    db.find(
        &format!("SELECT {REFRESH_COLUMNS} FROM oauth_refresh_tokens WHERE access_key_seq = ?1"),
        &[access_key_seq.into()],
    )
}

/// Marks a refresh token used; `false` when it already was (a replay).
pub fn use_refresh(
    db: &impl Database,
    token_hash: &str,
    now: UnixSeconds,
) -> Result<bool, DbError> {
    let rows = db.execute(
        "UPDATE oauth_refresh_tokens SET used_at = ?2
         WHERE token_hash = ?1 AND used_at IS NULL AND revoked_at IS NULL RETURNING 1",
        &[token_hash.into(), now.into()],
    )?;
    Ok(!rows.is_empty())
}

/// Revokes every refresh token of a grant and the access tokens issued
/// with them.
pub fn revoke_family(db: &impl Database, family: &str, now: UnixSeconds) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_keys SET revoked_at = ?2 WHERE revoked_at IS NULL AND seq IN
             (SELECT access_key_seq FROM oauth_refresh_tokens WHERE family = ?1)",
        &[family.into(), now.into()],
    )?;
    db.execute(
        "UPDATE oauth_refresh_tokens SET revoked_at = ?2 WHERE family = ?1 AND revoked_at IS NULL",
        &[family.into(), now.into()],
    )?;
    Ok(())
}

//! Keys: `POST /auth/keys` (a new key, scoped), `GET /auth/keys`,
//! `POST /auth/keys/{id}/rotate` and `DELETE /auth/keys/{id}`.
//!
//! A key never grants more than the key that made it: the scopes asked for
//! must be held by the caller (`403 insufficient_scope`). Secrets are shown
//! once, in the answer that mints them. A rotated key keeps working for
//! [`ROTATION_GRACE_SECONDS`], like `/v1` keys; a revoked key stops at once.

use serde::Deserialize;
use serde_json::{Value, json};

pub use adspin_core::api_keys::ROTATION_GRACE_SECONDS;
use adspin_core::body::parse_json;
use adspin_core::db::{Database, transaction};
use adspin_core::money::Micros;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Query, Response, json_response};

use crate::AgentsError;
use crate::auth::{Caller, insufficient_scope};
use crate::pages::PageRequest;
use crate::safety::spend;
use crate::scopes::Scope;
use crate::store::{self, KeyRecord, Mode, NewKey};
use crate::text;

/// Longest key name, in characters.
const MAX_NAME_LENGTH: usize = 100;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKeyRequest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
    #[serde(default)]
    mode: Option<String>,
    /// The most committed daily spend (dollars) the key may bring the
    /// account to (`safety::spend`).
    #[serde(default)]
    spend_cap: Option<f64>,
}

/// How the key endpoints show a key (never its secret), with its spend
/// cap in dollars a day (`null`: none).
pub fn view(key: &KeyRecord, spend_cap: Option<Micros>, now: UnixSeconds) -> Value {
    json!({
        "id": key.id,
        "name": key.name,
        "key_prefix": key.prefix,
        "mode": key.mode.as_str(),
        "scopes": key.scopes,
        "status": key.status(now),
        "created_at": key.created_at.to_iso8601_numeric_offset(),
        "expires_at": key.expires_at.map(UnixSeconds::to_iso8601_numeric_offset),
        "revoked_at": key.revoked_at.map(UnixSeconds::to_iso8601_numeric_offset),
        "spend_cap": spend_cap.map(Micros::to_dollars),
    })
}

/// `POST /auth/keys`: `201` with the key and its secret.
pub fn create(
    db: &impl Database,
    caller: &Caller,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::AccountWrite)?;
    let request: NewKeyRequest = parse_json(body)?;
    // A name is optional: empty is none.
    let name = match request.name.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(name) => Some(text::checked("name", name, MAX_NAME_LENGTH)?),
    };
    let scopes = match &request.scopes {
        None => caller.key.scopes.clone(),
        Some(names) => parse_scopes(names)?,
    };
    let mode = match request.mode.as_deref() {
        None => caller.mode(),
        Some(text) => Mode::parse(text)
            .ok_or_else(|| AgentsError::validation("mode", "mode must be live or test."))?,
    };
    within_caller(caller, &scopes)?;
    let spend_cap = spend_cap(db, caller, request.spend_cap)?;
    transaction(db, || {
        let (record, secret) = store::mint_key(
            db,
            &NewKey {
                organization_id: caller.organization_id(),
                user_id: caller.key.user_id,
                mode,
                name,
                scopes: &scopes,
                oauth_expires_at: None,
            },
            now,
        )?;
        spend::set_cap(db, record.seq, spend_cap)?;
        Ok(json_response(
            201,
            &created(&record, &secret, spend_cap, now),
        ))
    })
}

/// `GET /auth/keys`: the account's keys, newest first, in cursor pages.
pub fn list(
    db: &impl Database,
    caller: &Caller,
    query: &Query,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::AccountRead)?;
    let page = PageRequest::from_query(query)?;
    let organization = caller.organization_id();
    let rows = store::list_keys(db, organization, &page)?;
    let total = store::count_keys(db, organization)?;
    let caps = rows
        .iter()
        .map(|key| spend::cap(db, key.seq))
        .collect::<Result<Vec<_>, _>>()?;
    let rows: Vec<_> = rows.into_iter().zip(caps).collect();
    Ok(json_response(
        200,
        &page.page(
            rows,
            total,
            |(key, _)| key.seq,
            |(key, cap)| view(key, *cap, now),
        ),
    ))
}

/// `POST /auth/keys/{id}/rotate`: a new key with the same name, mode and
/// scopes; the old one ends after the grace window.
pub fn rotate(
    db: &impl Database,
    caller: &Caller,
    id: &str,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::AccountWrite)?;
    transaction(db, || {
        let old = usable_key(db, caller, id, now)?;
        within_caller(caller, &old.scopes)?;
        let ends_at = now.plus_seconds(ROTATION_GRACE_SECONDS);
        store::expire_key(db, old.seq, ends_at)?;
        let (record, secret) = store::mint_key(
            db,
            &NewKey {
                organization_id: old.organization_id,
                user_id: old.user_id,
                mode: old.mode,
                name: old.name.as_deref(),
                scopes: &old.scopes,
                oauth_expires_at: None,
            },
            now,
        )?;
        let cap = spend::cap(db, old.seq)?;
        spend::set_cap(db, record.seq, cap)?;
        let mut body = created(&record, &secret, cap, now);
        body["rotated_key"] = json!({
            "id": old.id,
            "expires_at": old.expires_at.map_or(ends_at, |at| at.min(ends_at)).to_iso8601_numeric_offset(),
        });
        Ok(json_response(201, &body))
    })
}

/// `DELETE /auth/keys/{id}`: `204`; the key stops at once.
pub fn revoke(
    db: &impl Database,
    caller: &Caller,
    id: &str,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::AccountWrite)?;
    let key = store::find_key(db, caller.organization_id(), id)?.ok_or_else(|| not_found(id))?;
    store::revoke_key(db, key.seq, now)?;
    Ok(adspin_core::web::no_content())
}

/// The caller's organization's key `id`, unless it is revoked or expired
/// (`409 key_inactive`); another organization's key reads as missing.
fn usable_key(
    db: &impl Database,
    caller: &Caller,
    id: &str,
    now: UnixSeconds,
) -> Result<KeyRecord, AgentsError> {
    let key = store::find_key(db, caller.organization_id(), id)?.ok_or_else(|| not_found(id))?;
    match key.status(now) {
        "active" | "expiring" => Ok(key),
        status => Err(AgentsError::new(
            409,
            "key_inactive",
            format!("The key is {status}; only active keys can be rotated."),
        )),
    }
}

fn not_found(id: &str) -> AgentsError {
    AgentsError::new(404, "not_found", format!("No key {id} in this account."))
}

/// The spend cap of a new key: the one asked for, which may not exceed
/// the caller's own (a capped key makes no key without a cap: without
/// one asked for, the new key gets the caller's).
fn spend_cap(
    db: &impl Database,
    caller: &Caller,
    asked: Option<f64>,
) -> Result<Option<Micros>, AgentsError> {
    let asked = asked
        .map(|dollars| spend::dollars("spend_cap", dollars, 1.0))
        .transpose()?;
    let own = spend::cap(db, caller.key.seq)?;
    match (asked, own) {
        (Some(asked), Some(own)) if asked > own => Err(AgentsError::validation(
            "spend_cap",
            format!(
                "spend_cap may not exceed this key's own spend cap of ${:.2} a day.",
                own.to_dollars()
            ),
        )),
        (asked, own) => Ok(asked.or(own)),
    }
}

/// A new key's view with its secret, shown this once.
fn created(record: &KeyRecord, secret: &str, spend_cap: Option<Micros>, now: UnixSeconds) -> Value {
    let mut body = view(record, spend_cap, now);
    body["api_key"] = Value::String(secret.to_string());
    body
}

fn parse_scopes(names: &[String]) -> Result<Vec<Scope>, AgentsError> {
    if names.is_empty() {
        return Err(AgentsError::validation(
            "scopes",
            "scopes must name at least one scope.",
        ));
    }
    let mut scopes = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let scope = Scope::parse(name.trim()).ok_or_else(|| {
            AgentsError::validation(
                &format!("scopes[{index}]"),
                format!("Unknown scope {name:?}; the scopes are {}.", all_names()),
            )
        })?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    Ok(scopes)
}

fn all_names() -> String {
    Scope::ALL.map(Scope::as_str).join(", ")
}

/// `403 insufficient_scope` when `scopes` asks for one the caller lacks.
fn within_caller(caller: &Caller, scopes: &[Scope]) -> Result<(), AgentsError> {
    let missing: Vec<Scope> = scopes
        .iter()
        .copied()
        .filter(|scope| !caller.key.scopes.contains(scope))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(insufficient_scope(&missing))
    }
}

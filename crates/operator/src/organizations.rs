//! Organizations: create and read them, put a payment method on file,
//! mint and revoke keys for every surface, and issue dashboard session
//! tokens.

use adspin_core::api_error::ApiError;
use adspin_core::api_keys::{self, Environment, KeyError, KeyKind};
use adspin_core::body::parse_json;
use adspin_core::catalog::fields;
use adspin_core::db::Database;
use adspin_core::ids::{ApiKeyId, OrganizationId};
use adspin_core::jwt::{self, Claims, Role};
use adspin_core::time::UnixSeconds;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::store;
use crate::{AdminSecrets, Outcome};

/// Longest dashboard session a token may grant: 30 days.
pub const MAX_TOKEN_TTL_SECONDS: i64 = 30 * 86_400;
/// Dashboard session length when none is asked for: 1 hour.
pub const DEFAULT_TOKEN_TTL_SECONDS: i64 = 3_600;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateOrganization {
    name: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    currency_code: Option<String>,
}

/// The organization `id` of the path, and its JSON view (404 when there
/// is none).
pub(crate) fn load_organization(
    db: &impl Database,
    id: &str,
) -> Result<(OrganizationId, Value), ApiError> {
    let missing = || ApiError::not_found("organization", id);
    let organization = OrganizationId::parse(id).ok_or_else(missing)?;
    let found = store::find_organization(db, organization)?.ok_or_else(missing)?;
    Ok((organization, json!(found)))
}

pub(crate) fn create_organization(db: &impl Database, body: &[u8], now: UnixSeconds) -> Outcome {
    let request: CreateOrganization = parse_json(body)?;
    fields::text("name", &request.name, 1, 200)?;
    if let Some(url) = &request.url {
        fields::url("url", url)?;
    }
    let timezone = request.timezone.unwrap_or_else(|| "UTC".to_string());
    fields::text("timezone", &timezone, 1, 64)?;
    let currency = request.currency_code.unwrap_or_else(|| "USD".to_string());
    if !adspin_core::currency::is_currency(&currency) {
        return Err(ApiError::invalid_value(
            "currency_code",
            "currency_code must be an ISO 4217 code such as USD.",
        ));
    }
    let id = OrganizationId::new_random();
    store::insert_organization(
        db,
        store::NewOrganization {
            id,
            name: request.name,
            url: request.url,
            timezone,
            currency_code: currency,
        },
        now,
    )?;
    let (_, view) = load_organization(db, &id.to_string())?;
    Ok((201, view))
}

pub(crate) fn find_organization(db: &impl Database, id: &str) -> Outcome {
    Ok((200, load_organization(db, id)?.1))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetBilling {
    payment_method: String,
}

pub(crate) fn set_billing(db: &impl Database, id: &str, body: &[u8], now: UnixSeconds) -> Outcome {
    let request: SetBilling = parse_json(body)?;
    fields::text("payment_method", &request.payment_method, 1, 255)?;
    let (organization, _) = load_organization(db, id)?;
    store::set_payment_method(db, organization, &request.payment_method, now)?;
    Ok((200, load_organization(db, id)?.1))
}

pub(crate) fn remove_billing(db: &impl Database, id: &str) -> Outcome {
    let (organization, _) = load_organization(db, id)?;
    store::remove_payment_method(db, organization)?;
    Ok((200, load_organization(db, id)?.1))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MintKey {
    kind: KeyKind,
    #[serde(default)]
    environment: Option<Environment>,
    #[serde(default)]
    label: Option<String>,
}

/// Revokes any key of an organization at once (no grace window).
pub(crate) fn revoke_key(db: &impl Database, id: &str, key: &str, now: UnixSeconds) -> Outcome {
    let (organization, _) = load_organization(db, id)?;
    let missing = || ApiError::not_found("api_key", key);
    let key_id = ApiKeyId::parse(key).ok_or_else(missing)?;
    let kind = store::find_key_kind(db, organization, key_id)?.ok_or_else(missing)?;
    let record =
        api_keys::revoke(db, organization, kind, key_id, now).map_err(|error| match error {
            KeyError::NotFound => missing(),
            KeyError::Db(error) => error.into(),
            other => ApiError::internal_because(format_args!("revoking a key: {other}")),
        })?;
    Ok((
        200,
        json!({
            "id": record.id.to_string(),
            "organization_id": organization.to_string(),
            "kind": record.kind,
            "prefix": record.prefix,
            "revoked_at": record.revoked_at,
        }),
    ))
}

pub(crate) fn mint_key(db: &impl Database, id: &str, body: &[u8], now: UnixSeconds) -> Outcome {
    let request: MintKey = parse_json(body)?;
    let (organization, _) = load_organization(db, id)?;
    let environment = match (request.kind, request.environment) {
        (KeyKind::Publisher, None) => Some(Environment::Staging),
        (KeyKind::Publisher, environment) => environment,
        (_, Some(_)) => {
            return Err(ApiError::invalid_value(
                "environment",
                "Only publisher keys have an environment.",
            ));
        }
        (_, None) => None,
    };
    if let Some(label) = &request.label {
        fields::text("label", label, 1, 100)?;
    }
    let minted = api_keys::mint(
        db,
        organization,
        request.kind,
        environment,
        request.label.as_deref(),
        now,
    )
    .map_err(|error| match error {
        KeyError::ActiveKeyExists => ApiError::conflict(
            "active_key_exists",
            "The organization already has an active advertiser key; rotate or revoke it first.",
        ),
        KeyError::Db(error) => error.into(),
        other => ApiError::internal_because(format_args!("minting a key: {other}")),
    })?;
    Ok((
        201,
        json!({
            "id": minted.record.id.to_string(),
            "organization_id": organization.to_string(),
            "kind": minted.record.kind,
            "environment": minted.record.environment,
            "label": minted.record.label,
            "prefix": minted.record.prefix,
            "key": minted.secret,
            "created_at": minted.record.created_at,
        }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MintDashboardToken {
    subject: String,
    role: Role,
    #[serde(default)]
    ttl_seconds: Option<i64>,
}

pub(crate) fn mint_dashboard_token(
    db: &impl Database,
    id: &str,
    body: &[u8],
    now: UnixSeconds,
    secrets: &AdminSecrets<'_>,
) -> Outcome {
    let request: MintDashboardToken = parse_json(body)?;
    fields::text("subject", &request.subject, 1, 200)?;
    let ttl = request.ttl_seconds.unwrap_or(DEFAULT_TOKEN_TTL_SECONDS);
    if !(60..=MAX_TOKEN_TTL_SECONDS).contains(&ttl) {
        return Err(ApiError::invalid_value(
            "ttl_seconds",
            format!("ttl_seconds must be between 60 and {MAX_TOKEN_TTL_SECONDS}."),
        ));
    }
    if secrets.dashboard_jwt_secret.is_empty() {
        return Err(ApiError::invalid_request(
            "dashboard_tokens_disabled",
            "The dashboard_jwt_secret variable is not set, so no dashboard token can be issued.",
        ));
    }
    let (organization, _) = load_organization(db, id)?;
    let claims = Claims {
        sub: request.subject,
        org: organization.to_string(),
        role: request.role,
        iat: now.get(),
        exp: now.get() + ttl,
    };
    let token = jwt::sign(&claims, secrets.dashboard_jwt_secret);
    Ok((
        201,
        json!({ "token": token, "organization_id": claims.org, "role": claims.role, "expires_at": claims.exp }),
    ))
}

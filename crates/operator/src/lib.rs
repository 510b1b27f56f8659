//! The operator surface (`/admin/...`): what platform staff do by hand.
//! Create organizations, put a payment method on file, mint and revoke keys
//! for every surface and dashboard session tokens, review campaigns, set up
//! publishers and DSPs, and import other supplies' delivery reports.
//!
//! Authenticated by `Authorization: Bearer <admin token>`, the `admin_token`
//! Spin variable, compared in constant time. Bodies and errors follow the
//! `/v1` conventions.

use serde::Deserialize;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use adspin_core::api_error::ApiError;
use adspin_core::api_keys::{self, Environment, KeyError, KeyKind};
use adspin_core::body::parse_json;
use adspin_core::catalog::fields::{self, ReviewStatus};
use adspin_core::catalog::store;
use adspin_core::clock::Clock;
use adspin_core::db::Database;
use adspin_core::env::Env;
use adspin_core::ids::{ApiKeyId, CampaignId, OrganizationId};
use adspin_core::jwt::{self, Claims, Role};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Query, Request, Response, header, json_response};

pub mod supply;

/// Longest dashboard session a token may grant: 30 days.
pub const MAX_TOKEN_TTL_SECONDS: i64 = 30 * 86_400;
/// Dashboard session length when none is asked for: 1 hour.
pub const DEFAULT_TOKEN_TTL_SECONDS: i64 = 3_600;

/// Serves one `/admin` request.
pub async fn handle(env: &impl Env, request: Request) -> Response {
    let db = match env.db() {
        Ok(db) => db,
        Err(error) => return ApiError::from(error).to_response(),
    };
    let admin_token = env.variable("admin_token").unwrap_or_default();
    let dashboard_jwt_secret = env.variable("dashboard_jwt_secret").unwrap_or_default();
    let secrets = AdminSecrets {
        admin_token: &admin_token,
        dashboard_jwt_secret: dashboard_jwt_secret.as_bytes(),
    };
    let now = env.clock().now();
    let outcome =
        authorize(&request, secrets.admin_token).and_then(|()| route(db, &request, now, &secrets));
    match outcome {
        Ok((status, body)) => json_response(status, &body),
        Err(error) => error.to_response(),
    }
}

/// Secrets the operator surface needs.
struct AdminSecrets<'a> {
    admin_token: &'a str,
    dashboard_jwt_secret: &'a [u8],
}

fn authorize(request: &Request, admin_token: &str) -> Result<(), ApiError> {
    let Some(header) = header(request, "authorization") else {
        return Err(ApiError::auth_required());
    };
    let presented = adspin_core::web::bearer_token(header).unwrap_or_default();
    let matches: bool = presented.as_bytes().ct_eq(admin_token.as_bytes()).into();
    if admin_token.is_empty() || !matches {
        return Err(ApiError::invalid_api_key());
    }
    Ok(())
}

type Outcome = Result<(u16, Value), ApiError>;

fn route(
    db: &impl Database,
    request: &Request,
    now: UnixSeconds,
    secrets: &AdminSecrets<'_>,
) -> Outcome {
    let method = request.method().as_str();
    let path = request.uri().path();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let body = request.body().as_slice();
    match (method, segments.as_slice()) {
        ("POST", ["admin", "organizations"]) => create_organization(db, body, now),
        ("GET", ["admin", "organizations", id]) => find_organization(db, id),
        ("PUT", ["admin", "organizations", id, "billing"]) => set_billing(db, id, body, now),
        ("DELETE", ["admin", "organizations", id, "billing"]) => remove_billing(db, id),
        ("POST", ["admin", "organizations", id, "api-keys"]) => mint_key(db, id, body, now),
        ("POST", ["admin", "organizations", id, "api-keys", key, "revoke"]) => {
            revoke_key(db, id, key, now)
        }
        ("PUT", ["admin", "organizations", id, "supply-reports"]) => {
            supply::import(db, id, body, now)
        }
        ("POST", ["admin", "organizations", id, "dashboard-tokens"]) => {
            mint_dashboard_token(db, id, body, now, secrets)
        }
        ("GET", ["admin", "campaigns"]) => {
            list_campaigns_for_review(db, &Query::from_request(request))
        }
        ("GET", ["admin", "publishers", id]) => find_publisher(db, id),
        ("PUT", ["admin", "publishers", id]) => set_publisher(db, id, body, now),
        ("GET", ["admin", "dsps"]) => list_dsps(db),
        ("PUT", ["admin", "dsps", id]) => set_dsp(db, id, body, now),
        ("DELETE", ["admin", "dsps", id]) => delete_dsp(db, id),
        ("POST", ["admin", "campaigns", id, "approve"]) => {
            review(db, id, ReviewStatus::Approved, now)
        }
        ("POST", ["admin", "campaigns", id, "reject"]) => {
            review(db, id, ReviewStatus::Rejected, now)
        }
        _ => Err(ApiError::unknown_path(method, path)),
    }
}

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

fn organization_view(row: &adspin_core::db::Row) -> Value {
    json!({
        "id": row.text(0),
        "name": row.text(1),
        "url": row.text(2),
        "timezone": row.text(3),
        "currency_code": row.text(4),
        "payment_method": row.text(5),
        "created_at": row.integer(6),
    })
}

pub(crate) fn load_organization(
    db: &impl Database,
    id: &str,
) -> Result<(OrganizationId, Value), ApiError> {
    let missing = || ApiError::not_found("organization", id);
    let organization = OrganizationId::parse(id).ok_or_else(missing)?;
    let row = db
        .query_row(
            "SELECT o.id, o.name, o.url, o.timezone, o.currency_code, b.payment_method, o.created_at
             FROM organizations o LEFT JOIN billing_profiles b ON b.organization_id = o.id WHERE o.id = ?1",
            &[organization.to_string().into()],
        )?
        .ok_or_else(missing)?;
    Ok((organization, organization_view(&row)))
}

fn create_organization(db: &impl Database, body: &[u8], now: UnixSeconds) -> Outcome {
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
    db.execute(
        "INSERT INTO organizations (id, name, url, timezone, currency_code, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        &[
            id.to_string().into(),
            request.name.into(),
            request.url.into(),
            timezone.into(),
            currency.into(),
            now.get().into(),
        ],
    )?;
    let (_, view) = load_organization(db, &id.to_string())?;
    Ok((201, view))
}

fn find_organization(db: &impl Database, id: &str) -> Outcome {
    Ok((200, load_organization(db, id)?.1))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetBilling {
    payment_method: String,
}

fn set_billing(db: &impl Database, id: &str, body: &[u8], now: UnixSeconds) -> Outcome {
    let request: SetBilling = parse_json(body)?;
    fields::text("payment_method", &request.payment_method, 1, 255)?;
    let (organization, _) = load_organization(db, id)?;
    db.execute(
        "INSERT INTO billing_profiles (organization_id, payment_method, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (organization_id) DO UPDATE SET payment_method = excluded.payment_method, updated_at = excluded.updated_at",
        &[organization.to_string().into(), request.payment_method.into(), now.get().into()],
    )?;
    Ok((200, load_organization(db, id)?.1))
}

fn remove_billing(db: &impl Database, id: &str) -> Outcome {
    let (organization, _) = load_organization(db, id)?;
    db.execute(
        "DELETE FROM billing_profiles WHERE organization_id = ?1",
        &[organization.to_string().into()],
    )?;
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
fn revoke_key(db: &impl Database, id: &str, key: &str, now: UnixSeconds) -> Outcome {
    let (organization, _) = load_organization(db, id)?;
    let missing = || ApiError::not_found("api_key", key);
    let key_id = ApiKeyId::parse(key).ok_or_else(missing)?;
    let kind = db
        .query_row(
            "SELECT kind FROM api_keys WHERE id = ?1 AND organization_id = ?2",
            &[key_id.to_string().into(), organization.to_string().into()],
        )?
        .and_then(|row| row.text(0).and_then(KeyKind::parse))
        .ok_or_else(missing)?;
    let record =
        api_keys::revoke(db, organization, kind, key_id, now).map_err(|error| match error {
            KeyError::NotFound => missing(),
            KeyError::Db(error) => error.into(),
            other => {
                eprintln!("revoking a key failed: {other}");
                ApiError::internal()
            }
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

fn mint_key(db: &impl Database, id: &str, body: &[u8], now: UnixSeconds) -> Outcome {
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
        other => {
            eprintln!("minting a key failed: {other}");
            ApiError::internal()
        }
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

fn mint_dashboard_token(
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

fn list_campaigns_for_review(db: &impl Database, query: &Query) -> Outcome {
    let review_status = query.get("review_status").unwrap_or("in_review");
    if ReviewStatus::parse(review_status).is_none() {
        return Err(ApiError::invalid_value(
            "review_status",
            "review_status must be in_review, approved or rejected.",
        ));
    }
    let rows = db.execute(
        "SELECT id, organization_id, name, status, review_status, created_at FROM campaigns
         WHERE review_status = ?1 ORDER BY seq LIMIT 500",
        &[review_status.into()],
    )?;
    let data: Vec<Value> = rows
        .iter()
        .map(|row| {
            json!({
                "id": row.text(0), "organization_id": row.text(1), "name": row.text(2),
                "status": row.text(3), "review_status": row.text(4), "created_at": row.integer(5),
            })
        })
        .collect();
    Ok((
        200,
        json!({ "object": "list", "data": data, "count": data.len() }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublisherSettings {
    #[serde(default)]
    allowed_origins: Option<Vec<String>>,
    #[serde(default)]
    rate_limit_per_second: Option<i64>,
    #[serde(default)]
    floor_cpm_micros: Option<i64>,
    #[serde(default)]
    ad_offset: Option<i64>,
    #[serde(default)]
    max_frequency: Option<i64>,
    #[serde(default, deserialize_with = "fields::nullable")]
    max_headline_chars: Option<Option<i64>>,
    #[serde(default)]
    image_enabled: Option<bool>,
}

const PUBLISHER_DEFAULTS: &str = "INSERT OR IGNORE INTO publishers (organization_id, created_at, updated_at) VALUES (?1, ?2, ?2)";

fn publisher_view(db: &impl Database, organization: OrganizationId) -> Result<Value, ApiError> {
    let row = db
        .query_row(
            "SELECT allowed_origins, rate_limit_per_second, floor_cpm_micros, ad_offset, max_frequency,
                    max_headline_chars, image_enabled
             FROM publishers WHERE organization_id = ?1",
            &[organization.to_string().into()],
        )?
        .ok_or_else(ApiError::internal)?;
    let origins: Value = serde_json::from_str(row.text(0).unwrap_or("[]")).unwrap_or(Value::Null);
    Ok(json!({
        "organization_id": organization.to_string(),
        "allowed_origins": origins,
        "rate_limit_per_second": row.integer(1),
        "floor_cpm_micros": row.integer(2),
        "ad_offset": row.integer(3),
        "max_frequency": row.integer(4),
        "max_headline_chars": row.integer(5),
        "image_enabled": row.integer(6) == Some(1),
    }))
}

fn find_publisher(db: &impl Database, id: &str) -> Outcome {
    let (organization, _) = load_organization(db, id)?;
    db.execute(
        PUBLISHER_DEFAULTS,
        &[
            organization.to_string().into(),
            UnixSeconds::now().get().into(),
        ],
    )?;
    Ok((200, publisher_view(db, organization)?))
}

/// Sets a publisher's settings; fields left out keep their value.
fn set_publisher(db: &impl Database, id: &str, body: &[u8], now: UnixSeconds) -> Outcome {
    let settings: PublisherSettings = parse_json(body)?;
    let (organization, _) = load_organization(db, id)?;
    if let Some(origins) = &settings.allowed_origins {
        for (index, origin) in origins.iter().enumerate() {
            let param = format!("allowed_origins[{index}]");
            let wildcard = origin.replacen("://*.", "://wildcard.", 1);
            if origin != "*"
                && url::Url::parse(&wildcard)
                    .map_or(true, |u| u.path() != "/" || u.query().is_some())
            {
                return Err(ApiError::invalid_value(
                    param,
                    "Origins are scheme://host[:port] (a leading *. is allowed), or *.",
                ));
            }
        }
    }
    let checks = [
        (
            "rate_limit_per_second",
            settings.rate_limit_per_second,
            1,
            100_000,
        ),
        (
            "floor_cpm_micros",
            settings.floor_cpm_micros,
            0,
            1_000_000_000,
        ),
        ("ad_offset", settings.ad_offset, 0, 1_000),
        ("max_frequency", settings.max_frequency, 0, 1_000),
        (
            "max_headline_chars",
            settings.max_headline_chars.flatten(),
            30,
            1_000,
        ),
    ];
    for (param, value, min, max) in checks {
        if let Some(value) = value
            && !(min..=max).contains(&value)
        {
            return Err(ApiError::invalid_value(
                param,
                format!("{param} must be between {min} and {max}."),
            ));
        }
    }
    let org = organization.to_string();
    db.execute(PUBLISHER_DEFAULTS, &[org.as_str().into(), now.get().into()])?;
    db.execute(
        "UPDATE publishers SET
             allowed_origins = COALESCE(?2, allowed_origins),
             rate_limit_per_second = COALESCE(?3, rate_limit_per_second),
             floor_cpm_micros = COALESCE(?4, floor_cpm_micros),
             ad_offset = COALESCE(?5, ad_offset),
             max_frequency = COALESCE(?6, max_frequency),
             max_headline_chars = CASE WHEN ?7 THEN ?8 ELSE max_headline_chars END,
             image_enabled = COALESCE(?9, image_enabled),
             updated_at = ?10
         WHERE organization_id = ?1",
        &[
            org.as_str().into(),
            settings
                .allowed_origins
                .map(|o| serde_json::to_string(&o).unwrap_or_else(|_| "[]".into()))
                .into(),
            settings.rate_limit_per_second.into(),
            settings.floor_cpm_micros.into(),
            settings.ad_offset.into(),
            settings.max_frequency.into(),
            settings.max_headline_chars.is_some().into(),
            settings.max_headline_chars.flatten().into(),
            settings.image_enabled.into(),
            now.get().into(),
        ],
    )?;
    Ok((200, publisher_view(db, organization)?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DspSettings {
    name: String,
    bid_url: String,
    #[serde(default)]
    render_url: Option<String>,
    #[serde(default)]
    auth_token: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    timeout_ms: Option<i64>,
}

fn dsp_view(row: &adspin_core::db::Row) -> Value {
    json!({
        "id": row.text(0), "name": row.text(1), "bid_url": row.text(2), "render_url": row.text(3),
        "has_auth_token": row.text(4).is_some(), "enabled": row.integer(5) == Some(1), "timeout_ms": row.integer(6),
    })
}

const DSP_COLUMNS: &str = "id, name, bid_url, render_url, auth_token, enabled, timeout_ms";

fn list_dsps(db: &impl Database) -> Outcome {
    let rows = db.execute(&format!("SELECT {DSP_COLUMNS} FROM dsps ORDER BY id"), &[])?;
    let data: Vec<Value> = rows.iter().map(dsp_view).collect();
    Ok((
        200,
        json!({ "object": "list", "data": data, "count": data.len() }),
    ))
}

/// Registers or replaces a DSP. Its auth token is write-only.
fn set_dsp(db: &impl Database, id: &str, body: &[u8], now: UnixSeconds) -> Outcome {
    let settings: DspSettings = parse_json(body)?;
    let valid_id = (2..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid_id {
        return Err(ApiError::invalid_value(
            "id",
            "A DSP id is 2 to 64 lowercase letters, digits or underscores.",
        ));
    }
    fields::text("name", &settings.name, 1, 100)?;
    fields::url("bid_url", &settings.bid_url)?;
    if let Some(render_url) = &settings.render_url {
        fields::url("render_url", render_url)?;
    }
    let timeout = settings.timeout_ms.unwrap_or(3000);
    if !(10..=10_000).contains(&timeout) {
        return Err(ApiError::invalid_value(
            "timeout_ms",
            "timeout_ms must be between 10 and 10000.",
        ));
    }
    db.execute(
        "INSERT INTO dsps (id, name, bid_url, render_url, auth_token, enabled, timeout_ms, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, bid_url = excluded.bid_url,
             render_url = excluded.render_url, auth_token = excluded.auth_token, enabled = excluded.enabled,
             timeout_ms = excluded.timeout_ms, updated_at = excluded.updated_at",
        &[
            id.into(),
            settings.name.into(),
            settings.bid_url.into(),
            settings.render_url.into(),
            settings.auth_token.into(),
            settings.enabled.unwrap_or(true).into(),
            timeout.into(),
            now.get().into(),
        ],
    )?;
    let row = db
        .query_row(
            &format!("SELECT {DSP_COLUMNS} FROM dsps WHERE id = ?1"),
            &[id.into()],
        )?
        .ok_or_else(ApiError::internal)?;
    Ok((200, dsp_view(&row)))
}

fn delete_dsp(db: &impl Database, id: &str) -> Outcome {
    let deleted = db.execute("DELETE FROM dsps WHERE id = ?1 RETURNING id", &[id.into()])?;
    if deleted.is_empty() {
        return Err(ApiError::not_found("DSP", id));
    }
    Ok((200, json!({ "id": id, "deleted": true })))
}

/// Approves or rejects a campaign; its ads inherit the review. A rejected
/// campaign stops serving (it is paused unless archived).
fn review(db: &impl Database, id: &str, decision: ReviewStatus, now: UnixSeconds) -> Outcome {
    let missing = || ApiError::not_found("campaign", id);
    let campaign_id = CampaignId::parse(id).ok_or_else(missing)?;
    let row = db
        .query_row(
            "SELECT organization_id FROM campaigns WHERE id = ?1",
            &[campaign_id.to_string().into()],
        )?
        .ok_or_else(missing)?;
    let organization = row
        .text(0)
        .and_then(OrganizationId::parse)
        .ok_or_else(missing)?;
    db.execute(
        "UPDATE campaigns SET review_status = ?1,
             status = CASE WHEN ?1 = 'rejected' AND status = 'active' THEN 'paused' ELSE status END,
             updated_at = ?2
         WHERE id = ?3",
        &[
            decision.as_str().into(),
            now.get().into(),
            campaign_id.to_string().into(),
        ],
    )?;
    let campaign = store::find_campaign(db, organization, campaign_id)?.ok_or_else(missing)?;
    let mut view = serde_json::to_value(campaign.resource()).unwrap_or(Value::Null);
    view["organization_id"] = Value::String(organization.to_string());
    Ok((200, view))
}

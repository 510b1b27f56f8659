//! The operator surface (`/admin/...`): what platform staff do by hand.
//! Create organizations, put a payment method on file, mint keys for every
//! surface and dashboard session tokens, and review campaigns.
//!
//! Authenticated by `Authorization: Bearer <admin token>`, the `admin_token`
//! Spin variable, compared in constant time. Bodies and errors follow the
//! `/v1` conventions.

use serde::Deserialize;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use crate::advertiser::ApiError;
use crate::advertiser::auth::bearer_token;
use crate::advertiser::fields::{self, ReviewStatus};
use crate::advertiser::store;
use crate::api_keys::{self, Environment, KeyError, KeyKind};
use crate::body::parse_json;
use crate::db::Database;
use crate::ids::{CampaignId, OrganizationId};
use crate::jwt::{self, Claims, Role};
use crate::time::UnixSeconds;
use crate::web::{Query, Request, Response, header, json_response};

/// Longest dashboard session a token may grant: 30 days.
pub const MAX_TOKEN_TTL_SECONDS: i64 = 30 * 86_400;
/// Dashboard session length when none is asked for: 1 hour.
pub const DEFAULT_TOKEN_TTL_SECONDS: i64 = 3_600;

/// Secrets the operator surface needs.
pub struct AdminSecrets<'a> {
    pub admin_token: &'a str,
    pub dashboard_jwt_secret: &'a [u8],
}

/// Serves one `/admin` request.
pub fn handle(
    db: &impl Database,
    request: &Request,
    now: UnixSeconds,
    secrets: &AdminSecrets<'_>,
) -> Response {
    let outcome =
        authorize(request, secrets.admin_token).and_then(|()| route(db, request, now, secrets));
    match outcome {
        Ok((status, body)) => json_response(status, &body),
        Err(error) => error.to_response(),
    }
}

fn authorize(request: &Request, admin_token: &str) -> Result<(), ApiError> {
    let Some(header) = header(request, "authorization") else {
        return Err(ApiError::auth_required());
    };
    let presented = bearer_token(header).unwrap_or_default();
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
        ("POST", ["admin", "organizations", id, "dashboard-tokens"]) => {
            mint_dashboard_token(db, id, body, now, secrets)
        }
        ("GET", ["admin", "campaigns"]) => {
            list_campaigns_for_review(db, &Query::from_request(request))
        }
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

fn organization_view(row: &crate::db::Row) -> Value {
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

fn load_organization(db: &impl Database, id: &str) -> Result<(OrganizationId, Value), ApiError> {
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
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
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

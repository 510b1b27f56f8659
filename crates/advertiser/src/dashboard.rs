//! Dashboard-side key management for the Advertiser API:
//! `/api/organizations/{org}/api-keys[/{key_id}[/rotate|/revoke]]`.
//!
//! These endpoints use the platform envelope
//! (`{success, data, error, meta}`) and ISO 8601 timestamps, and take a
//! dashboard session token (`Authorization: Bearer <JWT>`, or the
//! dashboard page's session cookie beside the `x-adspin-dashboard` header)
//! whose user is an owner or admin of the organization in the path.

use serde_json::{Value, json};

use adspin_core::api_keys::{self, KeyError, KeyKind, KeyRecord, MintedKey};
use adspin_core::body::parse_json;
use adspin_core::db::Database;
use adspin_core::error::{RequestInfo, SurfaceError, respond};
use adspin_core::ids::{ApiKeyId, OrganizationId};
use adspin_core::jwt;
use adspin_core::time::{UnixSeconds, now_iso8601_micros};
use adspin_core::web::{Body, ReadError, Request, Response, header, json_response, read_body};

/// An error in the envelope's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardError {
    status: u16,
    code: &'static str,
    message: String,
    /// The internal failure behind a 500, for the log only.
    cause: Option<String>,
    /// The methods a 405's path takes (the `Allow` header).
    allow: Option<&'static str>,
}

impl DashboardError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            cause: None,
            allow: None,
        }
    }

    fn not_found(what: &str) -> Self {
        Self::new(404, "not_found", format!("{what} not found."))
    }

    fn internal() -> Self {
        Self::new(
            500,
            "internal_error",
            "The server had an error while processing the request.",
        )
    }
}

impl From<KeyError> for DashboardError {
    fn from(error: KeyError) -> Self {
        match error {
            KeyError::ActiveKeyExists => Self::new(
                409,
                "active_key_exists",
                "The organization already has an active API key; rotate or revoke it first.",
            ),
            KeyError::NotFound => Self::not_found("API key"),
            KeyError::NotActive => Self::new(
                409,
                "key_not_active",
                "Only the active API key can be rotated.",
            ),
            KeyError::Db(error) => error.into(),
        }
    }
}

impl From<ReadError> for DashboardError {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::TooLarge { .. } => Self::new(413, "payload_too_large", error.to_string()),
            ReadError::Failed(_) => Self::new(
                400,
                "invalid_request",
                "The request body could not be read to its end.",
            ),
        }
    }
}

impl From<adspin_core::db::DbError> for DashboardError {
    fn from(error: adspin_core::db::DbError) -> Self {
        let mut internal = Self::internal();
        internal.cause = Some(format!("database: {error}"));
        internal
    }
}

impl SurfaceError for DashboardError {
    fn status(&self) -> u16 {
        self.status
    }

    fn render(&self, request: &RequestInfo) -> Response {
        let mut response = envelope(self.status, Value::Null, Some(self), &request.id);
        if let Some(allow) = self.allow {
            response
                .headers_mut()
                .insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
        }
        response
    }

    fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }
}

fn envelope(
    status: u16,
    data: Value,
    error: Option<&DashboardError>,
    request_id: &str,
) -> Response {
    json_response(
        status,
        &json!({
            "success": error.is_none(),
            "data": data,
            "error": error.map(|e| json!({ "code": e.code, "message": e.message })),
            "meta": { "request_id": request_id, "timestamp": now_iso8601_micros() },
        }),
    )
}

fn iso(time: Option<UnixSeconds>) -> Value {
    time.map_or(Value::Null, |time| Value::String(time.to_iso8601()))
}

/// A key as the dashboard shows it (never the secret).
fn key_view(record: &KeyRecord, now: UnixSeconds) -> Value {
    json!({
        "id": record.id.to_string(),
        "prefix": record.prefix,
        "label": record.label,
        "status": record.status(now),
        "created_at": iso(Some(record.created_at)),
        "expires_at": iso(record.expires_at),
        "revoked_at": iso(record.revoked_at),
    })
}

/// A new key: the only response that carries the secret.
fn minted_view(minted: &MintedKey, now: UnixSeconds) -> Value {
    let mut view = key_view(&minted.record, now);
    view["key"] = Value::String(minted.secret.clone());
    view
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateKeyRequest {
    #[serde(default)]
    label: Option<String>,
}

/// The largest body a key-management request reads (an optional label).
pub const BODY_LIMIT: usize = 64 * 1024;

/// Serves one key-management request: the session token is checked before
/// the body is read.
pub async fn handle(
    db: &impl Database,
    mut request: Request,
    body: Body,
    info: &RequestInfo,
    now: UnixSeconds,
    jwt_secret: &[u8],
) -> Response {
    let outcome = match authorize_path(&request, now, jwt_secret) {
        Ok(organization) => match read_body(&mut request, body, BODY_LIMIT).await {
            Ok(()) => route(db, &request, organization, now),
            Err(error) => Err(DashboardError::from(error)),
        },
        Err(error) => Err(error),
    };
    match outcome {
        Ok((status, data)) => envelope(status, data, None, &info.id),
        Err(error) => respond(info, &error),
    }
}

/// The `/api/organizations/{org}/api-keys...` path's segments after
/// `api-keys`, and the organization segment.
fn key_path(request: &Request) -> Result<(&str, Vec<&str>), DashboardError> {
    let segments: Vec<&str> = request.uri().path().split('/').skip(1).collect();
    let ["api", "organizations", org, "api-keys", rest @ ..] = segments.as_slice() else {
        return Err(DashboardError::not_found("Endpoint"));
    };
    Ok((org, rest.to_vec()))
}

fn authorize_path(
    request: &Request,
    now: UnixSeconds,
    jwt_secret: &[u8],
) -> Result<OrganizationId, DashboardError> {
    let (org, _) = key_path(request)?;
    authorize(request, org, now, jwt_secret)
}

fn route(
    db: &impl Database,
    request: &Request,
    organization: OrganizationId,
    now: UnixSeconds,
) -> Result<(u16, Value), DashboardError> {
    let (_, rest) = key_path(request)?;
    let key = |id: &str| ApiKeyId::parse(id).ok_or_else(|| DashboardError::not_found("API key"));
    match (request.method().as_str(), rest.as_slice()) {
        ("GET", []) => {
            let keys = api_keys::list(db, organization, KeyKind::Advertiser)?;
            Ok((
                200,
                Value::Array(keys.iter().map(|k| key_view(k, now)).collect()),
            ))
        }
        ("POST", []) => {
            let body: CreateKeyRequest = if request.body().iter().all(u8::is_ascii_whitespace) {
                CreateKeyRequest::default()
            } else {
                parse_json(request.body())
                    .map_err(|e| DashboardError::new(400, "invalid_request", e.to_string()))?
            };
            let minted = api_keys::mint(
                db,
                organization,
                KeyKind::Advertiser,
                None,
                body.label.as_deref(),
                now,
            )?;
            Ok((201, minted_view(&minted, now)))
        }
        ("POST", [id, "rotate"]) => {
            let (minted, old) =
                api_keys::rotate(db, organization, KeyKind::Advertiser, key(id)?, now)?;
            let mut data = minted_view(&minted, now);
            data["previous_key"] = key_view(&old, now);
            Ok((201, data))
        }
        ("POST", [id, "revoke"]) | ("DELETE", [id]) => {
            let revoked = api_keys::revoke(db, organization, KeyKind::Advertiser, key(id)?, now)?;
            Ok((200, key_view(&revoked, now)))
        }
        ("GET", [id]) => {
            let record = api_keys::find(db, organization, KeyKind::Advertiser, key(id)?)?
                .ok_or_else(|| DashboardError::not_found("API key"))?;
            Ok((200, key_view(&record, now)))
        }
        (_, rest) => {
            let allow = match rest {
                [] => "GET, POST",
                [_] => "GET, DELETE",
                [_, "rotate" | "revoke"] => "POST",
                _ => return Err(DashboardError::not_found("Endpoint")),
            };
            Err(DashboardError {
                allow: Some(allow),
                ..DashboardError::new(
                    405,
                    "method_not_allowed",
                    "This method is not supported here.",
                )
            })
        }
    }
}

/// Checks the session token and that its user may manage the path's
/// organization. Another organization reads as not found.
fn authorize(
    request: &Request,
    org: &str,
    now: UnixSeconds,
    jwt_secret: &[u8],
) -> Result<OrganizationId, DashboardError> {
    let unauthorized = || {
        DashboardError::new(
            401,
            "unauthorized",
            "A valid dashboard session token is required.",
        )
    };
    // The session token: `Authorization: Bearer`, or the dashboard page's
    // HttpOnly cookie beside its header (as on `/v1`, see `crate::auth`).
    let token = match header(request, "authorization") {
        Some(authorization) => adspin_core::web::bearer_token(authorization),
        None if header(request, crate::auth::SESSION_HEADER).is_some() => {
            crate::auth::session_cookie(request)
        }
        None => None,
    }
    .ok_or_else(unauthorized)?;
    let claims = jwt::verify(token, jwt_secret, now).map_err(|_| unauthorized())?;
    let organization =
        OrganizationId::parse(org).ok_or_else(|| DashboardError::not_found("Organization"))?;
    if claims.org != organization.to_string() {
        return Err(DashboardError::not_found("Organization"));
    }
    if !claims.role.can_manage_keys() {
        return Err(DashboardError::new(
            403,
            "forbidden",
            "Only organization owners and admins can manage API keys.",
        ));
    }
    Ok(organization)
}

//! The operator surface (`/admin/...`): what platform staff do by hand.
//! Create organizations, put a payment method on file, mint and revoke keys
//! for every surface and dashboard session tokens, review campaigns, set up
//! publishers and DSPs, and import other supplies' delivery reports.
//!
//! Authenticated by `Authorization: Bearer <admin token>`, the `admin_token`
//! Spin variable, compared in constant time. Bodies and errors follow the
//! `/v1` conventions.

use adspin_core::api_error::ApiError;
use adspin_core::catalog::fields::ReviewStatus;
use adspin_core::clock::Clock;
use adspin_core::db::Database;
use adspin_core::env::Env;
use adspin_core::error::{RequestInfo, respond};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Query, Request, Response, header, json_response};
use serde_json::Value;
use subtle::ConstantTimeEq;

mod dsps;
mod organizations;
mod publishers;
mod review;
pub mod store;
pub mod supply;

pub use organizations::{DEFAULT_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS};
pub use review::REVIEW_LIST_LIMIT;

/// Serves one `/admin` request.
pub async fn handle(env: &impl Env, request: Request) -> Response {
    let info = RequestInfo::new("req_");
    let db = match env.db() {
        Ok(db) => db,
        Err(error) => return respond(&info, &ApiError::from(error)),
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
        Err(error) => respond(&info, &error),
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

/// A handler's answer: the status and JSON body, or the error.
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
        ("POST", ["admin", "organizations"]) => organizations::create_organization(db, body, now),
        ("GET", ["admin", "organizations", id]) => organizations::find_organization(db, id),
        ("PUT", ["admin", "organizations", id, "billing"]) => {
            organizations::set_billing(db, id, body, now)
        }
        ("DELETE", ["admin", "organizations", id, "billing"]) => {
            organizations::remove_billing(db, id)
        }
        ("POST", ["admin", "organizations", id, "api-keys"]) => {
            organizations::mint_key(db, id, body, now)
        }
        ("POST", ["admin", "organizations", id, "api-keys", key, "revoke"]) => {
            organizations::revoke_key(db, id, key, now)
        }
        ("PUT", ["admin", "organizations", id, "supply-reports"]) => {
            supply::import(db, id, body, now)
        }
        ("POST", ["admin", "organizations", id, "dashboard-tokens"]) => {
            organizations::mint_dashboard_token(db, id, body, now, secrets)
        }
        ("GET", ["admin", "campaigns"]) => {
            review::list_campaigns_for_review(db, &Query::from_request(request))
        }
        ("GET", ["admin", "publishers", id]) => publishers::find_publisher(db, id, now),
        ("PUT", ["admin", "publishers", id]) => publishers::set_publisher(db, id, body, now),
        ("GET", ["admin", "dsps"]) => dsps::list_dsps(db),
        ("PUT", ["admin", "dsps", id]) => dsps::set_dsp(db, id, body, now),
        ("DELETE", ["admin", "dsps", id]) => dsps::delete_dsp(db, id),
        ("POST", ["admin", "campaigns", id, "approve"]) => {
            review::review(db, id, ReviewStatus::Approved, now)
        }
        ("POST", ["admin", "campaigns", id, "reject"]) => {
            review::review(db, id, ReviewStatus::Rejected, now)
        }
        _ => Err(ApiError::unknown_path(method, path)),
    }
}

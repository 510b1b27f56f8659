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
use adspin_core::dsp_health::Policy;
use adspin_core::env::Env;
use adspin_core::error::{RequestInfo, respond};
use adspin_core::kv::KeyValue;
use adspin_core::routes::{self, Matched, Route};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{
    IncomingRequest, Query, Request, Response, json_response, read_body, split,
};
use serde_json::Value;

mod dsps;
mod mailbox;
mod organizations;
mod publishers;
mod review;
pub mod store;
pub mod supply;

pub use organizations::{DEFAULT_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS};
pub use review::REVIEW_LIST_LIMIT;

/// The largest body an `/admin` endpoint reads (a supply import of
/// [`supply::MAX_ROWS`] rows fits several times over).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Serves one `/admin` request; the body is read only for the operator.
pub async fn handle(env: &impl Env, request: IncomingRequest) -> Response {
    let (mut request, body) = split(request);
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
    let health = dsps::HealthStore {
        kv: env.kv().ok(),
        policy: Policy::from_variables(|name| env.variable(name)),
    };
    let outcome = match adspin_core::admin::authorize(&request, secrets.admin_token) {
        Ok(()) => match read_body(&mut request, body, BODY_LIMIT).await {
            Ok(()) => route(db, &request, now, &secrets, &health),
            Err(error) => Err(ApiError::from(error)),
        },
        Err(error) => Err(error),
    };
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

/// A handler's answer: the status and JSON body, or the error.
type Outcome = Result<(u16, Value), ApiError>;

/// The operator endpoints.
#[derive(Debug, Clone, Copy)]
enum Endpoint {
    CreateOrganization,
    FindOrganization,
    SetBilling,
    RemoveBilling,
    MintKey,
    RevokeKey,
    ImportSupplyReports,
    MintDashboardToken,
    ListCampaignsForReview,
    Review(ReviewStatus),
    FindPublisher,
    SetPublisher,
    ListDsps,
    SetDsp,
    DeleteDsp,
    ReadMailbox,
}

use Endpoint::*;

/// Every `/admin` endpoint, once (the `Allow` of a `405` comes from here).
const ROUTES: &[Route<Endpoint>] = &[
    Route::new("POST", "/admin/organizations", CreateOrganization),
    Route::new("GET", "/admin/organizations/:id", FindOrganization),
    Route::new("PUT", "/admin/organizations/:id/billing", SetBilling),
    Route::new("DELETE", "/admin/organizations/:id/billing", RemoveBilling),
    Route::new("POST", "/admin/organizations/:id/api-keys", MintKey),
    Route::new(
        "POST",
        "/admin/organizations/:id/api-keys/:key/revoke",
        RevokeKey,
    ),
    Route::new(
        "PUT",
        "/admin/organizations/:id/supply-reports",
        ImportSupplyReports,
    ),
    Route::new(
        "POST",
        "/admin/organizations/:id/dashboard-tokens",
        MintDashboardToken,
    ),
    Route::new("GET", "/admin/campaigns", ListCampaignsForReview),
    Route::new(
        "POST",
        "/admin/campaigns/:id/approve",
        Review(ReviewStatus::Approved),
    ),
    Route::new(
        "POST",
        "/admin/campaigns/:id/reject",
        Review(ReviewStatus::Rejected),
    ),
    Route::new("GET", "/admin/publishers/:id", FindPublisher),
    Route::new("PUT", "/admin/publishers/:id", SetPublisher),
    Route::new("GET", "/admin/dsps", ListDsps),
    Route::new("PUT", "/admin/dsps/:id", SetDsp),
    Route::new("DELETE", "/admin/dsps/:id", DeleteDsp),
    Route::new("GET", "/admin/mailbox", ReadMailbox),
];

fn route(
    db: &impl Database,
    request: &Request,
    now: UnixSeconds,
    secrets: &AdminSecrets<'_>,
    health: &dsps::HealthStore<'_, impl KeyValue>,
) -> Outcome {
    let method = request.method().as_str();
    let path = request.uri().path();
    let (endpoint, captures) = match routes::find(ROUTES, method, path) {
        Matched::Found(endpoint, captures) => (endpoint, captures),
        Matched::MethodNotAllowed(allow) => {
            return Err(ApiError::method_not_allowed(method, path, &allow));
        }
        Matched::NotFound => return Err(ApiError::unknown_path(method, path)),
    };
    let id = captures.first().copied().unwrap_or_default();
    let body = request.body().as_slice();
    match endpoint {
        CreateOrganization => organizations::create_organization(db, body, now),
        FindOrganization => organizations::find_organization(db, id),
        SetBilling => organizations::set_billing(db, id, body, now),
        RemoveBilling => organizations::remove_billing(db, id),
        MintKey => organizations::mint_key(db, id, body, now),
        RevokeKey => organizations::revoke_key(db, id, captures[1], now),
        ImportSupplyReports => supply::import(db, id, body, now),
        MintDashboardToken => organizations::mint_dashboard_token(db, id, body, now, secrets),
        ListCampaignsForReview => {
            review::list_campaigns_for_review(db, &Query::from_request(request))
        }
        Review(decision) => review::review(db, id, decision, now),
        FindPublisher => publishers::find_publisher(db, id),
        SetPublisher => publishers::set_publisher(db, id, body, now),
        ListDsps => dsps::list_dsps(db, health, now),
        SetDsp => dsps::set_dsp(db, health, id, body, now),
        DeleteDsp => dsps::delete_dsp(db, health, id),
        ReadMailbox => mailbox::read(db, &Query::from_request(request)),
    }
}

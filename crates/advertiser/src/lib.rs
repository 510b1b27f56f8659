//! The Advertiser API surface: `/v1` (OpenAI Ads API conventions over the
//! campaign → ad group → ad tree, and insights), the dashboard's key
//! management under `/api/organizations/{org}/api-keys`, and the
//! dashboard's sign-in at `/dashboard/session`.

pub mod ad_account;
pub mod ad_groups;
pub mod ads;
pub mod api;
pub mod auth;
pub mod campaigns;
pub mod canonical;
pub mod context;
pub mod dashboard;
pub mod insights;
pub mod png;
pub mod session;
pub mod store;
pub mod upload;

pub use adspin_core::api_error::{ApiError, ErrorType};

use adspin_core::clock::Clock;
use adspin_core::env::Env;
use adspin_core::error::{RequestInfo, respond};
use adspin_core::web::{IncomingRequest, Response, split};

/// Serves one request of the surface.
pub async fn handle(env: &impl Env, request: IncomingRequest) -> Response {
    let (request, body) = split(request);
    let info = RequestInfo::new("req_");
    let db = match env.db() {
        Ok(db) => db,
        Err(error) => return respond(&info, &ApiError::from(error)),
    };
    if request.uri().path().starts_with("/api/organizations/") {
        let secret = env.variable("dashboard_jwt_secret").unwrap_or_default();
        let now = env.clock().now();
        return dashboard::handle(db, request, body, &info, now, secret.as_bytes()).await;
    }
    if request.uri().path().starts_with("/dashboard/") {
        let secret = env.variable("dashboard_jwt_secret").unwrap_or_default();
        let now = env.clock().now();
        let mut request = request;
        if let Err(error) =
            adspin_core::web::read_body(&mut request, body, session::BODY_LIMIT).await
        {
            return respond(&info, &ApiError::from(error));
        }
        return session::handle(&request, now, secret.as_bytes())
            .unwrap_or_else(|error| respond(&info, &error));
    }
    api::handle(env, db, request, body, &info).await
}

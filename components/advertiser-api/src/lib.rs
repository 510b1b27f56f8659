//! The Advertiser API component: `/v1/...` (campaign tree, ad account,
//! uploads) and the dashboard's key management under
//! `/api/organizations/{org}/api-keys`.

use adspin_core::advertiser::ApiError;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Request, Response};
use adspin_spin::db::SpinDb;
use spin_sdk::variables;

adspin_spin::export!(crate::route);

async fn route(request: Request) -> Response {
    let db = match SpinDb::open_default() {
        Ok(db) => db,
        Err(error) => {
            eprintln!("advertiser-api: {error}");
            return ApiError::internal().to_response();
        }
    };
    let now = UnixSeconds::now();
    if request.uri().path().starts_with("/api/organizations/") {
        let secret = variables::get("dashboard_jwt_secret").unwrap_or_default();
        return adspin_core::dashboard::handle(&db, &request, now, secret.as_bytes());
    }
    adspin_core::advertiser::api::handle(
        &db,
        &request,
        now,
        &adspin_spin::settings::public_base_url(&request),
        requests_per_hour(),
    )
}

/// The per-key hourly request limit: the `v1_requests_per_hour` variable,
/// 1,000 (the documented limit) when unset or invalid.
fn requests_per_hour() -> u32 {
    variables::get("v1_requests_per_hour")
        .ok()
        .and_then(|limit| limit.trim().parse::<u32>().ok())
        .filter(|limit| *limit > 0)
        .unwrap_or(adspin_core::advertiser::api::REQUESTS_PER_HOUR)
}

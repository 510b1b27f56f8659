//! The Advertiser API component: `/v1/...` (campaign tree, ad account,
//! uploads) and the dashboard's key management under
//! `/api/organizations/{org}/api-keys`.

use shared::advertiser::ApiError;
use shared::db::spin::SpinDb;
use shared::time::UnixSeconds;
use shared::web::{Request, Response};
use spin_sdk::variables;

#[expect(
    unsafe_code,
    reason = "the Spin SDK's export macro emits the component's unsafe ABI glue"
)]
mod export {
    #[spin_sdk::http_component]
    fn handle(request: super::Request) -> super::Response {
        super::route(request)
    }
}

fn route(request: Request) -> Response {
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
        return shared::dashboard::handle(&db, &request, now, secret.as_bytes());
    }
    shared::advertiser::api::handle(
        &db,
        &request,
        now,
        &shared::settings::public_base_url(&request),
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
        .unwrap_or(shared::advertiser::api::REQUESTS_PER_HOUR)
}

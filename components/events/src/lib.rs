//! The S2S events component: `POST /v1/api/collect` and
//! `POST /v1/api/conversion`, for advertisers' and partners' servers.

use adspin_core::s2s::S2sError;
use adspin_core::s2s::conversion::DEFAULT_WINDOW_DAYS;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Request, Response};
use adspin_spin::db::SpinDb;
use spin_sdk::variables;

adspin_spin::export!(crate::route);

async fn route(request: Request) -> Response {
    let db = match SpinDb::open_default() {
        Ok(db) => db,
        Err(error) => {
            eprintln!("events: {error}");
            return S2sError::internal().to_response();
        }
    };
    adspin_core::s2s::api::handle(&db, &request, UnixSeconds::now(), window_days)
}

/// The click-to-conversion window, from the `conversion_window_days`
/// variable (30 days when unset or not a positive number).
fn window_days() -> i64 {
    variables::get("conversion_window_days")
        .ok()
        .and_then(|days| days.trim().parse::<i64>().ok())
        .filter(|days| *days > 0)
        .unwrap_or(DEFAULT_WINDOW_DAYS)
}

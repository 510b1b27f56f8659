//! The server-to-server events surface: `POST /v1/api/collect` (events,
//! `204`) and `POST /v1/api/conversion` (conversions attributed to a click),
//! authenticated with partner tokens (`Authorization: Bearer pt_...`).

pub mod api;
pub mod auth;
pub mod collect;
pub mod conversion;
pub mod enrich;
pub mod error;
pub mod fields;
pub mod store;
pub mod user_agent;

pub use error::{S2sError, ValidationIssue};

use adspin_core::clock::Clock;
use adspin_core::env::Env;
use adspin_core::error::{RequestInfo, respond};
use adspin_core::settings;
use adspin_core::web::{IncomingRequest, Response, split};

/// Serves one request of the surface.
pub async fn handle(env: &impl Env, request: IncomingRequest) -> Response {
    let (request, body) = split(request);
    let info = RequestInfo::new("req_");
    let db = match env.db() {
        Ok(db) => db,
        Err(error) => return respond(&info, &S2sError::from(error)),
    };
    // The click-to-conversion window (`conversion_window_days`), read only
    // for conversions.
    let window_days = || {
        settings::positive_integer(
            env,
            "conversion_window_days",
            conversion::DEFAULT_WINDOW_DAYS,
        )
    };
    api::handle(db, request, body, &info, env.clock().now(), window_days).await
}

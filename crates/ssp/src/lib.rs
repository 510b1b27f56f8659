//! The SSP surface: chat apps ask for an ad in a conversation; an auction
//! across DSPs answers within a deadline with the best ad or a clean
//! no-bid. Routes: `POST /api/v1/ssp/bid-request` (and its CORS
//! preflight), the click redirect `GET /api/v1/dsp/redirect/{token}` and
//! the view beacon `GET /api/v1/tracking/view/{token}`. The only surface
//! allowed to call external DSPs.

pub mod auction;
pub mod brand_safety;
mod cors;
pub mod dsp;
pub mod envelope;
pub mod publisher;
pub mod ranking;
pub mod request;
pub mod store;
pub mod tracking;

pub use envelope::{RequestContext, SspError, success};

use adspin_core::env::Env;
use adspin_core::error::{RequestInfo, respond};
use adspin_core::web::{Request, Response};

/// Serves one request of the surface.
pub async fn handle(env: &impl Env, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let tracked = match (request.method().as_str(), segments.as_slice()) {
        ("POST", ["api", "v1", "ssp", "bid-request"]) => {
            return auction::handle(env, &request).await;
        }
        ("OPTIONS", ["api", "v1", "ssp", "bid-request"]) => return cors::preflight(&request),
        (_, ["api", "v1", "ssp", "bid-request"]) => {
            let info = RequestInfo::new(envelope::REQUEST_ID_PREFIX);
            return respond(&info, &SspError::method_not_allowed("Use POST"));
        }
        ("GET", ["api", "v1", "dsp", "redirect", token]) => tracking::click(env, token),
        ("GET", ["api", "v1", "tracking", "view", token]) => tracking::view(env, &request, token),
        _ => Err(tracking::TrackingError::not_found()),
    };
    tracked.unwrap_or_else(|error| respond(&RequestInfo::new("req_"), &error))
}

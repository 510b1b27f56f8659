//! The SSP component: `POST /api/v1/ssp/bid-request` (and its CORS
//! preflight), the click redirect `GET /api/v1/dsp/redirect/{token}` and
//! the view beacon `GET /api/v1/tracking/view/{token}`. It is the only
//! component allowed to call external DSPs.

mod auction;
mod cors;
mod dsp_client;
mod timer;
mod tracking;

use adspin_core::ssp::{RequestContext, SspError};
use adspin_core::web::{Request, Response};

adspin_spin::export!(crate::route);

async fn route(request: Request) -> Response {
    let path = request.uri().path().to_string();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    match (request.method().as_str(), segments.as_slice()) {
        ("POST", ["api", "v1", "ssp", "bid-request"]) => auction::handle(&request).await,
        ("OPTIONS", ["api", "v1", "ssp", "bid-request"]) => cors::preflight(&request),
        ("GET", ["api", "v1", "dsp", "redirect", token]) => tracking::click(token),
        ("GET", ["api", "v1", "tracking", "view", token]) => tracking::view(&request, token),
        (_, ["api", "v1", "ssp", "bid-request"]) => {
            SspError::method_not_allowed("Use POST").to_response(&context())
        }
        _ => tracking::not_found(),
    }
}

fn context() -> RequestContext {
    RequestContext {
        request_id: format!("api_req_{}", uuid::Uuid::new_v4().simple()),
        total_time: 0.0,
    }
}

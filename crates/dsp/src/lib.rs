//! The internal DSP (`thrad_dsp`, [`adspin_core::internal_dsp`]) as a
//! service of the DSP protocol: `POST /bid` and `POST /render-ad`, reached
//! only by service chaining. The SSP runs the same bidding in process
//! while the DSP registry names [`internal_dsp::CHAINED_BID_URL`]; this
//! component answers an SSP pointed at it over HTTP, and the render calls.

pub use adspin_core::internal_bid::DSP_ID;

use adspin_core::clock::Clock;
use adspin_core::db::DbError;
use adspin_core::dsp_protocol::{BidRequestView, RenderRequest, RenderedAd};
use adspin_core::env::Env;
use adspin_core::error::{RequestInfo, SurfaceError, respond};
use adspin_core::internal_bid;
use adspin_core::internal_dsp::{self, bid, demand};
use adspin_core::settings;
use adspin_core::web::{
    IncomingRequest, ReadError, Request, Response, header, json_response, read_request,
};
use serde_json::json;

/// The largest body the DSP reads: the SSP's bid request (itself at most
/// 2 MiB) with what the SSP adds.
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Serves one request of the DSP protocol.
pub async fn handle(env: &impl Env, request: IncomingRequest) -> Response {
    let path = request.uri().path().to_string();
    let bid = match (request.method().as_str(), path.as_str()) {
        ("POST", "/bid") => Ok(true),
        ("POST", "/render-ad") => Ok(false),
        _ => Err(DspError::new(404, "not found")),
    };
    let outcome = match bid {
        Ok(bid) => match read_request(request, BODY_LIMIT).await {
            Ok(request) if bid => bid_for(env, &request),
            Ok(request) => render(env, &request),
            Err(error) => Err(DspError::from(error)),
        },
        Err(error) => Err(error),
    };
    outcome.unwrap_or_else(|error| respond(&RequestInfo::new("req_"), &error))
}

/// An error answer of the DSP protocol: `{"error": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DspError {
    status: u16,
    message: &'static str,
    /// The internal failure behind a 500, for the log only.
    cause: Option<String>,
}

impl DspError {
    fn new(status: u16, message: &'static str) -> Self {
        Self {
            status,
            message,
            cause: None,
        }
    }
}

/// A body past the limit is `413`; one cut short, `400`.
impl From<ReadError> for DspError {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::TooLarge { .. } => Self::new(413, "request body too large"),
            ReadError::Failed(_) => Self::new(400, "request body could not be read"),
        }
    }
}

/// A storage failure is the caller's generic 500; the cause is logged.
impl From<DbError> for DspError {
    fn from(error: DbError) -> Self {
        Self {
            cause: Some(format!("database: {error}")),
            ..Self::new(500, "internal error")
        }
    }
}

impl SurfaceError for DspError {
    fn status(&self) -> u16 {
        self.status
    }

    fn render(&self, _: &RequestInfo) -> Response {
        json_response(self.status, &json!({ "error": self.message }))
    }

    fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }
}

/// Where images are served: the SSP's public address (forwarded on the
/// chained request), the `public_base_url` variable, or localhost.
fn files_base_url(env: &impl Env, request: &Request) -> String {
    if let (Some(proto), Some(host)) = (
        header(request, "x-forwarded-proto"),
        header(request, "x-forwarded-host"),
    ) {
        return format!("{proto}://{host}");
    }
    settings::configured_public_base_url(env).unwrap_or_else(|| "http://localhost".to_string())
}

fn no_bid() -> Response {
    let mut response = json_response(204, &());
    response.body_mut().clear();
    response
}

fn bid_for(env: &impl Env, request: &Request) -> Result<Response, DspError> {
    let view = serde_json::from_slice::<BidRequestView>(request.body())
        .map_err(|_| DspError::new(400, "invalid bid request"))?;
    // Sandbox campaigns serve only to the SSP's staging keys, which this
    // protocol does not name.
    let bid = internal_dsp::bid(
        env.db()?,
        &view,
        internal_dsp::Demand::Live,
        &files_base_url(env, request),
        &settings::tracking_secret(env),
        env.clock().now(),
    )?;
    Ok(match bid {
        Some(bid) => json_response(200, &bid::response_body(&bid)),
        None => no_bid(),
    })
}

fn render(env: &impl Env, request: &Request) -> Result<Response, DspError> {
    let not_found = || DspError::new(404, "bid not found or expired");
    let render = serde_json::from_slice::<RenderRequest>(request.body())
        .map_err(|_| DspError::new(400, "bidId is required"))?;
    let now = env.clock().now();
    let redeemed = internal_bid::redeem(&render.bid_id, &settings::tracking_secret(env), now)
        .ok_or_else(not_found)?;
    let ad = demand::serving_ad(env.db()?, redeemed.demand.ad_id, now)?.ok_or_else(not_found)?;
    let rendered: RenderedAd =
        bid::rendered(&ad, &files_base_url(env, request), true).ok_or_else(not_found)?;
    Ok(json_response(200, &json!({ "data": rendered })))
}

//! The SSP surface: chat apps ask for an ad in a conversation; an auction
//! across DSPs answers within a deadline with the best ad or a clean
//! no-bid. Routes: `POST /api/v1/ssp/bid-request` (and its CORS
//! preflight), the click redirect `GET /api/v1/dsp/redirect/{token}` and
//! the view beacon `GET /api/v1/tracking/view/{token}`, a sponsored
//! poll's vote and results links (`/api/v1/tracking/sponsored-polls/...`),
//! and the public key of the auction receipts `GET
//! /api/v1/ssp/receipt-keys`. The only surface allowed to call external
//! DSPs.

pub mod auction;
pub mod brand_safety;
mod cors;
pub mod dsp;
pub mod envelope;
pub mod health;
pub mod notices;
pub mod openrtb;
pub mod polls;
pub mod privacy;
pub mod publisher;
pub mod ranking;
pub mod receipt;
pub mod redaction;
pub mod report;
pub mod request;
pub mod store;
pub mod tracking;

pub use envelope::{NoBidReason, RequestContext, SspError, no_bid, success};

use adspin_core::env::Env;
use adspin_core::error::{RequestInfo, respond};
use adspin_core::routes::{self, Matched, Route};
use adspin_core::web::{IncomingRequest, Response, split};

#[derive(Debug, Clone, Copy)]
enum Endpoint {
    BidRequest,
    Preflight,
    Click,
    View,
    Vote,
    PollResults,
    PollPreflight,
    ReceiptKeys,
}

const ROUTES: &[Route<Endpoint>] = &[
    Route::new("POST", "/api/v1/ssp/bid-request", Endpoint::BidRequest),
    Route::new("OPTIONS", "/api/v1/ssp/bid-request", Endpoint::Preflight),
    Route::new("GET", "/api/v1/dsp/redirect/:token", Endpoint::Click),
    Route::new("GET", "/api/v1/tracking/view/:token", Endpoint::View),
    Route::new("POST", POLL_VOTE, Endpoint::Vote),
    Route::new("OPTIONS", POLL_VOTE, Endpoint::PollPreflight),
    Route::new("GET", POLL_RESULTS, Endpoint::PollResults),
    Route::new("OPTIONS", POLL_RESULTS, Endpoint::PollPreflight),
    Route::new("GET", receipt::KEYS_PATH, Endpoint::ReceiptKeys),
];

const POLL_VOTE: &str = "/api/v1/tracking/sponsored-polls/vote";
const POLL_RESULTS: &str = "/api/v1/tracking/sponsored-polls/results";

/// Serves one request of the surface.
pub async fn handle(env: &impl Env, request: IncomingRequest) -> Response {
    let (request, body) = split(request);
    let method = request.method().as_str().to_string();
    let path = request.uri().path().to_string();
    let tracked = match routes::find(ROUTES, &method, &path) {
        Matched::Found(Endpoint::BidRequest, _) => {
            return auction::handle(env, request, body).await;
        }
        Matched::Found(Endpoint::Preflight, _) => return cors::preflight(&request),
        Matched::Found(Endpoint::ReceiptKeys, _) => return receipt::keys(env),
        Matched::Found(Endpoint::Click, captures) => tracking::click(env, captures[0]),
        Matched::Found(Endpoint::View, captures) => tracking::view(env, &request, captures[0]),
        Matched::Found(Endpoint::PollPreflight, _) => return polls::preflight(),
        Matched::Found(endpoint @ (Endpoint::Vote | Endpoint::PollResults), _) => {
            let outcome = match endpoint {
                Endpoint::Vote => polls::vote(env, request, body).await,
                _ => polls::results_of(env, &request),
            };
            let mut response =
                outcome.unwrap_or_else(|error| respond(&RequestInfo::new("req_"), &error));
            polls::allow_any_origin(&mut response);
            return response;
        }
        Matched::MethodNotAllowed(allow) if path == "/api/v1/ssp/bid-request" => {
            let info = RequestInfo::new(envelope::REQUEST_ID_PREFIX);
            return respond(&info, &SspError::method_not_allowed("Use POST", &allow));
        }
        Matched::MethodNotAllowed(allow) => {
            Err(tracking::TrackingError::method_not_allowed(&allow))
        }
        Matched::NotFound => Err(tracking::TrackingError::not_found()),
    };
    let mut response = tracked.unwrap_or_else(|error| respond(&RequestInfo::new("req_"), &error));
    if path == POLL_VOTE || path == POLL_RESULTS {
        polls::allow_any_origin(&mut response);
    }
    response
}

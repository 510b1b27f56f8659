//! The internal DSP (`thrad_dsp`): bids with the platform's own campaigns.
//! It bids only with demand that can serve now, when an ad group's
//! `context_hints` fit the conversation, at the ad group's max bid as CPM.
//! Reached only by service chaining from the SSP: `POST /bid` and
//! `POST /render-ad` of the DSP protocol.

pub mod bid;
pub mod demand;
pub mod relevance;
pub mod store;

pub use adspin_core::internal_bid::DSP_ID;

use adspin_core::clock::Clock;
use adspin_core::dsp_protocol::{BidRequestView, RenderRequest, RenderedAd};
use adspin_core::env::Env;
use adspin_core::internal_bid;
use adspin_core::settings;
use adspin_core::web::{Request, Response, header, json_response};
use serde_json::json;

use relevance::Conversation;

/// Serves one request of the DSP protocol.
pub async fn handle(env: &impl Env, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let outcome = match (request.method().as_str(), path.as_str()) {
        ("POST", "/bid") => bid_for(env, &request),
        ("POST", "/render-ad") => render(env, &request),
        _ => Ok(json_response(404, &json!({ "error": "not found" }))),
    };
    outcome.unwrap_or_else(|error| {
        adspin_core::log::error("thrad-dsp", &error);
        json_response(500, &json!({ "error": "internal error" }))
    })
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

fn bid_for(env: &impl Env, request: &Request) -> Result<Response, String> {
    let Ok(view) = serde_json::from_slice::<BidRequestView>(request.body()) else {
        return Ok(json_response(
            400,
            &json!({ "error": "invalid bid request" }),
        ));
    };
    let db = env.db().map_err(|e| e.to_string())?;
    let now = env.clock().now();
    let conversation = Conversation::new(&view.messages());
    let candidates =
        demand::candidates(db, now, &conversation.words()).map_err(|e| e.to_string())?;
    let Some(best) = demand::best(&candidates, &conversation, view.country_code.as_deref()) else {
        return Ok(no_bid());
    };
    let Some(ad) = demand::ad_for(best, view.config.max_headline_chars) else {
        return Ok(no_bid());
    };
    let image_enabled = view.config.image_enabled.unwrap_or(true);
    let Some(ad_data) = bid::rendered(&ad, &files_base_url(env, request), image_enabled) else {
        return Ok(no_bid());
    };
    Ok(json_response(
        200,
        &bid::bid_response(
            &ad,
            best.max_bid,
            &ad_data,
            &settings::tracking_secret(env),
            now,
        ),
    ))
}

fn render(env: &impl Env, request: &Request) -> Result<Response, String> {
    let not_found = || json_response(404, &json!({ "error": "bid not found or expired" }));
    let Ok(render) = serde_json::from_slice::<RenderRequest>(request.body()) else {
        return Ok(json_response(400, &json!({ "error": "bidId is required" })));
    };
    let now = env.clock().now();
    let Some(redeemed) = internal_bid::redeem(&render.bid_id, &settings::tracking_secret(env), now)
    else {
        return Ok(not_found());
    };
    let db = env.db().map_err(|e| e.to_string())?;
    let Some(ad) = demand::serving_ad(db, redeemed.demand.ad_id, now).map_err(|e| e.to_string())?
    else {
        return Ok(not_found());
    };
    let rendered: Option<RenderedAd> = bid::rendered(&ad, &files_base_url(env, request), true);
    Ok(match rendered {
        Some(ad) => json_response(200, &json!({ "data": ad })),
        None => not_found(),
    })
}

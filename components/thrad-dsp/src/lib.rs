//! The internal DSP (`thrad_dsp`), reachable only by service chaining from
//! the SSP: `POST /bid` and `POST /render-ad` of the DSP protocol.

use adspin_core::ssp::dsp::RenderedAd;
use adspin_core::thrad_dsp::relevance::Conversation;
use adspin_core::thrad_dsp::{BidRequestView, RenderRequest, bid, demand};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Request, Response, header, json_response};
use adspin_spin::db::SpinDb;
use serde_json::json;

adspin_spin::export!(crate::route);

async fn route(request: Request) -> Response {
    let path = request.uri().path().to_string();
    let outcome = match (request.method().as_str(), path.as_str()) {
        ("POST", "/bid") => bid_for(&request),
        ("POST", "/render-ad") => render(&request),
        _ => Ok(json_response(404, &json!({ "error": "not found" }))),
    };
    outcome.unwrap_or_else(|error| {
        eprintln!("thrad-dsp: {error}");
        json_response(500, &json!({ "error": "internal error" }))
    })
}

/// Where images are served: the SSP's public address (forwarded on the
/// chained request), the `public_base_url` variable, or localhost.
fn files_base_url(request: &Request) -> String {
    if let (Some(proto), Some(host)) = (
        header(request, "x-forwarded-proto"),
        header(request, "x-forwarded-host"),
    ) {
        return format!("{proto}://{host}");
    }
    adspin_spin::settings::configured_public_base_url()
        .unwrap_or_else(|| "http://localhost".to_string())
}

fn no_bid() -> Response {
    let mut response = json_response(204, &());
    response.body_mut().clear();
    response
}

fn bid_for(request: &Request) -> Result<Response, String> {
    let Ok(view) = serde_json::from_slice::<BidRequestView>(request.body()) else {
        return Ok(json_response(
            400,
            &json!({ "error": "invalid bid request" }),
        ));
    };
    let db = SpinDb::open_default().map_err(|e| e.to_string())?;
    let now = UnixSeconds::now();
    let conversation = Conversation::new(&view.messages());
    let candidates =
        demand::candidates(&db, now, &conversation.words()).map_err(|e| e.to_string())?;
    let Some(best) = demand::best(&candidates, &conversation, view.country_code.as_deref()) else {
        return Ok(no_bid());
    };
    let Some(ad) = demand::ad_for(best, view.config.max_headline_chars) else {
        return Ok(no_bid());
    };
    let image_enabled = view.config.image_enabled.unwrap_or(true);
    let Some(ad_data) = bid::rendered(&ad, &files_base_url(request), image_enabled) else {
        return Ok(no_bid());
    };
    Ok(json_response(
        200,
        &bid::bid_response(
            &ad,
            best.max_bid,
            &ad_data,
            &adspin_spin::settings::tracking_secret(),
            now,
        ),
    ))
}

fn render(request: &Request) -> Result<Response, String> {
    let not_found = || json_response(404, &json!({ "error": "bid not found or expired" }));
    let Ok(render) = serde_json::from_slice::<RenderRequest>(request.body()) else {
        return Ok(json_response(400, &json!({ "error": "bidId is required" })));
    };
    let now = UnixSeconds::now();
    let Some(redeemed) = bid::redeem(
        &render.bid_id,
        &adspin_spin::settings::tracking_secret(),
        now,
    ) else {
        return Ok(not_found());
    };
    let db = SpinDb::open_default().map_err(|e| e.to_string())?;
    let Some(ad) =
        demand::serving_ad(&db, redeemed.demand.ad_id, now).map_err(|e| e.to_string())?
    else {
        return Ok(not_found());
    };
    let rendered: Option<RenderedAd> = bid::rendered(&ad, &files_base_url(request), true);
    Ok(match rendered {
        Some(ad) => json_response(200, &json!({ "data": ad })),
        None => not_found(),
    })
}

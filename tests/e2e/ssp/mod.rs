//! The SSP: bid requests, the DSP auction, tracking, budgets.

mod auction;
mod budget;
mod dsps;
mod health;
mod limits;
mod no_bids;
mod openrtb;
pub(crate) mod polls;
mod privacy;
mod requests;
mod tracking;

use adspin_e2e::demo::{ADMIN_TOKEN, ADVERTISER_KEY, ORGANIZATION_ID, PUBLISHER_PRODUCTION_KEY};
use adspin_e2e::{FakeResponse, FakeServer, HostLaunch, TestApp, TestResponse};
use serde_json::{Value, json};

/// The app with billing set up for the demo organization.
pub(crate) fn start() -> TestApp {
    start_with(HostLaunch::app())
}

/// [`start`] with its launch changed (variables, flags, runtime).
pub(crate) fn start_with(launch: HostLaunch) -> TestApp {
    let app = launch.start();
    admin(
        &app,
        "PUT",
        &format!("/admin/organizations/{ORGANIZATION_ID}/billing"),
        Some(json!({"payment_method": "pm_1"})),
    );
    app
}

pub(crate) fn admin(app: &TestApp, method: &str, path: &str, body: Option<Value>) -> TestResponse {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let text = body.map(|b| b.to_string());
    let response = app.request(
        method,
        path,
        &[("authorization", &auth)],
        text.as_deref().map(str::as_bytes),
    );
    assert!(
        response.status < 300,
        "{method} {path}: {}",
        response.text()
    );
    response
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// An approved, active campaign serving now, bidding `max_bid_micros` CPM
/// on conversations about `hint`. Returns its id.
pub(crate) fn live_campaign(
    app: &TestApp,
    hint: &str,
    max_bid_micros: i64,
    budget_micros: i64,
) -> String {
    live_campaign_to(
        app,
        hint,
        max_bid_micros,
        budget_micros,
        "https://shop.example.com/landing",
    )
}

/// Like [`live_campaign`], with the ad's landing page at `target_url`.
pub(crate) fn live_campaign_to(
    app: &TestApp,
    hint: &str,
    max_bid_micros: i64,
    budget_micros: i64,
    target_url: &str,
) -> String {
    let creative = json!({"type": "chat_card", "title": format!("Best {hint} deals"), "body": "Great prices.",
                          "target_url": target_url, "cta_text": "Shop Now"});
    live_campaign_with(app, hint, max_bid_micros, budget_micros, creative)
}

/// A live, approved campaign of the demo organization whose one ad group
/// (hint `hint`, bidding `max_bid_micros`) has one ad with `creative`.
pub(crate) fn live_campaign_with(
    app: &TestApp,
    hint: &str,
    max_bid_micros: i64,
    budget_micros: i64,
    creative: Value,
) -> String {
    let auth = format!("Bearer {ADVERTISER_KEY}");
    let body = json!({
        "name": format!("Live {hint}"),
        "start_time": now() - 60,
        "budget": {"lifetime_spend_limit_micros": budget_micros},
        "ad_groups": [{
            "name": "Group",
            "context_hints": [hint],
            "bidding_config": {"max_bid_micros": max_bid_micros},
            "ads": [{"creative": creative}]
        }]
    });
    let created = app.request(
        "POST",
        "/v1/campaigns",
        &[("authorization", &auth)],
        Some(body.to_string().as_bytes()),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().expect("id").to_string();
    admin(app, "POST", &format!("/admin/campaigns/{id}/approve"), None);
    let activated = app.request(
        "POST",
        &format!("/v1/campaigns/{id}/activate"),
        &[("authorization", &auth)],
        None,
    );
    assert_eq!(activated.status, 200, "{}", activated.text());
    id
}

/// A valid bid request body about `topic`.
pub(crate) fn conversation(chat: &str, topic: &str) -> Value {
    json!({
        "userId": "user_123",
        "chatId": chat,
        "messages": [
            {"role": "user", "content": format!("I am looking for {topic}"), "timestamp": "2024-11-23T10:00:00Z"},
            {"role": "assistant", "content": "What's your budget?", "timestamp": "2024-11-23T10:00:15Z"}
        ],
        "production": true,
        "turn_number": 4
    })
}

pub(crate) fn bid_request_with(
    app: &TestApp,
    key: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut all = vec![("thrad-api-key", key), ("content-type", "application/json")];
    all.extend_from_slice(headers);
    app.request(
        "POST",
        "/api/v1/ssp/bid-request",
        &all,
        Some(body.to_string().as_bytes()),
    )
}

pub(crate) fn bid_request(app: &TestApp, body: &Value) -> TestResponse {
    bid_request_with(app, PUBLISHER_PRODUCTION_KEY, body, &[])
}

/// Asserts the envelope and returns `data.bid`.
#[track_caller]
pub(crate) fn envelope(response: &TestResponse, status: u16, outcome: &str) -> Value {
    assert_eq!(response.status, status, "{}", response.text());
    let body = response.json();
    assert!(
        body["requestId"].as_str().is_some_and(|id| !id.is_empty()),
        "{body}"
    );
    assert!(
        body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{body}"
    );
    assert!(body["totalTime"].as_f64().is_some(), "{body}");
    assert_eq!(body["status"], outcome, "{body}");
    assert!(body["message"].as_str().is_some(), "{body}");
    assert!(
        body["data"]
            .as_object()
            .is_some_and(|d| d.contains_key("bid")),
        "{body}"
    );
    if outcome == "error" {
        assert_eq!(body["error"]["code"], status, "{body}");
        assert!(body["error"]["type"].as_str().is_some(), "{body}");
        assert_eq!(body["data"]["bid"], Value::Null);
    } else {
        assert_eq!(body["error"], Value::Null);
    }
    body["data"]["bid"].clone()
}

/// Runs an auction for a new request about `topic` in `chat` and returns
/// its `data.bid` (a success envelope asserted).
#[track_caller]
pub(crate) fn auction(app: &TestApp, chat: &str, topic: &str) -> Value {
    envelope(
        &bid_request(app, &conversation(chat, topic)),
        200,
        "success",
    )
}

/// Registers a DSP (or replaces it).
fn register_dsp(app: &TestApp, id: &str, server: &FakeServer, timeout_ms: i64) {
    admin(
        app,
        "PUT",
        &format!("/admin/dsps/{id}"),
        Some(
            json!({"name": id, "bid_url": format!("{}/bid", server.base_url()),
                    "render_url": format!("{}/render", server.base_url()), "timeout_ms": timeout_ms}),
        ),
    );
}

/// Only the given external DSPs bid (the internal DSP is switched off).
fn only_external(app: &TestApp) {
    admin(
        app,
        "PUT",
        "/admin/dsps/thrad_dsp",
        Some(
            json!({"name": "Thrad DSP", "bid_url": "http://thrad-dsp.spin.internal/bid",
                    "render_url": "http://thrad-dsp.spin.internal/render-ad", "enabled": false}),
        ),
    );
}

/// A DSP answer: bid `price` with id `bid_id`, with or without ad data.
fn bid_answer(price: f64, bid_id: &str, ad_data: Option<Value>) -> FakeResponse {
    let mut data = json!({"bid": price, "bidId": bid_id});
    if let Some(ad) = ad_data {
        data["ad_data"] = ad;
    }
    FakeResponse::json(200, &json!({"data": data}))
}

fn ad_data(headline: &str) -> Value {
    json!({"ad_format": "sponsored_message", "headline": headline, "description": "From an external DSP",
           "url": "https://dsp.example.com/click/1", "advertiser": "External Co", "cta_text": "Go"})
}

//! Every no-bid answer carries a stable, machine-readable reason code in
//! `data.no_bid_reason`.

use adspin_e2e::demo::{ORGANIZATION_ID, PUBLISHER_PRODUCTION_KEY};
use adspin_e2e::{FakeResponse, FakeServer};
use serde_json::{Value, json};

use super::{
    admin, bid_request, bid_request_with, conversation, envelope, live_campaign, only_external,
    register_dsp, start,
};

/// The reason code of a no-bid answer (a success envelope with no bid).
#[track_caller]
fn reason(response: &adspin_e2e::TestResponse) -> String {
    assert_eq!(envelope(response, 200, "success"), Value::Null);
    response.json()["data"]["no_bid_reason"]
        .as_str()
        .unwrap_or_else(|| panic!("no reason: {}", response.text()))
        .to_string()
}

#[test]
fn no_bids_name_their_reason_and_served_ads_carry_none() {
    let app = start();
    live_campaign(&app, "running shoes", 5_000_000, 50_000_000);
    let served = bid_request(&app, &conversation("c_ok", "running shoes"));
    assert!(envelope(&served, 200, "success").is_object());
    assert!(
        served.json()["data"].get("no_bid_reason").is_none(),
        "{}",
        served.text()
    );
    // Nothing relevant: the internal DSP answers without a bid.
    assert_eq!(
        reason(&bid_request(&app, &conversation("c_none", "garden gnomes"))),
        "no_bids"
    );
    // A sensitive conversation.
    let mut sensitive = conversation("c_safety", "running shoes");
    sensitive["messages"][0]["content"] = json!("I want to kill myself");
    assert_eq!(reason(&bid_request(&app, &sensitive)), "brand_safety");
    // Privacy: contextual internal demand only, and it has nothing.
    let mut minor = conversation("c_minor", "garden gnomes");
    minor["privacy"] = json!({"coppa": true});
    assert_eq!(reason(&bid_request(&app, &minor)), "privacy");
    // Pacing: the first ad waits for turn 6; then one ad per 3 requests.
    admin(
        &app,
        "PUT",
        &format!("/admin/publishers/{ORGANIZATION_ID}"),
        Some(json!({"ad_offset": 6, "max_frequency": 3})),
    );
    assert_eq!(
        reason(&bid_request(
            &app,
            &conversation("c_pacing", "running shoes")
        )),
        "pacing_ad_offset"
    );
    let mut later = conversation("c_pacing", "running shoes");
    later["turn_number"] = json!(7);
    assert!(envelope(&bid_request(&app, &later), 200, "success").is_object());
    assert_eq!(reason(&bid_request(&app, &later)), "frequency_capped");
    // The floor above every bid.
    admin(
        &app,
        "PUT",
        &format!("/admin/publishers/{ORGANIZATION_ID}"),
        Some(json!({"ad_offset": 0, "max_frequency": 0, "floor_cpm_micros": 9_000_000})),
    );
    assert_eq!(
        reason(&bid_request(
            &app,
            &conversation("c_floor", "running shoes")
        )),
        "all_below_floor"
    );
}

#[test]
fn dsps_that_time_out_or_fail_are_told_apart() {
    let app = start();
    only_external(&app);
    let slow = FakeServer::start(|_| {
        FakeResponse::new(204, "").delayed(std::time::Duration::from_millis(1_000))
    });
    register_dsp(&app, "slow", &slow, 100);
    let response = bid_request_with(
        &app,
        PUBLISHER_PRODUCTION_KEY,
        &conversation("c_slow", "anything"),
        &[],
    );
    assert_eq!(reason(&response), "all_timed_out");
    let broken = FakeServer::start(|_| FakeResponse::new(500, "oops"));
    register_dsp(&app, "broken", &broken, 1_000);
    assert_eq!(
        reason(&bid_request(&app, &conversation("c_broken", "anything"))),
        "dsp_errors"
    );
    admin(&app, "DELETE", "/admin/dsps/slow", None);
    admin(&app, "DELETE", "/admin/dsps/broken", None);
    assert_eq!(
        reason(&bid_request(&app, &conversation("c_empty", "anything"))),
        "no_eligible_demand"
    );
}

#[test]
fn staging_keys_get_a_debug_section_with_every_dsp_called() {
    let app = start();
    only_external(&app);
    let bidder = FakeServer::start(|_| {
        FakeResponse::json(200, &json!({"data": {"bid": 0.4, "bidId": "low_1"}}))
    });
    register_dsp(&app, "cheap", &bidder, 1000);
    let failing = FakeServer::start(|_| FakeResponse::new(503, ""));
    register_dsp(&app, "failing", &failing, 1000);
    let staging = bid_request_with(
        &app,
        adspin_e2e::demo::PUBLISHER_STAGING_KEY,
        &conversation("debug_chat", "bikes"),
        &[],
    );
    let bid = envelope(&staging, 200, "success");
    assert_eq!(bid["dsp"], "adspin_test", "staging still fills");
    let debug = &staging.json()["data"]["debug"];
    let dsps = debug["dsps"].as_array().expect("dsps");
    assert_eq!(dsps.len(), 2, "{debug}");
    let cheap = dsps.iter().find(|d| d["dsp"] == "cheap").expect("cheap");
    assert_eq!(cheap["status"], "bid");
    assert_eq!(cheap["price"], 0.4);
    assert_eq!(cheap["result"], "below_floor");
    assert!(cheap["time_ms"].as_u64().is_some(), "{cheap}");
    let failing = dsps
        .iter()
        .find(|d| d["dsp"] == "failing")
        .expect("failing");
    assert_eq!(failing["status"], "error");
    assert_eq!(failing["reason"], "HTTP status 503");
    let production = bid_request(&app, &conversation("debug_chat_2", "bikes"));
    assert_eq!(reason(&production), "all_below_floor");
    assert!(
        production.json()["data"].get("debug").is_none(),
        "production keys never see the demand"
    );
}

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

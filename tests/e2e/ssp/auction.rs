//! The internal DSP's demand, the floor, brand safety, staging fill.

use adspin_e2e::demo::{ADVERTISER_KEY, ORGANIZATION_ID, PUBLISHER_STAGING_KEY};
use adspin_e2e::{FakeResponse, FakeServer, HostLaunch, Runtime};
use serde_json::{Value, json};

use super::{
    admin, auction, bid_answer, bid_request, bid_request_with, conversation, envelope,
    live_campaign, register_dsp, start, start_with,
};

#[test]
fn the_internal_dsp_wins_with_a_relevant_campaign_at_its_max_bid() {
    let app = start();
    live_campaign(&app, "running shoes", 5_500_000, 50_000_000);
    let bid = auction(&app, "chat_1", "running shoes");
    assert_eq!(bid["dsp"], "thrad_dsp");
    assert_eq!(bid["price"], 5.5);
    assert_eq!(bid["advertiser"], "Demo Advertiser");
    assert_eq!(bid["headline"], "Best running shoes deals");
    assert_eq!(bid["description"], "Great prices.");
    assert_eq!(bid["cta_text"], "Shop Now");
    assert!(bid["bidId"].as_str().is_some_and(|id| !id.is_empty()));
    let url = bid["url"].as_str().expect("click url");
    assert!(
        url.starts_with(&format!("{}/api/v1/dsp/redirect/", app.base_url())),
        "{url}"
    );
    assert!(
        bid.get("image_url").is_none(),
        "no image uploaded, text placement"
    );
    assert_eq!(bid["placement"], "text");
}

/// What a served auction asks of its runtime, read from the local host's
/// `--storage-trace`: one SQLite connection, no key-value call, and two
/// variable reads (`tracking_secret` and `public_base_url`, each once).
/// Under `spin up` each variable read and key-value call is dear
/// (BENCHMARKS.md), so a new one on this path must be a decision.
#[test]
fn a_served_auction_opens_one_connection_and_reads_two_variables() {
    let app = start_with(HostLaunch::app().on(Runtime::Host).arg("--storage-trace"));
    live_campaign(&app, "running shoes", 5_500_000, 50_000_000);
    let bid = auction(&app, "chat_trace", "running shoes");
    assert_eq!(bid["dsp"], "thrad_dsp");
    let ssp_trace = |line: &&String| line.contains("storage ssp:");
    let lines = app.stderr_lines_when(|lines| lines.iter().any(|line| ssp_trace(&line)));
    let line = lines.iter().find(ssp_trace).expect("traced");
    assert!(
        line.contains(": 1 SQLite connection(s) opened,")
            && line.ends_with(", 0 key-value call(s), 2 variable read(s)"),
        "{line}"
    );
}

/// The auction runs the internal DSP in process while the registry names
/// its chained address; at any other address it is an HTTP DSP, and the
/// `thrad-dsp` component answers the same bid over service chaining.
#[test]
fn the_thrad_dsp_component_bids_the_same_over_service_chaining() {
    let app = start();
    live_campaign(&app, "running shoes", 5_500_000, 50_000_000);
    let in_process = auction(&app, "chat_1", "running shoes");
    admin(
        &app,
        "PUT",
        "/admin/dsps/thrad_dsp",
        Some(
            json!({"name": "Thrad DSP", "bid_url": "http://thrad-dsp.spin.internal/bid?over=http",
                    "render_url": "http://thrad-dsp.spin.internal/render-ad"}),
        ),
    );
    let chained = auction(&app, "chat_2", "running shoes");
    for field in [
        "dsp",
        "price",
        "advertiser",
        "headline",
        "description",
        "cta_text",
        "placement",
    ] {
        assert_eq!(chained[field], in_process[field], "{field}");
    }
    // The call really goes out: a path the component does not serve is no bid.
    admin(
        &app,
        "PUT",
        "/admin/dsps/thrad_dsp",
        Some(
            json!({"name": "Thrad DSP", "bid_url": "http://thrad-dsp.spin.internal/no-such-path"}),
        ),
    );
    assert_eq!(auction(&app, "chat_3", "running shoes"), Value::Null);
}

#[test]
fn unrelated_conversations_paused_campaigns_and_unapproved_ones_get_no_bid() {
    let app = start();
    let campaign = live_campaign(&app, "running shoes", 5_000_000, 50_000_000);
    assert_eq!(auction(&app, "c1", "garden furniture"), Value::Null);
    let auth = format!("Bearer {ADVERTISER_KEY}");
    app.request(
        "POST",
        &format!("/v1/campaigns/{campaign}/pause"),
        &[("authorization", &auth)],
        None,
    );
    assert_eq!(auction(&app, "c2", "running shoes"), Value::Null);
    app.request(
        "POST",
        &format!("/v1/campaigns/{campaign}/activate"),
        &[("authorization", &auth)],
        None,
    );
    assert!(auction(&app, "c3", "running shoes").is_object());
    admin(
        &app,
        "POST",
        &format!("/admin/campaigns/{campaign}/reject"),
        None,
    );
    assert_eq!(auction(&app, "c4", "running shoes"), Value::Null);
}

#[test]
fn the_highest_bid_wins_and_bids_below_the_floor_lose() {
    let app = start();
    live_campaign(&app, "running shoes", 2_000_000, 50_000_000);
    live_campaign(&app, "running shoes", 4_000_000, 50_000_000);
    assert_eq!(auction(&app, "c1", "running shoes")["price"], 4.0);
    admin(
        &app,
        "PUT",
        &format!("/admin/publishers/{ORGANIZATION_ID}"),
        Some(json!({"floor_cpm_micros": 4_500_000})),
    );
    assert_eq!(auction(&app, "c2", "running shoes"), Value::Null);
}

#[test]
fn the_default_floor_is_one_dollar() {
    let app = start();
    live_campaign(&app, "running shoes", 990_000, 50_000_000);
    assert_eq!(auction(&app, "c1", "running shoes"), Value::Null);
}

#[test]
fn sensitive_conversations_get_no_ad_and_are_never_sent_out() {
    let app = start();
    live_campaign(&app, "running shoes", 5_000_000, 50_000_000);
    let external = FakeServer::start(|_| bid_answer(9.0, "ext", Some(super::ad_data("Ext"))));
    register_dsp(&app, "external_dsp", &external, 500);
    let mut body = conversation("c1", "running shoes");
    body["messages"][0]["content"] =
        json!("I want to kill myself, and I was looking for running shoes");
    let response = bid_request(&app, &body);
    assert_eq!(envelope(&response, 200, "success"), Value::Null);
    assert!(
        response.json()["message"]
            .as_str()
            .expect("message")
            .contains("brand safety")
    );
    assert!(
        external.requests().is_empty(),
        "the conversation never left the platform"
    );
}

#[test]
fn staging_keys_always_fill_and_are_never_billed() {
    let app = start();
    let bid = envelope(
        &bid_request_with(
            &app,
            PUBLISHER_STAGING_KEY,
            &conversation("c1", "garden gnomes"),
            &[],
        ),
        200,
        "success",
    );
    assert_eq!(bid["dsp"], "adspin_test");
    let campaign = live_campaign(&app, "running shoes", 5_000_000, 50_000_000);
    let real = envelope(
        &bid_request_with(
            &app,
            PUBLISHER_STAGING_KEY,
            &conversation("c2", "running shoes"),
            &[],
        ),
        200,
        "success",
    );
    assert_eq!(real["dsp"], "thrad_dsp");
    let db = app.database();
    let spent: i64 = db
        .query_row(
            "SELECT spent_micros FROM campaigns WHERE id = ?1",
            [&campaign],
            |row| row.get(0),
        )
        .expect("spent");
    assert_eq!(spent, 0, "staging traffic is never billed");
}

#[test]
fn the_python_example_of_the_specification_works() {
    let app = start();
    live_campaign(&app, "running shoes", 5_500_000, 50_000_000);
    let script = adspin_e2e::artifacts().path("tests/python/bid_request_example.py");
    let output = std::process::Command::new("python3")
        .arg(&script)
        .arg(format!("{}/api/v1/ssp/bid-request", app.base_url()))
        .arg(adspin_e2e::demo::PUBLISHER_PRODUCTION_KEY)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("Got bid:") && stdout.contains("thrad_dsp"),
        "{stdout}"
    );
    let _ = FakeResponse::new(200, "");
}

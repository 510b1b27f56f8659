//! External DSPs on loopback: the protocol, deadlines, malformed answers,
//! ties, the floor, and the render call with its fallbacks.

use std::time::Duration;

use adspin_e2e::{FakeResponse, FakeServer, TestApp};
use serde_json::{Value, json};

use super::{
    ad_data, admin, auction, bid_answer, bid_request, conversation, envelope, only_external,
    register_dsp, start,
};

/// A DSP whose bid answer is `bid`, and whose render answers `render`.
fn dsp(bid: FakeResponse, render: FakeResponse) -> FakeServer {
    FakeServer::start(move |request| {
        if request.path == "/bid" {
            bid.clone()
        } else {
            render.clone()
        }
    })
}

fn total_time(app: &TestApp, chat: &str) -> (Value, f64) {
    let response = bid_request(app, &conversation(chat, "anything"));
    let body = response.json();
    (
        envelope(&response, 200, "success"),
        body["totalTime"].as_f64().expect("totalTime"),
    )
}

#[test]
fn dsps_receive_the_documented_request_and_headers() {
    let app = start();
    only_external(&app);
    let server = dsp(FakeResponse::new(204, ""), FakeResponse::new(404, ""));
    admin(
        &app,
        "PUT",
        "/admin/dsps/acme",
        Some(
            json!({"name": "Acme", "bid_url": format!("{}/bid", server.base_url()), "auth_token": "dsp-secret", "timeout_ms": 1000}),
        ),
    );
    let listed = admin(&app, "GET", "/admin/dsps", None).json();
    assert!(
        !listed.to_string().contains("dsp-secret"),
        "auth tokens are write-only"
    );
    let response = super::bid_request_with(
        &app,
        adspin_e2e::demo::PUBLISHER_PRODUCTION_KEY,
        &conversation("chat_9", "x"),
        &[
            ("user-agent", "Mozilla/5.0 test"),
            ("x-forwarded-for", "203.0.113.7, 10.0.0.1"),
        ],
    );
    assert_eq!(envelope(&response, 200, "success"), Value::Null);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.header("authorization"), Some("Bearer dsp-secret"));
    assert_eq!(request.header("x-forwarded-for"), Some("203.0.113.7"));
    assert_eq!(request.header("user-agent"), Some("Mozilla/5.0 test"));
    let body: Value = serde_json::from_slice(&request.body).expect("json");
    assert_eq!(body["userId"], "user_123");
    assert_eq!(body["chatId"], "chat_9");
    assert_eq!(body["request_type"], "contextual");
    assert_eq!(body["ad_formats"], json!(["sponsored_message"]));
    assert_eq!(body["nAdsBefore"], 0);
    assert_eq!(body["production"], true);
    assert_eq!(body["messages"].as_array().expect("messages").len(), 2);
    assert!(
        body["request_id"]
            .as_str()
            .expect("request id")
            .starts_with("api_req_")
    );
}

#[test]
fn a_bid_with_ad_data_wins_without_a_render_call() {
    let app = start();
    only_external(&app);
    let server = dsp(
        bid_answer(7.135, "ext_1", Some(ad_data("External headline"))),
        FakeResponse::new(500, ""),
    );
    register_dsp(&app, "external", &server, 1000);
    let bid = auction(&app, "c1", "anything");
    assert_eq!(bid["dsp"], "external");
    assert_eq!(bid["price"], 7.14, "banker's rounding to cents");
    assert_eq!(bid["headline"], "External headline");
    assert_eq!(bid["bidId"], "ext_1");
    assert!(
        server.requests().iter().all(|r| r.path == "/bid"),
        "no render call"
    );
}

#[test]
fn an_internal_dsp_bid_whose_bid_id_does_not_verify_is_never_served() {
    let app = start();
    let forged = dsp(
        bid_answer(9.0, "bid_forged", Some(ad_data("Uncharged ad"))),
        FakeResponse::new(500, ""),
    );
    register_dsp(&app, "thrad_dsp", &forged, 1000);
    assert_eq!(auction(&app, "c1", "anything"), Value::Null);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        app.stderr_lines()
            .join("\n")
            .contains("its bid id does not verify"),
        "the dropped bid is logged"
    );
}

#[test]
fn a_bid_without_ad_data_is_rendered_by_the_winner() {
    let app = start();
    only_external(&app);
    let render = FakeResponse::json(
        200,
        &json!({"data": {"headline": "Rendered", "description": "Via render",
        "url": "https://dsp.example.com/click/9", "placement": "text", "view_url": "https://dsp.example.com/view/9"}}),
    );
    let server = dsp(bid_answer(3.0, "ext_2", None), render);
    register_dsp(&app, "external", &server, 1000);
    let bid = auction(&app, "c1", "anything");
    assert_eq!(bid["headline"], "Rendered");
    let render_call = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/render")
        .expect("render called");
    let body: Value = serde_json::from_slice(&render_call.body).expect("json");
    assert_eq!(
        body,
        json!({"bidId": "ext_2", "realizedPrice": 3.0, "production": true})
    );
    let url = bid["url"].as_str().expect("url");
    assert!(
        url.contains("view_url=https%3A%2F%2Fdsp.example.com%2Fview%2F9"),
        "{url}"
    );
}

#[test]
fn the_three_no_bid_answers_and_malformed_bids_are_not_bids() {
    let app = start();
    only_external(&app);
    let answers = vec![
        FakeResponse::new(204, ""),
        FakeResponse::json(200, &json!({"data": {}})),
        FakeResponse::json(200, &json!({"data": {"bid": 0}})),
        FakeResponse::new(500, "oops"),
        FakeResponse::new(200, "this is not json"),
        FakeResponse::json(200, &json!({"data": {"bid": 5}})),
        FakeResponse::json(200, &json!({"data": {"bid": "5", "bidId": "x"}})),
        FakeResponse::json(
            200,
            &json!({"data": {"bid": 5, "bidId": "x", "ad_data": {"headline": "No url", "description": "d"}}}),
        ),
        FakeResponse::json(
            200,
            &json!({"padding": "x".repeat(200_000), "data": {"bid": 5, "bidId": "big"}}),
        ),
    ];
    let servers: Vec<FakeServer> = answers
        .into_iter()
        .map(|answer| dsp(answer, FakeResponse::new(500, "")))
        .collect();
    for (index, server) in servers.iter().enumerate() {
        register_dsp(&app, &format!("dsp_{index}"), server, 1000);
    }
    assert_eq!(auction(&app, "c1", "anything"), Value::Null);
    assert!(
        servers.iter().all(|s| s.requests().len() == 1),
        "every DSP was asked once, in parallel"
    );
    std::thread::sleep(Duration::from_millis(200));
    let log = app.stderr_lines().join("\n");
    assert!(
        log.contains("invalid_ad_data"),
        "dropped bids are logged with a reason"
    );
}

#[test]
fn a_slow_dsp_is_dropped_at_its_deadline_and_a_hung_one_does_not_hold_the_auction() {
    let app = start();
    only_external(&app);
    let slow = dsp(
        bid_answer(9.0, "slow", Some(ad_data("Slow"))).delayed(Duration::from_millis(1500)),
        FakeResponse::new(500, ""),
    );
    let hung = dsp(
        bid_answer(9.5, "hung", Some(ad_data("Hung"))).delayed(Duration::from_secs(30)),
        FakeResponse::new(500, ""),
    );
    let fast = dsp(
        bid_answer(2.0, "fast", Some(ad_data("Fast"))),
        FakeResponse::new(500, ""),
    );
    register_dsp(&app, "slow", &slow, 300);
    register_dsp(&app, "hung", &hung, 400);
    register_dsp(&app, "fast", &fast, 1000);
    let (bid, seconds) = total_time(&app, "c1");
    assert_eq!(bid["dsp"], "fast", "late answers are dropped");
    assert!(
        (0.35..2.5).contains(&seconds),
        "the auction ends at the last deadline (400 ms), not at the hung DSP: {seconds}"
    );
}

#[test]
fn the_requests_tmax_cuts_the_auction_short() {
    let app = start();
    only_external(&app);
    let slow = dsp(
        bid_answer(9.0, "slow", Some(ad_data("Slow"))).delayed(Duration::from_millis(1500)),
        FakeResponse::new(500, ""),
    );
    register_dsp(&app, "slow", &slow, 3000);
    let mut body = conversation("tmax_chat", "anything");
    body["tmax"] = json!(300);
    let response = bid_request(&app, &body);
    assert_eq!(envelope(&response, 200, "success"), Value::Null);
    let answer = response.json();
    assert_eq!(answer["data"]["no_bid_reason"], "all_timed_out");
    let seconds = answer["totalTime"].as_f64().expect("totalTime");
    assert!(
        (0.25..1.2).contains(&seconds),
        "the auction ends with the publisher's 300 ms, not the DSP's 3 s timeout: {seconds}"
    );
    body["tmax"] = json!(50);
    envelope(&bid_request(&app, &body), 400, "error");
}

#[test]
fn ties_are_broken_at_random() {
    let app = start();
    only_external(&app);
    let a = dsp(
        bid_answer(5.0, "a", Some(ad_data("A"))),
        FakeResponse::new(500, ""),
    );
    let b = dsp(
        bid_answer(5.0, "b", Some(ad_data("B"))),
        FakeResponse::new(500, ""),
    );
    register_dsp(&app, "tie_a", &a, 1000);
    register_dsp(&app, "tie_b", &b, 1000);
    let winners: std::collections::HashSet<String> = (0..24)
        .map(|i| {
            auction(&app, &format!("c{i}"), "anything")["dsp"]
                .as_str()
                .expect("dsp")
                .to_string()
        })
        .collect();
    assert_eq!(winners.len(), 2, "{winners:?}");
}

#[test]
fn bids_below_the_floor_lose() {
    let app = start();
    only_external(&app);
    let cheap = dsp(
        bid_answer(0.99, "cheap", Some(ad_data("Cheap"))),
        FakeResponse::new(500, ""),
    );
    register_dsp(&app, "cheap", &cheap, 1000);
    assert_eq!(auction(&app, "c1", "anything"), Value::Null);
}

#[test]
fn a_failed_render_falls_back_to_the_next_best_bid() {
    let app = start();
    only_external(&app);
    let broken = dsp(
        bid_answer(8.0, "broken", None),
        FakeResponse::json(200, &json!({"data": {"headline": "x", "extra": 1}})),
    );
    let fallback = dsp(
        bid_answer(3.0, "fallback", Some(ad_data("Fallback"))),
        FakeResponse::new(500, ""),
    );
    register_dsp(&app, "broken", &broken, 1000);
    register_dsp(&app, "fallback", &fallback, 1000);
    assert_eq!(auction(&app, "c1", "anything")["dsp"], "fallback");
}

#[test]
fn a_failed_render_without_a_fallback_is_the_documented_500() {
    let app = start();
    only_external(&app);
    let broken = dsp(
        bid_answer(8.0, "broken", None),
        FakeResponse::new(404, r#"{"error":"expired"}"#),
    );
    register_dsp(&app, "broken", &broken, 1000);
    let response = bid_request(&app, &conversation("c1", "x"));
    envelope(&response, 500, "error");
    assert_eq!(response.json()["message"], "Render failed");
    assert_eq!(response.json()["error"]["type"], "HTTPException");
}

#[test]
fn a_winner_that_cannot_be_rendered_is_501() {
    let app = start();
    only_external(&app);
    let server = dsp(
        bid_answer(4.0, "no_render", None),
        FakeResponse::new(500, ""),
    );
    admin(
        &app,
        "PUT",
        "/admin/dsps/norender",
        Some(json!({"name": "No render", "bid_url": format!("{}/bid", server.base_url())})),
    );
    envelope(&bid_request(&app, &conversation("c1", "x")), 501, "error");
}

#[test]
fn headlines_over_the_publishers_limit_are_not_served() {
    let app = start();
    only_external(&app);
    let long = dsp(
        bid_answer(6.0, "long", Some(ad_data(&"L".repeat(40)))),
        FakeResponse::new(500, ""),
    );
    let short = dsp(
        bid_answer(2.0, "short", Some(ad_data("Short enough headline"))),
        FakeResponse::new(500, ""),
    );
    register_dsp(&app, "long", &long, 1000);
    register_dsp(&app, "short", &short, 1000);
    let mut body = conversation("c1", "x");
    body["config"] = json!({"max_headline_chars": 30, "image_enabled": false});
    let bid = envelope(&bid_request(&app, &body), 200, "success");
    assert_eq!(bid["dsp"], "short");
    let sent: Value = serde_json::from_slice(&long.requests()[0].body).expect("json");
    assert_eq!(
        sent["config"],
        json!({"max_headline_chars": 30, "image_enabled": false})
    );
}

//! Per-key rate limits and per-chat pacing.

use std::collections::HashMap;

use adspin_e2e::demo::{ORGANIZATION_ID, PUBLISHER_PRODUCTION_KEY};
use serde_json::{Value, json};

use super::{admin, auction, bid_request, conversation, envelope, live_campaign, start};

#[test]
fn every_response_carries_rate_limit_headers() {
    let app = start();
    let response = bid_request(&app, &conversation("chat_1", "shoes"));
    assert_eq!(response.header("x-ratelimit-limit"), Some("100"));
    let remaining: u32 = response
        .header("x-ratelimit-remaining")
        .expect("remaining")
        .parse()
        .expect("number");
    assert!(remaining < 100);
    let reset: i64 = response
        .header("x-ratelimit-reset")
        .expect("reset")
        .parse()
        .expect("unix time");
    assert!(reset >= super::now());
}

#[test]
fn the_per_second_limit_holds_across_instances() {
    let app = start();
    admin(
        &app,
        "PUT",
        &format!("/admin/publishers/{ORGANIZATION_ID}"),
        Some(json!({"rate_limit_per_second": 3})),
    );
    let sibling = app.sibling();
    let responses: Vec<adspin_e2e::TestResponse> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let instance = if i % 2 == 0 { &app } else { &sibling };
                scope.spawn(move || {
                    bid_request(instance, &conversation(&format!("chat_{i}"), "shoes"))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let mut admitted_per_window: HashMap<String, usize> = HashMap::new();
    let mut refused = 0;
    for response in &responses {
        let window = response
            .header("x-ratelimit-reset")
            .expect("reset")
            .to_string();
        match response.status {
            200 => *admitted_per_window.entry(window).or_default() += 1,
            429 => {
                envelope(response, 429, "error");
                assert_eq!(response.header("x-ratelimit-remaining"), Some("0"));
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", response.text()),
        }
    }
    assert!(
        refused > 0,
        "16 requests at 3 per second must meet the limit"
    );
    for (window, admitted) in admitted_per_window {
        assert!(
            admitted <= 3,
            "{admitted} admitted in the window ending {window}"
        );
    }
}

#[test]
fn ad_offset_holds_ads_until_the_given_turn() {
    let app = start();
    live_campaign(&app, "running shoes", 5_000_000, 50_000_000);
    let mut body = conversation("chat_offset", "running shoes");
    body["turn_number"] = json!(1);
    body["config"] = json!({"ad_offset": 3});
    let held = bid_request(&app, &body);
    assert_eq!(envelope(&held, 200, "success"), Value::Null);
    assert!(
        held.json()["message"]
            .as_str()
            .expect("message")
            .contains("pacing")
    );
    body["turn_number"] = json!(3);
    assert!(envelope(&bid_request(&app, &body), 200, "success").is_object());
}

#[test]
fn max_frequency_spaces_ads_in_a_chat() {
    let app = start();
    live_campaign(&app, "running shoes", 5_000_000, 50_000_000);
    let mut body = conversation("chat_frequency", "running shoes");
    body["config"] = json!({"max_frequency": 3});
    let served: Vec<bool> = (0..7)
        .map(|_| envelope(&bid_request(&app, &body), 200, "success").is_object())
        .collect();
    assert_eq!(served, [true, false, false, true, false, false, true]);
    // Another chat is paced on its own.
    assert!(auction(&app, "chat_other", "running shoes").is_object());
    let _ = PUBLISHER_PRODUCTION_KEY;
}

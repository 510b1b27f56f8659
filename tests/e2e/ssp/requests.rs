//! Bid request validation, authentication, origins and CORS, in the
//! documented envelope and status codes.

use adspin_e2e::demo::{ORGANIZATION_ID, PUBLISHER_PRODUCTION_KEY, PUBLISHER_STAGING_KEY};
use serde_json::{Value, json};

use super::{admin, auction, bid_request, bid_request_with, conversation, envelope, start};

#[test]
fn a_missing_or_invalid_key_is_401() {
    let app = start();
    let missing = app.request(
        "POST",
        "/api/v1/ssp/bid-request",
        &[("content-type", "application/json")],
        Some(conversation("c", "x").to_string().as_bytes()),
    );
    envelope(&missing, 401, "error");
    for key in ["pk_not_a_key", "ak_demo_7f3c9a2e4b1d4e6f8a0b2c4d6e8f0a1b"] {
        envelope(
            &bid_request_with(&app, key, &conversation("c", "x"), &[]),
            401,
            "error",
        );
    }
}

#[test]
fn invalid_requests_are_400_with_a_reason() {
    let app = start();
    let mut cases: Vec<Value> = Vec::new();
    let base = conversation("chat_1", "shoes");
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    cases.push(with("messages", json!([{"role": "user", "content": "hi"}])));
    cases.push(with(
        "messages",
        json!([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]),
    ));
    cases.push(with(
        "messages",
        json!([{"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}]),
    ));
    cases.push(with(
        "messages",
        json!([{"role": "bot", "content": "a"}, {"role": "assistant", "content": "b"}]),
    ));
    cases.push(with("messages", json!([{"role": "user", "content": "a", "timestamp": "tomorrow"}, {"role": "assistant", "content": "b"}])));
    cases.push(with("turn_number", json!(-1)));
    cases.push(with("production", json!("yes")));
    cases.push(with("userId", json!("")));
    cases.push(with("config", json!({"max_headline_chars": 10})));
    let mut missing_chat = base.clone();
    missing_chat
        .as_object_mut()
        .expect("object")
        .remove("chatId");
    cases.push(missing_chat);
    for body in cases {
        let response = bid_request(&app, &body);
        envelope(&response, 400, "error");
        assert_eq!(
            response.json()["error"]["type"],
            "RequestValidationError",
            "{body}"
        );
    }
    let malformed = app.request(
        "POST",
        "/api/v1/ssp/bid-request",
        &[("thrad-api-key", PUBLISHER_PRODUCTION_KEY)],
        Some(b"{not json"),
    );
    envelope(&malformed, 400, "error");
}

#[test]
fn unix_timestamps_and_geo_headers_are_accepted_and_checked() {
    let app = start();
    let mut body = conversation("chat_1", "shoes");
    body["messages"][0]["timestamp"] = json!(1_732_356_000);
    envelope(&bid_request(&app, &body), 200, "success");
    let partial = bid_request_with(
        &app,
        PUBLISHER_PRODUCTION_KEY,
        &body,
        &[("x-user-country", "US")],
    );
    envelope(&partial, 400, "error");
    assert!(
        partial.json()["message"]
            .as_str()
            .expect("message")
            .contains("X-User-Device")
    );
    let full = bid_request_with(
        &app,
        PUBLISHER_PRODUCTION_KEY,
        &body,
        &[
            ("x-user-country", "US"),
            ("x-user-device", "mobile"),
            ("x-user-timezone", "America/New_York"),
        ],
    );
    envelope(&full, 200, "success");
}

#[test]
fn a_no_bid_is_200_with_a_null_bid_and_a_reason() {
    let app = start();
    let bid = auction(&app, "chat_1", "garden gnomes");
    assert_eq!(bid, Value::Null);
}

#[test]
fn browser_origins_must_be_registered_server_calls_skip_the_check() {
    let app = start();
    admin(
        &app,
        "PUT",
        &format!("/admin/publishers/{ORGANIZATION_ID}"),
        Some(json!({"allowed_origins": ["https://chat.example.com"]})),
    );
    let body = conversation("chat_1", "shoes");
    let allowed = bid_request_with(
        &app,
        PUBLISHER_PRODUCTION_KEY,
        &body,
        &[("origin", "https://chat.example.com")],
    );
    envelope(&allowed, 200, "success");
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://chat.example.com")
    );
    let denied = bid_request_with(
        &app,
        PUBLISHER_PRODUCTION_KEY,
        &body,
        &[("origin", "https://evil.example")],
    );
    envelope(&denied, 403, "error");
    assert_eq!(denied.header("access-control-allow-origin"), None);
    envelope(&bid_request(&app, &body), 200, "success");
}

#[test]
fn the_cors_preflight_allows_post_with_the_documented_headers_for_a_day() {
    let app = start();
    let response = app.request(
        "OPTIONS",
        "/api/v1/ssp/bid-request",
        &[
            ("origin", "https://chat.example.com"),
            ("access-control-request-method", "POST"),
        ],
        None,
    );
    assert_eq!(response.status, 204);
    assert_eq!(
        response.header("access-control-allow-methods"),
        Some("POST, OPTIONS")
    );
    assert_eq!(
        response.header("access-control-allow-headers"),
        Some("thrad-api-key, Content-Type, Origin, Referer")
    );
    assert_eq!(response.header("access-control-max-age"), Some("86400"));
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://chat.example.com")
    );
}

#[test]
fn other_methods_are_405_in_the_envelope() {
    let app = start();
    let response = app.request(
        "GET",
        "/api/v1/ssp/bid-request",
        &[("thrad-api-key", PUBLISHER_STAGING_KEY)],
        None,
    );
    envelope(&response, 405, "error");
}

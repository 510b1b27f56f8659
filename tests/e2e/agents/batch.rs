//! `POST /batch`: several requests in one, each for the caller, each with
//! its own result.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use adspin_e2e::{HostLaunch, TestApp, TestResponse};
use serde_json::{Value, json};

use super::{advertiser, call};

fn create_campaign(app: &TestApp, key: &str, name: &str) -> i64 {
    let created = call(
        app,
        "POST",
        "/campaigns",
        key,
        Some(&json!({"name": name, "objective": "traffic", "daily_budget": 50.0})),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()["id"].as_i64().expect("id")
}

fn batch(app: &TestApp, key: &str, requests: &Value) -> TestResponse {
    call(
        app,
        "POST",
        "/batch",
        key,
        Some(&json!({ "requests": requests })),
    )
}

#[test]
fn a_batch_answers_every_item_with_its_own_status_and_one_failure_fails_no_other() {
    let app = HostLaunch::app()
        .variable("agents_rate_limit_multiplier", "20")
        .start();
    let key = advertiser(&app, "batch@example.com").0;
    let first = create_campaign(&app, &key, "First");
    let second = create_campaign(&app, &key, "Second");

    let response = batch(
        &app,
        &key,
        &json!([
            {"id": "analytics", "method": "GET", "path": format!("/v1/analytics/campaigns/camp_{first}")},
            {"id": "read", "method": "GET", "path": format!("/api/v1/campaigns/{second}")},
            {"id": "list", "method": "GET", "path": "/campaigns?limit=1"},
            {"id": "update-budget", "method": "PATCH", "path": format!("/v1/campaigns/camp_{first}"),
             "body": {"budget": {"type": "daily", "amount": 75}}},
            {"id": "invalid", "method": "PATCH", "path": format!("/v1/campaigns/{second}"),
             "body": {"objective": "world domination"}},
            {"id": "missing", "method": "GET", "path": "/v1/campaigns/camp_999999"},
            {"id": "nested", "method": "POST", "path": "/v1/batch", "body": {"requests": []}},
            {"id": "public", "method": "POST", "path": "/v1/auth/login", "body": {}},
            {"id": "elsewhere", "method": "GET", "path": "/v1/ssp/bid-request"},
            {"id": "wrong-method", "method": "DELETE", "path": "/v1/analytics/overview"}
        ]),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(response.header("x-ratelimit-remaining").is_some());
    let results = response.json()["results"].clone();
    let status = |id: &str| results[id]["status"].as_u64().expect("status");
    let code = |id: &str| results[id]["body"]["error"]["code"].clone();
    assert_eq!(status("analytics"), 200, "{results}");
    assert_eq!(results["analytics"]["body"]["campaign_id"], first);
    assert_eq!(results["read"]["body"]["name"], "Second");
    assert_eq!(
        results["list"]["body"]["data"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(status("update-budget"), 200, "{results}");
    assert_eq!(results["update-budget"]["body"]["daily_budget"], 75.0);
    assert_eq!(
        (status("invalid"), code("invalid")),
        (422, json!("validation_error"))
    );
    assert_eq!(
        (status("missing"), code("missing")),
        (404, json!("not_found"))
    );
    assert_eq!(
        (status("nested"), code("nested")),
        (400, json!("invalid_batch_request"))
    );
    assert_eq!(
        (status("public"), code("public")),
        (400, json!("invalid_batch_request"))
    );
    assert_eq!(
        (status("elsewhere"), code("elsewhere")),
        (404, json!("not_found"))
    );
    assert_eq!(
        (status("wrong-method"), code("wrong-method")),
        (405, json!("method_not_allowed"))
    );
    assert!(
        results["missing"]["body"]["error"]["request_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("req_"))
    );

    // The update happened, as if sent alone.
    let read = call(&app, "GET", &format!("/campaigns/{first}"), &key, None);
    assert_eq!(read.json()["daily_budget"], 75.0, "{}", read.text());

    // The envelope itself is checked whole.
    let duplicate = batch(
        &app,
        &key,
        &json!([{"id": "a", "method": "GET", "path": "/campaigns"},
                {"id": "a", "method": "GET", "path": "/campaigns"}]),
    );
    assert_eq!(duplicate.status, 422, "{}", duplicate.text());
    assert_eq!(
        duplicate.json()["error"]["details"]["field"],
        "requests[1].id"
    );
    let anonymous = app.post_json(
        "/api/v1/batch",
        &[],
        &json!({"requests": [{"id": "a", "method": "GET", "path": "/campaigns"}]}),
    );
    assert_eq!(anonymous.status, 401, "{}", anonymous.text());
}

#[test]
fn each_item_needs_the_keys_scope() {
    let app = HostLaunch::app()
        .variable("agents_rate_limit_multiplier", "20")
        .start();
    let key = advertiser(&app, "scoped-batch@example.com").0;
    let scoped = call(
        &app,
        "POST",
        "/auth/keys",
        &key,
        Some(&json!({"name": "Reader", "scopes": ["campaigns:read"]})),
    );
    assert_eq!(scoped.status, 201, "{}", scoped.text());
    let reader = scoped.json()["api_key"].as_str().expect("key").to_string();
    let response = batch(
        &app,
        &reader,
        &json!([
            {"id": "list", "method": "GET", "path": "/campaigns"},
            {"id": "create", "method": "POST", "path": "/campaigns",
             "body": {"name": "Nope", "objective": "traffic", "daily_budget": 10}},
            {"id": "analytics", "method": "GET", "path": "/analytics/overview"}
        ]),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    let results = response.json()["results"].clone();
    assert_eq!(results["list"]["status"], 200, "{results}");
    for id in ["create", "analytics"] {
        assert_eq!(results[id]["status"], 403, "{results}");
        assert_eq!(results[id]["body"]["error"]["code"], "insufficient_scope");
    }
}

/// Seconds until the window of `response`'s limit resets.
fn seconds_to_reset(response: &TestResponse) -> u64 {
    let reset: u64 = response
        .header("x-ratelimit-reset")
        .expect("reset")
        .parse()
        .expect("number");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    reset.saturating_sub(now)
}

#[test]
fn every_item_counts_against_the_callers_limit_and_the_items_past_it_are_429() {
    // The Free plan: 10 requests a minute per account.
    let app = HostLaunch::app().start();
    let key = advertiser(&app, "limited-batch@example.com").0;
    // Start in a minute window with time to spare (the request that finds
    // the old window near its end counts there).
    loop {
        let left = seconds_to_reset(&call(&app, "GET", "/campaigns?limit=1", &key, None));
        if (20..60).contains(&left) {
            break;
        }
        std::thread::sleep(Duration::from_secs(left + 1));
    }
    let before = call(&app, "GET", "/campaigns?limit=1", &key, None);
    let remaining: usize = before
        .header("x-ratelimit-remaining")
        .expect("remaining")
        .parse()
        .expect("number");
    assert!(remaining < 10, "{remaining}");
    let items: Vec<Value> = (0..12)
        .map(|i| json!({"id": format!("read-{i}"), "method": "GET", "path": "/campaigns?limit=1"}))
        .collect();
    let response = batch(&app, &key, &json!(items));
    assert_eq!(response.status, 200, "{}", response.text());
    let results = response.json()["results"].clone();
    let statuses: Vec<u64> = (0..12)
        .map(|i| {
            results[format!("read-{i}")]["status"]
                .as_u64()
                .expect("status")
        })
        .collect();
    // The batch itself takes one request; its items the rest, in order.
    let allowed = remaining - 1;
    assert_eq!(
        statuses.iter().filter(|status| **status == 200).count(),
        allowed,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|status| **status == 429).count(),
        12 - allowed,
        "{statuses:?}"
    );
    let limited = results
        .as_object()
        .expect("results")
        .values()
        .find(|result| result["status"] == 429)
        .expect("a 429");
    assert_eq!(limited["body"]["error"]["code"], "rate_limited");
}

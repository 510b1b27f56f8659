//! Keys and scopes: `/auth/keys`, through the running app. The Free plan
//! allows 10 requests a minute per account, so each test keeps under it
//! or tests it.

use adspin_e2e::TestResponse;
use serde_json::{Value, json};

use super::{call, post, start, verified_account};

fn error_code(response: &TestResponse) -> String {
    response.json()["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_scoped_key_can_do_only_what_its_scopes_allow_and_lists_are_cursor_pages() {
    let app = start();
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");

    let scoped = call(
        &app,
        "POST",
        "/auth/keys",
        key,
        Some(&json!({"name": "Campaign Manager Agent",
            "scopes": ["campaigns:read", "campaigns:write", "content:generate", "analytics:read"]})),
    );
    assert_eq!(scoped.status, 201, "{}", scoped.text());
    let scoped = scoped.json();
    let scoped_key = scoped["api_key"].as_str().expect("secret shown once");
    assert!(scoped_key.starts_with("aa_live_"));
    assert_eq!(scoped["mode"], "live");
    assert_eq!(scoped["scopes"].as_array().map(Vec::len), Some(4));

    let refused = call(&app, "GET", "/auth/keys", scoped_key, None);
    assert_eq!(
        (refused.status, error_code(&refused)),
        (403, "insufficient_scope".into())
    );
    assert_eq!(
        refused.json()["error"]["details"]["required_scopes"],
        json!(["account:read"])
    );
    let escalation = call(
        &app,
        "POST",
        "/auth/keys",
        scoped_key,
        Some(&json!({"scopes": ["billing:write"]})),
    );
    assert_eq!(escalation.status, 403, "{}", escalation.text());

    let unknown = call(
        &app,
        "POST",
        "/auth/keys",
        key,
        Some(&json!({"scopes": ["campaigns:read", "everything"]})),
    );
    assert_eq!(unknown.status, 422, "{}", unknown.text());
    assert_eq!(unknown.json()["error"]["details"]["field"], "scopes[1]");

    let sandbox = call(
        &app,
        "POST",
        "/auth/keys",
        key,
        Some(&json!({"mode": "test"})),
    );
    assert_eq!(sandbox.status, 201, "{}", sandbox.text());
    assert!(
        sandbox.json()["api_key"]
            .as_str()
            .expect("key")
            .starts_with("aa_test_")
    );

    let first = call(&app, "GET", "/auth/keys?limit=2", key, None);
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.header("x-ratelimit-limit"), Some("10"));
    let first = first.json();
    assert_eq!(first["pagination"]["has_more"], true);
    assert_eq!(first["pagination"]["total"], 3);
    assert!(
        first["data"][0].get("api_key").is_none(),
        "secrets are never listed"
    );
    let cursor = first["pagination"]["next_cursor"].as_str().expect("cursor");
    let second = call(
        &app,
        "GET",
        &format!("/auth/keys?limit=2&cursor={cursor}"),
        key,
        None,
    )
    .json();
    assert_eq!(second["pagination"]["has_more"], false);
    assert_eq!(second["pagination"]["next_cursor"], Value::Null);
    let mut ids: Vec<&str> = first["data"]
        .as_array()
        .into_iter()
        .chain(second["data"].as_array())
        .flatten()
        .filter_map(|key| key["id"].as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3, "every key once");
}

#[test]
fn rotation_keeps_the_old_key_for_its_grace_window_and_revocation_stops_a_key_at_once() {
    let app = start();
    let account = verified_account(&app, "jane@example.com");
    let old_key = account["api_key"].as_str().expect("key");
    let listed = call(&app, "GET", "/auth/keys", old_key, None).json();
    let old_id = listed["data"][0]["id"].as_str().expect("id").to_string();

    let rotated = call(
        &app,
        "POST",
        &format!("/auth/keys/{old_id}/rotate"),
        old_key,
        None,
    );
    assert_eq!(rotated.status, 201, "{}", rotated.text());
    let rotated = rotated.json();
    let new_key = rotated["api_key"].as_str().expect("new secret");
    let new_id = rotated["id"].as_str().expect("new id");
    assert_eq!(rotated["rotated_key"]["id"], old_id.as_str());
    assert!(rotated["rotated_key"]["expires_at"].is_string());

    let listed = call(&app, "GET", "/auth/keys", old_key, None);
    assert_eq!(listed.status, 200, "the old key works in its grace window");
    let statuses: Vec<(String, String)> = listed.json()["data"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|key| {
            (
                key["id"].as_str().unwrap_or_default().to_string(),
                key["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(
        statuses.contains(&(old_id.clone(), "expiring".into())),
        "{statuses:?}"
    );

    let revoked = call(
        &app,
        "DELETE",
        &format!("/auth/keys/{new_id}"),
        old_key,
        None,
    );
    assert_eq!(revoked.status, 204, "{}", revoked.text());
    let refused = call(&app, "GET", "/auth/keys", new_key, None);
    assert_eq!(
        (refused.status, error_code(&refused)),
        (401, "invalid_api_key".into())
    );
    assert!(refused.header("x-ratelimit-remaining").is_some());
    let again = call(
        &app,
        "POST",
        &format!("/auth/keys/{new_id}/rotate"),
        old_key,
        None,
    );
    assert_eq!(
        (again.status, error_code(&again)),
        (409, "key_inactive".into())
    );

    // Another account's key reads as missing.
    let other = post(
        &app,
        "/auth/register",
        &json!({"email": "joe@example.com", "password": "securePassword123",
            "first_name": "Joe", "last_name": "Bloggs"}),
    )
    .json();
    let other_key = other["api_key"].as_str().expect("key");
    let foreign = call(
        &app,
        "DELETE",
        &format!("/auth/keys/{old_id}"),
        other_key,
        None,
    );
    assert_eq!(
        (foreign.status, error_code(&foreign)),
        (404, "not_found".into())
    );
    assert_eq!(call(&app, "GET", "/auth/keys", old_key, None).status, 200);
}

#[test]
fn requests_without_a_valid_key_are_401_and_the_eleventh_of_a_minute_is_429() {
    let app = start();
    let missing = app.get("/api/v1/auth/keys");
    assert_eq!(
        (missing.status, error_code(&missing)),
        (401, "missing_api_key".into())
    );
    for key in [
        "aa_live_nope",
        "ak_demo_7f3c9a2e4b1d4e6f8a0b2c4d6e8f0a1b",
        "Bearer",
    ] {
        let response = call(&app, "GET", "/auth/keys", key, None);
        assert_eq!(response.status, 401, "{key}");
    }

    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");
    for used in 1..=10 {
        let response = call(&app, "GET", "/auth/keys", key, None);
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(
            response.header("x-ratelimit-remaining"),
            Some((10 - used).to_string().as_str())
        );
    }
    let limited = call(&app, "GET", "/auth/keys", key, None);
    assert_eq!(
        (limited.status, error_code(&limited)),
        (429, "rate_limited".into())
    );
    let retry_after: i64 = limited
        .header("retry-after")
        .and_then(|value| value.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry_after));
    let reset: i64 = limited
        .header("x-ratelimit-reset")
        .and_then(|value| value.parse().ok())
        .expect("reset");
    assert!(reset > 1_700_000_000);
}

#[test]
fn a_deployment_may_multiply_the_plan_limits() {
    let app = adspin_e2e::HostLaunch::app()
        .variable("agents_rate_limit_multiplier", "3")
        .start();
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");
    let response = call(&app, "GET", "/auth/keys", key, None);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("x-ratelimit-limit"), Some("30"));
}

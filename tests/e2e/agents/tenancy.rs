//! Two accounts never see each other's data, and the sandbox (aa_test_
//! keys) never sees live data nor the other way round.

use serde_json::json;

use super::{call, start, verified_account};

#[test]
fn accounts_and_modes_are_walled_off() {
    let app = start();
    let jane = verified_account(&app, "jane@example.com");
    let jane_live = jane["api_key"].as_str().expect("key");
    let joe = verified_account(&app, "joe@example.com");
    let joe_live = joe["api_key"].as_str().expect("key");

    let sandbox = call(
        &app,
        "POST",
        "/auth/keys",
        jane_live,
        Some(&json!({"mode": "test"})),
    )
    .json();
    let jane_test = sandbox["api_key"].as_str().expect("test key");
    let live_hook = call(
        &app,
        "POST",
        "/webhooks",
        jane_live,
        Some(&json!({"url": "https://jane.example/live", "events": ["alert.spend"]})),
    )
    .json();
    let test_hook = call(
        &app,
        "POST",
        "/webhooks",
        jane_test,
        Some(&json!({"url": "https://jane.example/test", "events": ["alert.spend"]})),
    )
    .json();
    let business = call(
        &app,
        "POST",
        "/account/business",
        jane_live,
        Some(&json!({"name": "Jane Co"})),
    );
    assert_eq!(business.status, 201);

    // Live and sandbox see only their own webhooks.
    let live_list = call(&app, "GET", "/webhooks", jane_live, None).json();
    let test_list = call(&app, "GET", "/webhooks", jane_test, None).json();
    assert_eq!(live_list["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(live_list["data"][0]["url"], "https://jane.example/live");
    assert_eq!(test_list["data"][0]["url"], "https://jane.example/test");
    let across = call(
        &app,
        "GET",
        &format!("/webhooks/{}", live_hook["id"]),
        jane_test,
        None,
    );
    assert_eq!(across.status, 404, "the sandbox cannot read a live webhook");

    // Another account sees nothing of Jane's, by list or by id.
    assert_eq!(
        call(&app, "GET", "/webhooks", joe_live, None).json()["pagination"]["total"],
        0
    );
    for path in [
        format!("/webhooks/{}", live_hook["id"]),
        format!("/webhooks/{}", test_hook["id"]),
        format!("/webhooks/{}/deliveries", live_hook["id"]),
    ] {
        let response = call(&app, "GET", &path, joe_live, None);
        assert_eq!(response.status, 404, "{path}");
    }
    let deleted = call(
        &app,
        "DELETE",
        &format!("/webhooks/{}", live_hook["id"]),
        joe_live,
        None,
    );
    assert_eq!(deleted.status, 404);
    assert_eq!(
        call(&app, "GET", "/account/business", joe_live, None).status,
        404
    );
    let joe_keys = call(&app, "GET", "/auth/keys", joe_live, None).json();
    assert_eq!(
        joe_keys["pagination"]["total"], 1,
        "only Joe's own registration key"
    );

    // Billing: a sandbox subscription is the sandbox's only.
    let pending = call(
        &app,
        "POST",
        "/billing/subscribe",
        jane_test,
        Some(&json!({"plan_id": 2})),
    )
    .json();
    let token = pending["token"].as_str().expect("token");
    let status_path = format!("/billing/subscribe/status?token={token}");
    assert_eq!(call(&app, "GET", &status_path, jane_test, None).status, 200);
    assert_eq!(
        call(&app, "GET", &status_path, jane_live, None).status,
        404,
        "live cannot see a sandbox checkout"
    );
    assert_eq!(call(&app, "GET", &status_path, joe_live, None).status, 404);
}

//! Dashboard key management: one active key, rotation with a 30-minute
//! grace window, immediate revocation, and its JWT/envelope conventions.

use serde_json::{Value, json};

use adspin_e2e::TestApp;
use adspin_e2e::demo::{ADVERTISER_KEY, ORGANIZATION_ID};

use super::{admin, as_key, assert_error, bearer, start};

fn dashboard_token(app: &TestApp, organization: &str, role: &str) -> String {
    let response = admin(
        app,
        "POST",
        &format!("/admin/organizations/{organization}/dashboard-tokens"),
        Some(&json!({"subject": "jane@example.com", "role": role})),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()["token"]
        .as_str()
        .expect("token")
        .to_string()
}

fn dashboard(app: &TestApp, token: &str, method: &str, path: &str) -> (u16, Value) {
    let auth = bearer(token);
    let response = app.request(
        method,
        &format!("/api/organizations/{ORGANIZATION_ID}/api-keys{path}"),
        &[("authorization", &auth)],
        None,
    );
    (response.status, response.json())
}

fn key_works(app: &TestApp, key: &str) -> bool {
    as_key(app, key, "GET", "/v1/ad_account", None).status == 200
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

#[test]
fn keys_are_listed_in_the_envelope_with_iso_timestamps_and_no_secret() {
    let app = start();
    let token = dashboard_token(&app, ORGANIZATION_ID, "owner");
    let (status, body) = dashboard(&app, &token, "GET", "");
    assert_eq!(status, 200);
    assert_eq!(body["success"], true);
    assert_eq!(body["error"], Value::Null);
    assert!(
        body["meta"]["request_id"]
            .as_str()
            .expect("request id")
            .starts_with("req_")
    );
    let key = &body["data"][0];
    assert_eq!(key["status"], "active");
    assert_eq!(key["prefix"], "ak_demo_7f3c");
    assert!(key["created_at"].as_str().expect("iso").ends_with('Z'));
    assert!(key.get("key").is_none(), "secrets are shown only once");
    assert!(!body.to_string().contains(ADVERTISER_KEY));
}

#[test]
fn there_is_one_active_key_per_organization() {
    let app = start();
    let token = dashboard_token(&app, ORGANIZATION_ID, "admin");
    let (status, body) = dashboard(&app, &token, "POST", "");
    assert_eq!(status, 409);
    assert_eq!(body["success"], false);
    assert_eq!(body["error"]["code"], "active_key_exists");
}

#[test]
fn rotation_keeps_the_old_key_for_thirty_minutes_then_it_stops_working() {
    let app = start();
    let token = dashboard_token(&app, ORGANIZATION_ID, "owner");
    let (_, listed) = dashboard(&app, &token, "GET", "");
    let old_id = listed["data"][0]["id"].as_str().expect("id").to_string();
    let (status, rotated) = dashboard(&app, &token, "POST", &format!("/{old_id}/rotate"));
    assert_eq!(status, 201, "{rotated}");
    let new_key = rotated["data"]["key"]
        .as_str()
        .expect("new secret")
        .to_string();
    assert!(new_key.starts_with("ak_"));
    let previous = &rotated["data"]["previous_key"];
    assert_eq!(previous["status"], "expiring");
    assert!(previous["expires_at"].as_str().is_some());

    let fresh = as_key(&app, &new_key, "GET", "/v1/ad_account", None);
    assert_eq!(fresh.status, 200);
    assert_eq!(
        fresh.header("x-ratelimit-remaining-requests"),
        Some("999"),
        "each key has its own budget"
    );
    assert!(
        key_works(&app, ADVERTISER_KEY),
        "the old key works during the grace window"
    );

    let db = app.database();
    let expires_at: i64 = db
        .query_row(
            "SELECT expires_at FROM api_keys WHERE id = ?1",
            [&old_id],
            |row| row.get(0),
        )
        .expect("expires_at");
    assert!(
        (now() + 1790..=now() + 1800).contains(&expires_at),
        "30 minutes: {expires_at}"
    );
    // Thirty minutes pass.
    db.execute(
        "UPDATE api_keys SET expires_at = ?1 WHERE id = ?2",
        rusqlite::params![now() - 1, old_id],
    )
    .expect("age the key");
    assert_error(
        &as_key(&app, ADVERTISER_KEY, "GET", "/v1/ad_account", None),
        401,
        "invalid_api_key",
        None,
    );
    assert!(key_works(&app, &new_key));

    let (status, again) = dashboard(&app, &token, "POST", &format!("/{old_id}/rotate"));
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (409, Some("key_not_active"))
    );
}

#[test]
fn revocation_is_immediate_and_a_new_key_can_then_be_created() {
    let app = start();
    let token = dashboard_token(&app, ORGANIZATION_ID, "owner");
    let (_, listed) = dashboard(&app, &token, "GET", "");
    let id = listed["data"][0]["id"].as_str().expect("id").to_string();
    let (status, revoked) = dashboard(&app, &token, "POST", &format!("/{id}/revoke"));
    assert_eq!(
        (status, revoked["data"]["status"].as_str()),
        (200, Some("revoked"))
    );
    assert_error(
        &as_key(&app, ADVERTISER_KEY, "GET", "/v1/ad_account", None),
        401,
        "invalid_api_key",
        None,
    );

    let (status, created) = dashboard(&app, &token, "POST", "");
    assert_eq!(status, 201, "{created}");
    let key = created["data"]["key"].as_str().expect("secret");
    assert!(key_works(&app, key));
    let (status, _) = dashboard(
        &app,
        &token,
        "DELETE",
        &format!("/{}", created["data"]["id"].as_str().expect("id")),
    );
    assert_eq!(status, 200);
    assert!(!key_works(&app, key));
}

#[test]
fn key_management_needs_an_owner_or_admin_of_that_organization() {
    let app = start();
    let (status, body) = dashboard(&app, "not-a-jwt", "GET", "");
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let no_auth = app.get(&format!("/api/organizations/{ORGANIZATION_ID}/api-keys"));
    assert_eq!(no_auth.status, 401);
    let member = dashboard_token(&app, ORGANIZATION_ID, "member");
    let (status, body) = dashboard(&app, &member, "GET", "");
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    let (other_org, _) = super::other_tenant(&app);
    let outsider = dashboard_token(&app, &other_org, "owner");
    let (status, body) = dashboard(&app, &outsider, "GET", "");
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "another organization reads as not found"
    );
    // An outsider cannot touch this organization's key either.
    let (_, listed) = dashboard(
        &app,
        &dashboard_token(&app, ORGANIZATION_ID, "owner"),
        "GET",
        "",
    );
    let id = listed["data"][0]["id"].as_str().expect("id");
    let (status, _) = dashboard(&app, &outsider, "POST", &format!("/{id}/revoke"));
    assert_eq!(status, 404);
    assert!(key_works(&app, ADVERTISER_KEY));
}

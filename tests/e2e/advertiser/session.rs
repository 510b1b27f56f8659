//! The dashboard's session: a dashboard token exchanged for an `HttpOnly`
//! cookie at `/dashboard/session`, accepted by `/v1` (writes for owners
//! and admins only) and by key management, only beside the
//! `x-adspin-dashboard` header.

use serde_json::json;

use adspin_e2e::TestApp;
use adspin_e2e::demo::ORGANIZATION_ID;

use super::{admin, assert_error, start};

pub(crate) fn dashboard_token(app: &TestApp, role: &str) -> String {
    let response = admin(
        app,
        "POST",
        &format!("/admin/organizations/{ORGANIZATION_ID}/dashboard-tokens"),
        Some(&json!({"subject": "jane@example.com", "role": role, "ttl_seconds": 3600})),
    );
    response.json()["token"]
        .as_str()
        .expect("token")
        .to_string()
}

/// Signs in and returns the `Cookie` header value the browser would send.
fn sign_in(app: &TestApp, token: &str) -> String {
    let response = app.request(
        "POST",
        "/dashboard/session",
        &[("content-type", "application/json")],
        Some(json!({ "token": token }).to_string().as_bytes()),
    );
    assert_eq!(response.status, 204, "{}", response.text());
    let cookie = response.header("set-cookie").expect("a cookie").to_string();
    let attributes: Vec<&str> = cookie.split("; ").collect();
    let [pair, "Path=/", max_age, "HttpOnly", "SameSite=Strict"] = attributes.as_slice() else {
        panic!("unexpected cookie: {cookie}");
    };
    // Until the token (minted for an hour, a moment ago) expires.
    let max_age: i64 = max_age
        .strip_prefix("Max-Age=")
        .and_then(|age| age.parse().ok())
        .unwrap_or_else(|| panic!("{cookie}"));
    assert!((3590..=3600).contains(&max_age), "{cookie}");
    pair.to_string()
}

#[test]
fn a_signed_in_dashboard_reads_its_campaigns_through_v1() {
    let app = start();
    let cookie = sign_in(&app, &dashboard_token(&app, "member"));
    let response = app.request(
        "GET",
        "/v1/campaigns",
        &[("cookie", &cookie), ("x-adspin-dashboard", "1")],
        None,
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["object"], "list");
    let account = app.request(
        "GET",
        "/v1/ad_account",
        &[("cookie", &cookie), ("x-adspin-dashboard", "1")],
        None,
    );
    assert_eq!(account.json()["id"], ORGANIZATION_ID);
}

#[test]
fn the_cookie_alone_authorizes_nothing() {
    let app = start();
    let cookie = sign_in(&app, &dashboard_token(&app, "owner"));
    let response = app.request("GET", "/v1/campaigns", &[("cookie", &cookie)], None);
    assert_error(&response, 401, "auth_required", None);
}

#[test]
fn in_the_dashboard_members_read_and_owners_change_campaigns() {
    // The demo traffic's campaign: paused and approved.
    let campaign = "0d3e0000-0000-4000-8000-0000000000d1";
    let demo = adspin_e2e::HostLaunch::app().demo_traffic().start();
    let path = format!("/v1/campaigns/{campaign}/pause");
    let member = sign_in(&demo, &dashboard_token(&demo, "member"));
    let refused = demo.request(
        "POST",
        &path,
        &[("cookie", &member), ("x-adspin-dashboard", "1")],
        None,
    );
    assert_error(&refused, 403, "read_only_role", None);
    let owner = sign_in(&demo, &dashboard_token(&demo, "owner"));
    let archived = demo.request(
        "POST",
        &format!("/v1/campaigns/{campaign}/archive"),
        &[("cookie", &owner), ("x-adspin-dashboard", "1")],
        None,
    );
    assert_eq!(archived.status, 200, "{}", archived.text());
    assert_eq!(archived.json()["status"], "archived");
}

#[test]
fn a_token_that_does_not_verify_signs_nobody_in() {
    let app = start();
    for token in ["not-a-token", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln"] {
        let response = app.request(
            "POST",
            "/dashboard/session",
            &[],
            Some(json!({ "token": token }).to_string().as_bytes()),
        );
        assert_error(&response, 401, "invalid_session", None);
        assert_eq!(response.header("set-cookie"), None);
    }
    let signed_out = app.request("DELETE", "/dashboard/session", &[], None);
    assert_eq!(signed_out.status, 204);
    assert_eq!(
        signed_out.header("set-cookie"),
        Some("adspin_dashboard=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict")
    );
}

#[test]
fn the_dashboard_manages_keys_with_its_session_and_the_cookie_alone_cannot() {
    let app = start();
    let cookie = sign_in(&app, &dashboard_token(&app, "owner"));
    let path = format!("/api/organizations/{ORGANIZATION_ID}/api-keys");
    let listed = app.request(
        "GET",
        &path,
        &[("cookie", &cookie), ("x-adspin-dashboard", "1")],
        None,
    );
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert_eq!(listed.json()["data"][0]["prefix"], "ak_demo_7f3c");
    let forged = app.request("POST", &path, &[("cookie", &cookie)], None);
    assert_eq!(forged.status, 401, "{}", forged.text());
    assert_eq!(forged.json()["error"]["code"], "unauthorized");
}

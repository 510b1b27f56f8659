//! The business profile (`/account/business`) and access levels.

use adspin_e2e::demo::ADMIN_TOKEN;
use serde_json::json;

use super::{call, post, start, verification_code};

#[test]
fn the_quick_start_business_needs_a_verified_account_and_names_the_organization() {
    let app = start();
    let registered = post(
        &app,
        "/auth/register",
        &json!({"email": "jane@example.com", "password": "securePassword123",
            "first_name": "Jane", "last_name": "Smith"}),
    )
    .json();
    let key = registered["api_key"].as_str().expect("key");
    let organization = registered["user"]["organization_id"]
        .as_str()
        .expect("organization");

    let unverified = call(
        &app,
        "POST",
        "/account/business",
        key,
        Some(&json!({"name": "Acme Corp"})),
    );
    assert_eq!(unverified.status, 403, "{}", unverified.text());
    assert_eq!(unverified.json()["error"]["code"], "account_not_verified");
    let none = call(&app, "GET", "/account/business", key, None);
    assert_eq!(
        none.status, 404,
        "account endpoints answer unverified accounts"
    );
    assert_eq!(none.json()["error"]["code"], "business_not_found");

    let code = verification_code(&app, "jane@example.com");
    let verified = post(
        &app,
        "/auth/verify",
        &json!({"email": "jane@example.com", "code": code}),
    );
    assert_eq!(verified.status, 200);

    let created = call(
        &app,
        "POST",
        "/account/business",
        key,
        Some(&json!({ "name": "Acme Corp" })),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let created = created.json();
    assert!(created["id"].is_i64());
    assert_eq!(created["name"], "Acme Corp");
    assert_eq!(created["message"], "Business created successfully.");
    let again = call(
        &app,
        "POST",
        "/account/business",
        key,
        Some(&json!({ "name": "Acme Two" })),
    );
    assert_eq!(
        (again.status, again.json()["error"]["code"].clone()),
        (409, json!("business_exists"))
    );

    let changed = call(
        &app,
        "PATCH",
        "/account/business",
        key,
        Some(&json!({"website": "https://acme.com", "country": "US"})),
    );
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(changed.json()["name"], "Acme Corp");
    assert_eq!(changed.json()["website"], "https://acme.com");
    let bad = call(
        &app,
        "PATCH",
        "/account/business",
        key,
        Some(&json!({"country": "usa"})),
    );
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json()["error"]["details"]["field"], "country");
    assert_eq!(
        call(&app, "GET", "/account/business", key, None).json()["country"],
        "US"
    );

    // One data model: the account is the organization /admin and /v1 see.
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let seen = app.get_with(
        &format!("/admin/organizations/{organization}"),
        &[("authorization", &auth)],
    );
    assert_eq!(seen.status, 200, "{}", seen.text());
    assert_eq!(seen.json()["name"], "Acme Corp");
    assert_eq!(seen.json()["url"], "https://acme.com");
}

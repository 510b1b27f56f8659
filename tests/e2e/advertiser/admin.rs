//! The operator surface: its token, organizations, billing, keys, review.

use serde_json::{Value, json};

use super::{admin, assert_error, start};
use adspin_e2e::demo::ORGANIZATION_ID;

#[test]
fn the_admin_surface_requires_the_operator_token() {
    let app = start();
    assert_error(&app.get("/admin/campaigns"), 401, "auth_required", None);
    let wrong = app.get_with("/admin/campaigns", &[("authorization", "Bearer adm_wrong")]);
    assert_error(&wrong, 401, "invalid_api_key", None);
    let advertiser = app.get_with(
        "/admin/campaigns",
        &[(
            "authorization",
            &super::bearer(adspin_e2e::demo::ADVERTISER_KEY),
        )],
    );
    assert_error(&advertiser, 401, "invalid_api_key", None);
}

#[test]
fn operators_create_organizations_and_put_billing_on_file() {
    let app = start();
    let created = admin(
        &app,
        "POST",
        "/admin/organizations",
        Some(&json!({"name": "Acme Inc.", "url": "https://acme.example.com"})),
    );
    assert_eq!(created.status, 201);
    let org = created.json();
    assert_eq!(
        (org["timezone"].as_str(), org["currency_code"].as_str()),
        (Some("UTC"), Some("USD"))
    );
    assert_eq!(org["payment_method"], Value::Null);
    let id = org["id"].as_str().expect("id");
    let billed = admin(
        &app,
        "PUT",
        &format!("/admin/organizations/{id}/billing"),
        Some(&json!({"payment_method": "pm_1"})),
    );
    assert_eq!(billed.json()["payment_method"], "pm_1");
    let removed = admin(
        &app,
        "DELETE",
        &format!("/admin/organizations/{id}/billing"),
        None,
    );
    assert_eq!(removed.json()["payment_method"], Value::Null);
    assert_error(
        &admin(
            &app,
            "POST",
            "/admin/organizations",
            Some(&json!({"name": ""})),
        ),
        400,
        "invalid_value",
        Some("name"),
    );
    for currency in ["usd", "ABC"] {
        assert_error(
            &admin(
                &app,
                "POST",
                "/admin/organizations",
                Some(&json!({"name": "x", "currency_code": currency})),
            ),
            400,
            "invalid_value",
            Some("currency_code"),
        );
    }
    assert_error(
        &admin(
            &app,
            "GET",
            "/admin/organizations/00000000-0000-4000-8000-000000000000",
            None,
        ),
        404,
        "not_found",
        None,
    );
}

#[test]
fn operators_mint_keys_for_every_surface() {
    let app = start();
    let mint = |body: Value| {
        admin(
            &app,
            "POST",
            &format!("/admin/organizations/{ORGANIZATION_ID}/api-keys"),
            Some(&body),
        )
    };
    let publisher = mint(json!({"kind": "publisher"})).json();
    assert!(publisher["key"].as_str().expect("key").starts_with("pk_"));
    assert_eq!(publisher["environment"], "staging");
    let production = mint(json!({"kind": "publisher", "environment": "production"})).json();
    assert_eq!(production["environment"], "production");
    let partner = mint(json!({"kind": "partner", "label": "server"})).json();
    assert!(partner["key"].as_str().expect("key").starts_with("pt_"));
    assert_error(
        &mint(json!({"kind": "advertiser"})),
        409,
        "active_key_exists",
        None,
    );
    assert_error(
        &mint(json!({"kind": "partner", "environment": "staging"})),
        400,
        "invalid_value",
        Some("environment"),
    );
    assert_error(
        &mint(json!({"kind": "root"})),
        400,
        "invalid_value",
        Some("kind"),
    );
    let db = app.database();
    let clear: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM api_keys WHERE key_hash = ?1",
            [partner["key"].as_str().expect("key")],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(clear, 0, "keys are stored hashed, never in clear");
}

#[test]
fn campaigns_awaiting_review_are_listed_and_decided() {
    let app = start();
    let id = super::create_campaign(&app, "For review")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let queue = admin(
        &app,
        "GET",
        "/admin/campaigns?review_status=in_review",
        None,
    )
    .json();
    assert!(
        queue["data"]
            .as_array()
            .expect("data")
            .iter()
            .any(|c| c["id"] == id.as_str())
    );
    let approved = admin(
        &app,
        "POST",
        &format!("/admin/campaigns/{id}/approve"),
        None,
    )
    .json();
    assert_eq!(approved["organization_id"], ORGANIZATION_ID);
    assert_eq!(approved["review_status"], "approved");
    assert_error(
        &admin(&app, "POST", "/admin/campaigns/nope/approve", None),
        404,
        "not_found",
        None,
    );
    assert_error(
        &admin(&app, "GET", "/admin/campaigns?review_status=maybe", None),
        400,
        "invalid_value",
        Some("review_status"),
    );
}

//! The S2S surface: collect events and conversions, through the running app.

mod collect;
mod conversion;

use adspin_e2e::demo::{ADMIN_TOKEN, PARTNER_TOKEN};
use adspin_e2e::{TestApp, TestResponse};
use serde_json::{Value, json};

/// The demo click of `seed/demo-traffic.sql` (the S2S quickstart's).
const DEMO_CLICK: &str = "11111111-1111-4111-8111-111111111111";

fn partner_post(
    app: &TestApp,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> TestResponse {
    let auth = format!("Bearer {token}");
    let mut all = vec![
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    all.extend_from_slice(headers);
    app.request("POST", path, &all, Some(body.to_string().as_bytes()))
}

fn collect(app: &TestApp, body: &Value) -> TestResponse {
    partner_post(app, "/v1/api/collect", PARTNER_TOKEN, &[], body)
}

fn convert(app: &TestApp, key: Option<&str>, body: &Value) -> TestResponse {
    let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
    partner_post(app, "/v1/api/conversion", PARTNER_TOKEN, &headers, body)
}

/// Asserts a `{"detail": "..."}` error.
#[track_caller]
fn detail(response: &TestResponse, status: u16, message: &str) {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(response.json(), json!({ "detail": message }));
}

/// Asserts a 422 and returns the located fields (`body.click_id`, ...).
#[track_caller]
fn invalid_fields(response: &TestResponse) -> Vec<String> {
    assert_eq!(response.status, 422, "{}", response.text());
    let body = response.json();
    body["detail"]
        .as_array()
        .expect("a list of problems")
        .iter()
        .map(|issue| {
            assert!(
                issue["msg"].as_str().is_some_and(|m| !m.is_empty()),
                "{issue}"
            );
            assert!(
                issue["type"].as_str().is_some_and(|t| !t.is_empty()),
                "{issue}"
            );
            issue["loc"]
                .as_array()
                .expect("loc")
                .iter()
                .map(|part| part.as_str().map_or_else(|| part.to_string(), String::from))
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect()
}

/// Mints a key of `kind` for `organization` through the operator surface.
fn mint(app: &TestApp, organization: &str, kind: &str) -> (String, String) {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let response = app.request(
        "POST",
        &format!("/admin/organizations/{organization}/api-keys"),
        &[("authorization", &auth)],
        Some(
            json!({"kind": kind, "label": "test"})
                .to_string()
                .as_bytes(),
        ),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    let body = response.json();
    (
        body["id"].as_str().expect("id").to_string(),
        body["key"].as_str().expect("key").to_string(),
    )
}

/// A new organization; returns its id.
fn organization(app: &TestApp, name: &str) -> String {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let response = app.request(
        "POST",
        "/admin/organizations",
        &[("authorization", &auth)],
        Some(json!({ "name": name }).to_string().as_bytes()),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()["id"].as_str().expect("id").to_string()
}

fn database(app: &TestApp) -> rusqlite::Connection {
    app.database()
}

//! The Advertiser API (`/v1`), its key management and the operator
//! surface, through the running app.

mod admin;
mod auth;
mod campaigns;
mod children;
mod idempotency;
mod image_url;
mod insights;
mod keys;
mod openapi;
mod pagination;
mod rate_limits;
pub(crate) mod session;
mod tenancy;
mod upload;

use adspin_e2e::demo::{ADMIN_TOKEN, ADVERTISER_KEY, ORGANIZATION_ID};
use adspin_e2e::{HostLaunch, TestApp, TestResponse};
use serde_json::{Value, json};

/// The app with the demo organization's billing set up.
fn start() -> TestApp {
    let app = HostLaunch::app().start();
    set_billing(&app, ORGANIZATION_ID);
    app
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A request as the demo advertiser.
fn v1(app: &TestApp, method: &str, path: &str, body: Option<&Value>) -> TestResponse {
    as_key(app, ADVERTISER_KEY, method, path, body)
}

/// A request with another advertiser key.
fn as_key(
    app: &TestApp,
    key: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> TestResponse {
    let auth = bearer(key);
    let mut headers = vec![("authorization", auth.as_str())];
    let text = body.map(Value::to_string);
    if text.is_some() {
        headers.push(("content-type", "application/json"));
    }
    app.request(method, path, &headers, text.as_deref().map(str::as_bytes))
}

/// A request to the operator surface.
fn admin(app: &TestApp, method: &str, path: &str, body: Option<&Value>) -> TestResponse {
    let auth = bearer(ADMIN_TOKEN);
    let text = body.map(Value::to_string);
    app.request(
        method,
        path,
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        text.as_deref().map(str::as_bytes),
    )
}

fn set_billing(app: &TestApp, organization: &str) {
    let response = admin(
        app,
        "PUT",
        &format!("/admin/organizations/{organization}/billing"),
        Some(&json!({"payment_method": "pm_card_visa"})),
    );
    assert_eq!(response.status, 200, "{}", response.text());
}

/// A second organization with billing and an advertiser key: (id, key).
fn other_tenant(app: &TestApp) -> (String, String) {
    let created = admin(
        app,
        "POST",
        "/admin/organizations",
        Some(&json!({"name": "Rival Corp"})),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().expect("id").to_string();
    set_billing(app, &id);
    let key = admin(
        app,
        "POST",
        &format!("/admin/organizations/{id}/api-keys"),
        Some(&json!({"kind": "advertiser"})),
    );
    assert_eq!(key.status, 201, "{}", key.text());
    (id, key.json()["key"].as_str().expect("key").to_string())
}

/// A campaign body with one ad group and one chat-card ad.
fn campaign_body(name: &str) -> Value {
    json!({
        "name": name,
        "budget": {"lifetime_spend_limit_micros": 50_000_000},
        "targeting": {"locations": {"include": [{"country_code": "US"}, {"country_code": "de"}]}},
        "ad_groups": [{
            "name": "Prospecting",
            "context_hints": ["running shoes", "marathon training"],
            "bidding_config": {"max_bid_micros": 2_000_000},
            "ads": [{
                "name": "Card A",
                "creative": {"type": "chat_card", "title": "Try our app", "body": "Fast, simple, free to start",
                             "target_url": "https://example.com", "cta_text": "Shop now"}
            }]
        }]
    })
}

/// Creates a campaign as `key`; returns the created campaign.
fn create_campaign_as(app: &TestApp, key: &str, name: &str) -> Value {
    let response = as_key(
        app,
        key,
        "POST",
        "/v1/campaigns",
        Some(&campaign_body(name)),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()
}

fn create_campaign(app: &TestApp, name: &str) -> Value {
    create_campaign_as(app, ADVERTISER_KEY, name)
}

/// The first ad group and ad of a campaign: (ad_group_id, ad_id).
fn first_children(app: &TestApp, key: &str, campaign_id: &str) -> (String, String) {
    let groups = as_key(
        app,
        key,
        "GET",
        &format!("/v1/ad_groups?campaign_id={campaign_id}"),
        None,
    )
    .json();
    let group_id = groups["data"][0]["id"]
        .as_str()
        .expect("ad group")
        .to_string();
    let ads = as_key(
        app,
        key,
        "GET",
        &format!("/v1/ads?ad_group_id={group_id}"),
        None,
    )
    .json();
    let ad_id = ads["data"][0]["id"].as_str().expect("ad").to_string();
    (group_id, ad_id)
}

/// Asserts a `/v1` error response.
#[track_caller]
fn assert_error(response: &TestResponse, status: u16, code: &str, param: Option<&str>) {
    assert_eq!(response.status, status, "{}", response.text());
    let body = response.json();
    let error = &body["error"];
    assert_eq!(error["code"], code, "{body}");
    assert_eq!(error["param"].as_str(), param, "{body}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let kind = error["type"].as_str().expect("type");
    assert!(
        [
            "invalid_request_error",
            "authentication_error",
            "rate_limit_error",
            "server_error"
        ]
        .contains(&kind),
        "{body}"
    );
}

//! The agents API (`/api/v1/...`).

mod accounts;
mod ai;
mod batch;
mod billing;
mod business;
mod campaigns;
mod keys;
mod mcp;
mod oauth;
mod platforms;
mod rules;
mod safety;
mod tenancy;
mod webhooks;

use adspin_e2e::demo::ADMIN_TOKEN;
use adspin_e2e::{HostLaunch, TestApp, TestResponse};
use serde_json::{Value, json};

pub(crate) fn start() -> TestApp {
    HostLaunch::app().start()
}

/// POSTs `body` to an agents API path (`/auth/register`).
pub(crate) fn post(app: &TestApp, path: &str, body: &Value) -> TestResponse {
    app.post_json(&format!("/api/v1{path}"), &[], body)
}

/// Calls an agents API path (`/auth/keys`) with `key`.
pub(crate) fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    key: &str,
    body: Option<&Value>,
) -> TestResponse {
    let auth = format!("Bearer {key}");
    let text = body.map(Value::to_string);
    app.request(
        method,
        &format!("/api/v1{path}"),
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        text.as_deref().map(str::as_bytes),
    )
}

/// POSTs a form (`application/x-www-form-urlencoded`) to `path`.
pub(crate) fn form(app: &TestApp, path: &str, body: &str) -> TestResponse {
    app.request(
        "POST",
        path,
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(body.as_bytes()),
    )
}

/// Presses Pay (`action=pay`) or Decline on a demo checkout's page.
pub(crate) fn submit_checkout(app: &TestApp, token: &str, action: &str) -> TestResponse {
    form(
        app,
        "/api/v1/billing/checkout",
        &format!("token={token}&action={action}"),
    )
}

/// One call of the scheduled work; its report.
pub(crate) fn tick(app: &TestApp) -> Value {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let response = app.request("POST", "/admin/tick", &[("authorization", &auth)], None);
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// The newest email sent to `to`, from the development mailbox.
pub(crate) fn last_email(app: &TestApp, to: &str) -> Value {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let response = app.get_with(
        &format!("/admin/mailbox?to={to}&limit=1"),
        &[("authorization", &auth)],
    );
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["data"][0].clone()
}

/// The 6-digit code of the newest verification email to `to`.
pub(crate) fn verification_code(app: &TestApp, to: &str) -> String {
    let email = last_email(app, to);
    assert_eq!(email["kind"], "verification_code", "{email}");
    let body = email["body"].as_str().expect("body");
    let at = body.find("code is ").expect("a code") + "code is ".len();
    body[at..at + 6].to_string()
}

/// Registers `email` and verifies it; returns the registration's answer.
pub(crate) fn verified_account(app: &TestApp, email: &str) -> Value {
    let registered = post(
        app,
        "/auth/register",
        &json!({"email": email, "password": "securePassword123",
            "first_name": "Jane", "last_name": "Smith"}),
    );
    assert_eq!(registered.status, 201, "{}", registered.text());
    let code = verification_code(app, email);
    let verified = post(app, "/auth/verify", &json!({"email": email, "code": code}));
    assert_eq!(verified.status, 200, "{}", verified.text());
    registered.json()
}

/// A verified account with a business profile; its key and organization.
pub(crate) fn advertiser(app: &TestApp, email: &str) -> (String, String) {
    let account = verified_account(app, email);
    let key = account["api_key"].as_str().expect("key").to_string();
    let business = call(
        app,
        "POST",
        "/account/business",
        &key,
        Some(&json!({"name": "Acme Corp"})),
    );
    assert_eq!(business.status, 201, "{}", business.text());
    let organization = account["user"]["organization_id"]
        .as_str()
        .expect("organization")
        .to_string();
    (key, organization)
}

/// Asserts an error answer's status and code; its body.
#[track_caller]
pub(crate) fn expect(response: &TestResponse, status: u16, code: &str) -> Value {
    assert_eq!(response.status, status, "{}", response.text());
    let body = response.json();
    assert_eq!(body["error"]["code"], code, "{body}");
    body
}

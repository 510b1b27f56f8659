//! Billing through the running app: the free plan, a paid plan paid on the
//! demo provider's checkout page, and one paid through a fake Stripe on
//! loopback with signed events.

use adspin_e2e::{FakeResponse, FakeServer, HostLaunch, TestApp};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use super::{call, last_email, start, submit_checkout, verified_account};

/// The path and query of the checkout link in the newest email to `to`.
fn emailed_checkout_path(app: &TestApp, to: &str) -> String {
    let email = last_email(app, to);
    assert_eq!(email["kind"], "checkout_link", "{email}");
    let body = email["body"].as_str().expect("body");
    let start = body
        .find("/api/v1/billing/checkout?token=")
        .expect("a link");
    body[start..]
        .split_whitespace()
        .next()
        .expect("link")
        .to_string()
}

#[test]
fn plans_are_public_and_list_every_documented_plan() {
    let app = start();
    let plans = app.get("/api/v1/billing/plans");
    assert_eq!(plans.status, 200, "{}", plans.text());
    assert!(plans.header("x-ratelimit-limit").is_some());
    let names: Vec<String> = plans.json()["data"]
        .as_array()
        .expect("plans")
        .iter()
        .map(|plan| format!("{} {} {}", plan["id"], plan["name"], plan["price"]))
        .collect();
    assert_eq!(
        names,
        [
            "1 \"Free\" 0.0",
            "2 \"Standard\" 49.0",
            "4 \"Growth\" 149.0",
            "3 \"Flexible\" 199.0"
        ]
    );
}

#[test]
fn the_free_plan_activates_at_once_and_a_paid_one_after_the_demo_checkout() {
    let app = start();
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");

    let free = call(
        &app,
        "POST",
        "/billing/subscribe",
        key,
        Some(&json!({ "plan_id": 1 })),
    );
    assert_eq!(free.status, 200, "{}", free.text());
    assert_eq!(free.json()["status"], "active");
    assert_eq!(free.json()["message"], "Free plan activated.");
    assert_eq!(
        free.header("x-ratelimit-limit"),
        Some("10"),
        "Free: 10 a minute"
    );

    let paid = call(
        &app,
        "POST",
        "/billing/subscribe",
        key,
        Some(&json!({ "plan_id": 2 })),
    );
    assert_eq!(paid.status, 200, "{}", paid.text());
    let paid = paid.json();
    assert_eq!(paid["status"], "pending");
    assert_eq!(
        paid["plan"],
        json!({"id": 2, "name": "Standard", "price": 49.0, "currency": "USD"})
    );
    let token = paid["token"].as_str().expect("token");
    assert!(
        paid["checkout_url"]
            .as_str()
            .expect("url")
            .ends_with(&format!("/api/v1/billing/checkout?token={token}"))
    );
    assert!(
        paid["message"]
            .as_str()
            .expect("message")
            .contains("jane@example.com")
    );

    let status_path = format!("/billing/subscribe/status?token={token}");
    let pending = call(&app, "GET", &status_path, key, None).json();
    assert_eq!(pending["status"], "pending");
    assert_eq!(pending["message"], "Waiting for payment to be completed.");

    // The person opens the emailed link and presses Pay.
    let link = emailed_checkout_path(&app, "jane@example.com");
    let page = app.get(&link);
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .is_some_and(|t| t.starts_with("text/html"))
    );
    assert!(page.text().contains("Pay $49.00"), "{}", page.text());
    let paid_page = submit_checkout(&app, token, "pay");
    assert_eq!(paid_page.status, 200);
    assert!(
        paid_page.text().contains("Standard plan is active"),
        "{}",
        paid_page.text()
    );

    let active = call(&app, "GET", &status_path, key, None);
    assert_eq!(active.json()["status"], "active", "{}", active.text());
    assert_eq!(active.json()["subscription"]["plan"]["name"], "Standard");
    assert_eq!(
        active.header("x-ratelimit-limit"),
        Some("30"),
        "Standard: 30 a minute"
    );
    let status = call(&app, "GET", "/billing/status", key, None).json();
    assert_eq!(status["plan"]["name"], "Standard");
    assert_eq!(status["plan"]["limits"]["requests_per_day"], 5_000);
    let invoices = call(&app, "GET", "/billing/invoices", key, None).json();
    assert_eq!(invoices["pagination"]["total"], 1);
    assert_eq!(invoices["data"][0]["amount"], 49.0);

    let canceled = call(&app, "POST", "/billing/cancel", key, None);
    assert_eq!(canceled.status, 200, "{}", canceled.text());
    assert_eq!(
        canceled.json()["subscription"]["cancel_at_period_end"],
        true
    );
}

#[test]
fn billing_needs_a_verified_account_and_its_scopes() {
    let app = start();
    let registered = super::post(
        &app,
        "/auth/register",
        &json!({"email": "jane@example.com", "password": "securePassword123",
            "first_name": "Jane", "last_name": "Smith"}),
    )
    .json();
    let key = registered["api_key"].as_str().expect("key");
    let unverified = call(
        &app,
        "POST",
        "/billing/subscribe",
        key,
        Some(&json!({ "plan_id": 1 })),
    );
    assert_eq!(unverified.status, 403);
    assert_eq!(unverified.json()["error"]["code"], "account_not_verified");
    for path in ["/billing/status", "/billing/invoices"] {
        let read = call(&app, "GET", path, key, None);
        assert_eq!(read.status, 403, "{path}");
        assert_eq!(read.json()["error"]["code"], "account_not_verified");
    }
    let scoped = call(
        &app,
        "POST",
        "/auth/keys",
        key,
        Some(&json!({"scopes": ["campaigns:read"]})),
    )
    .json();
    let scoped_key = scoped["api_key"].as_str().expect("key");
    let refused = call(&app, "GET", "/billing/status", scoped_key, None);
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json()["error"]["code"], "insufficient_scope");
}

const WEBHOOK_SECRET: &str = "whsec_e2e";

fn stripe_signature(timestamp: i64, payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).expect("key");
    mac.update(format!("{timestamp}.{payload}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

#[test]
fn a_paid_plan_through_stripe_activates_on_its_signed_event() {
    let stripe = FakeServer::start(|request| match request.path.as_str() {
        "/v1/checkout/sessions" => FakeResponse::json(
            200,
            &json!({"id": "cs_test_e2e", "object": "checkout.session",
                "url": "https://checkout.stripe.test/c/pay/cs_test_e2e"}),
        ),
        _ => FakeResponse::json(404, &json!({"error": {"message": "no such path"}})),
    });
    let app = HostLaunch::app()
        .variable("payment_provider", "stripe")
        .variable("stripe_api_base", stripe.base_url())
        .variable("stripe_secret_key", "sk_test_e2e")
        .variable("stripe_webhook_secret", WEBHOOK_SECRET)
        .start();
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");

    let pending = call(
        &app,
        "POST",
        "/billing/subscribe",
        key,
        Some(&json!({ "plan": "Flexible" })),
    );
    assert_eq!(pending.status, 200, "{}", pending.text());
    let token = pending.json()["token"].as_str().expect("token").to_string();
    let sent = stripe.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].header("authorization"), Some("Bearer sk_test_e2e"));
    let form = String::from_utf8_lossy(&sent[0].body).into_owned();
    assert!(
        form.contains("mode=subscription") && form.contains("19900"),
        "{form}"
    );

    let redirect = app.get(&format!("/api/v1/billing/checkout?token={token}"));
    assert_eq!(redirect.status, 303);
    assert_eq!(
        redirect.header("location"),
        Some("https://checkout.stripe.test/c/pay/cs_test_e2e")
    );

    let event = json!({"id": "evt_e2e", "type": "checkout.session.completed",
        "data": {"object": {"id": "cs_test_e2e", "object": "checkout.session",
            "subscription": "sub_e2e", "payment_status": "paid"}}})
    .to_string();
    let now = chrono::Utc::now().timestamp();
    let send = |signature: &str| {
        app.request(
            "POST",
            "/api/v1/billing/stripe/webhook",
            &[
                ("content-type", "application/json"),
                ("stripe-signature", signature),
            ],
            Some(event.as_bytes()),
        )
    };
    let forged = send(&format!("t={now},v1={}", "0".repeat(64)));
    assert_eq!(forged.status, 400);
    assert_eq!(forged.json()["error"]["code"], "invalid_signature");
    let stale = send(&stripe_signature(now - 600, &event));
    assert_eq!(stale.status, 400);
    let status_path = format!("/billing/subscribe/status?token={token}");
    assert_eq!(
        call(&app, "GET", &status_path, key, None).json()["status"],
        "pending"
    );

    for _ in 0..2 {
        let received = send(&stripe_signature(now, &event));
        assert_eq!(received.status, 200, "{}", received.text());
    }
    let active = call(&app, "GET", &status_path, key, None).json();
    assert_eq!(active["status"], "active");
    assert_eq!(active["subscription"]["plan"]["name"], "Flexible");
    assert_eq!(active["subscription"]["provider"], "stripe");
    let invoices = call(&app, "GET", "/billing/invoices", key, None).json();
    assert_eq!(
        invoices["pagination"]["total"], 1,
        "the repeated event counted once"
    );
}

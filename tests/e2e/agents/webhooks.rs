//! Webhooks through the running app: registration, signed deliveries by
//! the scheduled work (`POST /admin/tick`), retries, the delivery log,
//! redelivery and endpoints that answer 410.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use adspin_e2e::demo::ADMIN_TOKEN;
use adspin_e2e::{FakeRequest, FakeResponse, FakeServer, HostLaunch, TestApp};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{call, post, submit_checkout, tick, verification_code};

fn start() -> TestApp {
    HostLaunch::app()
        .variable("webhook_allow_loopback", "true")
        .variable("webhook_allowed_hosts", "http://127.0.0.1:*")
        .variable("webhook_retry_seconds", "0")
        .start()
}

/// Checks both signatures of a delivery as a receiver would.
fn verify_signatures(request: &FakeRequest, secret: &str) {
    // The specification's verify().
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(&request.body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(
        request.header("x-webhook-signature"),
        Some(expected.as_str())
    );
    // Standard Webhooks: key = base64-decoded secret, over "id.timestamp.body".
    let id = request.header("webhook-id").expect("webhook-id");
    let timestamp = request
        .header("webhook-timestamp")
        .expect("webhook-timestamp");
    let sent_at: i64 = timestamp.parse().expect("seconds");
    assert!(
        (chrono::Utc::now().timestamp() - sent_at).abs() < 300,
        "fresh"
    );
    let key = STANDARD.decode(secret).expect("base64 key");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&request.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(request.header("webhook-signature"), Some(expected.as_str()));
}

#[test]
fn a_receiver_that_fails_three_times_still_gets_every_event_once_signed() {
    let failures = Arc::new(AtomicUsize::new(0));
    let receiver = {
        let failures = failures.clone();
        FakeServer::start(move |_| {
            if failures.fetch_add(1, Ordering::SeqCst) < 3 {
                FakeResponse::json(500, &json!({"error": "down"}))
            } else {
                FakeResponse::new(204, "")
            }
        })
    };
    let app = start();
    let registered = post(
        &app,
        "/auth/register",
        &json!({"email": "jane@example.com", "password": "securePassword123",
            "first_name": "Jane", "last_name": "Smith"}),
    )
    .json();
    let key = registered["api_key"].as_str().expect("key");
    let created = call(
        &app,
        "POST",
        "/webhooks",
        key,
        Some(&json!({"url": format!("{}/hooks", receiver.base_url()),
            "events": ["account.verified", "billing.payment_completed"]})),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let created = created.json();
    let secret = created["secret"]
        .as_str()
        .expect("secret shown once")
        .to_string();
    let webhook_id = created["id"].as_i64().expect("integer id");
    assert_eq!(created["active"], true);

    let code = verification_code(&app, "jane@example.com");
    assert_eq!(
        post(
            &app,
            "/auth/verify",
            &json!({"email": "jane@example.com", "code": code})
        )
        .status,
        200
    );
    let paid = call(
        &app,
        "POST",
        "/billing/subscribe",
        key,
        Some(&json!({"plan_id": 2})),
    )
    .json();
    let token = paid["token"].as_str().expect("token");
    let paid_page = submit_checkout(&app, token, "pay");
    assert_eq!(paid_page.status, 200);

    // Two deliveries fail three times between them, then both get through.
    for _ in 0..4 {
        tick(&app);
    }
    let report = tick(&app);
    assert_eq!(report["webhooks"]["delivered"], 0, "nothing left: {report}");

    let requests = receiver.requests();
    assert_eq!(requests.len(), 5, "three failures and two successes");
    let mut delivered: BTreeMap<String, Value> = BTreeMap::new();
    let mut ids_by_event: BTreeMap<String, String> = BTreeMap::new();
    for request in &requests {
        verify_signatures(request, &secret);
        let event: Value = serde_json::from_slice(&request.body).expect("json");
        let event_id = event["id"].as_str().expect("event id").to_string();
        let webhook_id_header = request.header("webhook-id").expect("id").to_string();
        // The same delivery keeps its id on every retry.
        let known = ids_by_event
            .entry(event_id.clone())
            .or_insert(webhook_id_header.clone());
        assert_eq!(*known, webhook_id_header);
        delivered.insert(event_id, event);
    }
    let types: Vec<&str> = delivered
        .values()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(delivered.len(), 2, "two events, each once by id");
    assert!(types.contains(&"account.verified") && types.contains(&"billing.payment_completed"));
    let payment = delivered
        .values()
        .find(|event| event["type"] == "billing.payment_completed")
        .expect("payment");
    assert_eq!(payment["data"]["plan"]["name"], "Standard");
    assert_eq!(payment["data"]["amount"], 49.0);

    // The delivery log, and a redelivery with the same id.
    let log = call(
        &app,
        "GET",
        &format!("/webhooks/{webhook_id}/deliveries"),
        key,
        None,
    );
    assert_eq!(log.status, 200, "{}", log.text());
    let log = log.json();
    assert_eq!(log["pagination"]["total"], 2);
    let attempts: usize = log["data"]
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|delivery| delivery["attempts"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(attempts, 5);
    assert!(
        log["data"]
            .as_array()
            .expect("deliveries")
            .iter()
            .all(|d| d["status"] == "delivered")
    );
    let delivery_id = log["data"][0]["id"].as_str().expect("id");
    let again = call(
        &app,
        "POST",
        &format!("/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"),
        key,
        None,
    );
    assert_eq!(again.status, 202, "{}", again.text());
    tick(&app);
    let requests = receiver.requests();
    assert_eq!(requests.len(), 6);
    assert_eq!(requests[5].header("webhook-id"), Some(delivery_id));
}

#[test]
fn registration_checks_urls_and_events_and_a_410_disables_the_endpoint() {
    let gone = FakeServer::start(|_| FakeResponse::new(410, ""));
    let app = start();
    let account = super::verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");

    // The specification's Quick Start step 5, verbatim.
    let quick_start = call(
        &app,
        "POST",
        "/webhooks",
        key,
        Some(
            &json!({ "url": "https://acme.com/hooks/ads", "events": ["campaign.created", "campaign.updated"] }),
        ),
    );
    assert_eq!(quick_start.status, 201, "{}", quick_start.text());
    let quick_start = quick_start.json();
    assert_eq!(quick_start["url"], "https://acme.com/hooks/ads");
    assert_eq!(
        quick_start["events"],
        json!(["campaign.created", "campaign.updated"])
    );
    assert_eq!(quick_start["active"], true);
    assert_eq!(quick_start["secret"].as_str().map(str::len), Some(64));

    let unknown = call(
        &app,
        "POST",
        "/webhooks",
        key,
        Some(
            &json!({"url": "https://acme.com/x", "events": ["account.verified", "campaign.exploded"]}),
        ),
    );
    assert_eq!(unknown.status, 422);
    assert_eq!(unknown.json()["error"]["details"]["field"], "events[1]");
    for url in [
        "https://10.0.0.5/hook",
        "https://169.254.169.254/latest",
        "http://acme.com/hook",
    ] {
        let refused = call(
            &app,
            "POST",
            "/webhooks",
            key,
            Some(&json!({"url": url, "events": ["account.verified"]})),
        );
        assert_eq!(refused.status, 422, "{url}");
        assert_eq!(refused.json()["error"]["details"]["field"], "url");
    }

    let listed = call(&app, "GET", "/webhooks", key, None).json();
    assert_eq!(listed["pagination"]["total"], 1);
    assert!(
        listed["data"][0].get("secret").is_none(),
        "secrets are shown once"
    );

    // An endpoint that answers 410 Gone is disabled at its first delivery.
    let hook = call(
        &app,
        "POST",
        "/webhooks",
        key,
        Some(&json!({"url": format!("{}/gone", gone.base_url()), "events": ["billing.payment_completed"]})),
    )
    .json();
    let paid = call(
        &app,
        "POST",
        "/billing/subscribe",
        key,
        Some(&json!({"plan_id": 2})),
    )
    .json();
    let token = paid["token"].as_str().expect("token");
    submit_checkout(&app, token, "pay");
    let report = tick(&app);
    assert_eq!(report["webhooks"]["failed"], 1, "{report}");
    assert_eq!(gone.requests().len(), 1);
    let disabled = call(&app, "GET", &format!("/webhooks/{}", hook["id"]), key, None).json();
    assert_eq!(disabled["active"], false);
    assert!(
        disabled["disabled_reason"]
            .as_str()
            .is_some_and(|r| r.contains("410"))
    );
}

#[test]
fn the_tick_needs_the_operator_token_and_only_post() {
    let app = start();
    let anonymous = app.request("POST", "/admin/tick", &[], None);
    assert_eq!(anonymous.status, 401);
    let wrong = app.request(
        "POST",
        "/admin/tick",
        &[("authorization", "Bearer nope")],
        None,
    );
    assert_eq!(wrong.status, 401);
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let get = app.request("GET", "/admin/tick", &[("authorization", &auth)], None);
    assert_eq!(get.status, 405);
    assert_eq!(get.header("allow"), Some("POST"));
    assert_eq!(tick(&app)["webhooks"]["delivered"], 0);
}

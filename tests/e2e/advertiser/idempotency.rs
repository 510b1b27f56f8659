//! `Idempotency-Key` on `POST /v1/campaigns`: replays, conflicts, and one
//! tree and one charge under concurrent retries.

use adspin_e2e::demo::ADVERTISER_KEY;

use super::{assert_error, bearer, campaign_body, start, v1};

fn create_with_key(
    app: &adspin_e2e::TestApp,
    key: &str,
    body: &serde_json::Value,
) -> adspin_e2e::TestResponse {
    let auth = bearer(ADVERTISER_KEY);
    app.request(
        "POST",
        "/v1/campaigns",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
            ("idempotency-key", key),
        ],
        Some(body.to_string().as_bytes()),
    )
}

fn deposits(app: &adspin_e2e::TestApp) -> i64 {
    let db = app.database();
    db.query_row("SELECT COUNT(*) FROM ledger_entries", [], |row| row.get(0))
        .expect("count")
}

#[test]
fn the_same_key_and_body_replays_the_original_response() {
    let app = start();
    let body = campaign_body("Idempotent");
    let first = create_with_key(&app, "order-1", &body);
    assert_eq!(first.status, 201);
    // The same JSON with another key order and spacing is the same body.
    let reordered: serde_json::Value =
        serde_json::from_str(&serde_json::to_string_pretty(&body).expect("json")).expect("json");
    let again = create_with_key(&app, "order-1", &reordered);
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body, "byte for byte");
    assert_eq!(v1(&app, "GET", "/v1/campaigns", None).json()["count"], 1);
    assert_eq!(deposits(&app), 1, "charged once");
}

#[test]
fn a_replay_is_answered_even_when_the_create_limit_is_spent() {
    let app = start();
    let body = campaign_body("Replayed past the limit");
    let first = create_with_key(&app, "order-limit", &body);
    assert_eq!(first.status, 201);
    let db = app.database();
    db.execute(
        "UPDATE rate_limit_windows SET count = 60 WHERE bucket LIKE 'v1-campaign-create:%'",
        [],
    )
    .expect("spend the hour's creates");
    let again = create_with_key(&app, "order-limit", &body);
    assert_eq!(again.status, 201, "{}", again.text());
    assert_eq!(again.body, first.body, "byte for byte");
    let refused = create_with_key(&app, "order-new", &campaign_body("A new one"));
    assert_error(&refused, 429, "rate_limit_exceeded", None);
    assert_eq!(deposits(&app), 1, "charged once");
}

#[test]
fn the_same_key_with_another_body_is_a_conflict() {
    let app = start();
    assert_eq!(
        create_with_key(&app, "order-2", &campaign_body("First body")).status,
        201
    );
    let conflict = create_with_key(&app, "order-2", &campaign_body("Second body"));
    assert_error(
        &conflict,
        409,
        "idempotency_key_reused",
        Some("Idempotency-Key"),
    );
    assert_eq!(deposits(&app), 1);
}

#[test]
fn concurrent_retries_with_one_key_create_one_tree_and_charge_once() {
    let app = start();
    let body = campaign_body("Concurrent");
    let responses: Vec<adspin_e2e::TestResponse> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| create_with_key(&app, "order-3", &body)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("request thread"))
            .collect()
    });
    for response in &responses {
        assert_eq!(response.status, 201, "{}", response.text());
        assert_eq!(response.body, responses[0].body);
    }
    assert_eq!(v1(&app, "GET", "/v1/campaigns", None).json()["count"], 1);
    let campaign_id = responses[0].json()["id"].as_str().expect("id").to_string();
    assert_eq!(
        v1(
            &app,
            "GET",
            &format!("/v1/ad_groups?campaign_id={campaign_id}"),
            None
        )
        .json()["count"],
        1
    );
    assert_eq!(deposits(&app), 1);
}

#[test]
fn keys_are_scoped_to_the_organization_and_validated() {
    let app = start();
    let (_, other_key) = super::other_tenant(&app);
    assert_eq!(
        create_with_key(&app, "shared-key", &campaign_body("Mine")).status,
        201
    );
    let auth = bearer(&other_key);
    let theirs = app.request(
        "POST",
        "/v1/campaigns",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
            ("idempotency-key", "shared-key"),
        ],
        Some(campaign_body("Theirs").to_string().as_bytes()),
    );
    assert_eq!(
        theirs.status, 201,
        "another organization's key space is separate"
    );
    assert_eq!(theirs.json()["name"], "Theirs");
    let too_long = "k".repeat(256);
    assert_error(
        &create_with_key(&app, &too_long, &campaign_body("Long key")),
        400,
        "invalid_value",
        Some("Idempotency-Key"),
    );
}

#[test]
fn a_failed_create_is_not_stored_for_replay() {
    let app = adspin_e2e::HostLaunch::app().start();
    let body = campaign_body("Before billing");
    assert_error(
        &create_with_key(&app, "order-4", &body),
        400,
        "billing_not_configured",
        None,
    );
    super::set_billing(&app, adspin_e2e::demo::ORGANIZATION_ID);
    assert_eq!(
        create_with_key(&app, "order-4", &body).status,
        201,
        "the retry runs once billing is set up"
    );
}

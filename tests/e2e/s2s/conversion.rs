//! `POST /v1/api/conversion`.

use adspin_e2e::HostLaunch;
use adspin_e2e::demo::{ORGANIZATION_ID, PUBLISHER_STAGING_KEY};
use serde_json::{Value, json};

use super::{
    DEMO_CLICK, convert, database, detail, invalid_fields, mint, organization, partner_post,
};
use crate::ssp::{bid_request_with, conversation, envelope};

/// The quickstart's conversion body, for `click_id`.
fn quickstart(click_id: &str) -> Value {
    json!({
        "click_id": click_id,
        "conversion_time": "2026-02-19T18:00:00Z",
        "conversion_value": 49.99,
        "currency": "USD",
        "order_id": "order-123",
        "event_type": "purchase_completed"
    })
}

/// (stored conversions, counted conversions, counted value) of the demo click's ad.
fn counts(app: &adspin_e2e::TestApp) -> (i64, i64, i64) {
    let db = database(app);
    let stored: i64 = db
        .query_row("SELECT COUNT(*) FROM conversions", [], |row| row.get(0))
        .expect("count");
    let (counted, value): (i64, i64) = db
        .query_row(
            "SELECT TOTAL(conversions), TOTAL(conversion_value_micros) FROM rollups_hourly",
            [],
            |row| Ok((row.get::<_, f64>(0)? as i64, row.get::<_, f64>(1)? as i64)),
        )
        .expect("rollups");
    (stored, counted, value)
}

#[test]
fn the_quickstart_conversion_is_ok_then_duplicate() {
    let app = HostLaunch::app().demo_traffic().start();
    let first = convert(&app, Some("order-123"), &quickstart(DEMO_CLICK));
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json(), json!({"status": "ok"}));
    let again = convert(&app, Some("order-123"), &quickstart(DEMO_CLICK));
    assert_eq!(again.json(), json!({"status": "duplicate"}));
    let by_order_id = convert(&app, None, &quickstart(DEMO_CLICK));
    assert_eq!(
        by_order_id.json(),
        json!({"status": "duplicate"}),
        "without the header, order_id is the key"
    );
    assert_eq!(counts(&app), (1, 1, 49_990_000));
    let db = database(&app);
    let (campaign, hour): (String, i64) = db
        .query_row(
            "SELECT campaign_id, hour FROM rollups_hourly WHERE conversions > 0",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("attributed");
    assert_eq!(campaign, "0d3e0000-0000-4000-8000-0000000000d1");
    assert_eq!(hour, 1_771_524_000, "counted in the hour it happened");
}

#[test]
fn identical_concurrent_conversions_count_once() {
    let app = HostLaunch::app().demo_traffic().start();
    let statuses: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|_| {
                scope.spawn(|| {
                    let response = convert(&app, Some("order-777"), &quickstart(DEMO_CLICK));
                    assert_eq!(response.status, 200, "{}", response.text());
                    response.json()["status"]
                        .as_str()
                        .expect("status")
                        .to_string()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| *s == "ok").count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| *s == "duplicate").count(), 11);
    assert_eq!(counts(&app), (1, 1, 49_990_000));
}

#[test]
fn extra_fields_are_kept_under_params_extra() {
    let app = HostLaunch::app().demo_traffic().start();
    let mut body = quickstart(DEMO_CLICK);
    body["coupon"] = json!("SPRING10");
    body["items"] = json!([{"sku": "shoe-1", "qty": 1}]);
    assert_eq!(convert(&app, Some("k-extra"), &body).json()["status"], "ok");
    let data: String = database(&app)
        .query_row("SELECT data FROM conversions", [], |row| row.get(0))
        .expect("stored");
    let data: Value = serde_json::from_str(&data).expect("json");
    assert_eq!(
        data["params"]["extra"],
        json!({"coupon": "SPRING10", "items": [{"sku": "shoe-1", "qty": 1}]})
    );
}

#[test]
fn the_click_to_conversion_window_decides_what_counts() {
    let late = |app: &adspin_e2e::TestApp| {
        let mut body = quickstart(DEMO_CLICK);
        body["conversion_time"] = json!("2026-04-10T12:00:00Z"); // 50 days after the click
        convert(app, Some("late"), &body)
    };
    let default_window = HostLaunch::app().demo_traffic().start();
    assert_eq!(late(&default_window).json(), json!({"status": "ok"}));
    assert_eq!(
        counts(&default_window),
        (1, 0, 0),
        "stored, outside 30 days"
    );

    let wider = HostLaunch::app()
        .demo_traffic()
        .variable("conversion_window_days", "60")
        .start();
    assert_eq!(late(&wider).json(), json!({"status": "ok"}));
    assert_eq!(counts(&wider), (1, 1, 49_990_000));
}

#[test]
fn unknown_foreign_and_unattributable_clicks_are_refused() {
    let app = HostLaunch::app().demo_traffic().start();
    detail(
        &convert(
            &app,
            None,
            &quickstart("22222222-2222-4222-8222-222222222222"),
        ),
        404,
        "Click not found",
    );
    let stranger = organization(&app, "Another Shop");
    let (_, their_token) = mint(&app, &stranger, "partner");
    detail(
        &partner_post(
            &app,
            "/v1/api/conversion",
            &their_token,
            &[],
            &quickstart(DEMO_CLICK),
        ),
        404,
        "Click not found",
    );
    // A staging key always gets a test ad: no campaign bid for it.
    let bid = envelope(
        &bid_request_with(
            &app,
            PUBLISHER_STAGING_KEY,
            &conversation("chat_t", "anything"),
            &[],
        ),
        200,
        "success",
    );
    let click = bid["url"]
        .as_str()
        .expect("url")
        .strip_prefix(&app.base_url())
        .expect("ours")
        .to_string();
    let redirect = app.get(&click);
    let location = redirect.header("location").expect("location");
    let click_id = location.split("thrad_click_id=").nth(1).expect("click id");
    detail(
        &convert(&app, None, &quickstart(click_id)),
        400,
        "Click missing bid id",
    );
    detail(
        &partner_post(
            &app,
            "/v1/api/conversion",
            &their_token,
            &[],
            &quickstart(click_id),
        ),
        404,
        "Click not found",
    );
    assert_eq!(counts(&app), (0, 0, 0));
    assert!(ORGANIZATION_ID != stranger);
}

#[test]
fn invalid_conversions_are_422_listing_every_problem() {
    let app = HostLaunch::app().demo_traffic().start();
    assert_eq!(
        invalid_fields(&convert(&app, None, &json!({}))),
        [
            "body.click_id",
            "body.conversion_time",
            "body.conversion_value",
            "body.currency"
        ]
    );
    assert_eq!(
        invalid_fields(&convert(
            &app,
            Some(&"k".repeat(300)),
            &json!({"click_id": DEMO_CLICK, "conversion_time": "Feb 19", "conversion_value": "a lot",
                    "currency": "DOLLARS", "event_type": 5})
        )),
        [
            "body.conversion_time",
            "body.conversion_value",
            "body.currency",
            "body.event_type",
            "header.idempotency-key"
        ]
    );
    let mut future = quickstart(DEMO_CLICK);
    future["conversion_time"] = json!("2099-01-01T00:00:00Z");
    assert_eq!(
        invalid_fields(&convert(&app, None, &future)),
        ["body.conversion_time"]
    );
    let mut negative = quickstart(DEMO_CLICK);
    negative["conversion_value"] = json!(-5);
    assert_eq!(
        invalid_fields(&convert(&app, None, &negative)),
        ["body.conversion_value"]
    );
    assert_eq!(counts(&app), (0, 0, 0));
}

#[test]
fn conversions_need_a_valid_partner_token() {
    let app = HostLaunch::app().demo_traffic().start();
    let anonymous = app.request(
        "POST",
        "/v1/api/conversion",
        &[],
        Some(quickstart(DEMO_CLICK).to_string().as_bytes()),
    );
    detail(&anonymous, 401, "Missing bearer token");
    detail(
        &partner_post(
            &app,
            "/v1/api/conversion",
            "pt_wrong",
            &[],
            &quickstart(DEMO_CLICK),
        ),
        401,
        "Invalid API key",
    );
    assert_eq!(counts(&app), (0, 0, 0));
}

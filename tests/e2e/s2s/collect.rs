//! `POST /v1/api/collect`.

use adspin_e2e::HostLaunch;
use adspin_e2e::demo::{ADVERTISER_KEY, ORGANIZATION_ID, PARTNER_TOKEN};
use serde_json::{Value, json};

use super::{collect, database, detail, invalid_fields, mint, partner_post};

/// The stored events: (tag_id, event_name, event_id, data).
fn stored(app: &adspin_e2e::TestApp) -> Vec<(String, String, Option<String>, Value)> {
    let db = database(app);
    let mut statement = db
        .prepare("SELECT tag_id, event_name, event_id, data FROM events ORDER BY seq")
        .expect("query");
    statement
        .query_map([], |row| {
            let data: String = row.get(3)?;
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                serde_json::from_str(&data).expect("json"),
            ))
        })
        .expect("rows")
        .map(|row| row.expect("row"))
        .collect()
}

#[test]
fn the_quickstart_event_is_accepted_with_204_and_stored_enriched() {
    let app = HostLaunch::app().start();
    let response = partner_post(
        &app,
        "/v1/api/collect",
        PARTNER_TOKEN,
        &[
            ("x-forwarded-for", "203.0.113.5"),
            ("cf-ipcountry", "DE"),
            (
                "user-agent",
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
            ),
        ],
        &json!({
            "event_name": "page_view",
            "event_id": "pv-checkout-step-1",
            "page_url": "https://example.com/checkout",
            "params": {"step": "shipping"}
        }),
    );
    assert_eq!(response.status, 204, "{}", response.text());
    assert!(response.text().is_empty());
    let events = stored(&app);
    assert_eq!(events.len(), 1);
    let (tag, name, id, data) = &events[0];
    assert_eq!(
        (tag.as_str(), name.as_str(), id.as_deref()),
        ("site:example.com", "page_view", Some("pv-checkout-step-1"))
    );
    assert_eq!(data["params"]["step"], "shipping");
    assert_eq!(data["params"]["integration"], "partner_s2s");
    assert_eq!(data["params"]["partner_id"], ORGANIZATION_ID);
    assert_eq!(data["params"]["api_key_label"], "demo partner token");
    assert_eq!(data["channel"], "server");
    assert_eq!(data["ip_address"], "203.0.113.5");
    assert_eq!(data["geo_country"], "DE");
    assert_eq!(data["ua_browser"], "Chrome");
    assert_eq!(data["ua_os"], "Windows");
    assert_eq!(data["ua_device"], "desktop");
}

#[test]
fn an_event_id_is_stored_once_per_tag() {
    let app = HostLaunch::app().start();
    let event = json!({"event_name": "signup_started", "event_id": "e-1", "tag_id": "tag_a"});
    for _ in 0..3 {
        assert_eq!(collect(&app, &event).status, 204);
    }
    let other_tag = json!({"event_name": "signup_started", "event_id": "e-1", "tag_id": "tag_b"});
    assert_eq!(collect(&app, &other_tag).status, 204);
    let without_id = json!({"event_name": "signup_started", "tag_id": "tag_a"});
    assert_eq!(collect(&app, &without_id).status, 204);
    assert_eq!(collect(&app, &without_id).status, 204);
    let tags: Vec<String> = stored(&app).into_iter().map(|(tag, ..)| tag).collect();
    assert_eq!(tags, ["tag_a", "tag_b", "tag_a", "tag_a"]);
}

#[test]
fn the_tag_is_derived_from_the_origin_or_referer_when_absent() {
    let app = HostLaunch::app().start();
    let response = partner_post(
        &app,
        "/v1/api/collect",
        PARTNER_TOKEN,
        &[("origin", "https://shop.example.org")],
        &json!({"event_name": "impression", "tag_id": ""}),
    );
    assert_eq!(response.status, 204);
    let response = partner_post(
        &app,
        "/v1/api/collect",
        PARTNER_TOKEN,
        &[("referer", "https://blog.example.net/post")],
        &json!({"event_name": "impression"}),
    );
    assert_eq!(response.status, 204);
    assert_eq!(collect(&app, &json!({"event_name": "custom"})).status, 204);
    let tags: Vec<String> = stored(&app).into_iter().map(|(tag, ..)| tag).collect();
    assert_eq!(
        tags,
        [
            "site:shop.example.org",
            "site:blog.example.net",
            "site:unknown"
        ]
    );
}

#[test]
fn missing_and_invalid_tokens_are_401_with_the_documented_messages() {
    let app = HostLaunch::app().start();
    let event = json!({"event_name": "page_view"});
    let anonymous = app.request(
        "POST",
        "/v1/api/collect",
        &[("content-type", "application/json")],
        Some(event.to_string().as_bytes()),
    );
    detail(&anonymous, 401, "Missing bearer token");
    for token in ["pt_not_a_real_token", ADVERTISER_KEY, "garbage"] {
        detail(
            &partner_post(&app, "/v1/api/collect", token, &[], &event),
            401,
            "Invalid API key",
        );
    }
    let (key_id, token) = mint(&app, ORGANIZATION_ID, "partner");
    assert_eq!(
        partner_post(&app, "/v1/api/collect", &token, &[], &event).status,
        204
    );
    super::super::ssp::admin(
        &app,
        "POST",
        &format!("/admin/organizations/{ORGANIZATION_ID}/api-keys/{key_id}/revoke"),
        None,
    );
    detail(
        &partner_post(&app, "/v1/api/collect", &token, &[], &event),
        401,
        "Invalid API key",
    );
    assert!(stored(&app).len() == 1, "refused events are not stored");
}

#[test]
fn invalid_events_are_422_listing_every_problem() {
    let app = HostLaunch::app().start();
    assert_eq!(
        invalid_fields(&collect(
            &app,
            &json!({"timestamp": "noon", "attribution_type": "banner", "impression_state": "seen",
                    "view_time_ms": -1, "params": [1], "consent": "yes", "referrer": "r".repeat(3000)})
        )),
        [
            "body.event_name",
            "body.timestamp",
            "body.referrer",
            "body.attribution_type",
            "body.impression_state",
            "body.view_time_ms",
            "body.consent",
            "body.params"
        ]
    );
    let malformed = app.request(
        "POST",
        "/v1/api/collect",
        &[("authorization", &format!("Bearer {PARTNER_TOKEN}"))],
        Some(b"{\"event_name\": "),
    );
    assert_eq!(
        invalid_fields(&malformed)[0].split('.').next(),
        Some("body")
    );
    assert_eq!(
        invalid_fields(&collect(&app, &json!(["page_view"]))),
        ["body"]
    );
    let huge = json!({"event_name": "big", "params": {"blob": "x".repeat(70_000)}});
    assert_eq!(collect(&app, &huge).status, 413);
    assert!(stored(&app).is_empty());
}

#[test]
fn other_methods_and_paths_get_fastapi_style_errors() {
    let app = HostLaunch::app().start();
    detail(&app.get("/v1/api/collect"), 405, "Method Not Allowed");
    detail(
        &partner_post(&app, "/v1/api/unknown", PARTNER_TOKEN, &[], &json!({})),
        404,
        "Not Found",
    );
}

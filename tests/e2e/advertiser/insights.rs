//! The four insights endpoints over the demo traffic (one served, clicked
//! and converted ad on 2026-02-19) plus imported ChatGPT delivery.

use adspin_e2e::demo::{ORGANIZATION_ID, PARTNER_TOKEN};
use adspin_e2e::{HostLaunch, TestApp};
use serde_json::{Value, json};

use super::{admin, as_key, assert_error, other_tenant, v1};

const CAMPAIGN: &str = "0d3e0000-0000-4000-8000-0000000000d1";
const AD_GROUP: &str = "0d3e0000-0000-4000-8000-0000000000d2";
const AD: &str = "0d3e0000-0000-4000-8000-0000000000d3";
/// 2026-02-19T10:00:00Z and a day later.
const FEB_19_10H: i64 = 1_771_495_200;
const FEB_20_10H: i64 = FEB_19_10H + 86_400;

/// The demo traffic, its quickstart conversion ($49.99) and two hours of
/// ChatGPT delivery of the same ad.
fn start() -> TestApp {
    let app = HostLaunch::app().demo_traffic().start();
    let converted = app.request(
        "POST",
        "/v1/api/conversion",
        &[
            ("authorization", &format!("Bearer {PARTNER_TOKEN}")),
            ("idempotency-key", "order-123"),
        ],
        Some(
            json!({"click_id": "11111111-1111-4111-8111-111111111111", "conversion_time": "2026-02-19T18:00:00Z",
                   "conversion_value": 49.99, "currency": "USD", "order_id": "order-123"})
            .to_string()
            .as_bytes(),
        ),
    );
    assert_eq!(converted.json()["status"], "ok", "{}", converted.text());
    let imported = admin(
        &app,
        "PUT",
        &format!("/admin/organizations/{ORGANIZATION_ID}/supply-reports"),
        Some(&json!({"supply": "chatgpt", "rows": [
            {"ad_id": AD, "hour": FEB_19_10H, "impressions": 1000, "clicks": 20, "spend_micros": 5_000_000},
            {"ad_id": AD, "hour": FEB_20_10H, "impressions": 500, "clicks": 5, "spend_micros": 2_500_000}
        ]})),
    );
    assert_eq!(imported.status, 200, "{}", imported.text());
    app
}

const FEBRUARY_19_20: &str = r#"{"type":"date_range","since":"2026-02-19","until":"2026-02-20"}"#;

/// Percent-encodes a query string's values (they hold JSON), keeping its
/// `&` and `=` separators.
fn encoded(query: &str) -> String {
    query
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'&' | b'=' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn get(app: &TestApp, path: &str, query: &str) -> adspin_e2e::TestResponse {
    v1(app, "GET", &format!("{path}?{}", encoded(query)), None)
}

fn insights(app: &TestApp, path: &str, query: &str) -> Value {
    let response = get(app, path, query);
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

fn all_fields() -> String {
    [
        "impressions",
        "views",
        "clicks",
        "conversions",
        "conversion_value",
        "spend",
        "ctr",
        "cpc",
        "cpm",
    ]
    .map(|f| format!("fields[]={f}"))
    .join("&")
}

#[track_caller]
fn close(value: &Value, expected: f64) {
    let found = value.as_f64().expect("a number");
    assert!((found - expected).abs() < 1e-9, "{found} != {expected}");
}

#[test]
fn daily_rows_combine_every_supply_with_dollar_money_and_fraction_ctr() {
    let app = start();
    let list = insights(
        &app,
        &format!("/v1/campaigns/{CAMPAIGN}/insights"),
        &format!("time_ranges[]={FEBRUARY_19_20}&{}", all_fields()),
    );
    assert_eq!(list["object"], "list");
    assert_eq!(list["count"], 2);
    assert_eq!(list["has_more"], false);
    let day = &list["data"][0];
    assert_eq!(day["readable_time"], "2026-02-19");
    assert_eq!(day["start_time"], 1_771_459_200);
    assert_eq!(day["end_time"], 1_771_459_200 + 86_400);
    assert_eq!(day["timezone"], "UTC");
    assert_eq!(day["campaign_id"], CAMPAIGN);
    assert_eq!(day["ad_account_id"], ORGANIZATION_ID);
    assert_eq!(day["supply"], "all");
    assert_eq!(day["impressions"], 1001);
    assert_eq!(day["clicks"], 21);
    assert_eq!(day["conversions"], 1);
    close(&day["conversion_value"], 49.99);
    close(&day["spend"], 5.002);
    close(&day["ctr"], 21.0 / 1001.0);
    close(&day["cpc"], 5.002 / 21.0);
    close(&day["cpm"], 5.002 * 1000.0 / 1001.0);
    assert_eq!(list["first_id"], day["id"]);
    let next = &list["data"][1];
    assert_eq!(next["readable_time"], "2026-02-20");
    assert_eq!(next["impressions"], 500);
    assert_eq!(list["last_id"], next["id"]);
}

#[test]
fn a_supply_filter_narrows_and_a_segment_splits() {
    let app = start();
    let path = format!("/v1/ad_groups/{AD_GROUP}/insights");
    let thrad = insights(
        &app,
        &path,
        &format!(
            r#"time_ranges[]={FEBRUARY_19_20}&time_granularity=none&filters[]={{"field":"supply","operator":"equals","value":"thrad"}}"#
        ),
    );
    assert_eq!(thrad["count"], 1);
    assert_eq!(thrad["data"][0]["supply"], "thrad");
    assert_eq!(thrad["data"][0]["impressions"], 1);
    assert_eq!(thrad["data"][0]["clicks"], 1);
    assert!(thrad["data"][0].get("readable_time").is_none());
    let split = insights(
        &app,
        &path,
        &format!("time_ranges[]={FEBRUARY_19_20}&time_granularity=none&segments[]=supply"),
    );
    let supplies: Vec<(&str, i64)> = split["data"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            (
                row["supply"].as_str().expect("supply"),
                row["impressions"].as_i64().expect("n"),
            )
        })
        .collect();
    assert_eq!(supplies, [("chatgpt", 1500), ("thrad", 1)]);
    let combined = insights(
        &app,
        &path,
        &format!("time_ranges[]={FEBRUARY_19_20}&time_granularity=none"),
    );
    assert_eq!(combined["data"][0]["impressions"], 1501);
    assert_eq!(combined["data"][0]["supply"], "all");
}

#[test]
fn granularities_levels_and_metric_filters() {
    let app = start();
    let hourly = insights(
        &app,
        &format!("/v1/ads/{AD}/insights"),
        r#"time_granularity=hourly&time_ranges[]={"type":"time_range","start_time":1771495200,"end_time":1771527600}&fields[]=impressions&fields[]=conversions"#,
    );
    let hours: Vec<(&str, i64, i64)> = hourly["data"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["readable_time"].as_str().expect("time"),
                r["impressions"].as_i64().expect("n"),
                r["conversions"].as_i64().expect("n"),
            )
        })
        .collect();
    assert_eq!(
        hours,
        [
            ("2026-02-19T10:00:00Z", 1000, 0),
            ("2026-02-19T17:00:00Z", 1, 0),
            ("2026-02-19T18:00:00Z", 0, 1)
        ]
    );
    assert_eq!(hourly["data"][0]["ad_id"], AD);
    assert_eq!(hourly["data"][0]["ad_group_id"], AD_GROUP);

    let monthly = insights(
        &app,
        "/v1/ad_account/insights",
        r#"time_granularity=monthly&aggregation_level=campaign&time_ranges[]={"type":"date_range","since":"2026-02-01","until":"2026-03-31"}"#,
    );
    assert_eq!(monthly["count"], 1);
    assert_eq!(monthly["data"][0]["readable_time"], "2026-02");
    assert_eq!(monthly["data"][0]["campaign_id"], CAMPAIGN);
    assert_eq!(monthly["data"][0]["impressions"], 1501);
    assert!(monthly["data"][0].get("ad_id").is_none());

    let busy_days = insights(
        &app,
        &format!("/v1/campaigns/{CAMPAIGN}/insights"),
        &format!(
            r#"time_ranges[]={FEBRUARY_19_20}&filters[]={{"field":"clicks","operator":"greater_than","value":10}}"#
        ),
    );
    assert_eq!(busy_days["count"], 1);
    assert_eq!(busy_days["data"][0]["readable_time"], "2026-02-19");
}

#[test]
fn rows_page_with_cursors() {
    let app = start();
    let path = format!("/v1/campaigns/{CAMPAIGN}/insights");
    let base = format!(
        "time_granularity=hourly&time_ranges[]={}",
        r#"{"type":"time_range","start_time":1771495200,"end_time":1771560000}"#
    );
    let everything = insights(&app, &path, &base);
    assert_eq!(everything["count"], 3);
    let first = insights(&app, &path, &format!("{base}&limit=1"));
    assert_eq!(first["count"], 1);
    assert_eq!(first["has_more"], true);
    let cursor = first["last_id"].as_str().expect("cursor");
    let rest = insights(&app, &path, &format!("{base}&limit=5&after={cursor}"));
    assert_eq!(rest["count"], 2);
    assert_eq!(rest["has_more"], false);
    assert_eq!(rest["data"][0]["id"], everything["data"][1]["id"]);
    let back = insights(
        &app,
        &path,
        &format!(
            "{base}&limit=1&before={}",
            rest["last_id"].as_str().expect("id")
        ),
    );
    assert_eq!(back["data"][0]["id"], everything["data"][1]["id"]);
    let newest_first = insights(&app, &path, &format!("{base}&order=desc"));
    assert_eq!(newest_first["data"][0]["id"], everything["data"][2]["id"]);
    assert_error(
        &get(&app, &path, "after=garbage"),
        400,
        "invalid_value",
        Some("after"),
    );
}

#[test]
fn every_documented_error() {
    let app = start();
    let account = "/v1/ad_account/insights";
    let cases: [(&str, &str, &str, &str); 12] = [
        (
            account,
            "time_granularity=weekly",
            "invalid_value",
            "time_granularity",
        ),
        (
            account,
            "aggregation_level=creative",
            "invalid_value",
            "aggregation_level",
        ),
        (account, "limit=2001", "invalid_value", "limit"),
        (account, "limit=0", "invalid_value", "limit"),
        (account, "fields[]=reach", "unknown_field", "fields"),
        (
            account,
            r#"filters[]={"field":"country","operator":"equals","value":"US"}"#,
            "invalid_filter",
            "filters",
        ),
        (
            account,
            r#"filters[]={"field":"supply","operator":"less_than","value":"x"}"#,
            "invalid_filter_operator",
            "filters",
        ),
        (
            account,
            r#"time_ranges[]={"type":"date_range","since":"2026-02-20","until":"2026-02-19"}"#,
            "invalid_time_range",
            "time_ranges",
        ),
        (
            account,
            r#"time_ranges[]={"type":"date_range","since":"2025-01-01","until":"2026-02-19"}"#,
            "range_too_wide",
            "time_ranges",
        ),
        (
            account,
            r#"time_granularity=hourly&time_ranges[]={"type":"preset","preset":"last_7_days"}"#,
            "hourly_range_too_wide",
            "time_ranges",
        ),
        (account, "after=a&before=b", "invalid_value", "before"),
        (account, "segments[]=device", "invalid_value", "segments"),
    ];
    for (path, query, code, param) in cases {
        assert_error(&get(&app, path, query), 400, code, Some(param));
    }
    for path in [
        format!("/v1/campaigns/{CAMPAIGN}/insights"),
        format!("/v1/ad_groups/{AD_GROUP}/insights"),
        format!("/v1/ads/{AD}/insights"),
    ] {
        assert_error(
            &v1(
                &app,
                "GET",
                &format!("{path}?aggregation_level=ad_account"),
                None,
            ),
            400,
            "aggregation_level_too_high",
            Some("aggregation_level"),
        );
    }
    assert_error(
        &v1(
            &app,
            "GET",
            &format!("/v1/ads/{AD}/insights?aggregation_level=ad_group"),
            None,
        ),
        400,
        "aggregation_level_too_high",
        Some("aggregation_level"),
    );
    let anonymous = app.request("GET", account, &[], None);
    assert_error(&anonymous, 401, "auth_required", None);
    assert_error(
        &v1(&app, "POST", account, None),
        405,
        "method_not_allowed",
        None,
    );
}

#[test]
fn insights_never_cross_organizations() {
    let app = start();
    let (_, rival_key) = other_tenant(&app);
    for path in [
        format!("/v1/campaigns/{CAMPAIGN}/insights"),
        format!("/v1/ad_groups/{AD_GROUP}/insights"),
        format!("/v1/ads/{AD}/insights"),
        "/v1/campaigns/not-an-id/insights".to_string(),
    ] {
        let response = as_key(&app, &rival_key, "GET", &path, None);
        assert_error(&response, 404, "not_found", None);
    }
    let theirs = as_key(
        &app,
        &rival_key,
        "GET",
        &format!(
            "/v1/ad_account/insights?{}",
            encoded(&format!("time_ranges[]={FEBRUARY_19_20}"))
        ),
        None,
    );
    assert_eq!(theirs.status, 200);
    assert_eq!(theirs.json()["count"], 0, "{}", theirs.text());
    let ours = insights(
        &app,
        "/v1/ad_account/insights",
        &format!("time_ranges[]={FEBRUARY_19_20}"),
    );
    assert_eq!(ours["count"], 2);
}

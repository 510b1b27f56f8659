//! Campaigns: nested create, defaults, validation, update and lifecycle.

use serde_json::{Value, json};

use super::{admin, assert_error, campaign_body, create_campaign, start, v1};

#[test]
fn a_nested_create_writes_the_whole_tree_paused_and_in_review() {
    let app = start();
    let before = adspin_time();
    let campaign = create_campaign(&app, "US + Germany launch");
    assert_eq!(campaign["status"], "paused");
    assert_eq!(campaign["review_status"], "in_review");
    assert_eq!(
        campaign["budget"],
        json!({"lifetime_spend_limit_micros": 50_000_000})
    );
    assert_eq!(campaign["description"], Value::Null);
    assert_eq!(campaign["end_time"], Value::Null);
    assert_eq!(campaign["recurring_frequency"], "monthly");
    assert_eq!(campaign["pricing_model"], "cpm");
    assert_eq!(
        campaign["targeting"],
        json!({"locations": {"include": [
            {"id": "US", "type": "country", "country_code": "US"},
            {"id": "DE", "type": "country", "country_code": "DE"}
        ]}})
    );
    let start_time = campaign["start_time"].as_i64().expect("start_time");
    assert!(
        (before + 172_800..=before + 172_800 + 60).contains(&start_time),
        "defaults to ~2 days out"
    );
    assert!(campaign.get("object").is_none());

    let id = campaign["id"].as_str().expect("id");
    assert_eq!(
        v1(&app, "GET", &format!("/v1/campaigns/{id}"), None).json(),
        campaign
    );
    let groups = v1(
        &app,
        "GET",
        &format!("/v1/ad_groups?campaign_id={id}"),
        None,
    )
    .json();
    assert_eq!(groups["count"], 1);
    let group = &groups["data"][0];
    assert_eq!(
        group["bidding_config"],
        json!({"billing_event_type": "impression", "max_bid_micros": 2_000_000})
    );
    assert_eq!(
        group["context_hints"],
        json!(["running shoes", "marathon training"])
    );
    let ads = v1(
        &app,
        "GET",
        &format!(
            "/v1/ads?ad_group_id={}",
            group["id"].as_str().expect("group id")
        ),
        None,
    )
    .json();
    assert_eq!(ads["data"][0]["review_status"], "in_review");
    assert_eq!(ads["data"][0]["status"], "active");
    assert_eq!(ads["data"][0]["creative"]["title"], "Try our app");
}

fn adspin_time() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

#[test]
fn creating_without_a_payment_method_is_billing_not_configured_and_charges_nothing() {
    let app = adspin_e2e::HostLaunch::app().start();
    let response = v1(
        &app,
        "POST",
        "/v1/campaigns",
        Some(&campaign_body("No card")),
    );
    assert_error(&response, 400, "billing_not_configured", None);
    assert_eq!(v1(&app, "GET", "/v1/campaigns", None).json()["count"], 0);
}

#[test]
fn each_create_charges_one_ten_dollar_deposit() {
    let app = start();
    create_campaign(&app, "First");
    create_campaign(&app, "Second");
    let db = app.database();
    let (count, total): (i64, i64) = db
        .query_row(
            "SELECT COUNT(*), SUM(amount_micros) FROM ledger_entries WHERE kind = 'deposit'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("ledger");
    assert_eq!((count, total), (2, 20_000_000));
}

#[test]
fn campaign_fields_are_validated_with_code_and_param() {
    let app = start();
    let cases: Vec<(Value, &str, Option<&str>)> = vec![
        (json!({"name": "ab"}), "invalid_value", Some("name")),
        (
            json!({"name": "x".repeat(101)}),
            "invalid_value",
            Some("name"),
        ),
        (
            json!({"budget": {"lifetime_spend_limit_micros": 989_999}}),
            "invalid_value",
            Some("budget.lifetime_spend_limit_micros"),
        ),
        (
            json!({"start_time": 100}),
            "invalid_value",
            Some("start_time"),
        ),
        (
            json!({"start_time": 2_000_000_000, "end_time": 1_999_999_999}),
            "invalid_value",
            Some("end_time"),
        ),
        (
            json!({"recurring_frequency": "hourly"}),
            "invalid_value",
            Some("recurring_frequency"),
        ),
        (
            json!({"pricing_model": "cpa"}),
            "invalid_value",
            Some("pricing_model"),
        ),
        (
            json!({"targeting": {"locations": {"include": [{}]}}}),
            "invalid_value",
            Some("targeting.locations.include"),
        ),
        (
            json!({"targeting": {"locations": {"include": [{"country_code": "XX"}]}}}),
            "invalid_value",
            Some("targeting.locations.include"),
        ),
        (
            json!({"status": "active"}),
            "use_status_action",
            Some("status"),
        ),
        (
            json!({"colour": "blue"}),
            "unknown_parameter",
            Some("colour"),
        ),
        (
            json!({"ad_groups": [{"name": "Prospecting", "bidding_config": {"max_bid_micros": 0}}]}),
            "invalid_value",
            Some("ad_groups[0].bidding_config.max_bid_micros"),
        ),
        (
            json!({"ad_groups": [{"name": "Prospecting", "bidding_config": {"max_bid_micros": 100_000_001}}]}),
            "invalid_value",
            Some("ad_groups[0].bidding_config.max_bid_micros"),
        ),
        (
            json!({"ad_groups": [{"name": "Prospecting", "bidding_config": {"billing_event_type": "click"}}]}),
            "invalid_value",
            Some("ad_groups[0].bidding_config.billing_event_type"),
        ),
        (
            json!({"ad_groups": [{"name": "Prospecting", "campaign_id": "x"}]}),
            "unknown_parameter",
            Some("ad_groups[0].campaign_id"),
        ),
    ];
    for (change, code, param) in cases {
        let mut body = campaign_body("Valid name");
        for (key, value) in change.as_object().expect("object") {
            body[key] = value.clone();
        }
        let response = v1(&app, "POST", "/v1/campaigns", Some(&body));
        assert_error(&response, 400, code, param);
    }
    let mut missing_budget = campaign_body("Valid name");
    missing_budget
        .as_object_mut()
        .expect("object")
        .remove("budget");
    assert_error(
        &v1(&app, "POST", "/v1/campaigns", Some(&missing_budget)),
        400,
        "missing_required_parameter",
        Some("budget"),
    );
    let malformed = app.request(
        "POST",
        "/v1/campaigns",
        &[
            ("authorization", &super::bearer(super::ADVERTISER_KEY)),
            ("content-type", "application/json"),
        ],
        Some(b"{\"name\": "),
    );
    assert_error(&malformed, 400, "invalid_json", None);
    assert_eq!(
        v1(&app, "GET", "/v1/campaigns", None).json()["count"],
        0,
        "nothing was written"
    );
}

#[test]
fn the_minimum_budget_and_maximum_bid_are_accepted() {
    let app = start();
    let mut body = campaign_body("Edge values");
    body["budget"]["lifetime_spend_limit_micros"] = json!(990_000);
    body["ad_groups"][0]["bidding_config"]["max_bid_micros"] = json!(100_000_000);
    assert_eq!(v1(&app, "POST", "/v1/campaigns", Some(&body)).status, 201);
    body["ad_groups"][0]["bidding_config"]["max_bid_micros"] = json!(1);
    assert_eq!(v1(&app, "POST", "/v1/campaigns", Some(&body)).status, 201);
}

#[test]
fn an_invalid_ad_deep_in_the_tree_writes_nothing() {
    let app = start();
    let mut body = campaign_body("Atomic");
    body["ad_groups"] = json!([
        body["ad_groups"][0].clone(),
        {"name": "Second", "ads": [{"creative": {"type": "chat_card", "title": "ok title", "body": "b", "target_url": "not a url"}}]}
    ]);
    let response = v1(&app, "POST", "/v1/campaigns", Some(&body));
    assert_error(
        &response,
        400,
        "invalid_value",
        Some("ad_groups[1].ads[0].creative.target_url"),
    );
    assert_eq!(v1(&app, "GET", "/v1/campaigns", None).json()["count"], 0);
}

#[test]
fn updates_are_partial_and_refuse_status() {
    let app = start();
    let campaign = create_campaign(&app, "Original");
    let id = campaign["id"].as_str().expect("id");
    let path = format!("/v1/campaigns/{id}");
    let updated = v1(
        &app,
        "POST",
        &path,
        Some(
            &json!({"name": "Renamed", "description": "Spring", "end_time": 4_000_000_000_i64,
                     "budget": {"lifetime_spend_limit_micros": 75_000_000},
                     "targeting": {"locations": {"include": [{"id": "fr"}]}}}),
        ),
    );
    assert_eq!(updated.status, 200, "{}", updated.text());
    let updated = updated.json();
    assert_eq!(updated["name"], "Renamed");
    assert_eq!(updated["description"], "Spring");
    assert_eq!(updated["budget"]["lifetime_spend_limit_micros"], 75_000_000);
    assert_eq!(
        updated["targeting"]["locations"]["include"][0]["country_code"],
        "FR"
    );
    assert_eq!(
        updated["pricing_model"], campaign["pricing_model"],
        "untouched fields stay"
    );

    let cleared = v1(
        &app,
        "POST",
        &path,
        Some(&json!({"description": null, "end_time": null, "targeting": null})),
    )
    .json();
    assert_eq!(cleared["description"], Value::Null);
    assert_eq!(cleared["end_time"], Value::Null);
    assert_eq!(cleared["targeting"], json!({"locations": {"include": []}}));

    assert_error(
        &v1(&app, "POST", &path, Some(&json!({"status": "active"}))),
        400,
        "use_status_action",
        Some("status"),
    );
    assert_error(
        &v1(
            &app,
            "POST",
            &path,
            Some(&json!({"review_status": "approved"})),
        ),
        400,
        "invalid_value",
        Some("review_status"),
    );
    assert_error(
        &v1(&app, "POST", &path, Some(&json!({"name": "x"}))),
        400,
        "invalid_value",
        Some("name"),
    );
    assert_error(
        &v1(&app, "POST", &path, Some(&json!({"budget": {}}))),
        400,
        "missing_required_parameter",
        Some("budget.lifetime_spend_limit_micros"),
    );
}

#[test]
fn an_unapproved_campaign_cannot_be_activated_until_review_approves_it() {
    let app = start();
    let id = create_campaign(&app, "Needs review")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let activate = format!("/v1/campaigns/{id}/activate");
    assert_error(
        &v1(&app, "POST", &activate, None),
        400,
        "campaign_not_approved",
        None,
    );

    let approved = admin(
        &app,
        "POST",
        &format!("/admin/campaigns/{id}/approve"),
        None,
    );
    assert_eq!(approved.json()["review_status"], "approved");
    let active = v1(&app, "POST", &activate, None);
    assert_eq!(active.status, 200);
    assert_eq!(active.json()["status"], "active");

    let paused = v1(&app, "POST", &format!("/v1/campaigns/{id}/pause"), None).json();
    assert_eq!(paused["status"], "paused");
}

#[test]
fn a_rejected_campaign_stops_and_cannot_be_activated() {
    let app = start();
    let id = create_campaign(&app, "Will be rejected")["id"]
        .as_str()
        .expect("id")
        .to_string();
    admin(
        &app,
        "POST",
        &format!("/admin/campaigns/{id}/approve"),
        None,
    );
    v1(&app, "POST", &format!("/v1/campaigns/{id}/activate"), None);
    let rejected = admin(&app, "POST", &format!("/admin/campaigns/{id}/reject"), None).json();
    assert_eq!(
        (
            rejected["review_status"].as_str(),
            rejected["status"].as_str()
        ),
        (Some("rejected"), Some("paused"))
    );
    assert_error(
        &v1(&app, "POST", &format!("/v1/campaigns/{id}/activate"), None),
        400,
        "campaign_not_approved",
        None,
    );
}

#[test]
fn archiving_is_final() {
    let app = start();
    let id = create_campaign(&app, "To archive")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let archived = v1(&app, "POST", &format!("/v1/campaigns/{id}/archive"), None);
    assert_eq!(archived.json()["status"], "archived");
    assert_eq!(
        v1(&app, "POST", &format!("/v1/campaigns/{id}/archive"), None).status,
        200,
        "archiving again is harmless"
    );
    assert_error(
        &v1(&app, "POST", &format!("/v1/campaigns/{id}/pause"), None),
        400,
        "campaign_archived",
        None,
    );
    admin(
        &app,
        "POST",
        &format!("/admin/campaigns/{id}/approve"),
        None,
    );
    assert_error(
        &v1(&app, "POST", &format!("/v1/campaigns/{id}/activate"), None),
        400,
        "campaign_archived",
        None,
    );
    assert_error(
        &v1(
            &app,
            "POST",
            &format!("/v1/campaigns/{id}"),
            Some(&json!({"name": "New name"})),
        ),
        400,
        "campaign_archived",
        None,
    );
}

#[test]
fn an_update_racing_an_archive_never_brings_the_campaign_back() {
    let app = start();
    for round in 0..10 {
        let id = create_campaign(&app, &format!("Race {round}"))["id"]
            .as_str()
            .expect("id")
            .to_string();
        let (app, id) = (&app, id.as_str());
        std::thread::scope(|scope| {
            scope.spawn(move || v1(app, "POST", &format!("/v1/campaigns/{id}/archive"), None));
            for n in 0..3 {
                scope.spawn(move || {
                    v1(
                        app,
                        "POST",
                        &format!("/v1/campaigns/{id}"),
                        Some(&json!({"name": format!("Renamed {n}")})),
                    )
                });
            }
        });
        let campaign = v1(app, "GET", &format!("/v1/campaigns/{id}"), None).json();
        assert_eq!(campaign["status"], "archived", "round {round}: {campaign}");
    }
}

#[test]
fn an_unknown_campaign_id_is_404() {
    let app = start();
    for id in ["00000000-0000-4000-8000-000000000000", "not-a-uuid"] {
        assert_error(
            &v1(&app, "GET", &format!("/v1/campaigns/{id}"), None),
            404,
            "not_found",
            None,
        );
        assert_error(
            &v1(&app, "POST", &format!("/v1/campaigns/{id}/pause"), None),
            404,
            "not_found",
            None,
        );
    }
}

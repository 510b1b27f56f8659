//! Ad groups and ads: listing per parent, create, update, lifecycle, and
//! the creative rules.

use serde_json::{Value, json};

use super::{assert_error, create_campaign, first_children, start, v1};
use adspin_e2e::demo::ADVERTISER_KEY;

fn campaign_id(campaign: &Value) -> &str {
    campaign["id"].as_str().expect("campaign id")
}

#[test]
fn child_lists_require_their_parent() {
    let app = start();
    assert_error(
        &v1(&app, "GET", "/v1/ad_groups", None),
        400,
        "missing_required_parameter",
        Some("campaign_id"),
    );
    assert_error(
        &v1(&app, "GET", "/v1/ads", None),
        400,
        "missing_required_parameter",
        Some("ad_group_id"),
    );
    let unknown = "00000000-0000-4000-8000-000000000000";
    assert_error(
        &v1(
            &app,
            "GET",
            &format!("/v1/ad_groups?campaign_id={unknown}"),
            None,
        ),
        404,
        "not_found",
        Some("campaign_id"),
    );
    assert_error(
        &v1(&app, "GET", &format!("/v1/ads?ad_group_id={unknown}"), None),
        404,
        "not_found",
        Some("ad_group_id"),
    );
}

#[test]
fn an_ad_group_with_ads_is_added_to_an_existing_campaign() {
    let app = start();
    let campaign = create_campaign(&app, "Parent");
    let response = v1(
        &app,
        "POST",
        "/v1/ad_groups",
        Some(&json!({
            "campaign_id": campaign_id(&campaign),
            "name": "Polls",
            "context_hints": ["pricing questions"],
            "ads": [{"creative": {"type": "poll", "question": "Which plan fits you?", "options": ["Free", "Pro", "Team"],
                                   "target_url": "https://example.com/plans"}}]
        })),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    let group = response.json();
    assert_eq!(group["campaign_id"], campaign_id(&campaign));
    assert_eq!(group["status"], "active");
    assert_eq!(
        group["bidding_config"],
        json!({"billing_event_type": "impression", "max_bid_micros": null})
    );
    let ads = v1(
        &app,
        "GET",
        &format!("/v1/ads?ad_group_id={}", group["id"].as_str().expect("id")),
        None,
    )
    .json();
    let ad = &ads["data"][0];
    assert_eq!(
        ad["name"], "Which plan fits you?",
        "the name defaults to the poll question"
    );
    assert_eq!(
        ad["creative"],
        json!({"type": "poll", "question": "Which plan fits you?", "options": ["Free", "Pro", "Team"],
                                       "target_url": "https://example.com/plans"})
    );
    let groups = v1(
        &app,
        "GET",
        &format!("/v1/ad_groups?campaign_id={}", campaign_id(&campaign)),
        None,
    )
    .json();
    assert_eq!(groups["count"], 2);
}

#[test]
fn ad_group_creation_validates_its_fields() {
    let app = start();
    let campaign = create_campaign(&app, "Parent");
    let base = json!({"campaign_id": campaign_id(&campaign), "name": "Valid group"});
    let cases: Vec<(Value, u16, &str, Option<&str>)> = vec![
        (
            json!({"campaign_id": null}),
            400,
            "missing_required_parameter",
            Some("campaign_id"),
        ),
        (
            json!({"campaign_id": "00000000-0000-4000-8000-000000000000"}),
            404,
            "not_found",
            Some("campaign_id"),
        ),
        (json!({"name": "no"}), 400, "invalid_value", Some("name")),
        (
            json!({"context_hints": [""]}),
            400,
            "invalid_value",
            Some("context_hints[0]"),
        ),
        (
            json!({"status": "running"}),
            400,
            "invalid_value",
            Some("status"),
        ),
        (
            json!({"bidding_config": {"max_bid_micros": -5}}),
            400,
            "invalid_value",
            Some("bidding_config.max_bid_micros"),
        ),
    ];
    for (change, status, code, param) in cases {
        let mut body = base.clone();
        for (key, value) in change.as_object().expect("object") {
            if value.is_null() {
                body.as_object_mut().expect("object").remove(key);
            } else {
                body[key] = value.clone();
            }
        }
        assert_error(
            &v1(&app, "POST", "/v1/ad_groups", Some(&body)),
            status,
            code,
            param,
        );
    }
}

#[test]
fn ad_groups_update_and_archive_reads_back_paused() {
    let app = start();
    let campaign = create_campaign(&app, "Parent");
    let (group_id, _) = first_children(&app, ADVERTISER_KEY, campaign_id(&campaign));
    let path = format!("/v1/ad_groups/{group_id}");
    let updated = v1(
        &app,
        "POST",
        &path,
        Some(&json!({"name": "Renamed group", "context_hints": ["trail running"], "bidding_config": {"max_bid_micros": 3_000_000}})),
    )
    .json();
    assert_eq!(updated["name"], "Renamed group");
    assert_eq!(updated["context_hints"], json!(["trail running"]));
    assert_eq!(updated["bidding_config"]["max_bid_micros"], 3_000_000);

    for status in ["archived", "paused"] {
        let response = v1(&app, "POST", &path, Some(&json!({"status": status})));
        assert_eq!(
            response.json()["status"],
            "paused",
            "{status} reads back paused"
        );
    }
    assert_eq!(
        v1(&app, "POST", &path, Some(&json!({"status": "active"}))).json()["status"],
        "active"
    );
    assert_eq!(
        v1(&app, "POST", &format!("{path}/archive"), None).json()["status"],
        "paused"
    );
    assert_eq!(
        v1(&app, "POST", &format!("{path}/activate"), None).json()["status"],
        "active"
    );
    assert_eq!(
        v1(&app, "POST", &format!("{path}/pause"), None).json()["status"],
        "paused"
    );
    assert_eq!(v1(&app, "GET", &path, None).json()["status"], "paused");
    assert_error(
        &v1(
            &app,
            "POST",
            &path,
            Some(&json!({"campaign_id": campaign_id(&campaign)})),
        ),
        400,
        "unknown_parameter",
        Some("campaign_id"),
    );
}

#[test]
fn ads_are_created_updated_and_follow_their_group_type() {
    let app = start();
    let campaign = create_campaign(&app, "Parent");
    let (group_id, ad_id) = first_children(&app, ADVERTISER_KEY, campaign_id(&campaign));

    let created = v1(
        &app,
        "POST",
        "/v1/ads",
        Some(
            &json!({"ad_group_id": group_id, "creative": {"type": "chat_card", "title": "Second card", "body": "Body",
                                                           "target_url": "https://example.com/2"}}),
        ),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let created = created.json();
    assert_eq!(created["name"], "Second card");
    assert_eq!(created["review_status"], "in_review");
    assert_eq!(created["creative"]["image_url"], Value::Null);

    let poll = json!({"ad_group_id": group_id, "creative": {"type": "poll", "question": "Which one?", "options": ["A", "B"],
                                                            "target_url": "https://example.com"}});
    assert_error(
        &v1(&app, "POST", "/v1/ads", Some(&poll)),
        400,
        "invalid_value",
        Some("creative.type"),
    );

    let path = format!("/v1/ads/{ad_id}");
    let updated = v1(
        &app,
        "POST",
        &path,
        Some(&json!({"name": "Card A v2", "creative": {"type": "chat_card", "title": "New title", "body": "New body",
                                                        "target_url": "https://example.com/new"}})),
    )
    .json();
    assert_eq!(updated["name"], "Card A v2");
    assert_eq!(updated["creative"]["title"], "New title");
    assert_error(
        &v1(
            &app,
            "POST",
            &path,
            Some(
                &json!({"creative": {"type": "poll", "question": "Which?", "options": ["A", "B"], "target_url": "https://e.com"}}),
            ),
        ),
        400,
        "invalid_value",
        Some("creative.type"),
    );
    assert_eq!(
        v1(&app, "POST", &path, Some(&json!({"status": "archived"}))).json()["status"],
        "paused"
    );
    assert_eq!(
        v1(&app, "POST", &format!("{path}/activate"), None).json()["status"],
        "active"
    );
    assert_eq!(
        v1(&app, "POST", &format!("{path}/archive"), None).json()["status"],
        "paused"
    );
}

#[test]
fn creative_rules_are_enforced() {
    let app = start();
    let campaign = create_campaign(&app, "Parent");
    let (group_id, _) = first_children(&app, ADVERTISER_KEY, campaign_id(&campaign));
    let card = |creative: Value| json!({"ad_group_id": group_id, "creative": creative});
    let cases: Vec<(Value, &str, Option<&str>)> = vec![
        (
            card(
                json!({"type": "chat_card", "title": "ab", "body": "b", "target_url": "https://e.com"}),
            ),
            "invalid_value",
            Some("creative.title"),
        ),
        (
            card(
                json!({"type": "chat_card", "title": "Okay title", "body": "b".repeat(101), "target_url": "https://e.com"}),
            ),
            "invalid_value",
            Some("creative.body"),
        ),
        (
            card(json!({"type": "chat_card", "body": "b", "target_url": "https://e.com"})),
            "missing_required_parameter",
            Some("creative.title"),
        ),
        (
            card(
                json!({"type": "chat_card", "title": "Okay title", "body": "b", "target_url": "ftp://e.com"}),
            ),
            "invalid_value",
            Some("creative.target_url"),
        ),
        (
            card(
                json!({"type": "chat_card", "title": "Okay title", "body": "b", "target_url": "https://e.com",
                      "file_id": "uploads/2026/01/0123456789abcdef0123456789abcdef.png"}),
            ),
            "invalid_value",
            Some("creative.file_id"),
        ),
        (
            card(json!({"type": "banner", "target_url": "https://e.com"})),
            "invalid_value",
            Some("creative.type"),
        ),
        (
            card(
                json!({"type": "chat_card", "title": "Okay title", "body": "b", "target_url": "https://e.com", "video": 1}),
            ),
            "unknown_parameter",
            Some("creative.video"),
        ),
        (
            json!({"ad_group_id": group_id, "auto_generate": true, "creative": {"type": "chat_card", "target_url": "https://e.com"}}),
            "auto_generate_unavailable",
            Some("auto_generate"),
        ),
    ];
    for (body, code, param) in cases {
        assert_error(&v1(&app, "POST", "/v1/ads", Some(&body)), 400, code, param);
    }
}

#[test]
fn polls_have_two_to_four_options_and_cannot_be_generated() {
    let app = start();
    let campaign = create_campaign(&app, "Parent");
    let group = v1(
        &app,
        "POST",
        "/v1/ad_groups",
        Some(&json!({"campaign_id": campaign_id(&campaign), "name": "Poll group"})),
    )
    .json();
    let poll = |options: Value, auto: bool| {
        json!({"ad_group_id": group["id"], "auto_generate": auto,
               "creative": {"type": "poll", "question": "Which plan?", "options": options, "target_url": "https://e.com"}})
    };
    assert_error(
        &v1(&app, "POST", "/v1/ads", Some(&poll(json!(["Only"]), false))),
        400,
        "invalid_value",
        Some("creative.options"),
    );
    assert_error(
        &v1(
            &app,
            "POST",
            "/v1/ads",
            Some(&poll(json!(["A", "B", "C", "D", "E"]), false)),
        ),
        400,
        "invalid_value",
        Some("creative.options"),
    );
    assert_error(
        &v1(
            &app,
            "POST",
            "/v1/ads",
            Some(&poll(json!(["A", "B"]), true)),
        ),
        400,
        "poll_cannot_be_ai",
        Some("auto_generate"),
    );
    assert_eq!(
        v1(
            &app,
            "POST",
            "/v1/ads",
            Some(&poll(json!(["A", "B", "C", "D"]), false))
        )
        .status,
        201
    );
}

#[test]
fn nested_ads_of_one_group_share_a_type() {
    let app = start();
    let mut body = super::campaign_body("Mixed");
    body["ad_groups"][0]["ads"].as_array_mut().expect("ads").push(
        json!({"creative": {"type": "poll", "question": "Which?", "options": ["A", "B"], "target_url": "https://e.com"}}),
    );
    assert_error(
        &v1(&app, "POST", "/v1/campaigns", Some(&body)),
        400,
        "invalid_value",
        Some("ad_groups[0].ads[1].creative.type"),
    );
}

#[test]
fn ads_inherit_their_campaigns_review() {
    let app = start();
    let campaign = create_campaign(&app, "Parent");
    let (_, ad_id) = first_children(&app, ADVERTISER_KEY, campaign_id(&campaign));
    super::admin(
        &app,
        "POST",
        &format!("/admin/campaigns/{}/approve", campaign_id(&campaign)),
        None,
    );
    assert_eq!(
        v1(&app, "GET", &format!("/v1/ads/{ad_id}"), None).json()["review_status"],
        "approved"
    );
}

//! Tenancy: another organization's ids read as 404 on every route.

use serde_json::json;

use super::{as_key, assert_error, create_campaign, first_children, other_tenant, start};
use adspin_e2e::demo::ADVERTISER_KEY;

#[test]
fn every_id_route_hides_other_organizations() {
    let app = start();
    let campaign = create_campaign(&app, "Mine");
    let campaign_id = campaign["id"].as_str().expect("id").to_string();
    let (group_id, ad_id) = first_children(&app, ADVERTISER_KEY, &campaign_id);
    let (_, rival) = other_tenant(&app);

    let routes: Vec<(&str, String, Option<serde_json::Value>)> = vec![
        ("GET", format!("/v1/campaigns/{campaign_id}"), None),
        (
            "POST",
            format!("/v1/campaigns/{campaign_id}"),
            Some(json!({"name": "Hijacked"})),
        ),
        (
            "POST",
            format!("/v1/campaigns/{campaign_id}/activate"),
            None,
        ),
        ("POST", format!("/v1/campaigns/{campaign_id}/pause"), None),
        ("POST", format!("/v1/campaigns/{campaign_id}/archive"), None),
        ("GET", format!("/v1/ad_groups/{group_id}"), None),
        (
            "POST",
            format!("/v1/ad_groups/{group_id}"),
            Some(json!({"name": "Hijacked"})),
        ),
        ("POST", format!("/v1/ad_groups/{group_id}/activate"), None),
        ("POST", format!("/v1/ad_groups/{group_id}/pause"), None),
        ("POST", format!("/v1/ad_groups/{group_id}/archive"), None),
        ("GET", format!("/v1/ads/{ad_id}"), None),
        (
            "POST",
            format!("/v1/ads/{ad_id}"),
            Some(json!({"name": "Hijacked"})),
        ),
        ("POST", format!("/v1/ads/{ad_id}/activate"), None),
        ("POST", format!("/v1/ads/{ad_id}/pause"), None),
        ("POST", format!("/v1/ads/{ad_id}/archive"), None),
    ];
    for (method, path, body) in &routes {
        assert_error(
            &as_key(&app, &rival, method, path, body.as_ref()),
            404,
            "not_found",
            None,
        );
    }
    let parent_routes: Vec<(&str, String, Option<serde_json::Value>, &str)> = vec![
        (
            "GET",
            format!("/v1/ad_groups?campaign_id={campaign_id}"),
            None,
            "campaign_id",
        ),
        (
            "GET",
            format!("/v1/ads?ad_group_id={group_id}"),
            None,
            "ad_group_id",
        ),
        (
            "POST",
            "/v1/ad_groups".into(),
            Some(json!({"campaign_id": campaign_id, "name": "Intruder"})),
            "campaign_id",
        ),
        (
            "POST",
            "/v1/ads".into(),
            Some(
                json!({"ad_group_id": group_id, "creative": {"type": "chat_card", "title": "Intruder", "body": "b", "target_url": "https://e.com"}}),
            ),
            "ad_group_id",
        ),
    ];
    for (method, path, body, param) in &parent_routes {
        assert_error(
            &as_key(&app, &rival, method, path, body.as_ref()),
            404,
            "not_found",
            Some(param),
        );
    }
    assert_eq!(
        as_key(&app, &rival, "GET", "/v1/campaigns", None).json()["count"],
        0
    );
    // Nothing of the owner's changed.
    let mine = as_key(
        &app,
        ADVERTISER_KEY,
        "GET",
        &format!("/v1/campaigns/{campaign_id}"),
        None,
    )
    .json();
    assert_eq!(
        (mine["name"].as_str(), mine["status"].as_str()),
        (Some("Mine"), Some("paused"))
    );
    let groups = as_key(
        &app,
        ADVERTISER_KEY,
        "GET",
        &format!("/v1/ad_groups?campaign_id={campaign_id}"),
        None,
    )
    .json();
    assert_eq!(groups["count"], 1);
}

#[test]
fn each_organization_sees_its_own_ad_account() {
    let app = start();
    let (rival_id, rival) = other_tenant(&app);
    let account = as_key(&app, &rival, "GET", "/v1/ad_account", None).json();
    assert_eq!(account["id"], rival_id.as_str());
    assert_eq!(account["name"], "Rival Corp");
}

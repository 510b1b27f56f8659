//! Cursor pagination of the resource lists.

use serde_json::Value;

use super::{assert_error, campaign_body, start, v1};

fn create_named(app: &adspin_e2e::TestApp, count: usize) -> Vec<String> {
    (0..count)
        .map(|index| {
            let response = v1(
                app,
                "POST",
                "/v1/campaigns",
                Some(&campaign_body(&format!("Campaign {index:02}"))),
            );
            assert_eq!(response.status, 201, "{}", response.text());
            response.json()["id"].as_str().expect("id").to_string()
        })
        .collect()
}

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn lists_default_to_twenty_newest_first_with_the_documented_fields() {
    let app = start();
    let created = create_named(&app, 22);
    let page = v1(&app, "GET", "/v1/campaigns", None).json();
    assert_eq!(page["object"], "list");
    assert_eq!(page["count"], 20);
    assert_eq!(page["has_more"], true);
    let newest_first: Vec<String> = created.iter().rev().take(20).cloned().collect();
    assert_eq!(ids(&page), newest_first);
    assert_eq!(page["first_id"], created[21].as_str());
    assert_eq!(page["last_id"], created[2].as_str());
}

#[test]
fn after_and_before_walk_the_list_both_ways() {
    let app = start();
    let created = create_named(&app, 5);
    let first = v1(&app, "GET", "/v1/campaigns?limit=2", None).json();
    assert_eq!(ids(&first), [created[4].clone(), created[3].clone()]);
    let second = v1(
        &app,
        "GET",
        &format!(
            "/v1/campaigns?limit=2&after={}",
            first["last_id"].as_str().expect("last")
        ),
        None,
    )
    .json();
    assert_eq!(ids(&second), [created[2].clone(), created[1].clone()]);
    assert_eq!(second["has_more"], true);
    let third = v1(
        &app,
        "GET",
        &format!(
            "/v1/campaigns?limit=2&after={}",
            second["last_id"].as_str().expect("last")
        ),
        None,
    )
    .json();
    assert_eq!(ids(&third), [created[0].clone()]);
    assert_eq!(third["has_more"], false);
    let back = v1(
        &app,
        "GET",
        &format!(
            "/v1/campaigns?limit=2&before={}",
            third["first_id"].as_str().expect("first")
        ),
        None,
    )
    .json();
    assert_eq!(ids(&back), [created[2].clone(), created[1].clone()]);
    assert_eq!(back["has_more"], true);
    let start_back = v1(
        &app,
        "GET",
        &format!("/v1/campaigns?limit=2&before={}", created[3]),
        None,
    )
    .json();
    assert_eq!(ids(&start_back), [created[4].clone()]);
    assert_eq!(start_back["has_more"], false);
}

#[test]
fn ascending_order_lists_oldest_first() {
    let app = start();
    let created = create_named(&app, 3);
    let page = v1(&app, "GET", "/v1/campaigns?order=asc&limit=2", None).json();
    assert_eq!(ids(&page), created[..2].to_vec());
    let next = v1(
        &app,
        "GET",
        &format!("/v1/campaigns?order=asc&after={}", created[1]),
        None,
    )
    .json();
    assert_eq!(ids(&next), [created[2].clone()]);
}

#[test]
fn pages_stay_stable_while_new_items_arrive() {
    let app = start();
    let created = create_named(&app, 4);
    let first = v1(&app, "GET", "/v1/campaigns?limit=2", None).json();
    create_named(&app, 3);
    let second = v1(
        &app,
        "GET",
        &format!(
            "/v1/campaigns?limit=2&after={}",
            first["last_id"].as_str().expect("last")
        ),
        None,
    )
    .json();
    assert_eq!(ids(&second), [created[1].clone(), created[0].clone()]);
}

#[test]
fn paging_parameters_are_validated() {
    let app = start();
    let created = create_named(&app, 1);
    for query in ["limit=0", "limit=501", "limit=ten"] {
        assert_error(
            &v1(&app, "GET", &format!("/v1/campaigns?{query}"), None),
            400,
            "invalid_value",
            Some("limit"),
        );
    }
    assert_eq!(v1(&app, "GET", "/v1/campaigns?limit=500", None).status, 200);
    assert_eq!(
        v1(&app, "GET", "/v1/campaigns?limit=1", None).json()["count"],
        1
    );
    assert_error(
        &v1(&app, "GET", "/v1/campaigns?order=newest", None),
        400,
        "invalid_value",
        Some("order"),
    );
    assert_error(
        &v1(
            &app,
            "GET",
            &format!("/v1/campaigns?before={0}&after={0}", created[0]),
            None,
        ),
        400,
        "invalid_value",
        Some("before"),
    );
    assert_error(
        &v1(
            &app,
            "GET",
            "/v1/campaigns?after=00000000-0000-4000-8000-000000000000",
            None,
        ),
        400,
        "invalid_value",
        Some("after"),
    );
    let empty = v1(
        &app,
        "GET",
        &format!("/v1/campaigns?after={}", created[0]),
        None,
    )
    .json();
    assert_eq!(
        (
            empty["count"].as_u64(),
            empty["first_id"].is_null(),
            empty["has_more"].as_bool()
        ),
        (Some(0), true, Some(false))
    );
}

#[test]
fn child_lists_page_the_same_way() {
    let app = start();
    let campaign = super::create_campaign(&app, "Parent");
    let campaign_id = campaign["id"].as_str().expect("id");
    for index in 0..3 {
        let body =
            serde_json::json!({"campaign_id": campaign_id, "name": format!("Group {index}")});
        assert_eq!(v1(&app, "POST", "/v1/ad_groups", Some(&body)).status, 201);
    }
    let page = v1(
        &app,
        "GET",
        &format!("/v1/ad_groups?campaign_id={campaign_id}&limit=3"),
        None,
    )
    .json();
    assert_eq!(
        (page["count"].as_u64(), page["has_more"].as_bool()),
        (Some(3), Some(true))
    );
    let rest = v1(
        &app,
        "GET",
        &format!(
            "/v1/ad_groups?campaign_id={campaign_id}&after={}",
            page["last_id"].as_str().expect("last")
        ),
        None,
    )
    .json();
    assert_eq!(rest["count"], 1);
    assert_eq!(rest["data"][0]["name"], "Prospecting");
}

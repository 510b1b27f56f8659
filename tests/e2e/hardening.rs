//! Defects found by probing the app as an attacker and a careful client
//! would: each test failed before its fix.

use std::io::{Read, Write};
use std::net::TcpStream;

use adspin_e2e::demo::{ADVERTISER_KEY, PUBLISHER_STAGING_KEY};
use adspin_e2e::{TestApp, TestResponse};
use serde_json::{Value, json};

use crate::ssp::{admin, auction, live_campaign, start};

fn v1(app: &TestApp, method: &str, path: &str, body: &Value) -> TestResponse {
    let auth = format!("Bearer {ADVERTISER_KEY}");
    app.request(
        method,
        path,
        &[("authorization", &auth)],
        Some(body.to_string().as_bytes()),
    )
}

fn campaign(target_url: &str, budget: i64) -> Value {
    json!({
        "name": "Hardening",
        "budget": {"lifetime_spend_limit_micros": budget},
        "ad_groups": [{"name": "Group", "context_hints": ["running shoes"],
            "bidding_config": {"max_bid_micros": 2_000_000},
            "ads": [{"creative": {"type": "chat_card", "title": "Running shoes",
                "body": "Light.", "target_url": target_url}}]}]
    })
}

#[test]
fn target_urls_with_line_breaks_or_tabs_are_refused() {
    let app = start();
    for url in [
        "https://shop.example.com/a\r\nSet-Cookie: x=1",
        "https://shop.example.com/a\tb",
        "https://shop.example.com/a\nb",
    ] {
        let response = v1(&app, "POST", "/v1/campaigns", &campaign(url, 50_000_000));
        assert_eq!(response.status, 400, "{url:?}: {}", response.text());
        let error = &response.json()["error"];
        assert_eq!(error["code"], "invalid_value");
        assert_eq!(error["param"], "ad_groups[0].ads[0].creative.target_url");
    }
}

#[test]
fn a_lifetime_budget_is_at_most_ten_million_dollars() {
    let app = start();
    for budget in [10_000_000_000_001_i64, i64::MAX] {
        let response = v1(
            &app,
            "POST",
            "/v1/campaigns",
            &campaign("https://shop.example.com/", budget),
        );
        assert_eq!(response.status, 400, "{}", response.text());
        assert_eq!(
            response.json()["error"]["param"],
            "budget.lifetime_spend_limit_micros"
        );
    }
    let at_most = v1(
        &app,
        "POST",
        "/v1/campaigns",
        &campaign("https://shop.example.com/", 10_000_000_000_000),
    );
    assert_eq!(at_most.status, 201, "{}", at_most.text());
}

/// A bid request with the `Host` header a client chose.
fn bid_request_for_host(app: &TestApp, host: &str) -> (u16, String) {
    let address = app.base_url().trim_start_matches("http://").to_string();
    let body = json!({
        "userId": "u", "chatId": "host-test",
        "messages": [{"role": "user", "content": "anything"}, {"role": "assistant", "content": "Sure"}]
    })
    .to_string();
    let mut stream = TcpStream::connect(&address).expect("connect");
    write!(
        stream,
        "POST /api/v1/ssp/bid-request HTTP/1.1\r\nHost: {host}\r\nthrad-api-key: {PUBLISHER_STAGING_KEY}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status");
    (status, answer)
}

#[test]
fn links_are_never_built_from_a_host_header_the_client_chose() {
    let app = start();
    let (status, answer) = bid_request_for_host(&app, "evil.example");
    assert!(!answer.contains("evil.example"), "{answer}");
    assert_eq!(
        status, 500,
        "without public_base_url only loopback hosts are trusted"
    );
    // The same request to the address the app listens on gets its test ad.
    let address = app.base_url().trim_start_matches("http://").to_string();
    let (status, answer) = bid_request_for_host(&app, &address);
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains(&format!("http://{address}/api/v1/dsp/redirect/")));
}

#[test]
fn a_configured_public_base_url_is_used_whatever_the_host() {
    let app = adspin_e2e::HostLaunch::app()
        .variable("public_base_url", "https://ads.example.com")
        .start();
    let (status, answer) = bid_request_for_host(&app, "evil.example");
    assert_eq!(status, 200, "{answer}");
    assert!(!answer.contains("evil.example"), "{answer}");
    assert!(answer.contains("https://ads.example.com/api/v1/dsp/redirect/"));
}

#[test]
fn editing_an_approved_ad_sends_its_campaign_back_to_review() {
    let app = start();
    let campaign = live_campaign(&app, "running shoes", 5_000_000, 50_000_000);
    assert_ne!(
        auction(&app, "before", "running shoes"),
        Value::Null,
        "serves"
    );
    let auth = format!("Bearer {ADVERTISER_KEY}");
    let groups = app.request(
        "GET",
        &format!("/v1/ad_groups?campaign_id={campaign}"),
        &[("authorization", &auth)],
        None,
    );
    let group = groups.json()["data"][0]["id"]
        .as_str()
        .expect("group")
        .to_string();
    let ads = app.request(
        "GET",
        &format!("/v1/ads?ad_group_id={group}"),
        &[("authorization", &auth)],
        None,
    );
    let ad = ads.json()["data"][0].clone();
    let ad_id = ad["id"].as_str().expect("ad id");
    // Same ad, another landing page: the bait and switch.
    let mut creative = ad["creative"].clone();
    creative["target_url"] = json!("https://elsewhere.example.com/");
    for key in ["image_url", "file_id", "cta_text"] {
        creative.as_object_mut().expect("object").remove(key);
    }
    let updated = v1(
        &app,
        "POST",
        &format!("/v1/ads/{ad_id}"),
        &json!({"creative": creative}),
    );
    assert_eq!(updated.status, 200, "{}", updated.text());
    assert_eq!(updated.json()["review_status"], "in_review");
    let read = app.request(
        "GET",
        &format!("/v1/campaigns/{campaign}"),
        &[("authorization", &auth)],
        None,
    );
    assert_eq!(read.json()["review_status"], "in_review");
    assert_eq!(
        auction(&app, "after", "running shoes"),
        Value::Null,
        "not served until reviewed again"
    );
    admin(
        &app,
        "POST",
        &format!("/admin/campaigns/{campaign}/approve"),
        None,
    );
    assert_ne!(auction(&app, "approved", "running shoes"), Value::Null);
    // Renaming changes nothing anyone reviewed.
    let renamed = v1(
        &app,
        "POST",
        &format!("/v1/ads/{ad_id}"),
        &json!({"name": "New name"}),
    );
    assert_eq!(renamed.json()["review_status"], "approved");
}

#[test]
fn a_new_ad_in_an_approved_campaign_is_reviewed_before_it_serves() {
    let app = start();
    let campaign = live_campaign(&app, "trail shoes", 5_000_000, 50_000_000);
    let auth = format!("Bearer {ADVERTISER_KEY}");
    let groups = app.request(
        "GET",
        &format!("/v1/ad_groups?campaign_id={campaign}"),
        &[("authorization", &auth)],
        None,
    );
    let group = groups.json()["data"][0]["id"]
        .as_str()
        .expect("group")
        .to_string();
    let created = v1(
        &app,
        "POST",
        "/v1/ads",
        &json!({"ad_group_id": group, "creative": {"type": "chat_card", "title": "Other shoes",
            "body": "Also light.", "target_url": "https://elsewhere.example.com/"}}),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.json()["review_status"], "in_review");
    assert_eq!(auction(&app, "new ad", "trail shoes"), Value::Null);
}

#[test]
fn a_known_path_with_another_method_is_405_with_allow_on_every_surface() {
    let app = start();
    let advertiser = format!("Bearer {ADVERTISER_KEY}");
    let operator = format!("Bearer {}", adspin_e2e::demo::ADMIN_TOKEN);
    let partner = "Bearer pt_demo_3a5c7e9b1d2f4a6c8e0b2d4f6a8c1e3b";
    for (method, path, auth, allow) in [
        ("DELETE", "/v1/campaigns", advertiser.as_str(), "GET, POST"),
        ("GET", "/v1/campaigns/x/pause", advertiser.as_str(), "POST"),
        ("GET", "/v1/api/collect", partner, "POST"),
        ("GET", "/api/v1/ssp/bid-request", "", "POST, OPTIONS"),
        ("POST", "/api/v1/dsp/redirect/token", "", "GET"),
        ("DELETE", "/api/v1/tracking/view/token", "", "GET"),
        ("GET", "/admin/organizations", operator.as_str(), "POST"),
        ("POST", "/admin/dsps", operator.as_str(), "GET"),
        ("POST", "/healthz", "", "GET"),
    ] {
        let response = app.request(method, path, &[("authorization", auth)], None);
        assert_eq!(response.status, 405, "{method} {path}: {}", response.text());
        assert_eq!(response.header("allow"), Some(allow), "{method} {path}");
        assert!(
            response.json().is_object(),
            "{method} {path}: a JSON body in the surface's shape"
        );
    }
}

#[test]
fn the_app_serves_its_openapi_documents() {
    let app = start();
    for document in ["advertiser-v1.json", "ssp-v1.json", "operator.json"] {
        let response = app.get(&format!("/openapi/{document}"));
        assert_eq!(response.status, 200, "{document}");
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.json()["openapi"], "3.1.0", "{document}");
    }
    assert_eq!(app.get("/openapi/nope.json").status, 404);
}

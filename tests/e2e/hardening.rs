//! Defects found by probing the app as an attacker and a careful client
//! would: each test failed before its fix.

use std::io::{Read, Write};
use std::net::TcpStream;

use adspin_e2e::demo::{ADMIN_TOKEN, ADVERTISER_KEY, PARTNER_TOKEN, PUBLISHER_STAGING_KEY};
use adspin_e2e::{Runtime, TestApp, TestResponse};
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
    for document in [
        "advertiser-v1.json",
        "ssp-v1.json",
        "operator.json",
        "agents-v1.json",
    ] {
        let response = app.get(&format!("/openapi/{document}"));
        assert_eq!(response.status, 200, "{document}");
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.json()["openapi"], "3.1.0", "{document}");
    }
    assert_eq!(app.get("/openapi/nope.json").status, 404);
    // Every operation of the agents document is a route of the agents API.
    let agents = app.get("/openapi/agents-v1.json").json();
    let paths = agents["paths"].as_object().expect("paths");
    assert_eq!(paths.len(), 55);
    for (path, operations) in paths {
        let concrete = path
            .replace("{id}", "1")
            .replace("{delivery_id}", "msg_00000000000000000000000000000000");
        for method in operations.as_object().expect("operations").keys() {
            let method = method.to_uppercase();
            let response = app.request(&method, &concrete, &[], None);
            assert!(
                response.status != 405 && !response.text().contains("No endpoint is served at"),
                "{method} {concrete} is documented but not served: {}",
                response.text()
            );
        }
    }
}

/// Sends a request's head declaring `content-length` bytes of body, sends
/// none of them, and reads the answer: a surface that waited for the body
/// would never answer (the read times out and the test fails).
fn declare_body(app: &TestApp, method: &str, path: &str, headers: &str, length: u64) -> String {
    let address = app.base_url().trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&address).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\n{headers}content-type: application/json\r\n\
         content-length: {length}\r\n\r\n"
    )
    .expect("write");
    read_response(&mut stream)
}

/// Sends `body` with chunked transfer encoding (no declared length).
fn chunked_body(app: &TestApp, path: &str, headers: &str, body: &[u8]) -> String {
    let address = app.base_url().trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&address).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\n{headers}content-type: application/json\r\n\
         transfer-encoding: chunked\r\n\r\n"
    )
    .expect("write");
    for chunk in body.chunks(16 * 1024) {
        // The server may answer and close before the last chunk.
        if write!(stream, "{:x}\r\n", chunk.len()).is_err()
            || stream.write_all(chunk).is_err()
            || stream.write_all(b"\r\n").is_err()
        {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    read_response(&mut stream)
}

/// Reads one response: its head and its `content-length` or chunked body.
fn read_response(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut byte = [0_u8; 4096];
    loop {
        let read = stream
            .read(&mut byte)
            .expect("an answer before the timeout");
        if read == 0 {
            break;
        }
        answer.extend_from_slice(&byte[..read]);
        let text = String::from_utf8_lossy(&answer);
        if let Some(end) = text.find("\r\n\r\n") {
            let chunked = text[..end]
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked");
            if chunked && text.ends_with("0\r\n\r\n") {
                break;
            }
            let length = text[..end]
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if !chunked && answer.len() >= end + 4 + length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

fn status_of(answer: &str) -> u16 {
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {answer:?}"))
}

fn body_of(answer: &str) -> Value {
    let (head, mut rest) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
    let mut body = String::new();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        while let Some((size, after)) = rest.split_once("\r\n") {
            let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if size == 0 || after.len() < size {
                break;
            }
            body.push_str(&after[..size]);
            rest = after[size..].trim_start_matches("\r\n");
        }
    } else {
        body.push_str(rest);
    }
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {answer}"))
}

const HUNDRED_MB: u64 = 100 * 1024 * 1024;

#[test]
fn a_body_past_the_limit_is_a_413_in_each_surface_shape_without_being_read() {
    let app = start();
    let v1_auth = format!("authorization: Bearer {ADVERTISER_KEY}\r\n");
    let answer = declare_body(&app, "POST", "/v1/campaigns", &v1_auth, HUNDRED_MB);
    assert_eq!(status_of(&answer), 413, "{answer}");
    assert_eq!(body_of(&answer)["error"]["code"], "request_too_large");

    let ssp_auth = format!("thrad-api-key: {PUBLISHER_STAGING_KEY}\r\n");
    let answer = declare_body(
        &app,
        "POST",
        "/api/v1/ssp/bid-request",
        &ssp_auth,
        HUNDRED_MB,
    );
    assert_eq!(status_of(&answer), 413, "{answer}");
    let envelope = body_of(&answer);
    assert_eq!(envelope["status"], "error", "{envelope}");

    let s2s_auth = format!("authorization: Bearer {PARTNER_TOKEN}\r\n");
    let answer = declare_body(&app, "POST", "/v1/api/conversion", &s2s_auth, HUNDRED_MB);
    assert_eq!(status_of(&answer), 413, "{answer}");
    assert_eq!(body_of(&answer)["detail"], "Request body too large");

    let admin_auth = format!("authorization: Bearer {ADMIN_TOKEN}\r\n");
    let answer = declare_body(
        &app,
        "POST",
        "/admin/organizations",
        &admin_auth,
        HUNDRED_MB,
    );
    assert_eq!(status_of(&answer), 413, "{answer}");
    assert_eq!(body_of(&answer)["error"]["code"], "request_too_large");
}

#[test]
fn a_streamed_body_is_cut_off_at_the_limit() {
    let app = start();
    let s2s_auth = format!("authorization: Bearer {PARTNER_TOKEN}\r\n");
    let answer = chunked_body(&app, "/v1/api/collect", &s2s_auth, &vec![b' '; 65 * 1024]);
    assert_eq!(status_of(&answer), 413, "{answer}");
    // Just under the limit is read and judged on its content.
    let answer = chunked_body(&app, "/v1/api/collect", &s2s_auth, &vec![b' '; 60 * 1024]);
    assert_ne!(status_of(&answer), 413, "{answer}");
}

#[test]
fn nobody_unauthenticated_gets_a_body_read() {
    let app = start();
    for (method, path, status) in [
        ("POST", "/v1/campaigns", 401),
        ("POST", "/api/v1/ssp/bid-request", 401),
        ("POST", "/v1/api/collect", 401),
        ("POST", "/admin/organizations", 401),
        ("POST", "/api/organizations/x/api-keys", 401),
        ("POST", "/healthz", 405),
        ("PUT", "/files/uploads/2026/11/a.png", 405),
    ] {
        let answer = declare_body(&app, method, path, "", HUNDRED_MB);
        assert_eq!(status_of(&answer), status, "{method} {path}: {answer}");
    }
}

#[test]
fn reading_publisher_settings_writes_nothing() {
    let app = start();
    let organization = admin(
        &app,
        "POST",
        "/admin/organizations",
        Some(json!({"name": "Reader"})),
    );
    let id = organization.json()["id"].as_str().expect("id").to_string();
    let settings = admin(&app, "GET", &format!("/admin/publishers/{id}"), None);
    assert_eq!(settings.status, 200, "{}", settings.text());
    assert_eq!(settings.json()["rate_limit_per_second"], 100);
    let rows: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM publishers WHERE organization_id = ?1",
            [&id],
            |row| row.get(0),
        )
        .expect("count");
    assert_eq!(rows, 0);
}

#[test]
fn publisher_origins_with_a_fragment_or_path_are_refused() {
    let app = start();
    for origin in [
        "https://chat.example.com#frag",
        "https://chat.example.com/app",
    ] {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let response = app.request(
            "PUT",
            &format!("/admin/publishers/{}", adspin_e2e::demo::ORGANIZATION_ID),
            &[("authorization", &auth)],
            Some(
                json!({ "allowed_origins": [origin] })
                    .to_string()
                    .as_bytes(),
            ),
        );
        assert_eq!(response.status, 400, "{origin}: {}", response.text());
        assert_eq!(response.json()["error"]["param"], "allowed_origins[0]");
    }
}

#[test]
fn an_archived_campaign_s_ad_groups_and_ads_cannot_be_changed_or_resumed() {
    let app = start();
    let created = v1(
        &app,
        "POST",
        "/v1/campaigns",
        &campaign("https://shop.example.com/", 50_000_000),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let campaign_id = created.json()["id"].as_str().expect("id").to_string();
    let groups = v1(
        &app,
        "GET",
        &format!("/v1/ad_groups?campaign_id={campaign_id}"),
        &Value::Null,
    );
    let group_id = groups.json()["data"][0]["id"]
        .as_str()
        .expect("group")
        .to_string();
    let ads = v1(
        &app,
        "GET",
        &format!("/v1/ads?ad_group_id={group_id}"),
        &Value::Null,
    );
    let ad_id = ads.json()["data"][0]["id"]
        .as_str()
        .expect("ad")
        .to_string();
    let archive = v1(
        &app,
        "POST",
        &format!("/v1/campaigns/{campaign_id}/archive"),
        &Value::Null,
    );
    assert_eq!(archive.status, 200, "{}", archive.text());

    let ad = json!({"ad_group_id": group_id, "creative": {"type": "chat_card",
        "title": "Running shoes", "body": "Light.", "target_url": "https://shop.example.com/"}});
    let group = json!({"campaign_id": campaign_id, "name": "Another group"});
    let refused = [
        (
            "POST",
            format!("/v1/ad_groups/{group_id}"),
            json!({"name": "Renamed"}),
        ),
        (
            "POST",
            format!("/v1/ad_groups/{group_id}/activate"),
            Value::Null,
        ),
        (
            "POST",
            format!("/v1/ads/{ad_id}"),
            json!({"name": "Renamed"}),
        ),
        ("POST", format!("/v1/ads/{ad_id}/activate"), Value::Null),
        ("POST", "/v1/ads".to_string(), ad),
        ("POST", "/v1/ad_groups".to_string(), group),
    ];
    for (method, path, body) in refused {
        let response = v1(&app, method, &path, &body);
        assert_eq!(response.status, 400, "{path}: {}", response.text());
        assert_eq!(
            response.json()["error"]["code"],
            "campaign_archived",
            "{path}"
        );
    }
    let paused = v1(
        &app,
        "POST",
        &format!("/v1/ads/{ad_id}/pause"),
        &Value::Null,
    );
    assert_eq!(paused.status, 200, "{}", paused.text());
}

/// Sends `head` (request line and headers, raw bytes) and a JSON body.
fn raw_request(app: &TestApp, head: &[u8], body: &str) -> String {
    let address = app.base_url().trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&address).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    stream.write_all(head).expect("write");
    write!(
        stream,
        "Host: {address}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    read_response(&mut stream)
}

#[test]
fn header_values_that_are_not_utf8_are_refused_not_ignored() {
    let app = start();
    let body = campaign("https://shop.example.com/", 50_000_000).to_string();
    let mut head = format!(
        "POST /v1/campaigns HTTP/1.1\r\nauthorization: Bearer {ADVERTISER_KEY}\r\nidempotency-key: caf"
    )
    .into_bytes();
    head.extend_from_slice(b"\xe9-1\r\n");
    // Spin 4 refuses a request whose header values are not UTF-8 before any
    // component runs (a 500 with no body); the local host hands it to the
    // component, which answers in the surface's shape. Either way nothing
    // is created.
    let on_spin = matches!(Runtime::for_app(), Runtime::Spin(_));
    let before = campaigns_listed(&app);
    for _ in 0..2 {
        let answer = raw_request(&app, &head, &body);
        if on_spin {
            assert_eq!(status_of(&answer), 500, "{answer}");
            continue;
        }
        assert_eq!(status_of(&answer), 400, "{answer}");
        assert_eq!(body_of(&answer)["error"]["param"], "Idempotency-Key");
    }
    assert_eq!(campaigns_listed(&app), before);
    let mut head = format!(
        "POST /api/v1/ssp/bid-request HTTP/1.1\r\nthrad-api-key: {PUBLISHER_STAGING_KEY}\r\nx-user-country: "
    )
    .into_bytes();
    head.extend_from_slice(b"\xe9\r\n");
    let conversation = json!({"userId": "u", "chatId": "c",
        "messages": [{"role": "user", "content": "shoes"}, {"role": "assistant", "content": "Sure"}]})
    .to_string();
    let answer = raw_request(&app, &head, &conversation);
    assert_eq!(
        status_of(&answer),
        if on_spin { 500 } else { 400 },
        "{answer}"
    );
}

fn campaigns_listed(app: &TestApp) -> usize {
    let auth = format!("Bearer {ADVERTISER_KEY}");
    let page = app.request(
        "GET",
        "/v1/campaigns?limit=100",
        &[("authorization", &auth)],
        None,
    );
    assert_eq!(page.status, 200, "{}", page.text());
    page.json()["data"].as_array().expect("data").len()
}

//! Campaigns, ad sets, ads and launch (`/campaigns/...`): the
//! specification's campaign flow on adspin's chat network, from an agent's
//! first campaign to an ad won in a real auction, clicked and converted,
//! and the same numbers in `/v1` insights.

use adspin_e2e::TestApp;
use adspin_e2e::demo::{ADMIN_TOKEN, PUBLISHER_PRODUCTION_KEY};
use serde_json::{Value, json};

use adspin_e2e::HostLaunch;

use super::{advertiser, call, expect, post, verified_account};

/// The app, with room for this file's many calls an account makes in a
/// minute (the Free plan allows 10).
fn start() -> TestApp {
    HostLaunch::app()
        .variable("agents_rate_limit_multiplier", "20")
        .start()
}

fn admin(app: &TestApp, method: &str, path: &str, body: Option<&Value>) -> Value {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let text = body.map(Value::to_string);
    let response = app.request(
        method,
        path,
        &[("authorization", &auth)],
        text.as_deref().map(str::as_bytes),
    );
    assert!(
        response.status < 300,
        "{method} {path}: {}",
        response.text()
    );
    response.json()
}

/// The specification's create example, on the chat network.
fn summer_launch() -> Value {
    json!({
        "name": "Summer Launch",
        "objective": "CONVERSIONS",
        "daily_budget": 50.0,
        "product_description": "Online bookkeeping for small businesses",
        "message": "Simplify your books. Start free today!",
        "target_url": "https://acme.example/start",
        "audience_description": "Small business owners aged 25-55",
        "target_location": "United States"
    })
}

/// Creates a campaign with one ad set about `interest` and one ad.
fn campaign_with_an_ad(app: &TestApp, key: &str, interest: &str) -> i64 {
    let created = call(app, "POST", "/campaigns", key, Some(&summer_launch()));
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_i64().expect("integer id");
    let ad_set = call(
        app,
        "POST",
        &format!("/campaigns/{id}/ad-sets"),
        key,
        Some(&json!({"name": "Founders 25-45", "targeting": {
            "age_min": 25, "age_max": 45, "interests": [interest]}})),
    );
    assert_eq!(ad_set.status, 201, "{}", ad_set.text());
    let ad_set = ad_set.json()["id"].as_i64().expect("ad set id");
    let ad = call(
        app,
        "POST",
        &format!("/campaigns/{id}/ad-sets/{ad_set}/ads"),
        key,
        Some(&json!({"name": "Variation 1", "creative": {
            "headline": "Books done in minutes",
            "primary_text": "Join 10,000 founders who close their books in minutes, not days.",
            "description": "Bookkeeping that does itself.",
            "call_to_action": "sign_up",
            "link_url": "https://acme.example/signup"
        }, "generation_id": "gen_9xMk3nP"})),
    );
    assert_eq!(ad.status, 201, "{}", ad.text());
    id
}

/// The shared campaign behind an agents campaign, from the review queue.
fn approve(app: &TestApp, organization: &str, name: &str) -> String {
    let queue = admin(app, "GET", "/admin/campaigns?review_status=in_review", None);
    let shared = queue["data"]
        .as_array()
        .expect("queue")
        .iter()
        .find(|c| c["organization_id"] == organization && c["name"] == name)
        .unwrap_or_else(|| panic!("not in the review queue: {queue}"))["id"]
        .as_str()
        .expect("id")
        .to_string();
    admin(
        app,
        "POST",
        &format!("/admin/campaigns/{shared}/approve"),
        None,
    );
    shared
}

#[test]
fn a_launched_chat_campaign_wins_an_auction_and_its_click_and_conversion_show_everywhere() {
    let app = start();
    let (key, organization) = advertiser(&app, "agent@acme.example");
    let id = campaign_with_an_ad(&app, &key, "bookkeeping software");

    let draft = call(&app, "GET", &format!("/campaigns/camp_{id}"), &key, None).json();
    assert_eq!(
        (
            &draft["status"],
            &draft["objective"],
            &draft["daily_budget"]
        ),
        (&json!("draft"), &json!("conversions"), &json!(50.0))
    );
    assert_eq!(
        draft["budget"],
        json!({"type": "daily", "amount": 50.0, "currency": "USD"})
    );
    assert_eq!(draft["platforms"], json!(["chat"]));

    let launched = call(&app, "POST", &format!("/campaigns/{id}/launch"), &key, None);
    assert_eq!(launched.status, 200, "{}", launched.text());
    let launched = launched.json();
    assert_eq!(
        (&launched["status"], &launched["review_status"]),
        (&json!("active"), &json!("in_review"))
    );
    let conversation = json!({"userId": "u1", "chatId": "agents_chat", "production": true, "turn_number": 4,
        "messages": [{"role": "user", "content": "Which bookkeeping software should a founder use?"},
                     {"role": "assistant", "content": "It depends on your needs."}]});
    let bid_request = |chat: &str| {
        let mut body = conversation.clone();
        body["chatId"] = json!(chat);
        let response = app.request(
            "POST",
            "/api/v1/ssp/bid-request",
            &[
                ("thrad-api-key", PUBLISHER_PRODUCTION_KEY),
                ("content-type", "application/json"),
            ],
            Some(body.to_string().as_bytes()),
        );
        assert_eq!(response.status, 200, "{}", response.text());
        response.json()["data"]["bid"].clone()
    };
    assert_eq!(
        bid_request("before_review"),
        Value::Null,
        "not before review"
    );

    let shared = approve(&app, &organization, "Summer Launch");
    let bid = bid_request("after_review");
    assert_eq!(bid["dsp"], "thrad_dsp", "{bid}");
    assert_eq!(bid["headline"], "Books done in minutes");
    assert_eq!(bid["description"], "Bookkeeping that does itself.");
    assert_eq!(bid["cta_text"], "Sign Up");
    assert_eq!(
        bid["price"], 4.0,
        "the conversions objective bids $4.00 CPM"
    );

    let click_url = bid["url"].as_str().expect("click url");
    let click = app.get(click_url.strip_prefix(&app.base_url()).expect("ours"));
    assert_eq!(click.status, 302);
    let location = click.header("location").expect("location").to_string();
    assert!(
        location.starts_with("https://acme.example/signup"),
        "{location}"
    );
    let click_id = location
        .split("thrad_click_id=")
        .nth(1)
        .expect("click id")
        .to_string();

    let partner = admin(
        &app,
        "POST",
        &format!("/admin/organizations/{organization}/api-keys"),
        Some(&json!({"kind": "partner", "label": "server"})),
    )["key"]
        .as_str()
        .expect("partner token")
        .to_string();
    let converted = app.request(
        "POST",
        "/v1/api/conversion",
        &[("authorization", &format!("Bearer {partner}"))],
        Some(
            json!({"click_id": click_id, "conversion_time": chrono::Utc::now().to_rfc3339(),
                   "conversion_value": 12.0, "currency": "USD", "order_id": "agents-1"})
            .to_string()
            .as_bytes(),
        ),
    );
    assert_eq!(
        converted.json(),
        json!({"status": "ok"}),
        "{}",
        converted.text()
    );

    let read = call(&app, "GET", &format!("/campaigns/{id}"), &key, None).json();
    assert_eq!(
        read["metrics"],
        json!({"impressions": 1, "clicks": 1, "ctr": 100.0, "conversions": 1,
               "spend": 0.004, "cpc": 0.004, "roas": 3000.0}),
        "ctr is a percentage here"
    );

    let analytics = call(
        &app,
        "GET",
        &format!("/analytics/campaigns/camp_{id}"),
        &key,
        None,
    );
    assert_eq!(analytics.status, 200, "{}", analytics.text());
    let analytics = analytics.json();
    assert_eq!(analytics["campaign_name"], "Summer Launch");
    assert_eq!(analytics["metrics"], read["metrics"], "the same rollups");
    assert_eq!(analytics["by_platform"]["chat"]["clicks"], 1, "{analytics}");
    assert_eq!(analytics["by_ad_set"][0]["name"], "Founders 25-45");
    assert_eq!(analytics["by_ad_set"][0]["metrics"]["conversions"], 1);
    let series = call(&app, "GET", &format!("/analytics/time-series?campaign_id={id}&granularity=hourly&date_from={today}&date_to={today}", today = chrono::Utc::now().format("%Y-%m-%d")), &key, None).json();
    let points = series["data"].as_array().expect("points");
    assert_eq!(points.len(), 24, "{series}");
    assert_eq!(
        points
            .iter()
            .map(|p| p["impressions"].as_i64().unwrap_or(0))
            .sum::<i64>(),
        1
    );
    let overview = call(&app, "GET", "/analytics/overview", &key, None).json();
    assert_eq!(overview["campaigns"]["active"], 1, "{overview}");
    assert_eq!(overview["metrics"]["impressions"], 1);
    expect(
        &call(
            &app,
            "GET",
            "/analytics/time-series?granularity=minutely",
            &key,
            None,
        ),
        422,
        "validation_error",
    );

    let listed = call(&app, "GET", "/campaigns", &key, None).json();
    assert_eq!(
        listed["data"][0]["metrics"], read["metrics"],
        "a page shows the same metrics"
    );
    check_reports(&app, &key, id);
    let forecast = call(
        &app,
        "GET",
        &format!("/analytics/predictions?campaign_id={id}&days=3"),
        &key,
        None,
    );
    assert_eq!(forecast.status, 200, "{}", forecast.text());
    let forecast = forecast.json();
    assert_eq!(
        (
            &forecast["horizon_days"],
            &forecast["history_days"],
            &forecast["method"]
        ),
        (&json!(3), &json!(0), &json!("mean")),
        "launched today: no full day of history yet ({forecast})"
    );
    assert_eq!(forecast["data"].as_array().expect("days").len(), 3);
    let account = call(&app, "GET", "/analytics/predictions?days=2", &key, None).json();
    assert_eq!(
        (
            &account["campaign_id"],
            &account["history_days"],
            &account["method"]
        ),
        (&Value::Null, &json!(28), &json!("linear_trend")),
        "the whole account, over the last 28 days ({account})"
    );
    assert_eq!(
        forecast["data"][0]["clicks"],
        json!({"value": 0.0, "lower": 0.0, "upper": 0.0})
    );
    expect(
        &call(
            &app,
            "GET",
            &format!("/analytics/predictions?campaign_id={id}&days=31"),
            &key,
            None,
        ),
        422,
        "validation_error",
    );

    let advertiser_key = admin(
        &app,
        "POST",
        &format!("/admin/organizations/{organization}/api-keys"),
        Some(&json!({"kind": "advertiser"})),
    )["key"]
        .as_str()
        .expect("advertiser key")
        .to_string();
    let insights = app.request(
        "GET",
        &format!(
            "/v1/campaigns/{shared}/insights?time_granularity=none&time_ranges%5B%5D=%7B%22type%22%3A%22preset%22%2C%22preset%22%3A%22last_7_days%22%7D&fields%5B%5D=impressions&fields%5B%5D=clicks&fields%5B%5D=conversions"
        ),
        &[("authorization", &format!("Bearer {advertiser_key}"))],
        None,
    );
    assert_eq!(insights.status, 200, "{}", insights.text());
    let row = &insights.json()["data"][0];
    assert_eq!(
        (&row["impressions"], &row["clicks"], &row["conversions"]),
        (&json!(1), &json!(1), &json!(1)),
        "/v1 reads the same rows"
    );

    let paused = call(
        &app,
        "PATCH",
        &format!("/campaigns/{id}"),
        &key,
        Some(&json!({"status": "paused"})),
    );
    assert_eq!(paused.json()["status"], "paused", "{}", paused.text());
    assert_eq!(
        bid_request("after_pause"),
        Value::Null,
        "a paused campaign does not serve"
    );
}

#[test]
fn the_lifecycle_refuses_what_does_not_follow_with_codes() {
    let app = start();
    let (key, _) = advertiser(&app, "lifecycle@acme.example");
    let too_low = call(
        &app,
        "POST",
        "/campaigns",
        &key,
        Some(&json!({"name": "Cheap", "objective": "traffic",
                     "budget": {"type": "lifetime", "amount": 0.5, "currency": "USD"}})),
    );
    let body = expect(&too_low, 422, "campaign_budget_too_low");
    assert_eq!(body["error"]["details"]["field"], "budget.amount");
    let objective = call(
        &app,
        "POST",
        "/campaigns",
        &key,
        Some(&json!({"name": "X", "objective": "sales", "daily_budget": 5})),
    );
    assert_eq!(
        expect(&objective, 422, "validation_error")["error"]["details"]["field"],
        "objective"
    );
    let both = call(
        &app,
        "POST",
        "/campaigns",
        &key,
        Some(
            &json!({"name": "X", "objective": "traffic", "daily_budget": 5, "budget": {"amount": 5}}),
        ),
    );
    expect(&both, 422, "validation_error");

    let created = call(
        &app,
        "POST",
        "/campaigns",
        &key,
        Some(&json!({"name": "Plain", "objective": "awareness",
        "budget": {"type": "lifetime", "amount": 100}, "platforms": ["chat", "facebook"],
        "schedule": {"start_date": "2026-07-01", "end_date": "2099-07-31"},
        "optimization": {"enabled": true, "strategy": "maximize_conversions", "frequency": "hourly"}})),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_i64().expect("id");
    expect(
        &call(&app, "POST", &format!("/campaigns/{id}/launch"), &key, None),
        422,
        "campaign_has_no_ads",
    );
    expect(
        &call(
            &app,
            "PATCH",
            &format!("/campaigns/{id}"),
            &key,
            Some(&json!({"status": "active"})),
        ),
        409,
        "campaign_not_launched",
    );
    let ad_set = call(
        &app,
        "POST",
        &format!("/campaigns/{id}/ad-sets"),
        &key,
        Some(&json!({"name": "All"})),
    )
    .json()["id"]
        .as_i64()
        .expect("ad set");
    let long_headline = call(
        &app,
        "POST",
        &format!("/campaigns/{id}/ad-sets/{ad_set}/ads"),
        &key,
        Some(
            &json!({"creative": {"headline": "A headline far too long for a chat card on the network",
                                  "primary_text": "Text", "link_url": "https://acme.example"}}),
        ),
    );
    assert_eq!(
        expect(&long_headline, 422, "validation_error")["error"]["details"]["field"],
        "creative.headline"
    );
    let ad = call(
        &app,
        "POST",
        &format!("/campaigns/{id}/ad-sets/{ad_set}/ads"),
        &key,
        Some(
            &json!({"creative": {"headline": "Fits", "primary_text": "Text", "link_url": "https://acme.example"}}),
        ),
    );
    assert_eq!(ad.status, 201, "{}", ad.text());
    let not_connected = call(&app, "POST", &format!("/campaigns/{id}/launch"), &key, None);
    assert_eq!(
        expect(&not_connected, 409, "platform_not_connected")["error"]["details"]["platform"],
        "facebook"
    );
    let chat_only = call(
        &app,
        "PATCH",
        &format!("/campaigns/{id}"),
        &key,
        Some(&json!({"platforms": ["chat"]})),
    );
    assert_eq!(chat_only.status, 200, "{}", chat_only.text());
    assert_eq!(
        call(&app, "POST", &format!("/campaigns/{id}/launch"), &key, None).status,
        200
    );
    expect(
        &call(&app, "POST", &format!("/campaigns/{id}/launch"), &key, None),
        409,
        "campaign_already_active",
    );
    for status in ["draft", "completed"] {
        expect(
            &call(
                &app,
                "PATCH",
                &format!("/campaigns/{id}"),
                &key,
                Some(&json!({ "status": status })),
            ),
            409,
            "invalid_status_transition",
        );
    }

    // An end date in the past completes the campaign: its tree no longer
    // changes and it does not resume until the end date moves on.
    let ad = ad.json()["id"].as_i64().expect("ad");
    let ended = call(
        &app,
        "PATCH",
        &format!("/campaigns/{id}"),
        &key,
        Some(&json!({"schedule": {"start_date": "2026-07-01", "end_date": "2026-07-31"}})),
    );
    assert_eq!(ended.status, 200, "{}", ended.text());
    assert_eq!(ended.json()["status"], "completed");
    for (method, path, body) in [
        (
            "PATCH",
            format!("/campaigns/{id}"),
            Some(json!({"status": "paused"})),
        ),
        ("POST", format!("/campaigns/{id}/launch"), None),
        (
            "POST",
            format!("/campaigns/{id}/ad-sets"),
            Some(json!({"name": "Late"})),
        ),
        (
            "PATCH",
            format!("/campaigns/{id}/ad-sets/{ad_set}"),
            Some(json!({"status": "paused"})),
        ),
        (
            "POST",
            format!("/campaigns/{id}/ad-sets/{ad_set}/ads"),
            Some(
                json!({"creative": {"headline": "Late", "primary_text": "Text", "link_url": "https://acme.example"}}),
            ),
        ),
        (
            "PATCH",
            format!("/campaigns/{id}/ad-sets/{ad_set}/ads/{ad}"),
            Some(json!({"name": "Renamed"})),
        ),
        (
            "DELETE",
            format!("/campaigns/{id}/ad-sets/{ad_set}/ads/{ad}"),
            None,
        ),
        ("DELETE", format!("/campaigns/{id}/ad-sets/{ad_set}"), None),
    ] {
        expect(
            &call(&app, method, &path, &key, body.as_ref()),
            409,
            "campaign_completed",
        );
    }
    let ads = call(
        &app,
        "GET",
        &format!("/campaigns/{id}/ad-sets/{ad_set}/ads"),
        &key,
        None,
    );
    assert_eq!(ads.json()["pagination"]["total"], 1, "{}", ads.text());
    let extended = call(
        &app,
        "PATCH",
        &format!("/campaigns/{id}"),
        &key,
        Some(&json!({"schedule": {"start_date": "2026-07-01", "end_date": "2099-07-31"}})),
    );
    assert_eq!(extended.json()["status"], "active", "{}", extended.text());

    assert_eq!(
        call(&app, "DELETE", &format!("/campaigns/{id}"), &key, None).status,
        204
    );
    expect(
        &call(&app, "GET", &format!("/campaigns/{id}"), &key, None),
        404,
        "not_found",
    );
    expect(
        &call(&app, "GET", "/campaigns/camp_8xKj2mN", &key, None),
        404,
        "not_found",
    );
    let list = call(&app, "GET", "/campaigns", &key, None).json();
    assert_eq!(list["pagination"]["total"], 0, "{list}");
}

#[test]
fn campaigns_are_the_accounts_own_and_follow_scopes_verification_and_the_plan() {
    let app = start();
    let (key, _) = advertiser(&app, "owner@acme.example");
    let (other, _) = advertiser(&app, "other@acme.example");
    let id = campaign_with_an_ad(&app, &key, "payroll");
    let set = call(&app, "GET", &format!("/campaigns/{id}/ad-sets"), &key, None).json()["data"][0]
        ["id"]
        .clone();
    let ad = call(
        &app,
        "GET",
        &format!("/campaigns/{id}/ad-sets/{set}/ads"),
        &key,
        None,
    )
    .json()["data"][0]["id"]
        .clone();
    // The other account's own campaign does not open a way to the owner's
    // ad sets and ads either.
    let own = campaign_with_an_ad(&app, &other, "payroll");
    for (method, path) in [
        ("GET", format!("/campaigns/{id}")),
        ("PATCH", format!("/campaigns/{id}")),
        ("DELETE", format!("/campaigns/{id}")),
        ("POST", format!("/campaigns/{id}/launch")),
        ("GET", format!("/campaigns/{id}/ad-sets")),
        ("POST", format!("/campaigns/{id}/ad-sets")),
        ("GET", format!("/campaigns/{id}/ad-sets/{set}")),
        ("PATCH", format!("/campaigns/{id}/ad-sets/{set}")),
        ("DELETE", format!("/campaigns/{id}/ad-sets/{set}")),
        ("GET", format!("/campaigns/{own}/ad-sets/{set}")),
        ("GET", format!("/campaigns/{id}/ad-sets/{set}/ads")),
        ("GET", format!("/campaigns/{id}/ad-sets/{set}/ads/{ad}")),
        ("PATCH", format!("/campaigns/{id}/ad-sets/{set}/ads/{ad}")),
        ("DELETE", format!("/campaigns/{id}/ad-sets/{set}/ads/{ad}")),
        ("GET", format!("/campaigns/{own}/ad-sets/{set}/ads/{ad}")),
        ("GET", format!("/analytics/campaigns/{id}")),
        ("GET", format!("/analytics/predictions?campaign_id={id}")),
    ] {
        let body = matches!(method, "PATCH" | "POST").then(|| json!({"name": "Mine now"}));
        expect(
            &call(&app, method, &path, &other, body.as_ref()),
            404,
            "not_found",
        );
    }
    let report = call(
        &app,
        "POST",
        "/analytics/reports",
        &other,
        Some(&json!({"campaign_id": id, "format": "json"})),
    );
    expect(&report, 404, "not_found");
    let reader = call(
        &app,
        "POST",
        "/auth/keys",
        &key,
        Some(&json!({"name": "Reader", "scopes": ["campaigns:read"]})),
    )
    .json()["api_key"]
        .as_str()
        .expect("key")
        .to_string();
    assert_eq!(
        call(&app, "GET", &format!("/campaigns/{id}"), &reader, None).status,
        200
    );
    expect(
        &call(&app, "POST", "/campaigns", &reader, Some(&summer_launch())),
        403,
        "insufficient_scope",
    );

    let unverified = post(
        &app,
        "/auth/register",
        &json!({"email": "new@acme.example", "password": "securePassword123", "first_name": "N", "last_name": "A"}),
    )
    .json()["api_key"]
        .as_str()
        .expect("key")
        .to_string();
    expect(
        &call(
            &app,
            "POST",
            "/campaigns",
            &unverified,
            Some(&summer_launch()),
        ),
        403,
        "account_not_verified",
    );
    let no_business = verified_account(&app, "nobiz@acme.example")["api_key"]
        .as_str()
        .expect("key")
        .to_string();
    expect(
        &call(
            &app,
            "POST",
            "/campaigns",
            &no_business,
            Some(&summer_launch()),
        ),
        409,
        "business_required",
    );

    // The Free plan holds 3 campaigns.
    for _ in 0..2 {
        assert_eq!(
            call(&app, "POST", "/campaigns", &key, Some(&summer_launch())).status,
            201
        );
    }
    let fourth = call(&app, "POST", "/campaigns", &key, Some(&summer_launch()));
    let body = expect(&fourth, 403, "plan_limit_reached");
    assert_eq!(body["error"]["details"]["limit"], 3);
    assert_eq!(
        call(&app, "DELETE", &format!("/campaigns/{id}"), &key, None).status,
        204
    );
    assert_eq!(
        call(&app, "POST", "/campaigns", &key, Some(&summer_launch())).status,
        201,
        "a deleted campaign frees its place"
    );
}

#[test]
fn a_sandbox_campaign_serves_only_on_staging_publisher_keys_and_is_never_billed() {
    let app = start();
    let (key, organization) = advertiser(&app, "sandbox@acme.example");
    let sandbox = call(
        &app,
        "POST",
        "/auth/keys",
        &key,
        Some(&json!({"name": "Sandbox", "mode": "test"})),
    )
    .json()["api_key"]
        .as_str()
        .expect("sandbox key")
        .to_string();
    assert!(sandbox.starts_with("aa_test_"));
    let id = campaign_with_an_ad(&app, &sandbox, "ledger reconciliation");
    assert_eq!(
        call(
            &app,
            "POST",
            &format!("/campaigns/{id}/launch"),
            &sandbox,
            None
        )
        .status,
        200
    );
    expect(
        &call(&app, "GET", &format!("/campaigns/{id}"), &key, None),
        404,
        "not_found",
    );
    approve(&app, &organization, "Summer Launch");
    let bid = |publisher_key: &str, chat: &str| {
        let body = json!({"userId": "u1", "chatId": chat, "production": true, "turn_number": 4,
            "messages": [{"role": "user", "content": "How do I speed up ledger reconciliation?"},
                         {"role": "assistant", "content": "A few ideas."}]});
        let response = app.request(
            "POST",
            "/api/v1/ssp/bid-request",
            &[
                ("thrad-api-key", publisher_key),
                ("content-type", "application/json"),
            ],
            Some(body.to_string().as_bytes()),
        );
        assert_eq!(response.status, 200, "{}", response.text());
        response.json()["data"]["bid"].clone()
    };
    assert_eq!(bid(PUBLISHER_PRODUCTION_KEY, "live_chat"), Value::Null);
    let staging = bid(adspin_e2e::demo::PUBLISHER_STAGING_KEY, "staging_chat");
    assert_eq!(
        (&staging["dsp"], &staging["headline"]),
        (&json!("thrad_dsp"), &json!("Books done in minutes")),
        "{staging}"
    );
    let metrics = &call(&app, "GET", &format!("/campaigns/{id}"), &sandbox, None).json()["metrics"];
    assert_eq!(
        (&metrics["impressions"], &metrics["spend"]),
        (&json!(0), &json!(0.0)),
        "staging traffic is a test: neither billed nor counted ({metrics})"
    );
}

/// The campaign's report as JSON, CSV and PDF: the same numbers; the CSV
/// parses; the PDF renders to an image (when poppler-utils' `pdftoppm` is
/// installed, as `.ci/run` does) with its table's text and the chart's
/// bars.
fn check_reports(app: &TestApp, key: &str, id: i64) {
    let report = |format: &str| {
        call(
            app,
            "POST",
            "/analytics/reports",
            key,
            Some(&json!({"format": format, "campaign_id": id, "group_by": "day"})),
        )
    };
    let json_report = report("json");
    assert_eq!(json_report.status, 200, "{}", json_report.text());
    let json_report = json_report.json();
    assert_eq!(json_report["title"], "Campaign report: Summer Launch");
    assert_eq!(json_report["totals"]["clicks"], 1);
    assert_eq!(
        json_report["rows"].as_array().expect("rows").len(),
        30,
        "one row per day"
    );

    let csv = report("csv");
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let text = csv.text();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        lines[0][..4],
        ["date", "impressions", "clicks", "ctr_percent"]
    );
    assert!(lines.iter().all(|l| l.len() == 8), "{text}");
    let total = lines.last().expect("totals");
    assert_eq!(
        (total[0], total[1], total[2], total[4]),
        ("Total", "1", "1", "1")
    );

    let pdf = report("pdf");
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with(b"%PDF-"));
    // Without poppler-utils (installed by .ci/run) the PDF is not rendered.
    if std::process::Command::new("pdftoppm")
        .arg("-v")
        .output()
        .is_err()
    {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, &pdf.body).expect("write");
    let keep = adspin_e2e::artifacts().path("target/test-artifacts/agents-report.pdf");
    let _ = std::fs::create_dir_all(keep.parent().expect("dir"));
    let _ = std::fs::write(&keep, &pdf.body);
    let text = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("Campaign report: Summer Launch") && text.contains("Total"),
        "{text}"
    );
    let image = dir.path().join("page");
    let rendered = std::process::Command::new("pdftoppm")
        .args(["-r", "50", "-f", "1", "-l", "1"])
        .arg(&file)
        .arg(&image)
        .status()
        .expect("pdftoppm");
    assert!(rendered.success());
    let ppm = std::fs::read(dir.path().join("page-1.ppm")).expect("the rendered page");
    // The chart's bars are blue (31, 112, 235): at least a few pixels of them.
    let blue = ppm
        .chunks_exact(3)
        .filter(|p| p[2] > 200 && p[0] < 80 && p[1] > 80 && p[1] < 140)
        .count();
    assert!(blue > 10, "the chart's bars are drawn ({blue} blue pixels)");
}

#[test]
fn ad_sets_and_ads_change_pause_and_go_away_with_the_shared_rows() {
    let app = start();
    let (key, _) = advertiser(&app, "tree@acme.example");
    let id = campaign_with_an_ad(&app, &key, "payroll");
    let sets = call(&app, "GET", &format!("/campaigns/{id}/ad-sets"), &key, None).json();
    let ad_set = sets["data"][0]["id"].as_i64().expect("ad set");
    let ads_path = format!("/campaigns/{id}/ad-sets/{ad_set}/ads");
    let ad = call(&app, "GET", &ads_path, &key, None).json()["data"][0]["id"]
        .as_i64()
        .expect("ad");

    let renamed = call(
        &app,
        "PATCH",
        &format!("/campaigns/{id}/ad-sets/adset_{ad_set}"),
        &key,
        Some(&json!({"name": "Renamed", "status": "paused",
                     "targeting": {"locations": ["de"], "interests": ["payroll software"]}})),
    );
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    let renamed = renamed.json();
    assert_eq!(
        (&renamed["name"], &renamed["status"]),
        (&json!("Renamed"), &json!("paused"))
    );
    assert_eq!(
        renamed["targeting"]["locations"],
        json!([{"type": "country", "value": "DE"}])
    );
    let bad = call(
        &app,
        "PATCH",
        &format!("/campaigns/{id}/ad-sets/{ad_set}"),
        &key,
        Some(&json!({"targeting": {"age_min": 70}})),
    );
    assert_eq!(
        expect(&bad, 422, "validation_error")["error"]["details"]["field"],
        "targeting.age_min"
    );

    let changed = call(
        &app,
        "PATCH",
        &format!("{ads_path}/ad_{ad}"),
        &key,
        Some(&json!({"status": "paused", "creative": {"headline": "New headline here"}})),
    );
    assert_eq!(changed.status, 200, "{}", changed.text());
    let changed = changed.json();
    assert_eq!(changed["status"], "paused");
    assert_eq!(changed["creative"]["headline"], "New headline here");
    assert_eq!(
        changed["creative"]["link_url"], "https://acme.example/signup",
        "fields not given are kept"
    );
    expect(
        &call(
            &app,
            "PATCH",
            &format!("{ads_path}/{ad}"),
            &key,
            Some(&json!({"generation_id": "gen_later"})),
        ),
        422,
        "validation_error",
    );
    expect(
        &call(&app, "GET", &format!("{ads_path}/999"), &key, None),
        404,
        "not_found",
    );

    assert_eq!(
        call(&app, "DELETE", &format!("{ads_path}/{ad}"), &key, None).status,
        204
    );
    expect(
        &call(&app, "GET", &format!("{ads_path}/{ad}"), &key, None),
        404,
        "not_found",
    );
    assert_eq!(
        call(&app, "GET", &ads_path, &key, None).json()["pagination"]["total"],
        0
    );
    assert_eq!(
        call(
            &app,
            "DELETE",
            &format!("/campaigns/{id}/ad-sets/{ad_set}"),
            &key,
            None
        )
        .status,
        204
    );
    expect(
        &call(
            &app,
            "GET",
            &format!("/campaigns/{id}/ad-sets/{ad_set}"),
            &key,
            None,
        ),
        404,
        "not_found",
    );
    expect(
        &call(&app, "POST", &format!("/campaigns/{id}/launch"), &key, None),
        422,
        "campaign_has_no_ads",
    );
}

#[test]
fn an_account_signs_in_to_the_dashboard_with_its_password_and_sees_its_campaigns_on_v1() {
    let app = start();
    let (key, _) = advertiser(&app, "dashboard@acme.example");
    assert_eq!(
        call(&app, "POST", "/campaigns", &key, Some(&summer_launch())).status,
        201
    );
    let signed_in = post(
        &app,
        "/auth/session",
        &json!({"email": "Dashboard@acme.example", "password": "securePassword123"}),
    );
    assert_eq!(signed_in.status, 204, "{}", signed_in.text());
    let cookie = signed_in.header("set-cookie").expect("cookie").to_string();
    assert!(
        cookie.ends_with("; Path=/; Max-Age=28800; HttpOnly; SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().expect("pair").to_string();
    let campaigns = app.get_with(
        "/v1/campaigns",
        &[("cookie", &session), ("x-adspin-dashboard", "1")],
    );
    assert_eq!(campaigns.status, 200, "{}", campaigns.text());
    let names: Vec<Value> = campaigns.json()["data"]
        .as_array()
        .expect("campaigns")
        .iter()
        .map(|c| c["name"].clone())
        .collect();
    assert_eq!(names, [json!("Summer Launch")]);
    // The session is the dashboard's: the cookie alone authorizes nothing.
    assert_eq!(
        app.get_with("/v1/campaigns", &[("cookie", &session)])
            .status,
        401
    );

    for (body, status, code) in [
        (
            json!({"email": "dashboard@acme.example", "password": "wrongPassword123"}),
            401,
            "invalid_credentials",
        ),
        (
            json!({"email": "nobody@acme.example", "password": "securePassword123"}),
            401,
            "invalid_credentials",
        ),
        (
            json!({"email": "dashboard@acme.example"}),
            422,
            "validation_error",
        ),
    ] {
        let refused = post(&app, "/auth/session", &body);
        assert_eq!(
            (refused.status, refused.header("set-cookie")),
            (status, None),
            "{}",
            refused.text()
        );
        assert_eq!(refused.json()["error"]["code"], code, "{}", refused.text());
    }
    let unverified = post(
        &app,
        "/auth/register",
        &json!({"email": "fresh@acme.example", "password": "securePassword123",
                "first_name": "F", "last_name": "R"}),
    );
    assert_eq!(unverified.status, 201);
    let refused = post(
        &app,
        "/auth/session",
        &json!({"email": "fresh@acme.example", "password": "securePassword123"}),
    );
    expect(&refused, 403, "account_not_verified");
}

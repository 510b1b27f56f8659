//! Platform connections (`/platforms/...`) and launching to Facebook,
//! against a fake Graph API on loopback that records every call: the
//! emailed setup link, Meta's login dialog and callback, the connection's
//! health, a launch that creates campaign, ad set, creative and ad, and
//! pausing, budget changes and deletion sent to Meta; Graph errors in this
//! API's shape; and the demo connection used without a Meta app.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use adspin_e2e::{FakeRequest, FakeResponse, FakeServer, HostLaunch, TestApp};
use serde_json::{Value, json};

use super::{call, last_email, verified_account};

/// A fake Graph API (version v21.0): one ad account, one Page, and ids for
/// what is created. Creatives fail while `refuse_creatives` is set.
fn fake_graph(refuse_creatives: Arc<AtomicBool>) -> FakeServer {
    FakeServer::start(move |request: &FakeRequest| {
        let path = request.path.split('?').next().unwrap_or_default();
        let ok = |body: Value| FakeResponse::json(200, &body);
        match (request.method.as_str(), path) {
            ("GET", "/v21.0/oauth/access_token") if request.path.contains("code=good-code") => ok(
                json!({"access_token": "EAAB-graph-token", "token_type": "bearer", "expires_in": 5_183_944}),
            ),
            ("GET", "/v21.0/oauth/access_token") => FakeResponse::json(
                400,
                &json!({"error": {"message": "Invalid verification code format.", "type": "OAuthException", "code": 100}}),
            ),
            ("GET", "/v21.0/me/adaccounts") => ok(json!({"data": [
                {"id": "act_closed", "name": "Old", "account_status": 2},
                {"id": "act_123", "name": "Acme Ads", "account_status": 1}]})),
            ("GET", "/v21.0/me/accounts") => {
                ok(json!({"data": [{"id": "page_9", "name": "Acme"}]}))
            }
            ("GET", "/v21.0/me") => ok(json!({"id": "10"})),
            ("GET", "/v21.0/search") if request.path.contains("q=remote+work") => ok(
                json!({"data": [{"id": "6003020834693", "name": "Remote work", "audience_size_lower_bound": 1000}]}),
            ),
            ("GET", "/v21.0/search") => ok(json!({"data": []})),
            ("GET", "/v21.0/act_123") => ok(json!({"id": "act_123", "account_status": 1})),
            ("POST", "/v21.0/act_123/campaigns") => ok(json!({"id": "120000000001"})),
            ("POST", "/v21.0/act_123/adsets") => ok(json!({"id": "120000000002"})),
            ("POST", "/v21.0/act_123/adcreatives") if refuse_creatives.load(Ordering::SeqCst) => {
                FakeResponse::json(
                    400,
                    &json!({"error": {"message": "Invalid parameter", "type": "OAuthException",
                                      "code": 100, "error_subcode": 1_487_390, "fbtrace_id": "AbC"}}),
                )
            }
            ("POST", "/v21.0/act_123/adcreatives") => ok(json!({"id": "120000000003"})),
            ("POST", "/v21.0/act_123/ads") => ok(json!({"id": "120000000004"})),
            ("GET", "/v21.0/120000000004/insights") => ok(json!({"data": [
                {"date_start": "2026-07-01", "date_stop": "2026-07-01", "publisher_platform": "facebook",
                 "impressions": "1200", "clicks": "30", "spend": "4.56",
                 "actions": [{"action_type": "link_click", "value": "30"}, {"action_type": "lead", "value": "2"}]},
                {"date_start": "2026-07-01", "date_stop": "2026-07-01", "publisher_platform": "instagram",
                 "impressions": "800", "clicks": "10", "spend": "1.44"}]})),
            ("POST", _) | ("DELETE", _) if path.starts_with("/v21.0/1200") => {
                ok(json!({"success": true}))
            }
            _ => FakeResponse::json(
                404,
                &json!({"error": {"message": "unknown path", "code": 803}}),
            ),
        }
    })
}

fn start(graph: &FakeServer) -> TestApp {
    HostLaunch::app()
        .variable("agents_rate_limit_multiplier", "20")
        .variable("meta_app_id", "app_1")
        .variable("meta_app_secret", "app-secret")
        .variable("meta_graph_host", graph.base_url())
        .start()
}

/// The form fields of a recorded Graph call.
fn form(request: &FakeRequest) -> Value {
    let pairs: serde_json::Map<String, Value> = form_urlencoded::parse(&request.body)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    Value::Object(pairs)
}

fn calls(graph: &FakeServer, method: &str, path: &str) -> Vec<FakeRequest> {
    graph
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path.split('?').next() == Some(path))
        .collect()
}

/// Connects Facebook through the emailed link, the dialog and the callback.
fn connect_facebook(app: &TestApp, key: &str, email: &str, code: &str) -> (String, TestAnswer) {
    let pending = call(app, "POST", "/platforms/facebook/connect", key, None);
    assert_eq!(pending.status, 200, "{}", pending.text());
    let pending = pending.json();
    assert_eq!(pending["status"], "pending");
    let connect_url = pending["connect_url"]
        .as_str()
        .expect("connect url")
        .to_string();
    let mail = last_email(app, email);
    assert_eq!(mail["kind"], "platform_connect");
    assert!(mail["body"].as_str().expect("body").contains(&connect_url));
    let setup = app.get(connect_url.strip_prefix(&app.base_url()).expect("ours"));
    assert_eq!(setup.status, 303, "{}", setup.text());
    let dialog = setup.header("location").expect("location").to_string();
    assert!(
        dialog.starts_with("https://www.facebook.com/v21.0/dialog/oauth?"),
        "{dialog}"
    );
    let dialog_query: Vec<(String, String)> =
        form_urlencoded::parse(dialog.split_once('?').expect("query").1.as_bytes())
            .into_owned()
            .collect();
    let param = |name: &str| {
        dialog_query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .expect(name)
    };
    assert_eq!(param("client_id"), "app_1");
    assert_eq!(
        param("redirect_uri"),
        format!("{}/api/v1/platforms/facebook/callback", app.base_url())
    );
    let again = app.get(connect_url.strip_prefix(&app.base_url()).expect("ours"));
    assert_eq!(again.status, 410, "the setup link works once");
    let callback = app.get(&format!(
        "/api/v1/platforms/facebook/callback?code={code}&state={}",
        param("state")
    ));
    let token = pending["token"].as_str().expect("token").to_string();
    (
        token,
        TestAnswer {
            status: callback.status,
            text: callback.text(),
        },
    )
}

struct TestAnswer {
    status: u16,
    text: String,
}

fn created(response: adspin_e2e::TestResponse) -> Value {
    assert!(
        response.status == 201 || response.status == 200,
        "{}",
        response.text()
    );
    response.json()
}

#[test]
fn a_connected_facebook_account_gets_the_campaign_and_its_changes_through_the_graph_api() {
    let refuse = Arc::new(AtomicBool::new(false));
    let graph = fake_graph(refuse.clone());
    let app = start(&graph);
    let account = verified_account(&app, "meta@acme.example");
    let key = account["api_key"].as_str().expect("key").to_string();
    created(call(
        &app,
        "POST",
        "/account/business",
        &key,
        Some(&json!({"name": "Acme"})),
    ));

    let (token, callback) = connect_facebook(&app, &key, "meta@acme.example", "good-code");
    assert_eq!(callback.status, 200, "{}", callback.text);
    assert!(callback.text.contains("Acme Ads"), "{}", callback.text);
    let exchange = &calls(&graph, "GET", "/v21.0/oauth/access_token")[0];
    assert!(
        exchange.path.contains("client_secret=app-secret")
            && exchange.path.contains("code=good-code")
    );
    let status = call(
        &app,
        "GET",
        &format!("/platforms/facebook/connect/status?token={token}"),
        &key,
        None,
    )
    .json();
    assert_eq!(
        (&status["status"], &status["ad_account_id"]),
        (&json!("connected"), &json!("act_123")),
        "{status}"
    );
    let listed = call(&app, "GET", "/platforms", &key, None).json();
    let connection = listed["data"][0]["id"].as_i64().expect("connection id");
    assert_eq!(listed["data"][0]["page_id"], "page_9");
    let health = call(
        &app,
        "GET",
        &format!("/platforms/{connection}/status"),
        &key,
        None,
    )
    .json();
    assert_eq!(
        (&health["health"], &health["token_valid"]),
        (&json!("healthy"), &json!(true)),
        "{health}"
    );
    assert!(
        calls(&graph, "GET", "/v21.0/me")[0]
            .path
            .contains("access_token=EAAB-graph-token")
    );

    let campaign = created(call(
        &app,
        "POST",
        "/campaigns",
        &key,
        Some(&json!({
        "name": "Q3 Growth", "objective": "traffic", "platforms": ["facebook"],
        "budget": {"type": "daily", "amount": 20, "currency": "USD"}})),
    ))["id"]
        .as_i64()
        .expect("campaign");
    let ad_set = created(call(
        &app,
        "POST",
        &format!("/campaigns/{campaign}/ad-sets"),
        &key,
        Some(&json!({
        "name": "US 25-45", "targeting": {"age_min": 25, "age_max": 45,
            "locations": [{"type": "country", "value": "US"}], "interests": ["remote work", "no such interest"]}})),
    ))["id"]
        .as_i64()
        .expect("ad set");
    created(call(
        &app,
        "POST",
        &format!("/campaigns/{campaign}/ad-sets/{ad_set}/ads"),
        &key,
        Some(&json!({
        "name": "Variation 1", "creative": {"headline": "Ship faster", "primary_text": "Plan sprints in minutes.",
            "call_to_action": "sign_up", "link_url": "https://acme.example/signup"}})),
    ));

    // A dry run of the launch sends nothing to Meta and lists what it would send.
    let dry = call(
        &app,
        "POST",
        &format!("/campaigns/{campaign}/launch?dry_run=true"),
        &key,
        None,
    );
    assert_eq!(dry.status, 200, "{}", dry.text());
    let would = &dry.json()["would"];
    assert_eq!(would["status"], 200, "{would}");
    assert_eq!(would["resource"]["status"], "active");
    let held_back: Vec<String> = would["outbound_requests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|request| {
            format!(
                "{} {}",
                request["method"].as_str().unwrap_or_default(),
                request["url"].as_str().unwrap_or_default()
            )
        })
        .collect();
    for path in [
        "/v21.0/act_123/campaigns",
        "/v21.0/act_123/adsets",
        "/v21.0/act_123/adcreatives",
        "/v21.0/act_123/ads",
    ] {
        assert!(
            held_back
                .iter()
                .any(|request| request.starts_with("POST ") && request.ends_with(path)),
            "{path} not in {held_back:?}"
        );
    }
    assert!(
        held_back
            .iter()
            .all(|request| !request.contains("access_token")),
        "{held_back:?}"
    );
    assert!(calls(&graph, "POST", "/v21.0/act_123/campaigns").is_empty());
    assert_eq!(
        call(&app, "GET", &format!("/campaigns/{campaign}"), &key, None).json()["status"],
        "draft"
    );

    let launched = call(
        &app,
        "POST",
        &format!("/campaigns/{campaign}/launch"),
        &key,
        None,
    );
    assert_eq!(launched.status, 200, "{}", launched.text());
    let launched = launched.json();
    assert_eq!(launched["facebook_campaign_id"], "120000000001");
    assert_eq!(launched["launch_message"], "Campaign launched.");
    let meta_campaign = form(&calls(&graph, "POST", "/v21.0/act_123/campaigns")[0]);
    assert_eq!(
        (
            &meta_campaign["objective"],
            &meta_campaign["daily_budget"],
            &meta_campaign["access_token"]
        ),
        (
            &json!("OUTCOME_TRAFFIC"),
            &json!("2000"),
            &json!("EAAB-graph-token")
        )
    );
    let meta_ad_set = form(&calls(&graph, "POST", "/v21.0/act_123/adsets")[0]);
    assert_eq!(meta_ad_set["campaign_id"], "120000000001");
    let targeting: Value =
        serde_json::from_str(meta_ad_set["targeting"].as_str().expect("targeting")).expect("json");
    assert_eq!(
        targeting,
        json!({"geo_locations": {"countries": ["US"]}, "publisher_platforms": ["facebook"], "age_min": 25, "age_max": 45,
               "flexible_spec": [{"interests": [{"id": "6003020834693", "name": "Remote work"}]}]})
    );
    let creative = form(&calls(&graph, "POST", "/v21.0/act_123/adcreatives")[0]);
    let spec: Value =
        serde_json::from_str(creative["object_story_spec"].as_str().expect("spec")).expect("json");
    assert_eq!(spec["page_id"], "page_9");
    assert_eq!(spec["link_data"]["call_to_action"]["type"], "SIGN_UP");
    let ad = form(&calls(&graph, "POST", "/v21.0/act_123/ads")[0]);
    assert_eq!(
        (&ad["adset_id"], &ad["creative"]),
        (
            &json!("120000000002"),
            &json!("{\"creative_id\":\"120000000003\"}")
        )
    );

    // The scheduled work syncs Meta's insights: analytics shows them by platform.
    let report = super::tick(&app);
    assert_eq!(
        report["platform_sync"],
        json!({"connections": 1, "rows": 2, "failed": 0}),
        "{report}"
    );
    let analytics = call(
        &app,
        "GET",
        &format!("/analytics/campaigns/{campaign}?date_from=2026-07-01&date_to=2026-07-01"),
        &key,
        None,
    )
    .json();
    assert_eq!(
        analytics["by_platform"]["facebook"]["impressions"], 1200,
        "{analytics}"
    );
    assert_eq!(analytics["by_platform"]["facebook"]["conversions"], 2);
    assert_eq!(analytics["by_platform"]["instagram"]["spend"], 1.44);
    assert_eq!(analytics["metrics"]["impressions"], 2000);
    assert_eq!(
        super::tick(&app)["platform_sync"]["connections"],
        0,
        "at most once an hour"
    );

    let paused = call(
        &app,
        "PATCH",
        &format!("/campaigns/{campaign}"),
        &key,
        Some(&json!({"status": "paused"})),
    );
    assert_eq!(paused.json()["status"], "paused", "{}", paused.text());
    let budget = call(
        &app,
        "PATCH",
        &format!("/campaigns/{campaign}"),
        &key,
        Some(&json!({"budget": {"amount": 35}})),
    );
    assert_eq!(budget.status, 200, "{}", budget.text());
    let updates: Vec<Value> = calls(&graph, "POST", "/v21.0/120000000001")
        .iter()
        .map(form)
        .collect();
    assert_eq!(updates[0]["status"], "PAUSED");
    assert_eq!(updates[1]["daily_budget"], "3500");
    assert_eq!(
        call(
            &app,
            "DELETE",
            &format!("/campaigns/{campaign}"),
            &key,
            None
        )
        .status,
        204
    );
    assert_eq!(calls(&graph, "DELETE", "/v21.0/120000000001").len(), 1);

    // A Graph error is this API's error, and nothing half made stays.
    refuse.store(true, Ordering::SeqCst);
    let second = created(call(&app, "POST", "/campaigns", &key, Some(&json!({
        "name": "Refused", "objective": "awareness", "platforms": ["facebook"], "daily_budget": 10}))))["id"]
        .as_i64()
        .expect("campaign");
    let set = created(call(
        &app,
        "POST",
        &format!("/campaigns/{second}/ad-sets"),
        &key,
        Some(&json!({"name": "All"})),
    ))["id"]
        .as_i64()
        .expect("ad set");
    created(call(
        &app,
        "POST",
        &format!("/campaigns/{second}/ad-sets/{set}/ads"),
        &key,
        Some(&json!({
        "creative": {"headline": "Hello there", "primary_text": "Text", "link_url": "https://acme.example/"}})),
    ));
    let refused = call(
        &app,
        "POST",
        &format!("/campaigns/{second}/launch"),
        &key,
        None,
    );
    assert_eq!(refused.status, 502, "{}", refused.text());
    let error = refused.json()["error"].clone();
    assert_eq!(error["code"], "platform_error");
    assert_eq!(error["details"]["graph_error"]["fbtrace_id"], "AbC");
    assert_eq!(
        calls(&graph, "DELETE", "/v21.0/120000000001").len(),
        2,
        "the half-made campaign was deleted"
    );
    let still = call(&app, "GET", &format!("/campaigns/{second}"), &key, None).json();
    assert_eq!(
        (&still["status"], &still["facebook_campaign_id"]),
        (&json!("draft"), &Value::Null)
    );

    assert_eq!(
        call(
            &app,
            "DELETE",
            &format!("/platforms/{connection}"),
            &key,
            None
        )
        .status,
        204
    );
    assert_eq!(
        call(&app, "GET", "/platforms", &key, None).json()["data"],
        json!([])
    );
    let not_connected = call(
        &app,
        "POST",
        &format!("/campaigns/{second}/launch"),
        &key,
        None,
    );
    assert_eq!(
        not_connected.json()["error"]["code"],
        "platform_not_connected",
        "{}",
        not_connected.text()
    );
}

#[test]
fn a_declined_or_failed_exchange_connects_nothing_and_other_accounts_see_nothing() {
    let graph = fake_graph(Arc::new(AtomicBool::new(false)));
    let app = start(&graph);
    let key = verified_account(&app, "decline@acme.example")["api_key"]
        .as_str()
        .expect("key")
        .to_string();
    let other = verified_account(&app, "other@acme.example")["api_key"]
        .as_str()
        .expect("key")
        .to_string();
    let (token, callback) = connect_facebook(&app, &key, "decline@acme.example", "bad-code");
    assert_eq!(callback.status, 502, "{}", callback.text);
    let status = call(
        &app,
        "GET",
        &format!("/platforms/facebook/connect/status?token={token}"),
        &key,
        None,
    )
    .json();
    assert_eq!(status["status"], "failed", "{status}");
    assert_eq!(
        call(
            &app,
            "GET",
            &format!("/platforms/facebook/connect/status?token={token}"),
            &other,
            None
        )
        .status,
        404
    );
    assert_eq!(
        call(&app, "GET", "/platforms", &key, None).json()["data"],
        json!([])
    );
    let forged = app.get("/api/v1/platforms/facebook/callback?code=good-code&state=forged");
    assert_eq!(forged.status, 400);
    assert_eq!(
        call(&app, "POST", "/platforms/tiktok/connect", &key, None).status,
        404
    );
}

#[test]
fn without_a_meta_app_the_demo_connection_works_offline() {
    let app = HostLaunch::app()
        .variable("agents_rate_limit_multiplier", "20")
        .start();
    let account = verified_account(&app, "demo@acme.example");
    let key = account["api_key"].as_str().expect("key").to_string();
    created(call(
        &app,
        "POST",
        "/account/business",
        &key,
        Some(&json!({"name": "Acme"})),
    ));
    let pending = call(&app, "POST", "/platforms/instagram/connect", &key, None).json();
    let url = pending["connect_url"].as_str().expect("url").to_string();
    let page = app.get(url.strip_prefix(&app.base_url()).expect("ours"));
    assert_eq!(page.status, 200);
    assert!(page.text().contains("demo"), "{}", page.text());
    let token = pending["token"].as_str().expect("token");
    let connected = app.request(
        "POST",
        "/api/v1/platforms/instagram/setup",
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(format!("token={token}&action=connect").as_bytes()),
    );
    assert_eq!(connected.status, 200, "{}", connected.text());
    let listed = call(&app, "GET", "/platforms", &key, None).json();
    assert_eq!(
        (
            &listed["data"][0]["provider"],
            &listed["data"][0]["platform"]
        ),
        (&json!("demo"), &json!("instagram"))
    );
    let campaign = created(call(&app, "POST", "/campaigns", &key, Some(&json!({
        "name": "IG", "objective": "engagement", "platforms": ["instagram", "chat"], "daily_budget": 5}))))["id"]
        .as_i64()
        .expect("campaign");
    let set = created(call(
        &app,
        "POST",
        &format!("/campaigns/{campaign}/ad-sets"),
        &key,
        Some(&json!({"name": "All"})),
    ))["id"]
        .as_i64()
        .expect("ad set");
    created(call(
        &app,
        "POST",
        &format!("/campaigns/{campaign}/ad-sets/{set}/ads"),
        &key,
        Some(&json!({
        "creative": {"headline": "Hello there", "primary_text": "Text", "link_url": "https://acme.example/"}})),
    ));
    let launched = call(
        &app,
        "POST",
        &format!("/campaigns/{campaign}/launch"),
        &key,
        None,
    )
    .json();
    assert_eq!(
        launched["facebook_campaign_id"],
        format!("demo_campaign_{campaign}"),
        "{launched}"
    );
}

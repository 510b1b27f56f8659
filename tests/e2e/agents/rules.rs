//! Optimization rules (`/optimization/rules`), judged by the scheduled work
//! with no request arriving: the specification's "pause low CTR ads" rule
//! pauses exactly the ads that cross it, and the webhook receiver hears
//! `ad.paused`.

use adspin_e2e::demo::{ADMIN_TOKEN, PUBLISHER_PRODUCTION_KEY};
use adspin_e2e::{FakeResponse, FakeServer, HostLaunch, TestApp};
use serde_json::{Value, json};

use super::{call, tick, verified_account};

fn start() -> TestApp {
    HostLaunch::app()
        .variable("agents_rate_limit_multiplier", "20")
        .variable("webhook_allow_loopback", "true")
        .variable("webhook_allowed_hosts", "http://127.0.0.1:*")
        .start()
}

fn created(response: adspin_e2e::TestResponse) -> Value {
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()
}

/// An ad set about `interest` with one ad headlined `headline`; the ad's id.
fn ad_set_with_an_ad(
    app: &TestApp,
    key: &str,
    campaign: i64,
    interest: &str,
    headline: &str,
) -> i64 {
    let ad_set = created(call(
        app,
        "POST",
        &format!("/campaigns/{campaign}/ad-sets"),
        key,
        Some(&json!({"name": interest, "targeting": {"interests": [interest]}})),
    ))["id"]
        .as_i64()
        .expect("ad set");
    created(call(
        app,
        "POST",
        &format!("/campaigns/{campaign}/ad-sets/{ad_set}/ads"),
        key,
        Some(
            &json!({"creative": {"headline": headline, "primary_text": "Try it free.",
                                  "link_url": "https://acme.example/"}}),
        ),
    ))["id"]
        .as_i64()
        .expect("ad")
}

/// One auction about `topic`; the winning bid.
fn auction(app: &TestApp, chat: &str, topic: &str) -> Value {
    let body = json!({"userId": "u", "chatId": chat, "production": true, "turn_number": 4,
        "messages": [{"role": "user", "content": format!("Any advice on {topic}?")},
                     {"role": "assistant", "content": "Sure."}]});
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
}

#[test]
fn a_low_ctr_rule_pauses_exactly_the_ads_below_it_on_schedule_and_says_so() {
    let receiver = FakeServer::start(|_| FakeResponse::new(204, ""));
    let app = start();
    let account = verified_account(&app, "rules@acme.example");
    let key = account["api_key"].as_str().expect("key").to_string();
    let organization = account["user"]["organization_id"]
        .as_str()
        .expect("org")
        .to_string();
    created(call(
        &app,
        "POST",
        "/account/business",
        &key,
        Some(&json!({"name": "Acme"})),
    ));
    created(call(
        &app,
        "POST",
        "/webhooks",
        &key,
        Some(&json!({"url": format!("{}/hooks", receiver.base_url()), "events": ["ad.paused"]})),
    ));
    let campaign = created(call(
        &app,
        "POST",
        "/campaigns",
        &key,
        Some(&json!({"name": "Rules", "objective": "traffic", "daily_budget": 20})),
    ))["id"]
        .as_i64()
        .expect("campaign");
    let ignored = ad_set_with_an_ad(&app, &key, campaign, "tax filing", "File taxes fast");
    let clicked = ad_set_with_an_ad(
        &app,
        &key,
        campaign,
        "invoice templates",
        "Invoices in seconds",
    );
    assert_eq!(
        call(
            &app,
            "POST",
            &format!("/campaigns/{campaign}/launch"),
            &key,
            None
        )
        .status,
        200
    );
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let queue = app
        .get_with(
            "/admin/campaigns?review_status=in_review",
            &[("authorization", &auth)],
        )
        .json();
    let shared = queue["data"]
        .as_array()
        .expect("queue")
        .iter()
        .find(|c| c["organization_id"] == organization.as_str())
        .expect("in review")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let approved = app.request(
        "POST",
        &format!("/admin/campaigns/{shared}/approve"),
        &[("authorization", &auth)],
        None,
    );
    assert_eq!(approved.status, 200, "{}", approved.text());

    // Two impressions of the first ad, never clicked (CTR 0%); one of the
    // second, clicked (CTR 100%).
    for chat in ["t1", "t2"] {
        assert_eq!(
            auction(&app, chat, "tax filing")["headline"],
            "File taxes fast"
        );
    }
    let bid = auction(&app, "i1", "invoice templates");
    assert_eq!(bid["headline"], "Invoices in seconds");
    let click = app.get(
        bid["url"]
            .as_str()
            .expect("url")
            .strip_prefix(&app.base_url())
            .expect("ours"),
    );
    assert_eq!(click.status, 302);

    let rule = created(call(
        &app,
        "POST",
        "/optimization/rules",
        &key,
        Some(&json!({"name": "Pause low CTR ads",
                     "condition": {"metric": "ctr", "operator": "lt", "value": 1.0, "timeframe_hours": 48},
                     "action": {"type": "pause_ad"}, "campaign_id": format!("camp_{campaign}")})),
    ));
    assert_eq!(rule["last_evaluated_at"], Value::Null);
    let report = tick(&app);
    assert_eq!(
        report["rules"],
        json!({"evaluated": 1, "actions": 1}),
        "{report}"
    );
    assert_eq!(report["webhooks"]["delivered"], 1, "{report}");

    let ad_path = |ad: i64| {
        let sets = call(
            &app,
            "GET",
            &format!("/campaigns/{campaign}/ad-sets"),
            &key,
            None,
        )
        .json();
        let ad_set = sets["data"]
            .as_array()
            .expect("ad sets")
            .iter()
            .find(|s| {
                let ads = call(
                    &app,
                    "GET",
                    &format!("/campaigns/{campaign}/ad-sets/{}/ads", s["id"]),
                    &key,
                    None,
                )
                .json();
                ads["data"][0]["id"] == ad
            })
            .expect("its ad set")["id"]
            .clone();
        format!("/campaigns/{campaign}/ad-sets/{ad_set}/ads/{ad}")
    };
    assert_eq!(
        call(&app, "GET", &ad_path(ignored), &key, None).json()["status"],
        "paused"
    );
    assert_eq!(
        call(&app, "GET", &ad_path(clicked), &key, None).json()["status"],
        "active"
    );
    assert_eq!(
        auction(&app, "t3", "tax filing"),
        Value::Null,
        "the paused ad no longer serves"
    );

    let deliveries = receiver.requests();
    assert_eq!(deliveries.len(), 1);
    let event: Value = serde_json::from_slice(&deliveries[0].body).expect("json");
    assert_eq!(event["type"], "ad.paused");
    assert_eq!(
        (
            &event["data"]["ad_id"],
            &event["data"]["metric"],
            &event["data"]["value"]
        ),
        (&json!(ignored), &json!("ctr"), &json!(0.0)),
        "{event}"
    );
    let read = call(
        &app,
        "GET",
        &format!("/optimization/rules/{}", rule["id"]),
        &key,
        None,
    )
    .json();
    assert_eq!(read["actions_taken"], 1, "{read}");
    assert_eq!(read["recent_actions"][0]["target"], format!("ad:{ignored}"));

    // Nothing more is due until the next evaluation; nothing is paused twice.
    assert_eq!(tick(&app)["rules"], json!({"evaluated": 0, "actions": 0}));
}

#[test]
fn rules_are_checked_and_belong_to_their_account() {
    let app = start();
    let key = verified_account(&app, "rules2@acme.example")["api_key"]
        .as_str()
        .expect("key")
        .to_string();
    let other = verified_account(&app, "rules3@acme.example")["api_key"]
        .as_str()
        .expect("key")
        .to_string();
    let bad = |body: Value, field: &str| {
        let response = call(&app, "POST", "/optimization/rules", &key, Some(&body));
        assert_eq!(response.status, 422, "{}", response.text());
        assert_eq!(
            response.json()["error"]["details"]["field"],
            field,
            "{}",
            response.text()
        );
    };
    let condition = json!({"metric": "ctr", "operator": "lt", "value": 1.0, "timeframe_hours": 48});
    bad(
        json!({"name": "No action", "condition": condition}),
        "action",
    );
    bad(
        json!({"name": "Too long", "condition": {"metric": "ctr", "operator": "lt", "value": 1, "timeframe_hours": 721},
               "action": {"type": "notify"}}),
        "condition.timeframe_hours",
    );
    bad(
        json!({"name": "Zero", "condition": condition, "action": {"type": "adjust_budget", "change_percent": 0}}),
        "action.change_percent",
    );
    bad(
        json!({"name": "Not mine", "condition": condition, "action": {"type": "notify"}, "campaign_id": 999}),
        "campaign_id",
    );
    let rule = created(call(
        &app,
        "POST",
        "/optimization/rules",
        &key,
        Some(
            &json!({"name": "Spend alert", "condition": {"metric": "spend", "operator": "gt", "value": 100, "timeframe_hours": 24},
                     "action": {"type": "notify"}}),
        ),
    ));
    let path = format!("/optimization/rules/{}", rule["id"]);
    assert_eq!(call(&app, "GET", &path, &other, None).status, 404);
    assert_eq!(call(&app, "DELETE", &path, &other, None).status, 404);
    let paused = call(&app, "PATCH", &path, &key, Some(&json!({"active": false})));
    assert_eq!(paused.json()["active"], false, "{}", paused.text());
    assert_eq!(
        call(&app, "GET", "/optimization/rules", &key, None).json()["pagination"]["total"],
        1
    );
    assert_eq!(call(&app, "DELETE", &path, &key, None).status, 204);
    assert_eq!(call(&app, "GET", &path, &key, None).status, 404);
}

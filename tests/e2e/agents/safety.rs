//! Agent safety (`dry_run`, confirmation tokens, spend caps, the audit
//! log), through the running app: a dry run or a refused write leaves the
//! database as it was, byte for byte.

use adspin_e2e::{HostLaunch, TestApp, TestResponse};
use serde_json::{Value, json};

use super::{advertiser, call, expect};

/// The app, with room for this file's many calls an account makes in a
/// minute (the Free plan allows 10).
fn start() -> TestApp {
    HostLaunch::app()
        .variable("agents_rate_limit_multiplier", "20")
        .start()
}

/// Every row of every table of the app's database, in order: equal
/// fingerprints mean nothing was written.
fn fingerprint(app: &TestApp) -> String {
    let db = app.database();
    let mut tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("tables")
        .query_map([], |row| row.get(0))
        .expect("names")
        .collect::<Result<_, _>>()
        .expect("names");
    tables.retain(|name| name != "sqlite_stat1");
    let mut dump = String::new();
    for table in tables {
        let mut statement = db
            .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))
            .expect("select");
        let columns = statement.column_count();
        let mut rows = statement.query([]).expect("rows");
        dump.push_str(&format!("[{table}]\n"));
        while let Some(row) = rows.next().expect("row") {
            for index in 0..columns {
                let value: rusqlite::types::Value = row.get(index).expect("value");
                dump.push_str(&format!("{value:?}|"));
            }
            dump.push('\n');
        }
    }
    dump
}

/// Calls `path` with extra headers.
fn call_with(
    app: &TestApp,
    method: &str,
    path: &str,
    key: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> TestResponse {
    let auth = format!("Bearer {key}");
    let mut all = vec![
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    all.extend_from_slice(headers);
    let text = body.map(Value::to_string);
    app.request(
        method,
        &format!("/api/v1{path}"),
        &all,
        text.as_deref().map(str::as_bytes),
    )
}

/// A draft campaign with a daily budget of $50, one ad set and one ad.
fn campaign_with_an_ad(app: &TestApp, key: &str) -> i64 {
    let created = call(
        app,
        "POST",
        "/campaigns",
        key,
        Some(
            &json!({"name": "Summer Launch", "objective": "traffic", "daily_budget": 50.0,
                     "target_url": "https://acme.example/start"}),
        ),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_i64().expect("integer id");
    let ad_set = call(
        app,
        "POST",
        &format!("/campaigns/{id}/ad-sets"),
        key,
        Some(&json!({"name": "Founders", "targeting": {"interests": ["bookkeeping"]}})),
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
            "primary_text": "Close your books in minutes, not days.",
            "call_to_action": "sign_up",
            "link_url": "https://acme.example/signup"
        }})),
    );
    assert_eq!(ad.status, 201, "{}", ad.text());
    id
}

fn campaign(app: &TestApp, key: &str, id: i64) -> Value {
    let read = call(app, "GET", &format!("/campaigns/{id}"), key, None);
    assert_eq!(read.status, 200, "{}", read.text());
    read.json()
}

fn audit_log(app: &TestApp, key: &str, query: &str) -> Value {
    let listed = call(app, "GET", &format!("/audit-log{query}"), key, None);
    assert_eq!(listed.status, 200, "{}", listed.text());
    listed.json()
}

/// A dry run's `would`, after checking the envelope.
fn would(response: &TestResponse) -> Value {
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(body["dry_run"], true, "{body}");
    body["would"].clone()
}

#[test]
fn dry_runs_of_each_kind_of_write_change_nothing_and_answer_like_the_real_call() {
    let app = start();
    let (key, _) = advertiser(&app, "dry@acme.example");
    let empty = fingerprint(&app);

    let create = json!({"name": "Summer Launch", "objective": "traffic", "daily_budget": 50.0});
    let dry = call(&app, "POST", "/campaigns?dry_run=true", &key, Some(&create));
    let would_create = would(&dry);
    assert_eq!(would_create["status"], 201);
    assert_eq!(would_create["resource"]["name"], "Summer Launch");
    assert_eq!(would_create["resource"]["status"], "draft");
    assert_eq!(would_create["spend"]["confirmation_required"], false);
    assert_eq!(would_create["outbound_requests"], json!([]));
    // The header asks for a dry run too.
    let by_header = call_with(
        &app,
        "POST",
        "/campaigns",
        &key,
        &[("dry-run", "true")],
        Some(&create),
    );
    assert_eq!(would(&by_header)["status"], 201);
    // A refusal is the real call's refusal.
    let bad = json!({"name": "X", "objective": "sales", "daily_budget": 50.0});
    let dry_bad = call(&app, "POST", "/campaigns?dry_run=true", &key, Some(&bad));
    let real_bad = call(&app, "POST", "/campaigns", &key, Some(&bad));
    let dry_error = expect(&dry_bad, 422, "validation_error")["error"].clone();
    let real_error = expect(&real_bad, 422, "validation_error")["error"].clone();
    assert_eq!(dry_error["details"], real_error["details"]);
    assert_eq!(dry_error["message"], real_error["message"]);
    // A write takes no query parameter but dry_run: a misspelt one is
    // refused rather than ignored (a typo never turns a dry run real).
    for path in ["/campaigns?dryrun=true", "/campaigns?dry_run=maybe"] {
        let refused = call(&app, "POST", path, &key, Some(&create));
        let field = path.split(['?', '=']).nth(1).expect("parameter");
        assert_eq!(
            expect(&refused, 422, "validation_error")["error"]["details"]["field"],
            field,
            "{path}"
        );
    }
    let not_a_flag = call(
        &app,
        "POST",
        "/campaigns?dry_run=maybe",
        &key,
        Some(&create),
    );
    assert_eq!(
        expect(&not_a_flag, 422, "validation_error")["error"]["details"]["field"],
        "dry_run"
    );
    let dry_key = call(
        &app,
        "POST",
        "/auth/keys?dry_run=true",
        &key,
        Some(&json!({"name": "Agent", "scopes": ["campaigns:read"]})),
    );
    let would_key = would(&dry_key);
    assert_eq!(would_key["status"], 201);
    assert_eq!(would_key["resource"]["scopes"], json!(["campaigns:read"]));
    let dry_bad_key = call(
        &app,
        "POST",
        "/auth/keys?dry_run=true",
        &key,
        Some(&json!({"scopes": ["campaigns:fly"]})),
    );
    assert_eq!(
        expect(&dry_bad_key, 422, "validation_error")["error"]["details"]["field"],
        "scopes[0]"
    );
    assert!(
        fingerprint(&app) == empty,
        "a dry run or a refusal wrote something"
    );

    let id = campaign_with_an_ad(&app, &key);
    let built = fingerprint(&app);
    let dry_patch = call(
        &app,
        "PATCH",
        &format!("/campaigns/{id}?dry_run=true"),
        &key,
        Some(&json!({"daily_budget": 75})),
    );
    let would_patch = would(&dry_patch);
    assert_eq!(would_patch["status"], 200);
    assert_eq!(would_patch["resource"]["budget"]["amount"], 75.0);
    let dry_too_low = call(
        &app,
        "PATCH",
        &format!("/campaigns/{id}?dry_run=true"),
        &key,
        Some(&json!({"daily_budget": 0.5})),
    );
    let real_too_low = call(
        &app,
        "PATCH",
        &format!("/campaigns/{id}"),
        &key,
        Some(&json!({"daily_budget": 0.5})),
    );
    assert_eq!(
        expect(&dry_too_low, 422, "campaign_budget_too_low")["error"]["details"],
        expect(&real_too_low, 422, "campaign_budget_too_low")["error"]["details"]
    );
    let dry_launch = call(
        &app,
        "POST",
        &format!("/campaigns/{id}/launch?dry_run=true"),
        &key,
        None,
    );
    let would_launch = would(&dry_launch);
    assert_eq!(would_launch["status"], 200);
    assert_eq!(would_launch["resource"]["status"], "active");
    assert_eq!(
        would_launch["spend"],
        json!({"daily_spend_before": 0.0, "daily_spend_after": 50.0, "currency": "USD",
               "confirmation_required": false})
    );
    let dry_delete = call(
        &app,
        "DELETE",
        &format!("/campaigns/{id}?dry_run=1"),
        &key,
        None,
    );
    let would_delete = would(&dry_delete);
    assert_eq!(would_delete["status"], 204);
    assert_eq!(would_delete["resource"], Value::Null);
    let dry_missing = call(&app, "DELETE", "/campaigns/999999?dry_run=true", &key, None);
    expect(&dry_missing, 404, "not_found");
    assert!(
        fingerprint(&app) == built,
        "a dry run of a patch, a launch or a delete wrote something"
    );
    let unchanged = campaign(&app, &key, id);
    assert_eq!(unchanged["status"], "draft");
    assert_eq!(unchanged["budget"]["amount"], 50.0);

    // The real calls do what the dry runs said.
    let launched = call(&app, "POST", &format!("/campaigns/{id}/launch"), &key, None);
    assert_eq!(launched.status, 200, "{}", launched.text());
    assert_eq!(
        launched.json()["status"],
        would_launch["resource"]["status"]
    );
    let deleted = call(&app, "DELETE", &format!("/campaigns/{id}"), &key, None);
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(
        call(&app, "GET", &format!("/campaigns/{id}"), &key, None).status,
        404
    );
}

#[test]
fn a_spend_raise_above_the_threshold_changes_nothing_until_confirmed_with_its_token() {
    let app = start();
    let (key, _) = advertiser(&app, "raise@acme.example");
    let id = campaign_with_an_ad(&app, &key);
    // $0 to $50 a day: under the default threshold of $100.
    let launched = call(&app, "POST", &format!("/campaigns/{id}/launch"), &key, None);
    assert_eq!(launched.status, 200, "{}", launched.text());
    let settings = call(&app, "GET", "/account/safety", &key, None);
    assert_eq!(settings.status, 200, "{}", settings.text());
    assert_eq!(
        settings.json(),
        json!({"confirmation_threshold": 100.0, "currency": "USD",
               "default_confirmation_threshold": 100.0})
    );

    let raise = json!({"daily_budget": 500});
    let path = format!("/campaigns/{id}");
    let before = campaign(&app, &key, id);
    let refused = call(&app, "PATCH", &path, &key, Some(&raise));
    let details = expect(&refused, 428, "confirmation_required")["error"]["details"].clone();
    assert_eq!(details["daily_spend_before"], 50.0);
    assert_eq!(details["daily_spend_after"], 500.0);
    assert_eq!(details["confirmation_threshold"], 100.0);
    assert!(
        details["summary"]
            .as_str()
            .expect("summary")
            .contains("raises the committed daily spend from $50.00 to $500.00"),
        "{details}"
    );
    let token = details["confirmation_token"]
        .as_str()
        .expect("token")
        .to_string();
    assert_eq!(campaign(&app, &key, id), before, "nothing changed");

    let confirm = |key: &str, token: &str, body: &Value| {
        call_with(
            &app,
            "PATCH",
            &path,
            key,
            &[("confirmation-token", token)],
            Some(body),
        )
    };
    let other_body = confirm(&key, &token, &json!({"daily_budget": 600}));
    assert_eq!(
        expect(&other_body, 409, "confirmation_token_invalid")["error"]["details"]["reason"],
        "request_mismatch"
    );
    let second_key = call(&app, "POST", "/auth/keys", &key, Some(&json!({})));
    assert_eq!(second_key.status, 201, "{}", second_key.text());
    let second_key = second_key.json()["api_key"]
        .as_str()
        .expect("secret")
        .to_string();
    let other_key = confirm(&second_key, &token, &raise);
    assert_eq!(
        expect(&other_key, 409, "confirmation_token_invalid")["error"]["details"]["reason"],
        "other_key"
    );
    let unknown = confirm(&key, "cfm_0000", &raise);
    assert_eq!(
        expect(&unknown, 409, "confirmation_token_invalid")["error"]["details"]["reason"],
        "unknown"
    );
    assert_eq!(campaign(&app, &key, id), before, "still nothing changed");

    let confirmed = confirm(&key, &token, &raise);
    assert_eq!(confirmed.status, 200, "{}", confirmed.text());
    assert_eq!(confirmed.json()["budget"]["amount"], 500.0);

    // Back down to $50 (a cut needs no token), then up again with the
    // spent token: refused.
    let cut = call(
        &app,
        "PATCH",
        &path,
        &key,
        Some(&json!({"daily_budget": 50})),
    );
    assert_eq!(cut.status, 200, "{}", cut.text());
    let reused = confirm(&key, &token, &raise);
    assert_eq!(
        expect(&reused, 409, "confirmation_token_invalid")["error"]["details"]["reason"],
        "used"
    );
    // An expired token (its end moved into the past) is refused too.
    let fresh = call(&app, "PATCH", &path, &key, Some(&raise));
    let fresh =
        expect(&fresh, 428, "confirmation_required")["error"]["details"]["confirmation_token"]
            .as_str()
            .expect("token")
            .to_string();
    app.database()
        .execute(
            "UPDATE agent_confirmations SET expires_at = expires_at - 601 WHERE used_at IS NULL",
            [],
        )
        .expect("expire");
    let expired = confirm(&key, &fresh, &raise);
    assert_eq!(
        expect(&expired, 409, "confirmation_token_invalid")["error"]["details"]["reason"],
        "expired"
    );
    assert_eq!(campaign(&app, &key, id)["budget"]["amount"], 50.0);

    // Resuming a paused campaign raises spend by its whole budget.
    let raised = call(
        &app,
        "PATCH",
        "/account/safety",
        &key,
        Some(&json!({"confirmation_threshold": 1000})),
    );
    assert_eq!(raised.status, 200, "{}", raised.text());
    let big = call(
        &app,
        "PATCH",
        &path,
        &key,
        Some(&json!({"daily_budget": 900})),
    );
    assert_eq!(big.status, 200, "{}", big.text());
    let lowered = call(
        &app,
        "PATCH",
        "/account/safety",
        &key,
        Some(&json!({"confirmation_threshold": 100})),
    );
    assert_eq!(lowered.status, 200, "{}", lowered.text());
    let paused = call(
        &app,
        "PATCH",
        &path,
        &key,
        Some(&json!({"status": "paused"})),
    );
    assert_eq!(paused.status, 200, "{}", paused.text());
    let resume = call(
        &app,
        "PATCH",
        &path,
        &key,
        Some(&json!({"status": "active"})),
    );
    let details = expect(&resume, 428, "confirmation_required")["error"]["details"].clone();
    assert_eq!(
        (
            details["daily_spend_before"].clone(),
            details["daily_spend_after"].clone()
        ),
        (json!(0.0), json!(900.0))
    );
    assert_eq!(campaign(&app, &key, id)["status"], "paused");

    // A rule that raises budgets raises the committed spend by one raise.
    let resumed = call_with(
        &app,
        "PATCH",
        &path,
        &key,
        &[(
            "confirmation-token",
            details["confirmation_token"].as_str().expect("token"),
        )],
        Some(&json!({"status": "active"})),
    );
    assert_eq!(resumed.status, 200, "{}", resumed.text());
    let rule = json!({"name": "Scale winners", "campaign_id": id,
        "condition": {"metric": "ctr", "operator": "gt", "value": 2.0},
        "action": {"type": "adjust_budget", "change_percent": 20}});
    let rule_refused = call(&app, "POST", "/optimization/rules", &key, Some(&rule));
    let details = expect(&rule_refused, 428, "confirmation_required")["error"]["details"].clone();
    assert_eq!(details["daily_spend_after"], 1080.0);
    let rules = call(&app, "GET", "/optimization/rules", &key, None);
    assert_eq!(rules.json()["pagination"]["total"], 0, "no rule was made");
    let cutting = json!({"name": "Trim losers", "campaign_id": id,
        "condition": {"metric": "ctr", "operator": "lt", "value": 0.5},
        "action": {"type": "adjust_budget", "change_percent": -20}});
    let cut_rule = call(&app, "POST", "/optimization/rules", &key, Some(&cutting));
    assert_eq!(cut_rule.status, 201, "{}", cut_rule.text());

    // The refusals are in the audit log, with what they refused.
    let refusals = audit_log(&app, &key, "?resource=campaign");
    let outcomes: Vec<&str> = refusals["data"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| entry["outcome"].as_str().expect("outcome"))
        .collect();
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == "confirmation_required")
            .count(),
        3,
        "{outcomes:?}"
    );
}

#[test]
fn a_key_with_a_spend_cap_cannot_take_the_daily_spend_past_it() {
    let app = start();
    let (key, _) = advertiser(&app, "cap@acme.example");
    let capped = call(
        &app,
        "POST",
        "/auth/keys",
        &key,
        Some(
            &json!({"name": "Budget agent", "scopes": ["campaigns:read", "campaigns:write"],
                     "spend_cap": 60}),
        ),
    );
    assert_eq!(capped.status, 201, "{}", capped.text());
    let capped = capped.json();
    assert_eq!(capped["spend_cap"], 60.0);
    let capped_key = capped["api_key"].as_str().expect("secret").to_string();
    let listed = call(&app, "GET", "/auth/keys", &key, None);
    assert_eq!(listed.json()["data"][0]["spend_cap"], 60.0);
    assert_eq!(listed.json()["data"][1]["spend_cap"], Value::Null);

    let id = campaign_with_an_ad(&app, &capped_key);
    let launched = call(
        &app,
        "POST",
        &format!("/campaigns/{id}/launch"),
        &capped_key,
        None,
    );
    assert_eq!(launched.status, 200, "{}", launched.text());
    let path = format!("/campaigns/{id}");
    let before = fingerprint(&app);
    let dry = call(
        &app,
        "PATCH",
        &format!("{path}?dry_run=true"),
        &capped_key,
        Some(&json!({"daily_budget": 75})),
    );
    expect(&dry, 403, "spend_cap_exceeded");
    assert!(fingerprint(&app) == before, "a refused dry run wrote");
    let over = call(
        &app,
        "PATCH",
        &path,
        &capped_key,
        Some(&json!({"daily_budget": 75})),
    );
    let details = expect(&over, 403, "spend_cap_exceeded")["error"]["details"].clone();
    assert_eq!(
        details,
        json!({"spend_cap": 60.0, "daily_spend_before": 50.0, "daily_spend_after": 75.0,
               "currency": "USD"})
    );
    assert_eq!(campaign(&app, &key, id)["budget"]["amount"], 50.0);
    let under = call(
        &app,
        "PATCH",
        &path,
        &capped_key,
        Some(&json!({"daily_budget": 60})),
    );
    assert_eq!(under.status, 200, "{}", under.text());
    // The account's uncapped key is not bound by it.
    let uncapped = call(
        &app,
        "PATCH",
        &path,
        &key,
        Some(&json!({"daily_budget": 75})),
    );
    assert_eq!(uncapped.status, 200, "{}", uncapped.text());
    let lower = call(
        &app,
        "PATCH",
        &path,
        &capped_key,
        Some(&json!({"daily_budget": 70})),
    );
    assert_eq!(
        lower.status,
        200,
        "a cut is never refused: {}",
        lower.text()
    );

    // A capped key makes no key with a larger cap, or none.
    let manager = call(
        &app,
        "POST",
        "/auth/keys",
        &key,
        Some(&json!({"scopes": ["account:write", "campaigns:read"], "spend_cap": 60})),
    );
    assert_eq!(manager.status, 201, "{}", manager.text());
    let manager = manager.json()["api_key"]
        .as_str()
        .expect("secret")
        .to_string();
    let larger = call(
        &app,
        "POST",
        "/auth/keys",
        &manager,
        Some(&json!({"scopes": ["campaigns:read"], "spend_cap": 100})),
    );
    assert_eq!(
        expect(&larger, 422, "validation_error")["error"]["details"]["field"],
        "spend_cap"
    );
    let inherited = call(
        &app,
        "POST",
        "/auth/keys",
        &manager,
        Some(&json!({"scopes": ["campaigns:read"]})),
    );
    assert_eq!(inherited.status, 201, "{}", inherited.text());
    assert_eq!(inherited.json()["spend_cap"], 60.0);
    let tiny = call(
        &app,
        "POST",
        "/auth/keys",
        &key,
        Some(&json!({"spend_cap": 0.5})),
    );
    expect(&tiny, 422, "validation_error");

    let log = audit_log(&app, &key, "?resource=campaign");
    let refused: Vec<&Value> = log["data"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|entry| entry["outcome"] == "spend_cap_exceeded")
        .collect();
    assert_eq!(refused.len(), 1, "{log}");
    assert_eq!(refused[0]["key_id"], capped["id"]);
    assert_eq!(refused[0]["status"], 403);
    assert_eq!(refused[0]["after"], Value::Null);
}

#[test]
fn the_audit_log_lists_every_write_with_before_and_after_and_is_the_accounts_own() {
    let app = start();
    let (key, _) = advertiser(&app, "audit@acme.example");
    let created = call(
        &app,
        "POST",
        "/campaigns",
        &key,
        Some(&json!({"name": "Summer Launch", "objective": "traffic", "daily_budget": 50.0})),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_i64().expect("id");
    let renamed = call(
        &app,
        "PATCH",
        &format!("/campaigns/{id}"),
        &key,
        Some(&json!({"name": "Autumn Launch"})),
    );
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    let deleted = call(&app, "DELETE", &format!("/campaigns/{id}"), &key, None);
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    let agent = call(
        &app,
        "POST",
        "/auth/keys",
        &key,
        Some(&json!({"name": "Agent", "scopes": ["campaigns:read"]})),
    );
    assert_eq!(agent.status, 201, "{}", agent.text());
    let agent = agent.json();
    // Neither a failed write nor a read is recorded.
    let failed = call(&app, "PATCH", "/campaigns/999999", &key, Some(&json!({})));
    assert_eq!(failed.status, 404, "{}", failed.text());

    let log = audit_log(&app, &key, "");
    let entries = log["data"].as_array().expect("entries");
    let vias: Vec<&str> = entries
        .iter()
        .map(|entry| entry["via"].as_str().expect("via"))
        .collect();
    assert_eq!(
        vias,
        [
            "POST /api/v1/auth/keys".to_string(),
            format!("DELETE /api/v1/campaigns/{id}"),
            format!("PATCH /api/v1/campaigns/{id}"),
            "POST /api/v1/campaigns".to_string(),
            "POST /api/v1/account/business".to_string(),
        ]
    );
    assert_eq!(log["pagination"]["total"], 5);
    let key_id = entries[0]["key_id"].as_str().expect("key id");
    assert!(key_id.starts_with("key_"), "{key_id}");
    assert!(entries.iter().all(|entry| {
        entry["key_id"] == key_id
            && entry["outcome"] == "applied"
            && entry["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("aud_"))
            && entry["time"].is_string()
    }));
    assert_eq!(entries[0]["resource"], "key");
    assert_eq!(entries[0]["resource_id"], agent["id"]);
    assert_eq!(entries[0]["after"]["api_key"], "[redacted]", "no secret");
    assert_eq!(entries[0]["after"]["name"], "Agent");
    assert!(
        !log.to_string()
            .contains(agent["api_key"].as_str().expect("secret"))
    );
    let delete = &entries[1];
    assert_eq!(
        (delete["resource"].clone(), delete["resource_id"].clone()),
        (json!("campaign"), json!(id.to_string()))
    );
    assert_eq!(delete["status"], 204);
    assert_eq!(delete["before"]["name"], "Autumn Launch");
    assert_eq!(delete["after"], Value::Null);
    let patch = &entries[2];
    assert_eq!(patch["before"]["name"], "Summer Launch");
    assert_eq!(patch["after"]["name"], "Autumn Launch");
    let create = &entries[3];
    assert_eq!(create["before"], Value::Null);
    assert_eq!(create["after"]["name"], "Summer Launch");
    assert_eq!(create["status"], 201);

    // Filters and pages.
    let campaigns = audit_log(&app, &key, "?resource=campaign&limit=2");
    assert_eq!(campaigns["pagination"]["total"], 3);
    assert_eq!(campaigns["data"].as_array().map(Vec::len), Some(2));
    let cursor = campaigns["pagination"]["next_cursor"]
        .as_str()
        .expect("more");
    let rest = audit_log(
        &app,
        &key,
        &format!("?resource=campaign&limit=2&cursor={cursor}"),
    );
    assert_eq!(rest["data"][0]["via"], "POST /api/v1/campaigns");
    assert_eq!(rest["pagination"]["has_more"], false);
    let by_other_key = audit_log(
        &app,
        &key,
        &format!("?key_id={}", agent["id"].as_str().expect("id")),
    );
    assert_eq!(by_other_key["pagination"]["total"], 0);
    let future = audit_log(&app, &key, "?since=2999-01-01T00:00:00Z");
    assert_eq!(future["data"], json!([]));
    let past = audit_log(&app, &key, "?since=2000-01-01T00:00:00Z");
    assert_eq!(past["pagination"]["total"], 5);
    let bad_since = call(&app, "GET", "/audit-log?since=yesterday", &key, None);
    assert_eq!(
        expect(&bad_since, 422, "validation_error")["error"]["details"]["field"],
        "since"
    );
    let bad_cursor = call(&app, "GET", "/audit-log?cursor=nope", &key, None);
    expect(&bad_cursor, 422, "validation_error");

    // Tenancy: another account, a sandbox key and a key without
    // account:read see none of it.
    let (stranger, _) = advertiser(&app, "stranger@acme.example");
    let theirs = audit_log(&app, &stranger, "");
    assert_eq!(theirs["pagination"]["total"], 1, "{theirs}");
    assert_eq!(theirs["data"][0]["via"], "POST /api/v1/account/business");
    let sandbox = call(
        &app,
        "POST",
        "/auth/keys",
        &key,
        Some(&json!({"mode": "test", "scopes": ["account:read"]})),
    );
    assert_eq!(sandbox.status, 201, "{}", sandbox.text());
    let sandbox = sandbox.json()["api_key"]
        .as_str()
        .expect("secret")
        .to_string();
    assert_eq!(audit_log(&app, &sandbox, "")["pagination"]["total"], 0);
    let no_scope = call(
        &app,
        "GET",
        "/audit-log",
        agent["api_key"].as_str().expect("secret"),
        None,
    );
    expect(&no_scope, 403, "insufficient_scope");
    let unauthenticated = app.get("/api/v1/audit-log");
    assert_eq!(unauthenticated.status, 401);
}

#[test]
fn the_confirmation_threshold_is_checked_audited_and_needs_the_account_scopes() {
    let app = start();
    let (key, _) = advertiser(&app, "threshold@acme.example");
    let negative = call(
        &app,
        "PATCH",
        "/account/safety",
        &key,
        Some(&json!({"confirmation_threshold": -1})),
    );
    assert_eq!(
        expect(&negative, 422, "validation_error")["error"]["details"]["field"],
        "confirmation_threshold"
    );
    let unknown = call(
        &app,
        "PATCH",
        "/account/safety",
        &key,
        Some(&json!({"confirmation_threshold": 5, "limit": 1})),
    );
    assert_eq!(unknown.status, 422, "{}", unknown.text());
    let auth = format!("Bearer {key}");
    let not_json = app.request(
        "PATCH",
        "/api/v1/account/safety",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        Some(b"{".as_slice()),
    );
    expect(&not_json, 400, "invalid_json");
    let dry = call(
        &app,
        "PATCH",
        "/account/safety?dry_run=true",
        &key,
        Some(&json!({"confirmation_threshold": 5})),
    );
    assert_eq!(would(&dry)["resource"]["confirmation_threshold"], 5.0);
    let read = call(&app, "GET", "/account/safety", &key, None);
    assert_eq!(read.json()["confirmation_threshold"], 100.0);

    let changed = call(
        &app,
        "PATCH",
        "/account/safety",
        &key,
        Some(&json!({"confirmation_threshold": 250.5})),
    );
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(changed.json()["confirmation_threshold"], 250.5);
    let log = audit_log(&app, &key, "?resource=safety_settings");
    assert_eq!(log["pagination"]["total"], 1, "{log}");
    let entry = &log["data"][0];
    assert_eq!(entry["via"], "PATCH /api/v1/account/safety");
    assert_eq!(entry["before"]["confirmation_threshold"], 100.0);
    assert_eq!(entry["after"]["confirmation_threshold"], 250.5);

    let agent = call(
        &app,
        "POST",
        "/auth/keys",
        &key,
        Some(&json!({"scopes": ["campaigns:read", "campaigns:write"]})),
    );
    assert_eq!(agent.status, 201, "{}", agent.text());
    let agent = agent.json()["api_key"]
        .as_str()
        .expect("secret")
        .to_string();
    let lift = call(
        &app,
        "PATCH",
        "/account/safety",
        &agent,
        Some(&json!({"confirmation_threshold": 1000000})),
    );
    expect(&lift, 403, "insufficient_scope");
    expect(
        &call(&app, "GET", "/account/safety", &agent, None),
        403,
        "insufficient_scope",
    );
    assert_eq!(
        call(&app, "GET", "/account/safety", &key, None).json()["confirmation_threshold"],
        250.5
    );
}

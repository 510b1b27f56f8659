//! AI content: `/ai/generate/...`, `/ai/generations/{id}`, with the
//! built-in copywriter (no model configured).

use serde_json::{Value, json};

use adspin_e2e::{FakeResponse, FakeServer, HostLaunch, TestApp, artifacts};

use super::{call, verified_account};

/// The app, with room for a test's requests in the Free plan's minute
/// (`agents_rate_limit_multiplier`).
fn start() -> TestApp {
    HostLaunch::app()
        .variable("agents_rate_limit_multiplier", "20")
        .start()
}

/// The specification's text example.
fn documented_text_request() -> Value {
    json!({
        "product_description": "Online accounting dashboard for small businesses",
        "target_audience": "Small business founders aged 25-45",
        "tone": "professional",
        "variations": 5,
        "types": ["headline", "primary_text", "description"],
        "platform": "facebook",
        "language": "en"
    })
}

#[test]
fn generated_copy_has_the_documented_shape_within_facebooks_limits() {
    let app = start();
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");

    let response = call(
        &app,
        "POST",
        "/ai/generate/text",
        key,
        Some(&documented_text_request()),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    let generation = response.json();
    let id = generation["id"].as_str().expect("id");
    assert!(id.starts_with("gen_"), "{id}");
    assert_eq!(generation["status"], "completed");
    assert_eq!(generation["provider"], "builtin");
    assert_eq!(generation["credits_used"], 5);
    assert_eq!(
        generation["credits_remaining"], 5,
        "the Free plan's 10 a month"
    );
    let variations = generation["variations"].as_array().expect("variations");
    assert_eq!(variations.len(), 5);
    assert_eq!(generation["result"]["variations"], generation["variations"]);
    for variation in variations {
        let text = |field: &str| variation[field].as_str().expect(field).chars().count();
        assert!((1..=40).contains(&text("headline")), "{variation}");
        assert!((1..=125).contains(&text("primary_text")), "{variation}");
        assert!((1..=30).contains(&text("description")), "{variation}");
        // No delivery yet: the documented prior.
        assert_eq!(variation["predicted_ctr"], 1.5, "{variation}");
    }
    assert!(
        variations.iter().any(|v| v["primary_text"]
            .as_str()
            .is_some_and(|t| t.contains("small business founders"))),
        "{variations:?}"
    );

    let read = call(&app, "GET", &format!("/ai/generations/{id}"), key, None);
    assert_eq!(read.status, 200, "{}", read.text());
    let read = read.json();
    assert_eq!(read["status"], "completed");
    assert_eq!(read["result"]["variations"], generation["variations"]);
    assert_eq!(read["variations"], generation["variations"]);
}

#[test]
fn only_the_fields_asked_for_are_written_in_the_language_asked_for() {
    let app = start();
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");
    let mut request = documented_text_request();
    request["types"] = json!(["headline"]);
    request["language"] = json!("es");
    request["variations"] = json!(2);
    request["platform"] = json!("chat");
    let generation = call(&app, "POST", "/ai/generate/text", key, Some(&request)).json();
    let variation = &generation["variations"][0];
    let mut keys: Vec<&String> = variation.as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(keys, ["headline", "predicted_ctr"], "{variation}");
    assert!(
        generation["variations"]
            .as_array()
            .expect("variations")
            .iter()
            .any(|v| v["headline"]
                .as_str()
                .is_some_and(|h| h.contains("para") || h.contains("con"))),
        "{generation}"
    );
    assert_eq!(generation["credits_used"], 2);
}

#[test]
fn a_spent_monthly_allowance_is_403_plan_limit_reached() {
    let app = start();
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");
    let mut request = documented_text_request();
    request["variations"] = json!(4);
    for remaining in [6, 2] {
        let response = call(&app, "POST", "/ai/generate/text", key, Some(&request));
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(response.json()["credits_remaining"], remaining);
    }
    let refused = call(&app, "POST", "/ai/generate/text", key, Some(&request));
    assert_eq!(refused.status, 403, "{}", refused.text());
    let error = &refused.json()["error"];
    assert_eq!(error["code"], "plan_limit_reached");
    let details = &error["details"];
    assert_eq!(
        (
            &details["resource"],
            &details["plan"],
            &details["limit"],
            &details["used"],
            &details["remaining"],
            &details["requested"]
        ),
        (
            &json!("ai_generations"),
            &json!("Free"),
            &json!(10),
            &json!(8),
            &json!(2),
            &json!(4)
        )
    );
    assert!(
        details["resets_at"]
            .as_str()
            .is_some_and(|t| t.ends_with("-01T00:00:00Z"))
    );
    // What is left can still be used.
    request["variations"] = json!(2);
    let last = call(&app, "POST", "/ai/generate/text", key, Some(&request));
    assert_eq!(last.status, 200, "{}", last.text());
    assert_eq!(last.json()["credits_remaining"], 0);
}

#[test]
fn another_accounts_generation_is_not_found() {
    let app = start();
    let jane = verified_account(&app, "jane@example.com");
    let joe = verified_account(&app, "joe@example.com");
    let jane_key = jane["api_key"].as_str().expect("key");
    let joe_key = joe["api_key"].as_str().expect("key");
    let generation = call(
        &app,
        "POST",
        "/ai/generate/text",
        jane_key,
        Some(&documented_text_request()),
    )
    .json();
    let path = format!("/ai/generations/{}", generation["id"].as_str().expect("id"));
    let across = call(&app, "GET", &path, joe_key, None);
    assert_eq!(across.status, 404, "{}", across.text());
    assert_eq!(across.json()["error"]["code"], "not_found");
    assert_eq!(
        call(&app, "GET", "/ai/generations/gen_nope", jane_key, None).status,
        404
    );
    assert_eq!(call(&app, "GET", &path, jane_key, None).status, 200);
}

#[test]
fn generating_needs_the_content_generate_scope_and_a_valid_request() {
    let app = start();
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");
    let scoped = call(
        &app,
        "POST",
        "/auth/keys",
        key,
        Some(&json!({"name": "Reader", "scopes": ["campaigns:read"]})),
    );
    assert_eq!(scoped.status, 201, "{}", scoped.text());
    let reader = scoped.json()["api_key"].as_str().expect("key").to_string();
    let refused = call(
        &app,
        "POST",
        "/ai/generate/text",
        &reader,
        Some(&documented_text_request()),
    );
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json()["error"]["code"], "insufficient_scope");
    assert_eq!(
        refused.json()["error"]["details"]["required_scopes"],
        json!(["content:generate"])
    );

    for (field, value) in [
        ("variations", json!(11)),
        ("tone", json!("sarcastic")),
        ("platform", json!("myspace")),
        ("types", json!(["slogan"])),
        ("language", json!("xx")),
        ("product_description", json!("  ")),
    ] {
        let mut request = documented_text_request();
        request[field] = value;
        let response = call(&app, "POST", "/ai/generate/text", key, Some(&request));
        assert_eq!(response.status, 422, "{field}: {}", response.text());
        assert_eq!(response.json()["error"]["details"]["field"], field);
    }
    // Refused requests use no credits.
    let generation = call(
        &app,
        "POST",
        "/ai/generate/text",
        key,
        Some(&documented_text_request()),
    )
    .json();
    assert_eq!(generation["credits_remaining"], 5);
}

/// The app with `ai_text_model = llama3.2` served by `server` (an
/// OpenAI-compatible fake) through the runtime configuration's
/// `[llm_compute]`, as an operator configures Spin; the directory holding
/// the configuration lives as long as the app.
fn start_with_model(server: &FakeServer) -> (tempfile::TempDir, TestApp) {
    let dir = tempfile::tempdir().expect("dir");
    let guard = std::fs::read_to_string(artifacts().fixture_manifest("runtime-config.toml"))
        .expect("the tests' runtime configuration");
    let config = format!(
        "{guard}\n[llm_compute]\ntype = \"remote_http\"\nurl = \"{}\"\nauth_token = \"test-token\"\napi_type = \"open_ai\"\n",
        server.base_url()
    );
    let path = dir.path().join("runtime-config.toml");
    std::fs::write(&path, config).expect("write");
    let app = HostLaunch::app()
        .variable("agents_rate_limit_multiplier", "20")
        .runtime_config(&path)
        .variable("ai_text_model", "llama3.2")
        .start();
    (dir, app)
}

/// A chat completion whose message is `content`.
fn completion(content: &str) -> FakeResponse {
    FakeResponse::json(
        200,
        &json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "llama3.2",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200}
        }),
    )
}

/// A fake model server that answers by what the prompt's product says.
fn fake_model() -> FakeServer {
    FakeServer::start(|request| {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let prompt = body["messages"][0]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if prompt.contains("Broken server") {
            return FakeResponse::new(500, "<html>internal error</html>");
        }
        if prompt.contains("Overloaded model") {
            return FakeResponse::json(
                503,
                &json!({"error": {"message": "overloaded", "type": "server_error"}}),
            );
        }
        if prompt.contains("Chatty model") {
            return completion("I'd be happy to help! Here are some ideas for your ads.");
        }
        if prompt.contains("Stingy model") {
            return completion(
                r#"{"variations": [{"headline": "Only one", "primary_text": "Just one idea.", "description": "One"}]}"#,
            );
        }
        let variations: Vec<Value> = (1..=3)
            .map(|i| json!({
                "headline": format!("Model headline number {i} that is far too long for Facebook's feed"),
                "primary_text": format!("Model primary text {i}."),
                "description": format!("Model description {i}"),
            }))
            .collect();
        completion(&format!(
            "```json\n{}\n```",
            json!({"variations": variations})
        ))
    })
}

#[test]
fn a_configured_model_writes_the_copy_through_the_llm_interface() {
    let server = fake_model();
    let (_config, app) = start_with_model(&server);
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");
    let mut request = documented_text_request();
    request["variations"] = json!(3);
    request["language"] = json!("de");

    let response = call(&app, "POST", "/ai/generate/text", key, Some(&request));
    assert_eq!(response.status, 200, "{}", response.text());
    let generation = response.json();
    assert_eq!(generation["provider"], "llama3.2");
    assert_eq!(generation["credits_used"], 3);
    let variations = generation["variations"].as_array().expect("variations");
    assert_eq!(variations.len(), 3);
    assert_eq!(variations[0]["primary_text"], "Model primary text 1.");
    let headline = variations[0]["headline"].as_str().expect("headline");
    assert!(
        headline.chars().count() <= 40 && headline.ends_with('…'),
        "{headline}"
    );
    assert_eq!(variations[0]["predicted_ctr"], 1.5);

    // The model was asked the Spin way: an OpenAI-compatible chat completion.
    let sent = server.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(sent[0].header("authorization"), Some("bearer test-token"));
    let body: Value = serde_json::from_slice(&sent[0].body).expect("json");
    assert_eq!(body["model"], "llama3.2");
    let prompt = body["messages"][0]["content"].as_str().expect("prompt");
    for expected in [
        "Online accounting dashboard for small businesses",
        "Small business founders aged 25-45",
        "de",
        "JSON",
    ] {
        assert!(prompt.contains(expected), "{expected}: {prompt}");
    }
}

#[test]
fn a_failing_model_is_a_502_that_uses_no_credits() {
    let server = fake_model();
    let (_config, app) = start_with_model(&server);
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");
    for product in ["Broken server", "Overloaded model", "Chatty model"] {
        let mut request = documented_text_request();
        request["product_description"] = json!(product);
        let response = call(&app, "POST", "/ai/generate/text", key, Some(&request));
        assert_eq!(response.status, 502, "{product}: {}", response.text());
        let error = &response.json()["error"];
        assert_eq!(error["code"], "ai_provider_error", "{product}");
        assert!(
            !error["message"]
                .as_str()
                .unwrap_or_default()
                .contains("overloaded"),
            "{error}"
        );
    }
    // Fewer variations than asked are kept and charged as delivered.
    let mut request = documented_text_request();
    request["product_description"] = json!("Stingy model");
    let response = call(&app, "POST", "/ai/generate/text", key, Some(&request));
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["credits_used"], 1);
    assert_eq!(
        response.json()["credits_remaining"],
        9,
        "the failures used nothing"
    );
}

/// Creates a campaign with two ad sets of one ad each; returns the
/// campaign, the ad sets and the ads' ids.
fn campaign_with_two_ad_sets(app: &TestApp, key: &str) -> (i64, [i64; 2], [i64; 2]) {
    campaign_with_headlines(app, key, ["Books done 0", "Books done 1"])
}

/// Like [`campaign_with_two_ad_sets`], with these ads' headlines.
fn campaign_with_headlines(
    app: &TestApp,
    key: &str,
    headlines: [&str; 2],
) -> (i64, [i64; 2], [i64; 2]) {
    let business = call(
        app,
        "POST",
        "/account/business",
        key,
        Some(&json!({"name": "Acme"})),
    );
    assert_eq!(business.status, 201, "{}", business.text());
    let campaign = call(
        app,
        "POST",
        "/campaigns",
        key,
        Some(
            &json!({"name": "Books", "objective": "traffic", "daily_budget": 75.0,
                     "product_description": "Online bookkeeping for small businesses",
                     "audience_description": "Small business owners"}),
        ),
    );
    assert_eq!(campaign.status, 201, "{}", campaign.text());
    let campaign = campaign.json()["id"].as_i64().expect("campaign");
    let mut ad_sets = [0; 2];
    let mut ads = [0; 2];
    for (i, name) in ["Founders", "Accountants"].iter().enumerate() {
        let ad_set = call(
            app,
            "POST",
            &format!("/campaigns/{campaign}/ad-sets"),
            key,
            Some(&json!({"name": name})),
        );
        assert_eq!(ad_set.status, 201, "{}", ad_set.text());
        ad_sets[i] = ad_set.json()["id"].as_i64().expect("ad set");
        let ad = call(
            app,
            "POST",
            &format!("/campaigns/{campaign}/ad-sets/{}/ads", ad_sets[i]),
            key,
            Some(&json!({"name": format!("Ad {i}"), "creative": {
                "headline": headlines[i], "primary_text": "Close the month in a day.",
                "link_url": "https://acme.example/start"}})),
        );
        assert_eq!(ad.status, 201, "{}", ad.text());
        ads[i] = ad.json()["id"].as_i64().expect("ad");
    }
    (campaign, ad_sets, ads)
}

/// Imports an hour of delivery of agents ad `ad` as the operator does
/// (`PUT /admin/organizations/{id}/supply-reports`).
fn deliver(app: &TestApp, ad: i64, impressions: i64, clicks: i64) {
    let (organization, shared): (String, String) = app
        .database()
        .query_row(
            "SELECT organization_id, ad_id FROM agent_ads WHERE id = ?1",
            [ad],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("ad");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
    let hour = now - now % 3600 - 3600;
    let auth = format!("Bearer {}", adspin_e2e::demo::ADMIN_TOKEN);
    let body = json!({"supply": "chatgpt", "rows": [
        {"ad_id": shared, "hour": hour, "impressions": impressions, "clicks": clicks, "spend_micros": 1_000_000}
    ]});
    let imported = app.request(
        "PUT",
        &format!("/admin/organizations/{organization}/supply-reports"),
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        Some(body.to_string().as_bytes()),
    );
    assert_eq!(imported.status, 200, "{}", imported.text());
}

#[test]
fn suggestions_come_from_the_campaigns_delivery_with_ready_to_apply_actions() {
    let app = start();
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");
    let (campaign, ad_sets, ads) = campaign_with_two_ad_sets(&app, key);

    let nothing = call(
        &app,
        "POST",
        "/ai/optimize/suggest",
        key,
        Some(&json!({"campaign_id": campaign})),
    );
    assert_eq!(nothing.status, 200, "{}", nothing.text());
    assert_eq!(
        nothing.json()["suggestions"],
        json!([]),
        "no delivery, nothing to judge"
    );

    // The first ad set wins (6% CTR), the second ad loses (0.42%).
    deliver(&app, ads[0], 1_000, 60);
    deliver(&app, ads[1], 1_200, 5);
    let response = call(
        &app,
        "POST",
        "/ai/optimize/suggest",
        key,
        Some(
            &json!({"campaign_id": campaign.to_string(), "strategies": ["new_message", "increase_budget", "pause_ad", "similar_audience"]}),
        ),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(body["metrics"]["impressions"], 2_200);
    let suggestions = body["suggestions"].as_array().expect("suggestions");
    let kinds: Vec<(&str, &str)> = suggestions
        .iter()
        .map(|s| {
            (
                s["type"].as_str().expect("type"),
                s["impact"].as_str().expect("impact"),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [("increase_budget", "high"), ("pause_ad", "medium")],
        "{body}"
    );
    for suggestion in suggestions {
        assert!(
            suggestion["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty())
        );
    }
    assert_eq!(suggestions[0]["target"]["ad_set_id"], ad_sets[0]);
    assert_eq!(
        suggestions[0]["action"],
        json!({"method": "PATCH", "path": format!("/api/v1/campaigns/{campaign}"), "body": {"budget": {"amount": 90.0}}})
    );
    // The pause action applies as it stands.
    let action = &suggestions[1]["action"];
    let path = action["path"]
        .as_str()
        .expect("path")
        .trim_start_matches("/api/v1");
    let applied = call(&app, "PATCH", path, key, Some(&action["body"]));
    assert_eq!(applied.status, 200, "{}", applied.text());
    assert_eq!(applied.json()["status"], "paused");
    assert_eq!(applied.json()["id"], ads[1]);

    // Only the strategies asked for.
    let only = call(
        &app,
        "POST",
        "/ai/optimize/suggest",
        key,
        Some(&json!({"campaign_id": campaign, "strategies": ["new_image"]})),
    );
    assert_eq!(only.json()["suggestions"], json!([]));

    let joe = verified_account(&app, "joe@example.com");
    let across = call(
        &app,
        "POST",
        "/ai/optimize/suggest",
        joe["api_key"].as_str().expect("key"),
        Some(&json!({"campaign_id": campaign})),
    );
    assert_eq!(across.status, 404, "{}", across.text());
    let unknown = call(
        &app,
        "POST",
        "/ai/optimize/suggest",
        key,
        Some(&json!({"campaign_id": campaign, "strategies": ["magic"]})),
    );
    assert_eq!(unknown.status, 422);
}

#[test]
fn an_image_is_generated_asynchronously_stored_as_an_upload_and_announced() {
    let app = start();
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");
    let hook = call(
        &app,
        "POST",
        "/webhooks",
        key,
        Some(&json!({"url": "https://hooks.example/ai", "events": ["generation.completed"]})),
    );
    assert_eq!(hook.status, 201, "{}", hook.text());
    let hook = hook.json()["id"].to_string().trim_matches('"').to_string();

    let response = call(
        &app,
        "POST",
        "/ai/generate/image",
        key,
        Some(
            &json!({"prompt": "Professional business dashboard on laptop, clean modern office",
                     "style": "photo_realistic", "size": "600x400", "count": 2, "provider": "auto",
                     "format": "jpeg"}),
        ),
    );
    assert_eq!(response.status, 202, "{}", response.text());
    let pending = response.json();
    assert_eq!(pending["status"], "processing");
    assert_eq!(pending["provider"], "builtin");
    assert_eq!(pending["credits_used"], 2);
    assert!(pending.get("result").is_none(), "{pending}");

    let id = pending["id"].as_str().expect("id");
    let done = call(&app, "GET", &format!("/ai/generations/{id}"), key, None);
    assert_eq!(done.status, 200, "{}", done.text());
    let done = done.json();
    assert_eq!(done["status"], "completed", "{done}");
    let images = done["result"]["images"].as_array().expect("images");
    assert_eq!(images.len(), 2);
    let mut bodies = Vec::new();
    for image in images {
        assert_eq!(
            (image["width"].as_u64(), image["height"].as_u64()),
            (Some(600), Some(400))
        );
        let url = image["url"].as_str().expect("url");
        let path = url
            .strip_prefix(&app.base_url())
            .expect("a URL of this app");
        assert!(path.starts_with("/files/uploads/"), "{path}");
        let served = app.get(path);
        assert_eq!(served.status, 200, "{path}");
        assert_eq!(served.header("content-type"), Some("image/jpeg"));
        assert_eq!(&served.body[..3], b"\xff\xd8\xff");
        bodies.push(served.body);
    }
    assert_ne!(bodies[0], bodies[1], "two banners, two layouts");

    // Completed once: reading again changes nothing.
    let again = call(&app, "GET", &format!("/ai/generations/{id}"), key, None).json();
    assert_eq!(again["result"], done["result"]);
    let deliveries = call(
        &app,
        "GET",
        &format!("/webhooks/{hook}/deliveries"),
        key,
        None,
    );
    assert_eq!(deliveries.status, 200, "{}", deliveries.text());
    let deliveries = deliveries.json()["data"].clone();
    assert_eq!(deliveries.as_array().map(Vec::len), Some(1), "{deliveries}");
    assert_eq!(deliveries[0]["event_type"], "generation.completed");
    let data: String = app
        .database()
        .query_row(
            "SELECT data FROM agent_events WHERE type = 'generation.completed'",
            [],
            |row| row.get(0),
        )
        .expect("event");
    let data: Value = serde_json::from_str(&data).expect("json");
    assert_eq!(data["generation_id"], id);
}

#[test]
fn the_scheduled_work_completes_a_pending_image() {
    let app = start();
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");
    let pending = call(
        &app,
        "POST",
        "/ai/generate/image",
        key,
        Some(&json!({"prompt": "Fresh organic garden vegetables", "headline": "Grown nearby", "size": "300x250"})),
    )
    .json();
    assert_eq!(pending["status"], "processing");
    let report = super::tick(&app);
    assert_eq!(report["generations"]["completed"], 1, "{report}");
    let read = call(
        &app,
        "GET",
        &format!("/ai/generations/{}", pending["id"].as_str().expect("id")),
        key,
        None,
    )
    .json();
    assert_eq!(read["status"], "completed");
    let url = read["result"]["images"][0]["url"].as_str().expect("url");
    let served = app.get(url.strip_prefix(&app.base_url()).expect("ours"));
    assert_eq!(served.header("content-type"), Some("image/png"));
    assert_eq!(&served.body[..4], b"\x89PNG");
    assert_eq!(super::tick(&app)["generations"]["completed"], 0);
}

#[test]
fn variations_with_images_complete_with_a_banner_for_each() {
    let app = start();
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");
    let request = json!({"product_description": "Online accounting dashboard", "target_audience": "Small business founders",
                         "count": 2, "platform": "facebook", "include_images": true, "tone": "professional"});
    let response = call(&app, "POST", "/ai/generate/variations", key, Some(&request));
    assert_eq!(response.status, 202, "{}", response.text());
    let pending = response.json();
    assert_eq!(
        (&pending["status"], &pending["credits_used"]),
        (&json!("processing"), &json!(4))
    );
    let done = call(
        &app,
        "GET",
        &format!("/ai/generations/{}", pending["id"].as_str().expect("id")),
        key,
        None,
    )
    .json();
    assert_eq!(done["status"], "completed", "{done}");
    let variations = done["result"]["variations"].as_array().expect("variations");
    assert_eq!(variations.len(), 2);
    for variation in variations {
        for field in ["headline", "primary_text", "description"] {
            assert!(
                variation[field].as_str().is_some_and(|t| !t.is_empty()),
                "{variation}"
            );
        }
        let url = variation["image_url"].as_str().expect("image_url");
        let served = app.get(url.strip_prefix(&app.base_url()).expect("ours"));
        assert_eq!(served.status, 200);
        assert_eq!(served.header("content-type"), Some("image/png"));
    }

    // Without images: completed at once, image_url null.
    let mut text_only = request.clone();
    text_only["include_images"] = json!(false);
    let response = call(
        &app,
        "POST",
        "/ai/generate/variations",
        key,
        Some(&text_only),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(body["status"], "completed");
    assert_eq!(body["credits_used"], 2);
    assert_eq!(body["result"]["variations"][0]["image_url"], Value::Null);
}

/// Runs the specification's Python agent against `app` with `key`, after
/// the account setup the specification's lifecycle does before it (the
/// business profile campaigns need).
fn run_the_python_example(app: &TestApp, key: &str) -> String {
    let business = call(
        app,
        "POST",
        "/account/business",
        key,
        Some(&json!({"name": "Remote Co"})),
    );
    assert_eq!(business.status, 201, "{}", business.text());
    let script = artifacts().path("tests/python/full_agent_example.py");
    let output = std::process::Command::new("python3")
        .arg(&script)
        .arg(format!("{}/api/v1", app.base_url()))
        .arg(key)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("is live!") && stdout.contains("One optimization round done."),
        "{stdout}"
    );
    stdout
}

/// What the example left in the account: its campaign's ads.
fn example_ads(app: &TestApp, key: &str) -> Vec<Value> {
    let campaigns = call(app, "GET", "/campaigns", key, None).json();
    let campaign = &campaigns["data"][0];
    assert_eq!(campaign["name"], "Q3 Growth - Remote Teams");
    // Its 2025 schedule has ended: the launch was refused, it stays a draft.
    assert_eq!(campaign["status"], "draft");
    let id = campaign["id"].as_i64().expect("id");
    let launch = call(app, "POST", &format!("/campaigns/{id}/launch"), key, None);
    assert_eq!(launch.status, 409, "{}", launch.text());
    assert_eq!(launch.json()["error"]["code"], "campaign_completed");
    let ad_sets = call(app, "GET", &format!("/campaigns/{id}/ad-sets"), key, None).json();
    let ad_set = ad_sets["data"][0]["id"].as_i64().expect("ad set");
    call(
        app,
        "GET",
        &format!("/campaigns/{id}/ad-sets/{ad_set}/ads"),
        key,
        None,
    )
    .json()["data"]
        .as_array()
        .expect("ads")
        .clone()
}

#[test]
fn the_specifications_python_agent_runs_with_the_built_in_copywriter() {
    let app = start();
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");
    run_the_python_example(&app, key);
    let ads = example_ads(&app, key);
    assert_eq!(ads.len(), 5, "{ads:?}");
    for ad in &ads {
        let image = ad["creative"]["image_url"]
            .as_str()
            .expect("a generated image");
        assert_eq!(
            app.get(image.strip_prefix(&app.base_url()).expect("ours"))
                .status,
            200
        );
    }
}

#[test]
fn the_specifications_python_agent_runs_with_a_model() {
    let server = fake_model();
    let (_config, app) = start_with_model(&server);
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");
    run_the_python_example(&app, key);
    let ads = example_ads(&app, key);
    assert_eq!(ads.len(), 3, "the model's three variations");
    assert_eq!(ads[0]["creative"]["primary_text"], "Model primary text 1.");
    assert_eq!(server.requests().len(), 1);
}

/// A 1×1 PNG, as an image endpoint answers it (base64).
const PIXEL_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

#[test]
fn a_configured_image_endpoint_draws_instead_and_its_failure_gives_the_credits_back() {
    let server = FakeServer::start(|request| {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
        if body["prompt"]
            .as_str()
            .is_some_and(|p| p.contains("Broken"))
        {
            return FakeResponse::json(500, &json!({"error": {"message": "down"}}));
        }
        let n = body["n"].as_u64().unwrap_or(1) as usize;
        FakeResponse::json(
            200,
            &json!({"created": 1, "data": vec![json!({"b64_json": PIXEL_PNG}); n]}),
        )
    });
    let app = HostLaunch::app()
        .variable("agents_rate_limit_multiplier", "20")
        .variable("ai_image_model", "gpt-image-1")
        .variable("ai_image_api_base", server.base_url())
        .variable("ai_image_api_key", "sk-test")
        .start();
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");
    let pending = call(
        &app,
        "POST",
        "/ai/generate/image",
        key,
        Some(&json!({"prompt": "A calm beach at dawn", "size": "1024x1024", "count": 2})),
    )
    .json();
    assert_eq!(pending["provider"], "gpt-image-1");
    let done = call(
        &app,
        "GET",
        &format!("/ai/generations/{}", pending["id"].as_str().expect("id")),
        key,
        None,
    )
    .json();
    assert_eq!(done["status"], "completed", "{done}");
    let images = done["result"]["images"].as_array().expect("images");
    assert_eq!(images.len(), 2);
    assert_eq!(
        (&images[0]["width"], &images[0]["format"]),
        (&json!(1), &json!("png"))
    );
    let served = app.get(
        images[0]["url"]
            .as_str()
            .expect("url")
            .strip_prefix(&app.base_url())
            .expect("ours"),
    );
    assert_eq!(served.status, 200);
    let sent = server.requests();
    assert_eq!(sent[0].path, "/v1/images/generations");
    assert_eq!(sent[0].header("authorization"), Some("Bearer sk-test"));
    let body: Value = serde_json::from_slice(&sent[0].body).expect("json");
    assert_eq!(
        (
            &body["model"],
            &body["n"],
            &body["size"],
            &body["response_format"]
        ),
        (
            &json!("gpt-image-1"),
            &json!(2),
            &json!("1024x1024"),
            &json!("b64_json")
        )
    );

    // A failing endpoint fails the generation and gives its credits back.
    let broken = call(
        &app,
        "POST",
        "/ai/generate/image",
        key,
        Some(&json!({"prompt": "Broken", "count": 3})),
    )
    .json();
    assert_eq!(broken["credits_remaining"], 5);
    let failed = call(
        &app,
        "GET",
        &format!("/ai/generations/{}", broken["id"].as_str().expect("id")),
        key,
        None,
    )
    .json();
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["credits_used"], 0);
    assert_eq!(failed["credits_remaining"], 8);
    assert!(failed.get("result").is_none());
    // The built-in renderer can still be asked for by name.
    let builtin = call(
        &app,
        "POST",
        "/ai/generate/image",
        key,
        Some(&json!({"prompt": "Garden", "provider": "builtin"})),
    )
    .json();
    assert_eq!(builtin["provider"], "builtin");
}

#[test]
fn predicted_ctr_ranks_copy_like_the_historical_winners_first() {
    let app = start();
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");
    let (_, _, ads) = campaign_with_headlines(
        &app,
        key,
        ["Bookkeeping made simple", "Enterprise compliance suite"],
    );
    deliver(&app, ads[0], 5_000, 400);
    deliver(&app, ads[1], 5_000, 10);
    let ctr_of = |product: &str| -> f64 {
        let mut request = documented_text_request();
        request["product_description"] = json!(product);
        request["variations"] = json!(1);
        let response = call(&app, "POST", "/ai/generate/text", key, Some(&request));
        assert_eq!(response.status, 200, "{}", response.text());
        response.json()["variations"][0]["predicted_ctr"]
            .as_f64()
            .expect("predicted_ctr")
    };
    let like_the_winner = ctr_of("Bookkeeping for small businesses");
    let like_the_loser = ctr_of("Enterprise compliance for small businesses");
    assert!(
        like_the_winner > like_the_loser,
        "{like_the_winner} {like_the_loser}"
    );
}

#[test]
fn a_model_missing_from_ai_models_is_refused_by_the_runtime_as_a_502() {
    let server = fake_model();
    let dir = tempfile::tempdir().expect("dir");
    let guard = std::fs::read_to_string(artifacts().fixture_manifest("runtime-config.toml"))
        .expect("the tests' runtime configuration");
    let path = dir.path().join("runtime-config.toml");
    std::fs::write(
        &path,
        format!(
            "{guard}\n[llm_compute]\ntype = \"remote_http\"\nurl = \"{}\"\nauth_token = \"t\"\napi_type = \"open_ai\"\n",
            server.base_url()
        ),
    )
    .expect("write");
    let app = HostLaunch::app()
        .runtime_config(&path)
        .variable("ai_text_model", "not-in-ai-models")
        .start();
    let account = verified_account(&app, "jane@example.com");
    let key = account["api_key"].as_str().expect("key");
    let response = call(
        &app,
        "POST",
        "/ai/generate/text",
        key,
        Some(&documented_text_request()),
    );
    assert_eq!(response.status, 502, "{}", response.text());
    assert_eq!(response.json()["error"]["code"], "ai_provider_error");
    assert!(
        server.requests().is_empty(),
        "the runtime refused before calling"
    );
}

//! AI content: `/ai/generate/...`, `/ai/generations/{id}`, with the
//! built-in copywriter (no model configured).

use serde_json::{Value, json};

use super::{call, start, verified_account};

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

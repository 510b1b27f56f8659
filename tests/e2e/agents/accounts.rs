//! Registration, verification and login, through the running app.

use serde_json::{Value, json};

use super::{last_email, post, start, tick, verification_code, verified_account};

fn jane() -> Value {
    json!({"email": "jane@example.com", "password": "securePassword123",
        "first_name": "Jane", "last_name": "Smith"})
}

fn assert_error(response: &adspin_e2e::TestResponse, status: u16, code: &str) -> Value {
    assert_eq!(response.status, status, "{}", response.text());
    let body = response.json();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["error"]["status"], status);
    assert!(
        body["error"]["request_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("req_")),
        "{body}"
    );
    body["error"].clone()
}

#[test]
fn the_quick_start_registers_and_verifies_with_the_emailed_code() {
    let app = start();
    let registered = post(&app, "/auth/register", &jane());
    assert_eq!(registered.status, 201, "{}", registered.text());
    let body = registered.json();
    assert_eq!(body["user"]["email"], "jane@example.com");
    assert_eq!(body["user"]["first_name"], "Jane");
    assert_eq!(body["user"]["enabled"], false);
    assert!(body["user"]["id"].is_i64(), "{body}");
    let created_at = body["user"]["created_at"].as_str().expect("created_at");
    assert!(
        created_at.ends_with("+0000") && created_at.len() == 24,
        "{created_at}"
    );
    assert!(
        body["api_key"]
            .as_str()
            .expect("key")
            .starts_with("aa_live_")
    );
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("6-digit code")
    );
    for header in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ] {
        assert!(registered.header(header).is_some(), "{header}");
    }

    let email = last_email(&app, "jane@example.com");
    assert_eq!(email["subject"], "Your verification code");
    let code = verification_code(&app, "jane@example.com");
    let verified = post(
        &app,
        "/auth/verify",
        &json!({"email": "jane@example.com", "code": code}),
    );
    assert_eq!(verified.status, 200, "{}", verified.text());
    let answer = verified.json();
    assert_eq!(answer["message"], "Account verified successfully.");
    assert_eq!(answer["user"]["enabled"], true);
    assert_eq!(answer["user"]["id"], body["user"]["id"]);
}

#[test]
fn registration_errors_are_409_422_and_400_in_the_documented_shape() {
    let app = start();
    assert_eq!(post(&app, "/auth/register", &jane()).status, 201);
    let mut again = jane();
    again["email"] = json!("JANE@example.com");
    let error = assert_error(&post(&app, "/auth/register", &again), 409, "email_taken");
    assert_eq!(error["details"]["field"], "email");

    let mut short = jane();
    short["email"] = json!("other@example.com");
    short["password"] = json!("short");
    let error = assert_error(
        &post(&app, "/auth/register", &short),
        422,
        "validation_error",
    );
    assert_eq!(error["details"]["field"], "password");

    let error = assert_error(
        &post(&app, "/auth/register", &json!({"email": "x@example.com"})),
        422,
        "validation_error",
    );
    assert_eq!(error["details"]["field"], "password");

    let malformed = app.request(
        "POST",
        "/api/v1/auth/register",
        &[("content-type", "application/json")],
        Some(b"{\"email\": "),
    );
    assert_error(&malformed, 400, "invalid_json");
}

#[test]
fn wrong_codes_answer_alike_and_run_out() {
    let app = start();
    assert_eq!(post(&app, "/auth/register", &jane()).status, 201);
    let code = verification_code(&app, "jane@example.com");
    let wrong = if code == "111111" { "222222" } else { "111111" };
    let unknown = post(
        &app,
        "/auth/verify",
        &json!({"email": "nobody@example.com", "code": wrong}),
    );
    assert_error(&unknown, 400, "invalid_code");
    for left in (0..5).rev() {
        let response = post(
            &app,
            "/auth/verify",
            &json!({"email": "jane@example.com", "code": wrong}),
        );
        let error = assert_error(&response, 400, "invalid_code");
        assert_eq!(error["details"]["attempts_remaining"], left);
    }
    let exhausted = post(
        &app,
        "/auth/verify",
        &json!({"email": "jane@example.com", "code": code}),
    );
    assert_error(&exhausted, 400, "too_many_attempts");

    let resent = post(
        &app,
        "/auth/verify/resend",
        &json!({"email": "jane@example.com"}),
    );
    assert_eq!(resent.status, 200, "{}", resent.text());
    let fresh = verification_code(&app, "jane@example.com");
    let verified = post(
        &app,
        "/auth/verify",
        &json!({"email": "jane@example.com", "code": fresh}),
    );
    assert_eq!(verified.status, 200, "{}", verified.text());

    let malformed = post(
        &app,
        "/auth/verify",
        &json!({"email": "jane@example.com", "code": "12ab56"}),
    );
    assert_eq!(
        assert_error(&malformed, 422, "validation_error")["details"]["field"],
        "code"
    );
}

#[test]
fn login_answers_alike_for_a_wrong_password_and_an_unknown_email_then_slows_down() {
    let app = start();
    let registered = verified_account(&app, "jane@example.com");
    let login = post(
        &app,
        "/auth/login",
        &json!({"email": "Jane@Example.com", "password": "securePassword123"}),
    );
    assert_eq!(login.status, 200, "{}", login.text());
    let answer = login.json();
    assert_eq!(answer["user"]["enabled"], true);
    assert_ne!(answer["api_key"], registered["api_key"], "a new key");
    assert!(
        answer["api_key"]
            .as_str()
            .expect("key")
            .starts_with("aa_live_")
    );
    let scopes: Vec<&str> = answer["scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(scopes.contains(&"campaigns:read") && scopes.contains(&"account:write"));
    assert_eq!(scopes.len(), 9);

    let wrong = post(
        &app,
        "/auth/login",
        &json!({"email": "jane@example.com", "password": "wrongPassword9"}),
    );
    let unknown = post(
        &app,
        "/auth/login",
        &json!({"email": "joe@example.com", "password": "wrongPassword9"}),
    );
    let a = assert_error(&wrong, 401, "invalid_credentials");
    let b = assert_error(&unknown, 401, "invalid_credentials");
    assert_eq!(a["message"], b["message"]);

    for _ in 1..10 {
        let response = post(
            &app,
            "/auth/login",
            &json!({"email": "jane@example.com", "password": "wrongPassword9"}),
        );
        assert_eq!(response.status, 401);
    }
    let limited = post(
        &app,
        "/auth/login",
        &json!({"email": "jane@example.com", "password": "securePassword123"}),
    );
    assert_error(&limited, 429, "rate_limited");
    let retry_after: i64 = limited
        .header("retry-after")
        .and_then(|value| value.parse().ok())
        .expect("Retry-After");
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    let other = post(
        &app,
        "/auth/login",
        &json!({"email": "joe@example.com", "password": "wrongPassword9"}),
    );
    assert_eq!(other.status, 401, "another email is not slowed down yet");
}

#[test]
fn unknown_paths_other_methods_and_large_bodies_get_the_agents_error_shape() {
    let app = start();
    assert_error(&app.get("/api/v1/nothing-here"), 404, "not_found");
    let wrong_method = app.get("/api/v1/auth/login");
    assert_error(&wrong_method, 405, "method_not_allowed");
    assert_eq!(wrong_method.header("allow"), Some("POST"));
    let large = vec![b' '; 65 * 1024];
    let response = app.request(
        "POST",
        "/api/v1/auth/register",
        &[("content-type", "application/json")],
        Some(&large),
    );
    assert_error(&response, 413, "payload_too_large");
}

#[test]
fn with_the_http_email_transport_the_code_arrives_at_the_email_api() {
    use adspin_e2e::{FakeResponse, FakeServer, HostLaunch};
    let email_api = FakeServer::start(|_| FakeResponse::json(202, &json!({"id": "m_1"})));
    let app = HostLaunch::app()
        .variable("email_transport", "http")
        .variable("email_api_url", format!("{}/v1/send", email_api.base_url()))
        .variable("email_api_key", "mail_key_e2e")
        .variable("email_from", "Ads <no-reply@ads.example>")
        .variable("webhook_allowed_hosts", "http://127.0.0.1:*")
        .start();
    assert_eq!(post(&app, "/auth/register", &jane()).status, 201);
    assert!(
        email_api.requests().is_empty(),
        "sent by the scheduled work"
    );
    let report = tick(&app);
    assert_eq!(report["emails"]["delivered"], 1, "{report}");

    let sent = email_api.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/v1/send");
    assert_eq!(sent[0].header("authorization"), Some("Bearer mail_key_e2e"));
    let email: Value = serde_json::from_slice(&sent[0].body).expect("json");
    assert_eq!(email["to"], "jane@example.com");
    assert_eq!(email["from"], "Ads <no-reply@ads.example>");
    assert_eq!(email["tags"]["kind"], "verification_code");
    let text = email["text"].as_str().expect("text");
    let at = text.find("code is ").expect("code") + "code is ".len();
    let code = &text[at..at + 6];
    let verified = post(
        &app,
        "/auth/verify",
        &json!({"email": "jane@example.com", "code": code}),
    );
    assert_eq!(verified.status, 200, "{}", verified.text());
    assert_eq!(last_email(&app, "jane@example.com")["status"], "delivered");
    assert_eq!(last_email(&app, "jane@example.com")["transport"], "http");
}

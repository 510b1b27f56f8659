use super::*;
use crate::test_support::{NOW, json_of};
use adspin_core::outbox::mailbox;
use adspin_core::testing::{MemoryKv, database};
use serde_json::Value;

fn register_jane(db: &impl Database) -> Value {
    let body = json!({"email": " Jane@Example.com ", "password": "securePassword123",
        "first_name": "Jane", "last_name": "Smith"});
    let response = register(
        db,
        &MemoryKv::default(),
        body.to_string().as_bytes(),
        None,
        NOW,
    )
    .expect("registered");
    assert_eq!(response.status(), 201);
    json_of(&response)
}

fn code_sent_to(db: &adspin_core::db::native::NativeDb, email: &str) -> String {
    let sent = mailbox(db, Some(email), 1).expect("mailbox");
    let body = &sent.first().expect("an email").body;
    let at = body.find("code is ").expect("code") + "code is ".len();
    body[at..at + 6].to_string()
}

fn verify_with(db: &impl Database, code: &str, now: UnixSeconds) -> Result<Response, AgentsError> {
    let body = json!({"email": "jane@example.com", "code": code}).to_string();
    verify(db, body.as_bytes(), now)
}

#[test]
fn registration_answers_with_an_unverified_user_and_a_live_key() {
    let db = database();
    let answer = register_jane(&db);
    assert_eq!(answer["user"]["email"], "jane@example.com");
    assert_eq!(answer["user"]["enabled"], false);
    assert_eq!(answer["user"]["created_at"], "2027-01-15T08:00:00+0000");
    assert!(
        answer["api_key"]
            .as_str()
            .expect("key")
            .starts_with("aa_live_")
    );
    let stored = db
        .query_row("SELECT key_hash FROM agent_keys", &[])
        .expect("key row")
        .expect("one key");
    assert_ne!(stored.text(0), answer["api_key"].as_str(), "stored hashed");
    let code = code_sent_to(&db, "jane@example.com");
    let row = db
        .query_row("SELECT code_hash FROM agent_verification_codes", &[])
        .expect("code row")
        .expect("one code");
    assert!(!row.text(0).expect("hash").contains(&code), "stored hashed");
}

#[test]
fn a_taken_email_is_409_whatever_its_case() {
    let db = database();
    let kv = MemoryKv::default();
    register_jane(&db);
    let again = json!({"email": "JANE@example.com", "password": "anotherPassword",
        "first_name": "J", "last_name": "S"});
    let error = register(&db, &kv, again.to_string().as_bytes(), None, NOW).expect_err("taken");
    assert_eq!((error.status(), error.code()), (409, "email_taken"));
    let organizations = db
        .query_row("SELECT COUNT(*) FROM organizations", &[])
        .expect("count")
        .and_then(|row| row.integer(0));
    assert_eq!(
        organizations,
        Some(1),
        "the failed registration left nothing"
    );
}

#[test]
fn registration_refuses_bad_fields_naming_them() {
    let db = database();
    let kv = MemoryKv::default();
    let cases = [
        (
            json!({"email": "not-an-email", "password": "securePassword123", "first_name": "J", "last_name": "S"}),
            "email",
        ),
        (
            json!({"email": "j@example.com", "password": "short", "first_name": "J", "last_name": "S"}),
            "password",
        ),
        (
            json!({"email": "j@example.com", "password": "securePassword123", "first_name": " ", "last_name": "S"}),
            "first_name",
        ),
        (
            json!({"email": "j@example.com", "password": "securePassword123", "first_name": "J"}),
            "last_name",
        ),
        (
            json!({"email": "j@example.com", "password": "securePassword123", "first_name": "J", "last_name": "S", "verification_method": "sms"}),
            "verification_method",
        ),
    ];
    for (body, field) in cases {
        let error =
            register(&db, &kv, body.to_string().as_bytes(), None, NOW).expect_err("refused");
        assert_eq!(error.status(), 422, "{body}");
        let response = json_of(&error.to_response("req_1"));
        assert_eq!(response["error"]["details"]["field"], field, "{body}");
    }
    let error = register(&db, &kv, b"{not json", None, NOW).expect_err("malformed");
    assert_eq!((error.status(), error.code()), (400, "invalid_json"));
}

#[test]
fn the_emailed_code_verifies_the_account_once() {
    let db = database();
    register_jane(&db);
    let code = code_sent_to(&db, "jane@example.com");
    let answer = json_of(&verify_with(&db, &code, NOW.plus_seconds(60)).expect("verified"));
    assert_eq!(answer["message"], "Account verified successfully.");
    assert_eq!(answer["user"]["enabled"], true);
    let again = json_of(&verify_with(&db, &code, NOW.plus_seconds(61)).expect("idempotent"));
    assert_eq!(again["message"], "Account already verified.");
}

#[test]
fn wrong_codes_are_counted_and_the_sixth_is_refused_even_if_right() {
    let db = database();
    let kv = MemoryKv::default();
    register_jane(&db);
    let code = code_sent_to(&db, "jane@example.com");
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for left in (0..MAX_CODE_ATTEMPTS).rev() {
        let error = verify_with(&db, wrong, NOW).expect_err("wrong");
        assert_eq!(error.code(), "invalid_code");
        let details = json_of(&error.to_response("r"))["error"]["details"].clone();
        assert_eq!(details["attempts_remaining"], left);
    }
    let error = verify_with(&db, &code, NOW).expect_err("exhausted");
    assert_eq!((error.status(), error.code()), (400, "too_many_attempts"));
    // A new code starts over.
    resend_code(&db, &kv, br#"{"email": "jane@example.com"}"#, NOW).expect("resent");
    let fresh = code_sent_to(&db, "jane@example.com");
    assert!(verify_with(&db, &fresh, NOW).is_ok());
}

#[test]
fn an_expired_code_is_refused_and_a_resent_one_works() {
    let db = database();
    let kv = MemoryKv::default();
    register_jane(&db);
    let code = code_sent_to(&db, "jane@example.com");
    let late = NOW.plus_seconds(CODE_LIFETIME_SECONDS);
    let error = verify_with(&db, &code, late).expect_err("expired");
    assert_eq!(error.code(), "code_expired");
    resend_code(&db, &kv, br#"{"email": "jane@example.com"}"#, late).expect("resent");
    let fresh = code_sent_to(&db, "jane@example.com");
    assert!(
        verify_with(&db, &code, late).is_err() || code == fresh,
        "the old code is void"
    );
    assert!(verify_with(&db, &fresh, late).is_ok());
}

#[test]
fn an_unknown_email_and_a_wrong_code_answer_alike() {
    let db = database();
    register_jane(&db);
    let body = json!({"email": "nobody@example.com", "code": "123456"}).to_string();
    let unknown = verify(&db, body.as_bytes(), NOW).expect_err("unknown");
    assert_eq!((unknown.status(), unknown.code()), (400, "invalid_code"));
    let error = verify_with(&db, "12345", NOW).expect_err("malformed");
    assert_eq!(error.status(), 422);
}

#[test]
fn resending_is_limited_per_email_and_says_nothing_about_accounts() {
    let db = database();
    let kv = MemoryKv::default();
    let unknown = resend_code(&db, &kv, br#"{"email": "nobody@example.com"}"#, NOW).expect("same");
    register_jane(&db);
    let known = resend_code(&db, &kv, br#"{"email": "jane@example.com"}"#, NOW).expect("sent");
    assert_eq!(json_of(&unknown), json_of(&known));
    assert!(
        mailbox(&db, Some("nobody@example.com"), 5)
            .expect("mailbox")
            .is_empty()
    );
    for _ in 1..limits::RESENDS_PER_EMAIL.limit {
        resend_code(&db, &kv, br#"{"email": "jane@example.com"}"#, NOW).expect("sent");
    }
    let error =
        resend_code(&db, &kv, br#"{"email": "jane@example.com"}"#, NOW).expect_err("limited");
    assert_eq!((error.status(), error.code()), (429, "rate_limited"));
}

#[test]
fn login_mints_a_new_key_and_failures_answer_alike_then_slow_down() {
    let db = database();
    let kv = MemoryKv::default();
    let registered = register_jane(&db);
    let body = json!({"email": "jane@example.com", "password": "securePassword123"}).to_string();
    let answer = json_of(&login(&db, &kv, body.as_bytes(), None, NOW).expect("logged in"));
    assert_ne!(answer["api_key"], registered["api_key"]);
    assert_eq!(answer["scopes"].as_array().map(Vec::len), Some(9));
    let wrong = json!({"email": "jane@example.com", "password": "wrongPassword1"}).to_string();
    let unknown = json!({"email": "joe@example.com", "password": "wrongPassword1"}).to_string();
    let a = login(&db, &kv, wrong.as_bytes(), None, NOW).expect_err("wrong");
    let b = login(&db, &kv, unknown.as_bytes(), None, NOW).expect_err("unknown");
    assert_eq!((a.status(), a.code()), (401, "invalid_credentials"));
    assert_eq!(
        json_of(&a.to_response("r")),
        json_of(&b.to_response("r")),
        "the same answer"
    );
    for _ in 1..limits::LOGIN_FAILURES_PER_EMAIL.limit {
        login(&db, &kv, wrong.as_bytes(), None, NOW).expect_err("wrong");
    }
    let limited = login(&db, &kv, body.as_bytes(), None, NOW).expect_err("limited");
    assert_eq!((limited.status(), limited.code()), (429, "rate_limited"));
    let later = NOW.plus_seconds(limits::LOGIN_FAILURES_PER_EMAIL.window_seconds);
    assert!(login(&db, &kv, body.as_bytes(), None, later).is_ok());
}

#[test]
fn emails_are_normalized_and_checked() {
    assert_eq!(normalize_email(" A@B.Co ").expect("ok"), "a@b.co");
    for bad in [
        "",
        "a",
        "a@b",
        "@b.co",
        "a b@c.co",
        "a@b..co",
        "a@-b.co",
        "a\u{7}@b.co",
    ] {
        assert!(normalize_email(bad).is_err(), "{bad:?}");
    }
}

use super::*;
use crate::auth;
use crate::test_support::{Account, NOW, json_of};
use adspin_core::testing::{MemoryKv, database};

const REDIRECT: &str = "https://app.integrator.example/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// A verified account with the password `securePassword123` and a key
/// holding every scope.
fn account(db: &impl Database, email: &str) -> Caller {
    let hash = crate::password::hash("securePassword123").expect("hash");
    Account {
        password_hash: &hash,
        ..Account::verified(email)
    }
    .create(db)
    .0
}

fn register_client(db: &impl Database, owner: &Caller, confidential: bool) -> Value {
    let body = json!({"name": "Integrator <App>", "redirect_uris": [REDIRECT], "confidential": confidential});
    json_of(&create_client(db, owner, body.to_string().as_bytes(), NOW).expect("client"))
}

fn authorize_query(client_id: &str, scope: &str) -> String {
    format!(
        "response_type=code&client_id={client_id}&redirect_uri={}&scope={}&state=xyz&code_challenge={}&code_challenge_method=S256",
        percent_encoding::utf8_percent_encode(REDIRECT, percent_encoding::NON_ALPHANUMERIC),
        scope.replace(' ', "%20"),
        challenge_of(VERIFIER),
    )
}

fn location(response: &Response) -> url::Url {
    assert_eq!(
        response.status(),
        302,
        "{}",
        String::from_utf8_lossy(response.body())
    );
    url::Url::parse(response.headers()["location"].to_str().expect("ascii")).expect("url")
}

fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Approves on the consent form and returns the code.
fn approve(db: &impl Database, client_id: &str, scope: &str) -> String {
    let form = format!(
        "{}&decision=approve&email=jane%40example.com&password=securePassword123",
        authorize_query(client_id, scope)
    );
    let target = location(
        &authorize_submit(db, &MemoryKv::default(), form.as_bytes(), None, NOW).expect("redirect"),
    );
    assert!(target.as_str().starts_with(REDIRECT));
    assert_eq!(param(&target, "state").as_deref(), Some("xyz"));
    param(&target, "code").expect("code")
}

fn exchange(
    db: &impl Database,
    client_id: &str,
    secret: Option<&str>,
    code: &str,
    verifier: &str,
) -> Response {
    let mut form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={verifier}&client_id={client_id}",
        percent_encoding::utf8_percent_encode(REDIRECT, percent_encoding::NON_ALPHANUMERIC)
    );
    if let Some(secret) = secret {
        form.push_str(&format!("&client_secret={secret}"));
    }
    token(db, None, form.as_bytes(), NOW).expect("answer")
}

#[test]
fn the_code_flow_with_pkce_gives_a_token_limited_to_the_granted_scopes() {
    let db = database();
    let owner = account(&db, "owner@integrator.example");
    account(&db, "jane@example.com");
    let client = register_client(&db, &owner, true);
    let client_id = client["client_id"].as_str().expect("id");
    let secret = client["client_secret"].as_str().expect("secret shown once");

    let page = authorize_page(
        &db,
        &Query::parse(&authorize_query(client_id, "campaigns:read analytics:read")),
    )
    .expect("page");
    assert_eq!(page.status(), 200);
    let html = String::from_utf8(page.body().clone()).expect("html");
    assert!(
        html.contains("Integrator &lt;App&gt;") && html.contains("campaigns:read"),
        "{html}"
    );

    let code = approve(&db, client_id, "campaigns:read analytics:read");
    let wrong_verifier = exchange(&db, client_id, Some(secret), &code, &"x".repeat(43));
    assert_eq!(json_of(&wrong_verifier)["error"], "invalid_grant");
    let no_secret = exchange(&db, client_id, None, &code, VERIFIER);
    assert_eq!(
        (
            no_secret.status().as_u16(),
            json_of(&no_secret)["error"].clone()
        ),
        (401, json!("invalid_client"))
    );

    let granted = exchange(&db, client_id, Some(secret), &code, VERIFIER);
    assert_eq!(
        granted.status(),
        200,
        "{}",
        String::from_utf8_lossy(granted.body())
    );
    let granted = json_of(&granted);
    assert_eq!(granted["token_type"], "Bearer");
    assert_eq!(granted["expires_in"], 3_600);
    assert_eq!(granted["scope"], "campaigns:read analytics:read");
    let access = granted["access_token"].as_str().expect("access");
    assert!(access.starts_with("aa_oat_"));
    let caller = auth::authenticate(&db, Some(&format!("Bearer {access}")), NOW).expect("valid");
    assert!(caller.require(Scope::CampaignsRead).is_ok());
    assert_eq!(
        caller
            .require(Scope::BillingWrite)
            .expect_err("not granted")
            .code(),
        "insufficient_scope"
    );
    assert!(
        auth::authenticate(
            &db,
            Some(&format!("Bearer {access}")),
            NOW.plus_seconds(3_600)
        )
        .is_err(),
        "an hour"
    );

    // The code works once; its replay revokes what it gave.
    let replay = exchange(&db, client_id, Some(secret), &code, VERIFIER);
    assert_eq!(json_of(&replay)["error"], "invalid_grant");
    assert!(auth::authenticate(&db, Some(&format!("Bearer {access}")), NOW).is_err());
}

#[test]
fn refresh_tokens_rotate_narrow_and_a_replay_revokes_the_grant() {
    let db = database();
    let owner = account(&db, "owner@integrator.example");
    account(&db, "jane@example.com");
    let client = register_client(&db, &owner, false);
    let client_id = client["client_id"].as_str().expect("id");
    assert!(client.get("client_secret").is_none(), "a public client");
    let code = approve(&db, client_id, "campaigns:read campaigns:write");
    let first = json_of(&exchange(&db, client_id, None, &code, VERIFIER));
    let refresh_token = first["refresh_token"].as_str().expect("refresh");

    let form = format!(
        "grant_type=refresh_token&refresh_token={refresh_token}&client_id={client_id}&scope=campaigns:read"
    );
    let second = json_of(&token(&db, None, form.as_bytes(), NOW).expect("refreshed"));
    assert_eq!(second["scope"], "campaigns:read");
    let widen = format!(
        "grant_type=refresh_token&refresh_token={}&client_id={client_id}&scope=billing:read",
        second["refresh_token"].as_str().expect("r")
    );
    assert_eq!(
        json_of(&token(&db, None, widen.as_bytes(), NOW).expect("answer"))["error"],
        "invalid_scope"
    );

    let replay = json_of(&token(&db, None, form.as_bytes(), NOW).expect("answer"));
    assert_eq!(replay["error"], "invalid_grant");
    let second_access = second["access_token"].as_str().expect("access");
    assert!(
        auth::authenticate(&db, Some(&format!("Bearer {second_access}")), NOW).is_err(),
        "the family is revoked"
    );
}

#[test]
fn revocation_stops_a_token_and_deleting_the_client_stops_them_all() {
    let db = database();
    let owner = account(&db, "owner@integrator.example");
    account(&db, "jane@example.com");
    let client = register_client(&db, &owner, false);
    let client_id = client["client_id"].as_str().expect("id");
    let first = json_of(&exchange(
        &db,
        client_id,
        None,
        &approve(&db, client_id, "account:read"),
        VERIFIER,
    ));
    let access = first["access_token"].as_str().expect("access");
    let revoked = revoke(
        &db,
        None,
        format!("token={access}&client_id={client_id}").as_bytes(),
        NOW,
    )
    .expect("revoked");
    assert_eq!(revoked.status(), 200);
    assert!(auth::authenticate(&db, Some(&format!("Bearer {access}")), NOW).is_err());
    let unknown = revoke(
        &db,
        None,
        format!("token=nothing&client_id={client_id}").as_bytes(),
        NOW,
    )
    .expect("ok");
    assert_eq!(unknown.status(), 200, "unknown tokens are not an error");

    let second = json_of(&exchange(
        &db,
        client_id,
        None,
        &approve(&db, client_id, "account:read"),
        VERIFIER,
    ));
    let access = second["access_token"].as_str().expect("access");
    let stranger = account(&db, "joe@example.com");
    let error = delete_client(&db, &stranger, client_id, NOW).expect_err("not theirs");
    assert_eq!(error.status(), 404);
    assert_eq!(
        delete_client(&db, &owner, client_id, NOW)
            .expect("deleted")
            .status(),
        204
    );
    assert!(auth::authenticate(&db, Some(&format!("Bearer {access}")), NOW).is_err());
}

#[test]
fn bad_requests_never_redirect_to_unregistered_uris_and_denials_do() {
    let db = database();
    let owner = account(&db, "owner@integrator.example");
    account(&db, "jane@example.com");
    let client = register_client(&db, &owner, false);
    let client_id = client["client_id"].as_str().expect("id");
    let evil = authorize_query(client_id, "account:read")
        .replace("app%2Eintegrator%2Eexample", "evil%2Eexample");
    assert_eq!(
        authorize_page(&db, &Query::parse(&evil))
            .expect("page")
            .status(),
        400
    );
    let unknown = authorize_query("oc_nope", "account:read");
    assert_eq!(
        authorize_page(&db, &Query::parse(&unknown))
            .expect("page")
            .status(),
        400
    );

    let bad_scope = location(
        &authorize_page(
            &db,
            &Query::parse(&authorize_query(client_id, "everything")),
        )
        .expect("redirect"),
    );
    assert_eq!(param(&bad_scope, "error").as_deref(), Some("invalid_scope"));
    let no_pkce = authorize_query(client_id, "account:read")
        .replace("code_challenge_method=S256", "code_challenge_method=plain");
    let no_pkce = location(&authorize_page(&db, &Query::parse(&no_pkce)).expect("redirect"));
    assert_eq!(param(&no_pkce, "error").as_deref(), Some("invalid_request"));

    let denied = format!(
        "{}&decision=deny",
        authorize_query(client_id, "account:read")
    );
    let denied = location(
        &authorize_submit(&db, &MemoryKv::default(), denied.as_bytes(), None, NOW)
            .expect("redirect"),
    );
    assert_eq!(param(&denied, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&denied, "state").as_deref(), Some("xyz"));

    let wrong = format!(
        "{}&decision=approve&email=jane%40example.com&password=nope",
        authorize_query(client_id, "account:read")
    );
    let page =
        authorize_submit(&db, &MemoryKv::default(), wrong.as_bytes(), None, NOW).expect("page");
    assert_eq!(page.status(), 401);
    assert!(String::from_utf8_lossy(page.body()).contains("incorrect"));
    let malformed = format!(
        "{}&decision=approve&email=&password=x",
        authorize_query(client_id, "account:read")
    );
    let page =
        authorize_submit(&db, &MemoryKv::default(), malformed.as_bytes(), None, NOW).expect("page");
    assert_eq!(page.status(), 401, "a malformed email is a wrong one");
}

#[test]
fn redirect_uris_are_https_or_loopback_http() {
    assert!(valid_redirect_uri("https://app.example/cb"));
    assert!(valid_redirect_uri("http://127.0.0.1:8765/cb"));
    assert!(valid_redirect_uri("http://localhost/cb"));
    for bad in [
        "http://app.example/cb",
        "https://app.example/cb#x",
        "javascript:alert(1)",
        "myapp:/cb",
    ] {
        assert!(!valid_redirect_uri(bad), "{bad}");
    }
    assert_eq!(
        challenge_of(VERIFIER),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "RFC 7636 appendix B"
    );
}

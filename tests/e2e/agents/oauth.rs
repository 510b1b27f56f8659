//! OAuth 2.0 through the running app: client registration, the consent
//! page, the code exchange with PKCE, the access token on the API, refresh
//! and revocation.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{form, start, verified_account};

const REDIRECT: &str = "http://127.0.0.1:8765/callback";
const VERIFIER: &str = "a-long-random-verifier-made-of-allowed-characters-0123456789";

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn an_integration_gets_a_scoped_token_through_consent_and_loses_it_on_revocation() {
    let app = start();
    let integrator = verified_account(&app, "dev@integrator.example");
    let integrator_key = integrator["api_key"].as_str().expect("key");
    let user = verified_account(&app, "jane@example.com");
    let user_key = user["api_key"].as_str().expect("key");

    let client = app.post_json(
        "/api/v1/oauth/clients",
        &[("authorization", &format!("Bearer {integrator_key}"))],
        &json!({"name": "Campaign Copilot", "redirect_uris": [REDIRECT]}),
    );
    assert_eq!(client.status, 201, "{}", client.text());
    let client = client.json();
    let client_id = client["client_id"].as_str().expect("client_id");
    let client_secret = client["client_secret"].as_str().expect("secret");

    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let query = format!(
        "response_type=code&client_id={client_id}&redirect_uri={}&scope={}&state=s1&code_challenge={challenge}&code_challenge_method=S256",
        encode(REDIRECT),
        encode("billing:read account:read")
    );
    let page = app.get(&format!("/api/v1/oauth/authorize?{query}"));
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Campaign Copilot") && page.text().contains("billing:read"));

    let approved = form(
        &app,
        "/api/v1/oauth/authorize",
        &format!(
            "{query}&decision=approve&email={}&password=securePassword123",
            encode("jane@example.com")
        ),
    );
    assert_eq!(approved.status, 302, "{}", approved.text());
    let location = approved.header("location").expect("location");
    assert!(location.starts_with(REDIRECT), "{location}");
    assert!(location.contains("state=s1"));
    let code = location
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("code="))
        .expect("code");

    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{client_secret}"));
    let exchanged = app.request(
        "POST",
        "/api/v1/oauth/token",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("authorization", &format!("Basic {basic}")),
        ],
        Some(
            format!(
                "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={VERIFIER}",
                encode(REDIRECT)
            )
            .as_bytes(),
        ),
    );
    assert_eq!(exchanged.status, 200, "{}", exchanged.text());
    assert_eq!(exchanged.header("cache-control"), Some("no-store"));
    let tokens = exchanged.json();
    assert_eq!(tokens["scope"], "billing:read account:read");
    let access = tokens["access_token"].as_str().expect("access");

    // The token reads the user's account within its scopes, nothing more.
    let auth = format!("Bearer {access}");
    let status = app.get_with("/api/v1/billing/status", &[("authorization", &auth)]);
    assert_eq!(status.status, 200, "{}", status.text());
    let keys = app.post_json("/api/v1/auth/keys", &[("authorization", &auth)], &json!({}));
    assert_eq!(keys.status, 403);
    assert_eq!(keys.json()["error"]["code"], "insufficient_scope");
    let listed = app
        .get_with(
            "/api/v1/auth/keys",
            &[("authorization", &format!("Bearer {user_key}"))],
        )
        .json();
    assert!(
        listed["data"]
            .as_array()
            .expect("keys")
            .iter()
            .all(|key| key["name"] != "OAuth: Campaign Copilot"),
        "access tokens are not listed as keys: {listed}"
    );

    // A replayed code is refused (and revokes what it gave).
    let replay = form(
        &app,
        "/api/v1/oauth/token",
        &format!(
            "grant_type=authorization_code&code={code}&code_verifier={VERIFIER}&client_id={client_id}&client_secret={client_secret}"
        ),
    );
    assert_eq!(replay.status, 400);
    assert_eq!(replay.json()["error"], "invalid_grant");
    let after_replay = app.get_with("/api/v1/billing/status", &[("authorization", &auth)]);
    assert_eq!(after_replay.status, 401);
    let refreshed = form(
        &app,
        "/api/v1/oauth/token",
        &format!(
            "grant_type=refresh_token&refresh_token={}&client_id={client_id}&client_secret={client_secret}",
            tokens["refresh_token"].as_str().expect("refresh")
        ),
    );
    assert_eq!(
        refreshed.json()["error"],
        "invalid_grant",
        "the whole grant is revoked"
    );

    let wrong_client = form(
        &app,
        "/api/v1/oauth/token",
        "grant_type=authorization_code&code=x&client_id=oc_nope",
    );
    assert_eq!(wrong_client.status, 401);
    assert_eq!(wrong_client.json()["error"], "invalid_client");
    let unsupported = form(
        &app,
        "/api/v1/oauth/token",
        &format!("grant_type=password&client_id={client_id}&client_secret={client_secret}"),
    );
    assert_eq!(unsupported.json()["error"], "unsupported_grant_type");
}

#[test]
fn refresh_and_revocation_through_the_app() {
    let app = start();
    let integrator = verified_account(&app, "dev@integrator.example");
    let integrator_key = integrator["api_key"].as_str().expect("key");
    verified_account(&app, "jane@example.com");
    let client: Value = app
        .post_json(
            "/api/v1/oauth/clients",
            &[("authorization", &format!("Bearer {integrator_key}"))],
            &json!({"name": "Native app", "redirect_uris": [REDIRECT], "confidential": false}),
        )
        .json();
    let client_id = client["client_id"].as_str().expect("client_id");
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let query = format!(
        "response_type=code&client_id={client_id}&scope=campaigns:read&code_challenge={challenge}&code_challenge_method=S256"
    );
    let approved = form(
        &app,
        "/api/v1/oauth/authorize",
        &format!(
            "{query}&decision=approve&email={}&password=securePassword123",
            encode("jane@example.com")
        ),
    );
    let location = approved.header("location").expect("location").to_string();
    let code = location
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("code="))
        .expect("code");
    let tokens = form(
        &app,
        "/api/v1/oauth/token",
        &format!("grant_type=authorization_code&code={code}&code_verifier={VERIFIER}&client_id={client_id}"),
    )
    .json();
    let refreshed = form(
        &app,
        "/api/v1/oauth/token",
        &format!(
            "grant_type=refresh_token&refresh_token={}&client_id={client_id}",
            tokens["refresh_token"].as_str().expect("refresh")
        ),
    );
    assert_eq!(refreshed.status, 200, "{}", refreshed.text());
    let refreshed = refreshed.json();
    let access = refreshed["access_token"].as_str().expect("access");
    assert_ne!(
        refreshed["refresh_token"], tokens["refresh_token"],
        "rotated"
    );
    let revoked = form(
        &app,
        "/api/v1/oauth/revoke",
        &format!(
            "token={}&client_id={client_id}",
            refreshed["refresh_token"].as_str().expect("r")
        ),
    );
    assert_eq!(revoked.status, 200);
    let after = app.get_with(
        "/api/v1/auth/keys",
        &[("authorization", &format!("Bearer {access}"))],
    );
    assert_eq!(
        after.status, 401,
        "revoking the refresh token revokes its access token"
    );
}

//! `/v1` authentication: a uniform 401 in the `/v1` error shape.

use super::{assert_error, start, v1};

#[test]
fn a_request_without_authorization_is_auth_required() {
    let app = start();
    let response = app.get("/v1/ad_account");
    assert_error(&response, 401, "auth_required", None);
    assert_eq!(response.json()["error"]["type"], "authentication_error");
}

#[test]
fn every_bad_key_gets_the_same_invalid_api_key() {
    let app = start();
    for header in [
        "Bearer ak_not_a_real_key",
        "Bearer pt_demo_3a5c7e9b1d2f4a6c8e0b2d4f6a8c1e3b",
        "Basic ak_demo_7f3c9a2e4b1d4e6f8a0b2c4d6e8f0a1b",
        "ak_demo_7f3c9a2e4b1d4e6f8a0b2c4d6e8f0a1b",
        "Bearer",
    ] {
        let response = app.get_with("/v1/campaigns", &[("authorization", header)]);
        assert_error(&response, 401, "invalid_api_key", None);
        assert_eq!(
            response.json()["error"]["message"],
            "Invalid API key.",
            "{header}"
        );
    }
}

#[test]
fn the_demo_key_reads_its_ad_account() {
    let app = start();
    let response = v1(&app, "GET", "/v1/ad_account", None);
    assert_eq!(response.status, 200);
    assert_eq!(
        response.json(),
        serde_json::json!({
            "id": "0d3e0000-0000-4000-8000-000000000001",
            "name": "Demo Advertiser",
            "url": "https://demo.adspin.example",
            "timezone": "UTC",
            "currency_code": "USD"
        })
    );
    assert!(
        response.json().get("object").is_none(),
        "single objects are bare"
    );
}

#[test]
fn unknown_paths_and_methods_are_told_apart() {
    let app = start();
    assert_error(
        &v1(&app, "GET", "/v1/nothing", None),
        404,
        "unknown_url",
        None,
    );
    assert_error(
        &v1(&app, "GET", "/v1/campaigns/", None),
        404,
        "unknown_url",
        None,
    );
    assert_error(
        &v1(&app, "DELETE", "/v1/campaigns", None),
        405,
        "method_not_allowed",
        None,
    );
    assert_error(
        &v1(&app, "PUT", "/v1/ad_account", None),
        405,
        "method_not_allowed",
        None,
    );
}

#[test]
fn unauthenticated_unknown_paths_still_need_a_key() {
    let app = start();
    assert_error(&app.get("/v1/nothing"), 401, "auth_required", None);
}

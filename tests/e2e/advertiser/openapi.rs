//! The OpenAPI document of `/v1`, served by the app, describes routes that
//! exist.

use serde_json::Value;

use super::{start, v1};

#[test]
fn the_openapi_document_is_served_and_every_route_in_it_exists() {
    let app = start();
    let response = app.get("/openapi/advertiser-v1.json");
    assert_eq!(response.status, 200);
    let document = response.json();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().expect("paths");
    for documented in [
        "/ad_account/insights",
        "/campaigns/{id}/insights",
        "/ad_groups/{id}/insights",
        "/ads/{id}/insights",
        "/api/collect",
        "/api/conversion",
    ] {
        assert!(
            paths.contains_key(documented),
            "{documented} is not documented"
        );
    }
    assert!(paths.len() >= 23, "{}", paths.len());
    let unknown_id = "00000000-0000-4000-8000-000000000000";
    for (path, operations) in paths {
        for method in operations.as_object().expect("operations").keys() {
            let concrete = format!("/v1{}", path.replace("{id}", unknown_id));
            let body = (method == "post").then(|| Value::Object(Default::default()));
            let response = v1(&app, &method.to_uppercase(), &concrete, body.as_ref());
            let code = response.json()["error"]["code"].clone();
            assert!(
                code != "unknown_url" && code != "method_not_allowed" && response.status != 405,
                "{method} {concrete} is documented but not served: {}",
                response.text()
            );
        }
    }
}

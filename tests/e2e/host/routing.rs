//! Routing precedence and Spin's request headers, as the component sees them.

use serde_json::Value;

use super::start;

fn component(app: &adspin_e2e::TestApp, path: &str) -> Value {
    let response = app.get(path);
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    response.json()["component"].clone()
}

#[test]
fn exact_routes_beat_wildcards_and_the_longest_prefix_wins() {
    let app = start();
    assert_eq!(component(&app, "/one"), "exact");
    assert_eq!(component(&app, "/one/x"), "one-wildcard");
    assert_eq!(component(&app, "/one/two"), "onetwo-wildcard");
    assert_eq!(component(&app, "/one/two/three/four"), "onetwo-wildcard");
}

#[test]
fn an_exact_segment_beats_a_named_segment() {
    let app = start();
    assert_eq!(component(&app, "/users/me"), "users-me");
    assert_eq!(component(&app, "/users/42"), "named");
}

#[test]
fn an_unrouted_path_is_a_404() {
    let app = start();
    let response = app.get("/nothing/here");
    assert_eq!(response.status, 404);
    assert!(response.body.is_empty());
}

#[test]
fn private_components_are_not_routable() {
    let app = start();
    assert_eq!(app.get("/hidden").status, 404);
}

#[test]
fn every_spin_header_is_set() {
    let app = start();
    let response = app.get_with(
        "/orgs/acme/items/a/b/?x=1",
        &[("spin-client-addr", "6.6.6.6:6")],
    );
    assert_eq!(response.status, 200);
    let described = response.json();
    let headers = &described["headers"];
    let base = app.base_url();
    assert_eq!(described["component"], "named-wildcard");
    assert_eq!(
        headers["spin-full-url"],
        format!("{base}/orgs/acme/items/a/b/?x=1")
    );
    assert_eq!(headers["spin-path-info"], "/a/b/");
    assert_eq!(headers["spin-matched-route"], "/orgs/:org/items/...");
    assert_eq!(headers["spin-raw-component-route"], "/orgs/:org/items/...");
    assert_eq!(headers["spin-component-route"], "/orgs/:org/items");
    assert_eq!(headers["spin-base-path"], "/");
    assert_eq!(headers["spin-path-match-org"], "acme");
    let client = headers["spin-client-addr"].as_str().expect("client addr");
    assert!(
        client.starts_with("127.0.0.1:"),
        "the client cannot spoof it: {client}"
    );
    assert_eq!(described["uri"], format!("{base}/orgs/acme/items/a/b/?x=1"));
}

#[test]
fn named_segments_with_underscores_become_hyphenated_headers() {
    let app = start();
    let described = app.get("/users/42").json();
    assert_eq!(described["headers"]["spin-path-match-user-id"], "42");
    assert_eq!(described["headers"]["spin-path-info"], "");
}

#[test]
fn spin_well_known_paths_are_answered_by_the_host() {
    let app = start();
    let health = app.get("/.well-known/spin/health");
    assert_eq!((health.status, health.text().as_str()), (200, "OK"));
    let info = app.get("/.well-known/spin/info").json();
    assert_eq!(info["name"], "host-test");
    assert_eq!(info["version"], "1.2.3");
}

#[test]
fn every_request_gets_one_access_log_line() {
    let app = start();
    app.get("/one?secret=shh");
    app.get("/nothing");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let lines = app.stderr_lines();
    let one: Vec<&String> = lines.iter().filter(|l| l.contains(" GET /one ")).collect();
    assert_eq!(one.len(), 1, "{lines:?}");
    assert!(
        one[0].contains(" exact 200 ") && one[0].ends_with("ms"),
        "{}",
        one[0]
    );
    assert!(
        !lines.iter().any(|l| l.contains("shh")),
        "query strings are not logged"
    );
    assert!(
        lines.iter().any(|l| l.contains(" GET /nothing - 404 ")),
        "{lines:?}"
    );
}

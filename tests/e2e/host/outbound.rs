//! Outbound HTTP: allowed hosts are reached, denied hosts never are, and
//! `*.spin.internal` requests are served by the named component in process.

use adspin_e2e::{FakeResponse, FakeServer};
use serde_json::json;

use super::start;

#[test]
fn an_allowed_host_is_reached() {
    let fake = FakeServer::start(|request| FakeResponse::json(200, &json!({"path": request.path})));
    let app = start();
    let url = format!("{}/hello", fake.base_url());
    let response = app.get(&format!("/probe/outbound?url={url}"));
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(body["status"], 200);
    assert_eq!(body["body"], r#"{"path":"/hello"}"#);
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn connections_to_an_origin_are_kept_and_reused_as_spin_does() {
    let fake = FakeServer::start_keep_alive(|request| {
        FakeResponse::json(200, &json!({"path": request.path}))
    });
    let app = start();
    for path in ["/one", "/two", "/three"] {
        let url = format!("{}{path}", fake.base_url());
        let response = app.get(&format!("/probe/outbound?url={url}"));
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(response.json()["body"], format!(r#"{{"path":"{path}"}}"#));
    }
    assert_eq!(fake.requests().len(), 3);
    assert_eq!(
        fake.connections(),
        1,
        "one kept connection served every request"
    );
}

#[test]
fn the_storage_trace_times_the_wait_for_outbound_answers() {
    let fake = FakeServer::start(|_| {
        FakeResponse::new(200, "late").delayed(std::time::Duration::from_millis(150))
    });
    let app = super::launch().arg("--storage-trace").start();
    let response = app.get(&format!("/probe/outbound?url={}/slow", fake.base_url()));
    assert_eq!(response.status, 200, "{}", response.text());
    let traced = |line: &String| line.starts_with("outbound probe: 1 request(s), ");
    let lines = app.stderr_lines_when(|lines| lines.iter().any(traced));
    let line = lines
        .iter()
        .find(|line| traced(line))
        .expect("an outbound line");
    let numbers: Vec<f64> = line
        .split([' ', ','])
        .filter_map(|word| word.parse().ok())
        .collect();
    let [requests, waited, in_all] = numbers[..] else {
        panic!("{line}");
    };
    assert_eq!(requests, 1.0, "{line}");
    assert!(waited >= 150.0, "the answer's delay is waiting: {line}");
    assert!(in_all >= waited, "{line}");
}

#[test]
fn a_connection_the_server_closes_is_not_reused() {
    let fake = FakeServer::start(|request| FakeResponse::json(200, &json!({"path": request.path})));
    let app = start();
    for path in ["/one", "/two"] {
        let url = format!("{}{path}", fake.base_url());
        let response = app.get(&format!("/probe/outbound?url={url}"));
        assert_eq!(response.status, 200, "{}", response.text());
    }
    assert_eq!(fake.connections(), 2);
}

#[test]
fn a_denied_host_is_an_error_the_guest_sees_and_is_never_called() {
    let fake = FakeServer::start(|_| FakeResponse::new(200, "should not be reached"));
    let app = start();
    // Same server, but through a host name the manifest does not allow.
    let url = format!("http://localhost:{}/x", fake.port());
    let response = app.get(&format!("/probe/outbound?url={url}"));
    assert_eq!(response.status, 502, "{}", response.text());
    assert!(
        response.json()["error"]
            .as_str()
            .expect("error")
            .contains("HttpRequestDenied")
    );
    assert!(fake.requests().is_empty());
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert!(
        app.stderr_lines()
            .iter()
            .any(|l| l.contains("outbound request denied") && l.contains("localhost")),
        "the denial is logged"
    );
}

#[test]
fn a_component_without_outbound_permission_reaches_nothing() {
    let fake = FakeServer::start(|_| FakeResponse::new(200, "no"));
    let app = start();
    let response = app.get(&format!("/restricted/outbound?url={}/x", fake.base_url()));
    assert!(
        response.json()["error"]
            .as_str()
            .expect("error")
            .contains("HttpRequestDenied")
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn service_chaining_reaches_a_private_component_in_process() {
    let app = start();
    let response = app.get("/probe/outbound?url=http://hidden.spin.internal/inner/path");
    assert_eq!(response.status, 200, "{}", response.text());
    let inner: serde_json::Value =
        serde_json::from_str(response.json()["body"].as_str().expect("body")).expect("inner json");
    assert_eq!(inner["component"], "hidden");
    assert_eq!(inner["headers"]["spin-path-info"], "/inner/path");
    assert_eq!(inner["headers"]["spin-matched-route"], "/...");
    assert_eq!(inner["headers"]["spin-client-addr"], "0.0.0.0:0");
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert!(
        app.stderr_lines()
            .iter()
            .any(|l| l.contains("GET /inner/path hidden (chained) 200"))
    );
}

#[test]
fn service_chaining_needs_permission() {
    let app = start();
    let response = app.get("/restricted/outbound?url=http://hidden.spin.internal/");
    assert!(
        response.json()["error"]
            .as_str()
            .expect("error")
            .contains("HttpRequestDenied")
    );
}

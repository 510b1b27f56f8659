//! `POST /v1/upload` with `{"image_url": ...}`: the `image-fetch`
//! component downloads the image, behind the runtime's egress guard
//! (`[outbound_networking] block_networks`). The tests' runtime
//! configuration exempts 127.0.0.0/8, where the fake image server listens;
//! the repository's own `runtime-config.toml` exempts nothing.

use std::time::{Duration, Instant};

use adspin_e2e::demo::ADVERTISER_KEY;
use adspin_e2e::{FakeResponse, FakeServer, HostLaunch, TestApp, TestResponse, artifacts};
use serde_json::json;

use super::{assert_error, bearer, start};

/// A valid 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x64, 0x60, 0xF8, 0x5F,
    0x0F, 0x00, 0x02, 0x87, 0x01, 0x80, 0xEB, 0x47, 0xBA, 0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

fn by_url(app: &TestApp, url: &str) -> TestResponse {
    let auth = bearer(ADVERTISER_KEY);
    app.request(
        "POST",
        "/v1/upload",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        Some(json!({ "image_url": url }).to_string().as_bytes()),
    )
}

/// An image server: `/shoe.png`, a redirect, a 404, a text page and an
/// image past 5 MB.
fn image_server() -> FakeServer {
    FakeServer::start(|request| match request.path.as_str() {
        "/shoe.png" => FakeResponse::new(200, PNG).with_header("content-type", "image/gif"),
        "/moved.png" => FakeResponse::new(302, "").with_header("location", "/shoe.png"),
        "/page.html" => FakeResponse::new(200, "<html>not an image</html>"),
        "/huge.png" => {
            let mut huge = PNG.to_vec();
            huge.resize(5 * 1024 * 1024 + 1, 0);
            FakeResponse::new(200, huge)
        }
        _ => FakeResponse::new(404, "not found"),
    })
}

#[test]
fn an_image_url_is_downloaded_checked_and_stored() {
    let app = start();
    let images = image_server();
    let response = by_url(&app, &format!("{}/shoe.png", images.base_url()));
    assert_eq!(response.status, 201, "{}", response.text());
    let file_id = response.json()["file_id"]
        .as_str()
        .expect("file_id")
        .to_string();
    assert!(
        file_id.ends_with(".png"),
        "sniffed from the bytes: {file_id}"
    );
    let served = app.get(&format!("/files/{file_id}"));
    assert_eq!(served.status, 200);
    assert_eq!(served.body, PNG);
    let requests = images.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "GET");
}

#[test]
fn download_failures_answer_their_documented_codes() {
    let app = start();
    let images = image_server();
    let base = images.base_url();
    let cases = [
        ("/missing.png", "image_fetch_failed"),
        ("/moved.png", "too_many_redirects"),
        ("/huge.png", "file_too_large"),
    ];
    for (path, code) in cases {
        let response = by_url(&app, &format!("{base}{path}"));
        assert_error(&response, 400, code, Some("image_url"));
    }
    // The redirect was not followed.
    assert!(images.requests().iter().all(|r| r.path != "/shoe.png"));
    // The bytes get the upload's checks.
    let page = by_url(&app, &format!("{base}/page.html"));
    assert_error(&page, 400, "invalid_file", Some("file"));
    for url in [
        "",
        "ftp://127.0.0.1/a.png",
        "/shoe.png",
        "http://user:pw@127.0.0.1/a.png",
        "http://nowhere.invalid/a.png",
    ] {
        assert_error(
            &by_url(&app, url),
            400,
            "invalid_image_url",
            Some("image_url"),
        );
    }
    let auth = bearer(ADVERTISER_KEY);
    let neither = app.request(
        "POST",
        "/v1/upload",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        Some(b"{}"),
    );
    assert_error(&neither, 400, "invalid_value", Some("file"));
}

/// Asks for each URL and checks it is refused at once as not public.
fn assert_refused(app: &TestApp, urls: &[String]) {
    for url in urls {
        let started = Instant::now();
        let response = by_url(app, url);
        assert_error(&response, 400, "invalid_image_url", Some("image_url"));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{url}: refused before any connection attempt, not after a timeout"
        );
    }
}

#[test]
fn private_loopback_and_link_local_addresses_are_refused() {
    let app = start();
    let images = image_server();
    let port = images.port();
    assert_refused(
        &app,
        &[
            "http://10.0.0.1/a.png".to_string(),
            "http://169.254.169.254/latest/meta-data".to_string(),
            format!("http://[::1]:{port}/shoe.png"),
            "http://[::ffff:10.0.0.1]/a.png".to_string(),
        ],
    );
    assert_eq!(images.connections(), 0);
}

#[test]
fn without_the_exemption_loopback_is_refused_by_name_and_address_without_connecting() {
    let app = HostLaunch::app()
        .runtime_config(artifacts().path("runtime-config.toml"))
        // Any host and port: only the egress guard stands in the way.
        .variable("image_fetch_allowed_hosts", "http://*:*")
        .start();
    super::set_billing(&app, adspin_e2e::demo::ORGANIZATION_ID);
    let images = image_server();
    let port = images.port();
    assert_refused(
        &app,
        &[
            format!("http://127.0.0.1:{port}/shoe.png"),
            format!("http://localhost:{port}/shoe.png"),
            format!("http://[::1]:{port}/shoe.png"),
            "http://10.0.0.1/a.png".to_string(),
            "http://169.254.169.254/latest/meta-data".to_string(),
        ],
    );
    assert_eq!(images.connections(), 0, "no connection was made");
    std::thread::sleep(Duration::from_millis(200));
    // The guard refused each of them (not the allow-list).
    let lines = app.stderr_lines();
    for host in [
        "127.0.0.1",
        "localhost",
        "[::1]",
        "10.0.0.1",
        "169.254.169.254",
    ] {
        let refusal = format!(
            "image_url to {host:?} refused by the egress policy (ErrorCode::DestinationIpProhibited)"
        );
        assert!(
            lines.iter().any(|line| line.contains(&refusal)),
            "{host}: {lines:#?}"
        );
    }
}

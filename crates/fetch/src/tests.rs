//! The download's outcomes, on virtual time against a fake network.

use adspin_core::image_fetch::FailureCode;
use adspin_core::outbound::OutboundError;
use adspin_core::testing::{FakeReply, TestEnv, run};
use adspin_core::time::UnixSeconds;

use super::*;

const IMAGE: &str = "https://cdn.example.com/shoe.png";

fn env() -> TestEnv {
    TestEnv::new(UnixSeconds::new(1_780_000_000))
}

fn answer(status: u16, body: &[u8]) -> FakeReply {
    FakeReply::Answer {
        after: Duration::from_millis(40),
        status,
        body: body.to_vec(),
    }
}

fn code(env: &TestEnv, url: &str) -> FailureCode {
    run(&env.clock, fetch(env, url))
        .expect_err("a failure")
        .code
}

#[test]
fn a_successful_answer_is_the_image() {
    let env = env();
    env.http.reply(IMAGE, answer(200, b"\x89PNG..."));
    assert_eq!(
        run(&env.clock, fetch(&env, IMAGE)),
        Ok(b"\x89PNG...".to_vec())
    );
    let sent = env.http.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, http::Method::GET);
}

#[test]
fn bad_urls_are_refused_without_a_request() {
    let env = env();
    for url in [
        "",
        "ftp://cdn.example.com/a.png",
        "https://u:p@cdn.example.com/a.png",
        "shoe.png",
    ] {
        assert_eq!(code(&env, url), FailureCode::InvalidImageUrl, "{url:?}");
    }
    assert!(env.http.sent().is_empty());
}

#[test]
fn a_destination_the_runtime_refuses_or_cannot_resolve_is_an_invalid_url() {
    let env = env();
    env.http.reply(
        IMAGE,
        FakeReply::Error(OutboundError::Refused("DestinationIpProhibited".into())),
    );
    assert_eq!(code(&env, IMAGE), FailureCode::InvalidImageUrl);
    let other = "https://nowhere.invalid/a.png";
    env.http.reply(
        other,
        FakeReply::Error(OutboundError::Unresolvable("DnsError".into())),
    );
    assert_eq!(code(&env, other), FailureCode::InvalidImageUrl);
}

#[test]
fn redirects_are_refused_not_followed() {
    let env = env();
    env.http.reply(IMAGE, answer(302, b""));
    assert_eq!(code(&env, IMAGE), FailureCode::TooManyRedirects);
    assert_eq!(env.http.sent().len(), 1);
}

#[test]
fn errors_statuses_and_slow_hosts_are_fetch_failures() {
    let env = env();
    env.http.reply(IMAGE, answer(404, b"not here"));
    assert_eq!(code(&env, IMAGE), FailureCode::ImageFetchFailed);
    env.http.reply(IMAGE, FakeReply::Fail);
    assert_eq!(code(&env, IMAGE), FailureCode::ImageFetchFailed);
    env.http.reply(IMAGE, FakeReply::Hang);
    let started = env.clock.monotonic();
    assert_eq!(code(&env, IMAGE), FailureCode::ImageFetchFailed);
    assert_eq!(env.clock.monotonic(), started + FETCH_TIMEOUT);
}

#[test]
fn an_image_past_five_megabytes_is_too_large() {
    let env = env();
    env.http
        .reply(IMAGE, answer(200, &vec![0; MAX_IMAGE_BYTES + 1]));
    assert_eq!(code(&env, IMAGE), FailureCode::FileTooLarge);
}

#[test]
fn the_protocol_answers_bytes_or_a_422_failure() {
    let env = env();
    env.http.reply(IMAGE, answer(200, b"bytes"));
    let request = |body: &str| {
        http::Request::builder()
            .method("POST")
            .uri("/fetch")
            .body(adspin_core::web::Body::from(body.as_bytes().to_vec()))
            .expect("request")
    };
    let response = run(
        &env.clock,
        handle(&env, request(&format!(r#"{{"url":"{IMAGE}"}}"#))),
    );
    assert_eq!(response.status(), 200);
    assert_eq!(response.body(), b"bytes");
    let response = run(&env.clock, handle(&env, request(r#"{"url":"gopher://x"}"#)));
    assert_eq!(response.status(), 422);
    let failure: FetchFailure = serde_json::from_slice(response.body()).expect("failure");
    assert_eq!(failure.code, FailureCode::InvalidImageUrl);
    let response = run(&env.clock, handle(&env, request("not json")));
    assert_eq!(response.status(), 400);
}

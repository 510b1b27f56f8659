//! The auction's orchestration on virtual time, with fake DSPs: deadlines
//! per DSP and per request, hung DSPs, render failures and fallbacks,
//! staging fill and ties. Each test runs in microseconds however long the
//! virtual DSPs take.

use std::time::Duration;

use adspin_core::api_keys::{self, Environment, KeyKind};
use adspin_core::db::Database;
use adspin_core::testing::{self, FakeReply, TestEnv, run};
use adspin_core::time::UnixSeconds;
use serde_json::{Value, json};

use super::handle;

const EPOCH: UnixSeconds = UnixSeconds::new(1_776_000_000);

/// An app with one publisher key of `environment` and no DSPs.
fn setup(environment: Environment) -> (TestEnv, String) {
    let env = TestEnv::new(EPOCH)
        .with_variable("tracking_secret", "test-secret")
        .with_variable("public_base_url", "https://ads.example.com");
    env.db.execute("DELETE FROM dsps", &[]).expect("no DSPs");
    let organization = testing::organization(&env.db);
    let key = api_keys::mint(
        &env.db,
        organization,
        KeyKind::Publisher,
        Some(environment),
        None,
        EPOCH,
    )
    .expect("publisher key");
    (env, key.secret)
}

/// Registers DSP `id` (`https://<id>.example/bid` and `/render`, the
/// latter only when `renders`).
fn register(env: &TestEnv, id: &str, timeout_ms: i64, renders: bool) {
    env.db
        .execute(
            "INSERT INTO dsps (id, name, bid_url, render_url, timeout_ms, created_at, updated_at)
             VALUES (?1, ?1, ?2, ?3, ?4, 0, 0)",
            &[
                id.into(),
                bid_url(id).into(),
                renders.then(|| render_url(id)).into(),
                timeout_ms.into(),
            ],
        )
        .expect("dsp");
}

fn bid_url(id: &str) -> String {
    format!("https://{id}.example/bid")
}

fn render_url(id: &str) -> String {
    format!("https://{id}.example/render")
}

fn creative(headline: &str) -> Value {
    json!({"headline": headline, "description": "Light and fast.",
           "url": "https://shop.example.com/shoes", "advertiser": "Shop"})
}

/// A bid of `price` dollars CPM, with `ad_data` when given.
fn bid(after_ms: u64, price: f64, bid_id: &str, ad_data: Option<Value>) -> FakeReply {
    let mut data = json!({"bid": price, "bidId": bid_id});
    if let Some(ad) = ad_data {
        data["ad_data"] = ad;
    }
    FakeReply::json(after_ms, 200, &json!({ "data": data }))
}

/// Runs one bid request with `key` and returns the status and envelope.
fn auction(env: &TestEnv, key: &str, chat: &str) -> (u16, Value) {
    auction_with(env, key, chat, json!({}))
}

/// Like [`auction`], with `extra` fields in the body.
fn auction_with(env: &TestEnv, key: &str, chat: &str, extra: Value) -> (u16, Value) {
    let mut body = json!({
        "userId": "user_1", "chatId": chat, "production": true, "turn_number": 3,
        "messages": [
            {"role": "user", "content": "Which running shoes for a marathon?"},
            {"role": "assistant", "content": "What is your budget?"}
        ]
    });
    for (name, value) in extra.as_object().into_iter().flatten() {
        body[name] = value.clone();
    }
    let request = http::Request::builder()
        .method("POST")
        .uri("/api/v1/ssp/bid-request")
        .header("thrad-api-key", key)
        .header("content-type", "application/json")
        .body(body.to_string().into_bytes())
        .expect("request");
    let (request, body) = adspin_core::web::split(request.map(adspin_core::web::Body::from));
    let response = run(&env.clock, handle(env, request, body));
    let envelope = serde_json::from_slice(response.body()).expect("json envelope");
    (response.status().as_u16(), envelope)
}

#[test]
fn a_slow_dsp_is_dropped_at_its_own_deadline_and_the_auction_ends_there() {
    let (env, key) = setup(Environment::Production);
    register(&env, "fast", 1_000, false);
    register(&env, "slow", 200, false);
    env.http.reply(
        &bid_url("fast"),
        bid(50, 2.0, "f1", Some(creative("Fast shoes"))),
    );
    env.http.reply(
        &bid_url("slow"),
        bid(300, 9.0, "s1", Some(creative("Slow shoes"))),
    );
    let (status, envelope) = auction(&env, &key, "chat_1");
    assert_eq!(status, 200, "{envelope}");
    assert_eq!(envelope["data"]["bid"]["dsp"], "fast");
    assert_eq!(envelope["data"]["bid"]["price"], 2.0);
    assert_eq!(
        env.clock.elapsed(),
        Duration::from_millis(200),
        "the auction waits for the slow DSP until its deadline, not for its answer"
    );
}

#[test]
fn a_hung_dsp_costs_only_its_deadline() {
    let (env, key) = setup(Environment::Production);
    register(&env, "hung", 150, false);
    register(&env, "ok", 1_000, false);
    env.http.reply(&bid_url("hung"), FakeReply::Hang);
    env.http.reply(
        &bid_url("ok"),
        bid(20, 1.5, "ok1", Some(creative("Trail shoes"))),
    );
    let (status, envelope) = auction(&env, &key, "chat_2");
    assert_eq!(status, 200, "{envelope}");
    assert_eq!(envelope["data"]["bid"]["dsp"], "ok");
    assert_eq!(env.clock.elapsed(), Duration::from_millis(150));
    let total_time = envelope["totalTime"].as_f64().expect("totalTime");
    assert!((total_time - 0.15).abs() < 1e-9, "{total_time}");
}

#[test]
fn no_dsp_waits_past_the_request_budget() {
    let (env, key) = setup(Environment::Production);
    register(&env, "hung", 10_000, false);
    env.http.reply(&bid_url("hung"), FakeReply::Hang);
    let (status, envelope) = auction(&env, &key, "chat_3");
    assert_eq!(status, 200, "{envelope}");
    assert_eq!(envelope["message"], "No bids");
    assert_eq!(envelope["data"]["no_bid_reason"], "all_timed_out");
    assert_eq!(env.clock.elapsed(), super::REQUEST_BUDGET);
}

#[test]
fn a_failed_render_falls_back_to_the_next_best_bid() {
    let (env, key) = setup(Environment::Production);
    register(&env, "top", 1_000, true);
    register(&env, "second", 1_000, false);
    env.http.reply(&bid_url("top"), bid(10, 8.0, "t1", None));
    env.http
        .reply(&render_url("top"), FakeReply::json(10, 500, &json!({})));
    env.http.reply(
        &bid_url("second"),
        bid(10, 3.0, "s1", Some(creative("Road shoes"))),
    );
    let (status, envelope) = auction(&env, &key, "chat_4");
    assert_eq!(status, 200, "{envelope}");
    assert_eq!(envelope["data"]["bid"]["dsp"], "second");
    let renders: Vec<_> = env
        .http
        .sent()
        .into_iter()
        .filter(|request| request.url == render_url("top"))
        .collect();
    assert_eq!(renders.len(), 1, "the winner's render was tried once");
    let body: Value = serde_json::from_slice(&renders[0].body).expect("render body");
    assert_eq!(
        body,
        json!({"bidId": "t1", "realizedPrice": 8.0, "production": true})
    );
}

#[test]
fn a_render_that_never_answers_is_cut_at_the_render_timeout() {
    let (env, key) = setup(Environment::Production);
    register(&env, "top", 1_000, true);
    register(&env, "second", 1_000, false);
    env.http.reply(&bid_url("top"), bid(10, 8.0, "t1", None));
    env.http.reply(&render_url("top"), FakeReply::Hang);
    env.http.reply(
        &bid_url("second"),
        bid(10, 3.0, "s1", Some(creative("Road shoes"))),
    );
    let (status, envelope) = auction(&env, &key, "chat_5");
    assert_eq!(status, 200, "{envelope}");
    assert_eq!(envelope["data"]["bid"]["dsp"], "second");
    assert_eq!(
        env.clock.elapsed(),
        Duration::from_millis(10) + super::RENDER_TIMEOUT
    );
}

#[test]
fn a_failed_render_without_a_fallback_is_a_500() {
    let (env, key) = setup(Environment::Production);
    register(&env, "top", 1_000, true);
    env.http.reply(&bid_url("top"), bid(10, 8.0, "t1", None));
    env.http.reply(&render_url("top"), FakeReply::Fail);
    let (status, envelope) = auction(&env, &key, "chat_6");
    assert_eq!(status, 500, "{envelope}");
    assert_eq!(envelope["status"], "error");
    assert_eq!(envelope["message"], "Render failed");
}

#[test]
fn a_winner_without_ad_data_or_render_endpoint_is_a_501() {
    let (env, key) = setup(Environment::Production);
    register(&env, "top", 1_000, false);
    env.http.reply(&bid_url("top"), bid(10, 8.0, "t1", None));
    let (status, envelope) = auction(&env, &key, "chat_7");
    assert_eq!(status, 501, "{envelope}");
    assert_eq!(envelope["message"], "External DSP render not yet supported");
}

#[test]
fn staging_keys_get_a_test_ad_when_nobody_bids() {
    let (env, key) = setup(Environment::Staging);
    register(&env, "quiet", 1_000, false);
    env.http
        .reply(&bid_url("quiet"), FakeReply::json(5, 204, &Value::Null));
    let (status, envelope) = auction(&env, &key, "chat_8");
    assert_eq!(status, 200, "{envelope}");
    let bid = &envelope["data"]["bid"];
    assert_eq!(bid["dsp"], "adspin_test");
    assert_eq!(bid["price"], 0.0);
    let billed: i64 = env
        .db
        .query_row("SELECT COALESCE(SUM(cost_micros), 0) FROM impressions", &[])
        .expect("query")
        .and_then(|row| row.integer(0))
        .expect("sum");
    assert_eq!(billed, 0, "staging is never billed");
}

#[test]
fn staging_keys_see_every_dsps_part_in_a_debug_section() {
    let (env, key) = setup(Environment::Staging);
    register(&env, "winner", 1_000, false);
    register(&env, "second", 1_000, false);
    register(&env, "cheap", 1_000, false);
    register(&env, "slow", 100, false);
    register(&env, "broken", 1_000, false);
    register(&env, "quiet", 1_000, false);
    env.http.reply(
        &bid_url("winner"),
        bid(30, 5.0, "w1", Some(creative("Winning shoes"))),
    );
    env.http.reply(
        &bid_url("second"),
        bid(10, 3.0, "s1", Some(creative("Second shoes"))),
    );
    env.http.reply(
        &bid_url("cheap"),
        bid(10, 0.5, "c1", Some(creative("Cheap shoes"))),
    );
    env.http.reply(&bid_url("slow"), FakeReply::Hang);
    env.http.reply(
        &bid_url("broken"),
        FakeReply::json(5, 200, &json!({"oops": 1})),
    );
    env.http
        .reply(&bid_url("quiet"), FakeReply::json(5, 204, &Value::Null));
    let (status, envelope) = auction(&env, &key, "chat_debug");
    assert_eq!(status, 200, "{envelope}");
    assert_eq!(envelope["data"]["bid"]["dsp"], "winner");
    let debug = &envelope["data"]["debug"];
    assert_eq!(debug["floor"], 1.0, "{debug}");
    let entry = |id: &str| {
        debug["dsps"]
            .as_array()
            .expect("dsps")
            .iter()
            .find(|d| d["dsp"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} missing in {debug}"))
    };
    assert_eq!(
        entry("winner"),
        json!({"dsp": "winner", "protocol": "json", "status": "bid", "time_ms": 30,
               "price": 5.0, "bid_id": "w1", "result": "won"})
    );
    assert_eq!(entry("second")["result"], "lost_to_higher_bid");
    assert_eq!(entry("cheap")["result"], "below_floor");
    assert_eq!(entry("slow")["status"], "timeout");
    assert_eq!(entry("slow")["time_ms"], 100);
    assert_eq!(entry("broken")["status"], "invalid_response");
    assert!(entry("broken")["reason"].as_str().is_some(), "{debug}");
    assert_eq!(entry("quiet")["status"], "no_bid");
    assert!(entry("quiet").get("result").is_none());
}

#[test]
fn production_keys_get_no_debug_section() {
    let (env, key) = setup(Environment::Production);
    register(&env, "quiet", 1_000, false);
    env.http
        .reply(&bid_url("quiet"), FakeReply::json(5, 204, &Value::Null));
    let (_, envelope) = auction(&env, &key, "chat_nodebug");
    assert!(envelope["data"].get("debug").is_none(), "{envelope}");
}

#[test]
fn production_keys_get_no_ad_when_nobody_bids() {
    let (env, key) = setup(Environment::Production);
    register(&env, "quiet", 1_000, false);
    env.http
        .reply(&bid_url("quiet"), FakeReply::json(5, 204, &Value::Null));
    let (status, envelope) = auction(&env, &key, "chat_9");
    assert_eq!(status, 200, "{envelope}");
    assert_eq!(envelope["data"]["bid"], Value::Null);
}

#[test]
fn equal_bids_each_win_some_of_the_time() {
    let (env, key) = setup(Environment::Production);
    register(&env, "a", 1_000, false);
    register(&env, "b", 1_000, false);
    env.http
        .reply(&bid_url("a"), bid(10, 4.0, "a1", Some(creative("Shoes A"))));
    env.http
        .reply(&bid_url("b"), bid(10, 4.0, "b1", Some(creative("Shoes B"))));
    let mut winners = std::collections::BTreeSet::new();
    for n in 0..40 {
        let (status, envelope) = auction(&env, &key, &format!("tie_{n}"));
        assert_eq!(status, 200, "{envelope}");
        winners.insert(envelope["data"]["bid"]["dsp"].as_str().map(String::from));
    }
    assert_eq!(
        winners,
        [Some("a".to_string()), Some("b".to_string())].into(),
        "a tie is broken at random (chance of a false failure: 2^-39)"
    );
}

#[test]
fn bids_below_the_floor_never_win() {
    let (env, key) = setup(Environment::Production);
    register(&env, "cheap", 1_000, false);
    env.http.reply(
        &bid_url("cheap"),
        bid(10, 0.5, "c1", Some(creative("Cheap shoes"))),
    );
    let (status, envelope) = auction(&env, &key, "chat_10");
    assert_eq!(status, 200, "{envelope}");
    assert_eq!(
        envelope["data"]["bid"],
        Value::Null,
        "the default floor is $1.00"
    );
}

/// Registers the internal DSP at `bid_url` and gives it one live chat
/// card about marathons, bidding $2.00 CPM.
fn internal_dsp_with_demand(env: &TestEnv, bid_url: &str) {
    env.db
        .execute(
            "INSERT INTO dsps (id, name, bid_url, timeout_ms, created_at, updated_at)
             VALUES ('thrad_dsp', 'Thrad DSP', ?1, 3000, 0, 0)",
            &[bid_url.into()],
        )
        .expect("internal dsp");
    let demand = testing::live_ad(&env.db, testing::organization(&env.db));
    env.db
        .execute(
            "UPDATE ads SET creative = ?1 WHERE id = ?2",
            &[
                json!({"type": "chat_card", "title": "Marathon shoes", "body": "Run further.",
                       "target_url": "https://shop.example.com/marathon"})
                .to_string()
                .into(),
                demand.ad_id.into(),
            ],
        )
        .expect("creative");
    env.db
        .execute(
            "UPDATE ad_groups SET context_hints = '[\"marathon\"]' WHERE id = ?1",
            &[demand.ad_group_id.into()],
        )
        .expect("hints");
    adspin_core::catalog::hints::index_keywords(
        &env.db,
        demand.ad_group_id,
        &["marathon".to_string()],
    )
    .expect("hints");
}

#[test]
fn the_internal_dsp_at_its_chained_address_bids_in_process_with_no_outbound_call() {
    let (env, key) = setup(Environment::Production);
    internal_dsp_with_demand(&env, adspin_core::internal_dsp::CHAINED_BID_URL);
    let (status, envelope) = auction(&env, &key, "chat_internal");
    assert_eq!(status, 200, "{envelope}");
    let bid = &envelope["data"]["bid"];
    assert_eq!(
        (&bid["dsp"], &bid["price"], &bid["headline"]),
        (&json!("thrad_dsp"), &json!(2.0), &json!("Marathon shoes"))
    );
    assert!(env.http.sent().is_empty(), "no request left the SSP");
}

#[test]
fn the_internal_dsp_at_another_address_is_called_over_http() {
    let (env, key) = setup(Environment::Production);
    internal_dsp_with_demand(&env, "https://dsp.example/bid");
    env.http.reply(
        "https://dsp.example/bid",
        bid(10, 3.0, "not-signed", Some(creative("Remote shoes"))),
    );
    let (status, envelope) = auction(&env, &key, "chat_remote");
    assert_eq!(status, 200, "{envelope}");
    assert_eq!(env.http.sent().len(), 1, "the bid request went out");
    assert_eq!(
        envelope["data"]["bid"],
        Value::Null,
        "an internal bid whose id does not verify is never served"
    );
}

#[test]
fn every_no_bid_says_why_in_a_stable_code() {
    let reason = |setup_dsps: &dyn Fn(&TestEnv)| {
        let (env, key) = setup(Environment::Production);
        setup_dsps(&env);
        let (status, envelope) = auction(&env, &key, "chat_reasons");
        assert_eq!(status, 200, "{envelope}");
        assert_eq!(envelope["data"]["bid"], Value::Null, "{envelope}");
        assert_eq!(envelope["message"], "No bids");
        envelope["data"]["no_bid_reason"].clone()
    };
    assert_eq!(reason(&|_| {}), "no_eligible_demand");
    assert_eq!(
        reason(&|env| {
            register(env, "quiet", 1_000, false);
            env.http
                .reply(&bid_url("quiet"), FakeReply::json(5, 204, &Value::Null));
        }),
        "no_bids"
    );
    assert_eq!(
        reason(&|env| {
            register(env, "cheap", 1_000, false);
            env.http.reply(
                &bid_url("cheap"),
                bid(5, 0.5, "cheap_1", Some(creative("Cheap shoes"))),
            );
        }),
        "all_below_floor"
    );
    assert_eq!(
        reason(&|env| {
            register(env, "broken", 1_000, false);
            register(env, "hung", 100, false);
            env.http.reply(&bid_url("broken"), FakeReply::Fail);
            env.http.reply(&bid_url("hung"), FakeReply::Hang);
        }),
        "dsp_errors"
    );
    assert_eq!(
        reason(&|env| {
            register(env, "long", 1_000, false);
            let headline = "x".repeat(200);
            env.http.reply(
                &bid_url("long"),
                bid(5, 5.0, "long_1", Some(creative(&headline))),
            );
            env.db
                .execute(
                    "INSERT INTO publishers (organization_id, max_headline_chars, created_at, updated_at)
                     SELECT id, 40, 0, 0 FROM organizations",
                    &[],
                )
                .expect("settings");
        }),
        "creative_rejected"
    );
}

/// Makes DSP `id` an OpenRTB one.
fn speaks_openrtb(env: &TestEnv, id: &str) {
    env.db
        .execute(
            "INSERT INTO dsp_protocols (dsp_id, protocol, updated_at) VALUES (?1, 'openrtb', 0)",
            &[id.into()],
        )
        .expect("protocol");
}

/// The `tmax` of every OpenRTB request sent to `url`, in order.
fn tmaxes(env: &TestEnv, url: &str) -> Vec<u64> {
    env.http
        .sent()
        .iter()
        .filter(|r| r.url == url)
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).expect("json");
            body["tmax"].as_u64().expect("tmax")
        })
        .collect()
}

#[test]
fn openrtb_dsps_are_told_their_window_net_of_their_measured_round_trip() {
    let (env, key) = setup(Environment::Production);
    register(&env, "rtb", 1_000, false);
    speaks_openrtb(&env, "rtb");
    env.http
        .reply(&bid_url("rtb"), FakeReply::json(40, 204, &Value::Null));
    auction(&env, &key, "rtt_1");
    auction(&env, &key, "rtt_2");
    assert_eq!(
        tmaxes(&env, &bid_url("rtb")),
        [1_000, 960],
        "no round trip measured yet, then 40 ms"
    );
    // The publisher waits 300 ms at most: the budget shrinks to it.
    env.http.reply(&bid_url("rtb"), FakeReply::Hang);
    let before = env.clock.elapsed();
    let (status, envelope) = auction_with(&env, &key, "rtt_3", json!({"tmax": 300}));
    assert_eq!(status, 200, "{envelope}");
    assert_eq!(envelope["data"]["no_bid_reason"], "all_timed_out");
    assert_eq!(env.clock.elapsed() - before, Duration::from_millis(300));
    assert_eq!(tmaxes(&env, &bid_url("rtb"))[2], 260);
}

#[test]
fn a_dsp_without_time_for_its_round_trip_is_not_called() {
    let (env, key) = setup(Environment::Production);
    register(&env, "far", 1_000, false);
    env.http
        .reply(&bid_url("far"), FakeReply::json(200, 204, &Value::Null));
    auction(&env, &key, "far_1");
    let (_, envelope) = auction_with(&env, &key, "far_2", json!({"tmax": 150}));
    assert_eq!(
        envelope["data"]["no_bid_reason"], "dsp_errors",
        "{envelope}"
    );
    assert_eq!(
        env.http.sent().len(),
        1,
        "its 200 ms round trip does not fit in 150 ms"
    );
}

#[test]
fn a_failing_dsp_opens_its_breaker_is_skipped_and_a_successful_probe_closes_it() {
    use adspin_core::clock::Clock;
    use adspin_core::dsp_health::{self, FAILURES_TO_OPEN, OPEN_SECONDS};
    let (env, key) = setup(Environment::Staging);
    register(&env, "flaky", 100, false);
    env.http.reply(&bid_url("flaky"), FakeReply::Fail);
    let calls = |env: &TestEnv| {
        env.http
            .sent()
            .iter()
            .filter(|r| r.url == bid_url("flaky"))
            .count()
    };
    for n in 0..FAILURES_TO_OPEN {
        auction(&env, &key, &format!("flaky_{n}"));
    }
    assert_eq!(calls(&env), 5);
    let (_, envelope) = auction(&env, &key, "flaky_open");
    assert_eq!(calls(&env), 5, "the open breaker skips the DSP");
    assert_eq!(
        envelope["data"]["debug"]["dsps"][0],
        json!({"dsp": "flaky", "protocol": "json", "status": "skipped", "time_ms": 0,
               "reason": "its circuit breaker is open"})
    );
    let breaker = dsp_health::read(&env.kv, "flaky").expect("read").breaker;
    assert!(breaker.opened_at.is_some());
    // After the open period one auction probes: it answers, the breaker
    // closes and the DSP is called again.
    let later = env.clock.monotonic() + Duration::from_secs(OPEN_SECONDS as u64);
    run(&env.clock, env.clock.sleep_until(later));
    env.http
        .reply(&bid_url("flaky"), FakeReply::json(5, 204, &Value::Null));
    auction(&env, &key, "flaky_probe");
    assert_eq!(calls(&env), 6, "the probe");
    let breaker = dsp_health::read(&env.kv, "flaky").expect("read").breaker;
    assert_eq!(breaker, dsp_health::Breaker::default(), "closed");
    auction(&env, &key, "flaky_closed");
    assert_eq!(calls(&env), 7);
}

#[test]
fn a_filled_auction_returns_a_receipt_signed_with_the_published_key() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};
    let (env, key) = setup(Environment::Production);
    register(&env, "winner", 1_000, false);
    register(&env, "loser", 1_000, false);
    register(&env, "quiet", 1_000, false);
    env.http.reply(
        &bid_url("winner"),
        bid(10, 4.5, "w1", Some(creative("Winning shoes"))),
    );
    env.http.reply(
        &bid_url("loser"),
        bid(10, 2.0, "l1", Some(creative("Other shoes"))),
    );
    env.http
        .reply(&bid_url("quiet"), FakeReply::json(5, 204, &Value::Null));
    let (status, envelope) = auction(&env, &key, "receipt_1");
    assert_eq!(status, 200, "{envelope}");
    let token = envelope["data"]["receipt"].as_str().expect("receipt");
    let parts: Vec<&str> = token.split('.').collect();
    let payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
    assert_eq!(payload["request_id"], envelope["requestId"]);
    assert_eq!(payload["winner"], "winner");
    assert_eq!(payload["bid_id"], "w1");
    assert_eq!(payload["price"], 4.5);
    assert_eq!(payload["floor"], 1.0);
    assert_eq!(payload["currency"], "USD");
    let mut bidders: Vec<&str> = payload["bidders"]
        .as_array()
        .expect("bidders")
        .iter()
        .map(|b| b.as_str().expect("id"))
        .collect();
    bidders.sort_unstable();
    assert_eq!(bidders, ["loser", "quiet", "winner"]);

    let request = http::Request::builder()
        .method("GET")
        .uri("/api/v1/ssp/receipt-keys")
        .body(adspin_core::web::Body::from(Vec::new()))
        .expect("request");
    let keys = run(&env.clock, crate::handle(&env, request));
    assert_eq!(keys.status(), 200);
    let keys: Value = serde_json::from_slice(keys.body()).expect("json");
    let x: [u8; 32] = URL_SAFE_NO_PAD
        .decode(keys["keys"][0]["x"].as_str().expect("x"))
        .expect("b64")
        .try_into()
        .expect("32 bytes");
    let signature: [u8; 64] = URL_SAFE_NO_PAD
        .decode(parts[2])
        .expect("b64")
        .try_into()
        .expect("64 bytes");
    VerifyingKey::from_bytes(&x)
        .expect("key")
        .verify(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &Signature::from_bytes(&signature),
        )
        .expect("the receipt verifies");

    env.http
        .reply(&bid_url("winner"), FakeReply::json(5, 204, &Value::Null));
    env.http
        .reply(&bid_url("loser"), FakeReply::json(5, 204, &Value::Null));
    let (_, envelope) = auction(&env, &key, "receipt_2");
    assert!(
        envelope["data"].get("receipt").is_none(),
        "no fill, no receipt: {envelope}"
    );
}

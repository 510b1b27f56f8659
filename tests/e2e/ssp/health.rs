//! DSP health across requests: a circuit breaker per DSP, shared through
//! the key-value store and shown on the operator surface.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use adspin_e2e::{FakeResponse, FakeServer, HostLaunch, TestApp};
use serde_json::Value;

use super::{admin, auction, only_external, register_dsp, start_with};

fn health(app: &TestApp, id: &str) -> Value {
    let listed = admin(app, "GET", "/admin/dsps", None).json();
    listed["data"]
        .as_array()
        .expect("list")
        .iter()
        .find(|d| d["id"] == id)
        .map(|d| d["health"].clone())
        .unwrap_or_else(|| panic!("{id} not listed: {listed}"))
}

#[test]
fn a_failing_dsp_opens_its_breaker_is_skipped_and_closes_after_a_successful_probe() {
    let app = start_with(
        HostLaunch::app()
            .variable("dsp_breaker_failures", "2")
            // Breakers count whole seconds: an open period of 3 s lasts at
            // least 2 s, past the next auction however slow the runtime.
            .variable("dsp_breaker_open_seconds", "3"),
    );
    only_external(&app);
    let failing = Arc::new(AtomicBool::new(true));
    let switch = failing.clone();
    let server = FakeServer::start(move |_| {
        if switch.load(Ordering::SeqCst) {
            FakeResponse::new(503, "")
        } else {
            FakeResponse::new(204, "")
        }
    });
    register_dsp(&app, "flaky", &server, 1000);
    assert_eq!(health(&app, "flaky")["breaker"], "closed");

    auction(&app, "breaker_1", "bikes");
    assert_eq!(health(&app, "flaky")["consecutive_failures"], 1);
    auction(&app, "breaker_2", "bikes");
    let open = health(&app, "flaky");
    assert_eq!(open["breaker"], "open", "{open}");
    assert!(open["opened_at"].as_i64().is_some(), "{open}");
    assert_eq!(server.requests().len(), 2);

    let skipped = super::bid_request(&app, &super::conversation("breaker_3", "bikes"));
    assert_eq!(skipped.json()["data"]["no_bid_reason"], "dsp_errors");
    assert_eq!(server.requests().len(), 2, "an open breaker skips the DSP");

    // After the open period, the next auction probes the recovered DSP
    // and closes the breaker.
    std::thread::sleep(Duration::from_millis(4_100));
    failing.store(false, Ordering::SeqCst);
    auction(&app, "breaker_4", "bikes");
    assert_eq!(server.requests().len(), 3, "the probe");
    let closed = health(&app, "flaky");
    assert_eq!(closed["breaker"], "closed", "{closed}");
    assert_eq!(closed["consecutive_failures"], 0);
    assert!(closed["round_trip_ms"].as_u64().is_some(), "{closed}");
    auction(&app, "breaker_5", "bikes");
    assert_eq!(server.requests().len(), 4);
}

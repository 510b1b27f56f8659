//! A fake DSP for the SSP benchmarks (bench/ssp.sh):
//! `cargo run --release -p adspin-e2e --example fake_dsp -- PORT DELAY_MS`.
//!
//! Every request waits DELAY_MS, then bids $2.00 CPM with pre-rendered ad
//! data (no render call needed). A DELAY_MS of -1 never answers.

use std::time::Duration;

use adspin_e2e::{FakeResponse, FakeServer};
use serde_json::json;

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args
        .next()
        .and_then(|p| p.parse().ok())
        .expect("usage: fake_dsp PORT DELAY_MS");
    let delay: i64 = args
        .next()
        .and_then(|d| d.parse().ok())
        .expect("usage: fake_dsp PORT DELAY_MS");
    let delay = if delay < 0 {
        Duration::from_secs(3600)
    } else {
        Duration::from_millis(delay.unsigned_abs())
    };
    let answer = FakeResponse::json(
        200,
        &json!({"data": {"bid": 2.0, "bidId": "bench", "ad_data": {
            "headline": "Benchmark ad", "description": "From the fake DSP",
            "url": "https://dsp.example.com/click", "advertiser": "Bench"}}}),
    )
    .delayed(delay);
    let _server = FakeServer::start_on(port, move |_| answer.clone());
    #[expect(clippy::print_stdout, reason = "the benchmark reads where it listens")]
    {
        println!("fake DSP on 127.0.0.1:{port}, answering after {delay:?}");
    }
    loop {
        std::thread::park();
    }
}

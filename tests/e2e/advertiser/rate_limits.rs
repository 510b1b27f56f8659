//! Per-key rate limits: 1000 requests per hour on `/v1`, 60 campaign
//! creations per hour, counted correctly across instances.

use std::time::Duration;

use adspin_e2e::TestApp;
use adspin_e2e::demo::ADVERTISER_KEY;

use super::{assert_error, campaign_body, v1};

/// Seconds left in the current window, from `x-ratelimit-reset-requests`.
fn seconds_to_reset(response: &adspin_e2e::TestResponse) -> u64 {
    let reset = response
        .header("x-ratelimit-reset-requests")
        .expect("reset header");
    let (minutes, seconds) = match reset.split_once('m') {
        Some((m, s)) => (
            m.parse::<u64>().expect("minutes"),
            s.trim_end_matches('s').parse::<u64>().expect("seconds"),
        ),
        None => (
            0,
            reset.trim_end_matches('s').parse::<u64>().expect("seconds"),
        ),
    };
    minutes * 60 + seconds
}

/// Waits out the current hourly window if it is about to end, so a test's
/// requests all land in one window.
fn fresh_window(app: &TestApp) {
    // The request that finds the window near its end counted in that old
    // window: after waiting, one more request is the new window's first.
    loop {
        let left = seconds_to_reset(&v1(app, "GET", "/v1/ad_account", None));
        if left >= 60 {
            return;
        }
        std::thread::sleep(Duration::from_secs(left + 1));
    }
}

#[test]
fn every_response_carries_rate_limit_headers() {
    let app = super::start();
    let response = v1(&app, "GET", "/v1/ad_account", None);
    assert_eq!(response.header("x-ratelimit-limit-requests"), Some("1000"));
    let remaining: u32 = response
        .header("x-ratelimit-remaining-requests")
        .expect("remaining")
        .parse()
        .expect("number");
    assert!(remaining < 1000);
    assert!(seconds_to_reset(&response) <= 3600);
    let error = v1(&app, "GET", "/v1/campaigns/not-an-id", None);
    assert!(
        error.header("x-ratelimit-remaining-requests").is_some(),
        "errors carry them too"
    );
}

#[test]
fn the_thousand_and_first_request_of_the_hour_is_refused() {
    let app = super::start();
    fresh_window(&app);
    let mut last = None;
    for _ in 0..1000 {
        let response = v1(&app, "GET", "/v1/ad_account", None);
        if response.status == 429 {
            last = Some(response);
            break;
        }
        assert_eq!(response.status, 200);
    }
    let refused = last.unwrap_or_else(|| v1(&app, "GET", "/v1/ad_account", None));
    assert_error(&refused, 429, "rate_limit_exceeded", None);
    assert_eq!(refused.json()["error"]["type"], "rate_limit_error");
    let retry_after: u64 = refused
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=3600).contains(&retry_after));
    assert_eq!(refused.header("x-ratelimit-remaining-requests"), Some("0"));
}

#[test]
fn campaign_creation_is_limited_to_sixty_an_hour_across_instances() {
    let app = super::start();
    let other_instance = app.sibling();
    fresh_window(&app);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|thread| {
                let instance = if thread % 2 == 0 {
                    &app
                } else {
                    &other_instance
                };
                scope.spawn(move || {
                    (0..18)
                        .map(|i| {
                            v1(
                                instance,
                                "POST",
                                "/v1/campaigns",
                                Some(&campaign_body(&format!("T{thread} #{i}"))),
                            )
                            .status
                        })
                        .collect::<Vec<u16>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("thread"))
            .collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        60,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        12,
        "{statuses:?}"
    );
    let refused = v1(
        &other_instance,
        "POST",
        "/v1/campaigns",
        Some(&campaign_body("One more")),
    );
    assert_error(&refused, 429, "rate_limit_exceeded", None);
    assert!(refused.header("retry-after").is_some());
    // Reads are still allowed: the create limit is separate.
    assert_eq!(v1(&app, "GET", "/v1/campaigns?limit=1", None).status, 200);
    let count = super::as_key(&app, ADVERTISER_KEY, "GET", "/v1/campaigns?limit=500", None).json()
        ["count"]
        .clone();
    assert_eq!(count, 60);
}

#[test]
fn a_deployment_may_set_its_own_hourly_limit() {
    let app = adspin_e2e::HostLaunch::app()
        .variable("v1_requests_per_hour", "4")
        .start();
    fresh_window(&app); // the first of the four
    let responses: Vec<_> = (0..4)
        .map(|_| v1(&app, "GET", "/v1/ad_account", None))
        .collect();
    assert_eq!(responses[2].header("x-ratelimit-limit-requests"), Some("4"));
    assert_eq!(responses[2].status, 200);
    assert_error(&responses[3], 429, "rate_limit_exceeded", None);
}

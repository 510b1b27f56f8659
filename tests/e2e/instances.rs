//! Two `spin up` instances of the app, as on SpinKube: one Redis for the
//! key-value store and one database, through Spin's runtime configuration
//! (`docs/DEPLOY.md`). Requests alternate between them; rate limits (the
//! SQL ones of `/v1` and the agents API's key-value counters), idempotent
//! creates, budgets and click de-duplication hold exactly as on one
//! instance.
//!
//! Runs when the app runs on the Spin CLI (`SPIN=...`) and `redis-server`
//! is installed (`.ci/run` installs it); the local host has no runtime
//! configuration.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use adspin_e2e::demo::{ADVERTISER_KEY, ORGANIZATION_ID};
use adspin_e2e::{HostLaunch, Runtime, TestApp, TestResponse};
use serde_json::{Value, json};

use crate::ssp::{admin, auction, live_campaign};

/// A Redis server on a free loopback port, stopped when dropped.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    /// `None` when `redis-server` is not installed.
    fn start() -> Option<Self> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Self { child, port })
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The runtime configuration of both instances: the key-value store on
/// `redis`, the database at `database`.
fn runtime_config(dir: &Path, redis: &Redis, database: &Path) -> std::path::PathBuf {
    let path = dir.join("runtime-config.toml");
    let config = format!(
        "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:{}\"\n\n\
         [sqlite_database.default]\ntype = \"spin\"\npath = \"{}\"\n",
        redis.port,
        database.display()
    );
    std::fs::write(&path, config).expect("runtime config");
    path
}

fn v1(
    app: &TestApp,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&Value>,
) -> TestResponse {
    let auth = format!("Bearer {ADVERTISER_KEY}");
    let mut headers = vec![("authorization", auth.as_str())];
    if let Some(key) = key {
        headers.push(("idempotency-key", key));
    }
    let text = body.map(Value::to_string);
    app.request(method, path, &headers, text.as_deref().map(str::as_bytes))
}

#[test]
fn two_spin_instances_on_redis_and_one_database_count_exactly_as_one() {
    if !matches!(Runtime::for_app(), Runtime::Spin(_)) {
        return;
    }
    let Some(redis) = Redis::start() else {
        return;
    };
    let shared = tempfile::tempdir().expect("shared dir");
    let database = shared.path().join("adspin.db");
    let config = runtime_config(shared.path(), &redis, &database);
    let launch = HostLaunch::app()
        .runtime_config(&config)
        .variable("v1_requests_per_hour", "1000");
    let first = launch.clone().start();
    let second = launch.start();
    let instances = [&first, &second];
    admin(
        &first,
        "PUT",
        &format!("/admin/organizations/{ORGANIZATION_ID}/billing"),
        Some(json!({"payment_method": "pm_1"})),
    );

    // Idempotency: one key, retried on both instances at once, creates one
    // campaign and charges one deposit.
    let body = json!({
        "name": "Across instances",
        "budget": {"lifetime_spend_limit_micros": 50_000_000},
        "ad_groups": [{"name": "Group", "context_hints": ["hiking boots"],
            "bidding_config": {"max_bid_micros": 2_000_000},
            "ads": [{"creative": {"type": "chat_card", "title": "Boots for the trail",
                "body": "Waterproof.", "target_url": "https://shop.example.com/boots"}}]}]
    });
    let created: Vec<TestResponse> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let (instance, body) = (instances[i % 2], &body);
                scope.spawn(move || {
                    v1(
                        instance,
                        "POST",
                        "/v1/campaigns",
                        Some("across-1"),
                        Some(body),
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    for response in &created {
        assert_eq!(response.status, 201, "{}", response.text());
        assert_eq!(
            response.body, created[0].body,
            "every retry gets the same answer"
        );
    }
    let shared_db = rusqlite::Connection::open(&database).expect("the shared database");
    let count = |sql: &str| -> i64 {
        shared_db
            .query_row(sql, [], |row| row.get(0))
            .expect("count")
    };
    assert_eq!(count("SELECT COUNT(*) FROM campaigns"), 1);
    assert_eq!(
        count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'deposit'"),
        1
    );

    // Budget: $1.00 at a $100 CPM pays for ten impressions, however the
    // auctions are spread over the instances.
    let campaign = live_campaign(&first, "running shoes", 100_000_000, 1_000_000);
    let served: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|thread| {
                let instance = instances[thread % 2];
                scope.spawn(move || {
                    (0..8)
                        .filter(|i| {
                            auction(instance, &format!("budget_{thread}_{i}"), "running shoes")
                                != Value::Null
                        })
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).sum()
    });
    assert_eq!(served, 10, "exactly the impressions the budget pays for");
    let spent: i64 = shared_db
        .query_row(
            "SELECT spent_micros FROM campaigns WHERE id = ?1",
            [&campaign],
            |row| row.get(0),
        )
        .expect("spent");
    assert_eq!(spent, 1_000_000);

    // Click de-duplication: one click, followed on both instances, is one
    // click with one click id.
    let other = live_campaign(&first, "trail running", 5_000_000, 50_000_000);
    let bid = auction(&second, "clicks", "trail running");
    assert_ne!(bid, Value::Null, "campaign {other} serves");
    let url = bid["url"].as_str().expect("click url");
    let path = &url[url.find("/api/v1/dsp/redirect/").expect("redirect path")..];
    let locations: Vec<String> = instances
        .iter()
        .map(|instance| {
            let response = instance.get(path);
            assert_eq!(response.status, 302, "{}", response.text());
            response.header("location").expect("location").to_string()
        })
        .collect();
    assert_eq!(locations[0], locations[1], "the same click id");
    assert_eq!(count("SELECT COUNT(*) FROM clicks"), 1);

    // Rate limits: a fresh key's hourly limit counts its requests on both
    // instances together.
    let organization = admin(
        &first,
        "POST",
        "/admin/organizations",
        Some(json!({"name": "Limited"})),
    );
    let organization = organization.json()["id"].as_str().expect("id").to_string();
    let minted = admin(
        &first,
        "POST",
        &format!("/admin/organizations/{organization}/api-keys"),
        Some(json!({"kind": "advertiser"})),
    );
    let key = format!("Bearer {}", minted.json()["key"].as_str().expect("key"));
    let limited = HostLaunch::app()
        .runtime_config(&config)
        .variable("v1_requests_per_hour", "5");
    let (a, b) = (limited.clone().start(), limited.start());
    let statuses: Vec<u16> = (0..8)
        .map(|i| {
            let instance = if i % 2 == 0 { &a } else { &b };
            instance
                .request("GET", "/v1/ad_account", &[("authorization", &key)], None)
                .status
        })
        .collect();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);

    // The agents API's counters live in the key-value store: an account on
    // the Free plan (10 requests a minute) is counted on both instances
    // together, through Redis.
    let account = crate::agents::verified_account(&a, "instances@acme.example");
    let agent_key = format!("Bearer {}", account["api_key"].as_str().expect("key"));
    let remaining: Vec<(u16, Option<String>)> = (0..12)
        .map(|i| {
            let instance = if i % 2 == 0 { &a } else { &b };
            let response = instance.request(
                "GET",
                "/api/v1/auth/keys",
                &[("authorization", &agent_key)],
                None,
            );
            (
                response.status,
                response.header("x-ratelimit-remaining").map(String::from),
            )
        })
        .collect();
    let statuses: Vec<u16> = remaining.iter().map(|(status, _)| *status).collect();
    assert_eq!(statuses[..10], [200; 10], "{remaining:?}");
    assert_eq!(statuses[10..], [429, 429], "{remaining:?}");
    assert_eq!(remaining[9].1.as_deref(), Some("0"), "{remaining:?}");
}

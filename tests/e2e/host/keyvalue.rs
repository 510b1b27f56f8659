//! `wasi:keyvalue` (store, atomics, batch) and the adapter's `Env::kv()`,
//! driven through the keyvalue component (`tests/components/keyvalue`)
//! under `tests/manifests/keyvalue.toml`. These tests run on the Spin CLI
//! too when `SPIN` names one, so the host's answers are checked against
//! Spin's.

use serde_json::{Value, json};

use adspin_e2e::{HostLaunch, Runtime, TestApp, artifacts};

fn start() -> TestApp {
    HostLaunch::new(artifacts().fixture_manifest("keyvalue.toml"))
        .on(Runtime::for_app())
        .start()
}

fn on_spin() -> bool {
    matches!(Runtime::for_app(), Runtime::Spin(_))
}

/// Runs `operations` at `path` and returns the whole answer.
fn run(app: &TestApp, path: &str, operations: Value) -> Value {
    let response = app.post_json(path, &[], &operations);
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// Runs `operations` on the default store through `wasi:keyvalue` and
/// returns their results.
fn wasi(app: &TestApp, operations: Value) -> Vec<Value> {
    let answer = run(app, "/kv/wasi", operations);
    assert_eq!(answer["open"], json!({ "ok": "default" }), "{answer}");
    answer["results"].as_array().expect("results").clone()
}

fn ok(value: Value) -> Value {
    json!({ "ok": value })
}

#[test]
fn the_wasi_store_sets_reads_checks_deletes_and_lists_keys() {
    let app = start();
    let results = wasi(
        &app,
        json!([
            { "op": "get", "key": "colour" },
            { "op": "exists", "key": "colour" },
            { "op": "set", "key": "colour", "value": "blue" },
            { "op": "set", "key": "size", "value": "large" },
            { "op": "set", "key": "colour", "value": "green" },
            { "op": "get", "key": "colour" },
            { "op": "exists", "key": "colour" },
            { "op": "list-keys" },
            { "op": "delete", "key": "colour" },
            { "op": "delete", "key": "colour" },
            { "op": "get", "key": "colour" },
            { "op": "list-keys" },
        ]),
    );
    assert_eq!(
        results,
        [
            ok(Value::Null),
            ok(json!(false)),
            ok(Value::Null),
            ok(Value::Null),
            ok(Value::Null),
            ok(json!("green")),
            ok(json!(true)),
            ok(json!({ "keys": ["colour", "size"], "cursor": null })),
            ok(Value::Null),
            ok(Value::Null),
            ok(Value::Null),
            ok(json!({ "keys": ["size"], "cursor": null })),
        ]
    );
}

#[test]
fn listing_keys_from_a_cursor_is_not_supported() {
    let app = start();
    let results = wasi(&app, json!([{ "op": "list-keys", "cursor": "size" }]));
    assert_eq!(
        results,
        [json!({ "error": { "other": "list_keys: cursor not supported" } })]
    );
}

#[test]
fn both_key_value_interfaces_reach_the_same_store_and_it_persists() {
    let app = start();
    let stored = app.request("PUT", "/probe/kv/from-spin", &[], Some(b"one"));
    assert_eq!(stored.status, 200, "{}", stored.text());
    wasi(
        &app,
        json!([{ "op": "set", "key": "from-wasi", "value": "two" }]),
    );

    let app = app.restart();
    let results = wasi(&app, json!([{ "op": "get", "key": "from-spin" }]));
    assert_eq!(results, [ok(json!("one"))]);
    assert_eq!(app.get("/probe/kv/from-wasi").json()["value"], "two");
}

#[test]
fn an_increment_counts_a_missing_key_as_zero_and_stores_eight_little_endian_bytes() {
    let app = start();
    let results = wasi(
        &app,
        json!([
            { "op": "increment", "key": "hits", "delta": 5 },
            { "op": "increment", "key": "hits", "delta": -2 },
            { "op": "increment", "key": "hits", "delta": 0 },
            { "op": "get-bytes", "key": "hits" },
            { "op": "set", "key": "big", "bytes": [255, 255, 255, 255, 255, 255, 255, 127] },
            { "op": "increment", "key": "big", "delta": 1 },
        ]),
    );
    assert_eq!(
        results,
        [
            ok(json!(5)),
            ok(json!(3)),
            ok(json!(3)),
            ok(json!([3, 0, 0, 0, 0, 0, 0, 0])),
            ok(Value::Null),
            ok(json!(i64::MIN)),
        ],
        "the last increment wraps around past i64::MAX, as Spin's does"
    );
}

#[test]
fn concurrent_increments_from_many_requests_sum_exactly() {
    const THREADS: usize = 16;
    const REQUESTS: usize = 25;
    let app = start();
    let mut seen: Vec<i64> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..THREADS)
            .map(|thread| {
                let app = &app;
                scope.spawn(move || {
                    (0..REQUESTS)
                        .map(|request| {
                            // Half through wasi:keyvalue, half through the adapter.
                            let path = if (thread + request) % 2 == 0 {
                                "/kv/wasi"
                            } else {
                                "/kv/env"
                            };
                            let answer = run(
                                app,
                                path,
                                json!([{ "op": "increment", "key": "hits", "delta": 1 }]),
                            );
                            answer["results"][0]["ok"]
                                .as_i64()
                                .unwrap_or_else(|| panic!("an increment failed: {answer}"))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|thread| thread.join().expect("thread"))
            .collect()
    });
    seen.sort_unstable();
    let total = i64::try_from(THREADS * REQUESTS).expect("small");
    assert_eq!(
        seen,
        (1..=total).collect::<Vec<_>>(),
        "every increment saw its own new value"
    );
    let results = wasi(
        &app,
        json!([{ "op": "increment", "key": "hits", "delta": 0 }]),
    );
    assert_eq!(results, [ok(json!(total))]);
}

#[test]
fn batches_set_read_and_delete_many_keys() {
    let app = start();
    let results = wasi(
        &app,
        json!([
            { "op": "set-many", "pairs": [["b", "2"], ["a", "1"], ["c", "3"]] },
            { "op": "get-many", "keys": ["c", "missing", "a"] },
            { "op": "delete-many", "keys": ["a", "missing", "c"] },
            { "op": "list-keys" },
            { "op": "get-many", "keys": [] },
            { "op": "set-many", "pairs": [] },
            { "op": "delete-many", "keys": [] },
        ]),
    );
    assert_eq!(
        results,
        [
            ok(Value::Null),
            // Spin's SQLite store leaves missing keys out (rather than
            // answering `none` for them) and answers in key order.
            ok(json!([["a", "1"], ["c", "3"]])),
            ok(Value::Null),
            ok(json!({ "keys": ["b"], "cursor": null })),
            ok(json!([])),
            ok(Value::Null),
            ok(Value::Null),
        ]
    );
}

#[test]
fn a_compare_and_swap_fails_when_the_key_changed_and_hands_back_a_fresh_handle() {
    let app = start();
    let results = wasi(
        &app,
        json!([
            { "op": "set", "key": "k", "value": "old" },
            { "op": "swap", "key": "k", "value": "new" },
            { "op": "swap", "key": "k", "value": "mine", "interfere": "theirs" },
            { "op": "get", "key": "k" },
            { "op": "swap", "key": "fresh", "value": "first" },
            { "op": "get", "key": "fresh" },
        ]),
    );
    assert_eq!(
        results,
        [
            ok(Value::Null),
            ok(json!({ "seen": "old", "swapped": true })),
            ok(json!({
                "seen": "new",
                "swapped": false,
                "latest": "theirs",
                "retried": { "ok": null },
            })),
            ok(json!("mine")),
            ok(json!({ "seen": null, "swapped": true })),
            ok(json!("first")),
        ]
    );
}

#[test]
fn a_store_the_manifest_does_not_list_is_denied() {
    let app = start();
    let unlisted = run(&app, "/unlisted/wasi", json!([]));
    assert_eq!(unlisted["open"], json!({ "error": "access-denied" }));
    let other = run(&app, "/kv/wasi?store=other", json!([]));
    assert_eq!(other["open"], json!({ "error": "access-denied" }));
}

#[test]
fn the_adapter_reads_writes_and_counts_in_the_default_store() {
    let app = start();
    let answer = run(
        &app,
        "/kv/env",
        json!([
            { "op": "set", "key": "token", "value": "abc" },
            { "op": "get", "key": "token" },
            { "op": "increment", "key": "attempts", "delta": 2 },
            { "op": "delete", "key": "token" },
            { "op": "get", "key": "token" },
        ]),
    );
    assert_eq!(
        answer["results"],
        json!([
            { "ok": null },
            { "ok": "abc" },
            { "ok": 2 },
            { "ok": null },
            { "ok": null },
        ])
    );
    let results = wasi(
        &app,
        json!([{ "op": "increment", "key": "attempts", "delta": 0 }]),
    );
    assert_eq!(
        results,
        [ok(json!(2))],
        "the adapter uses the default store"
    );
}

#[test]
fn a_component_without_a_store_still_runs_and_only_opening_the_store_fails() {
    let app = start();
    let answer = run(
        &app,
        "/unlisted/env",
        json!([{ "op": "get", "key": "token" }]),
    );
    assert_eq!(answer["component"], "unlisted");
    assert_eq!(
        answer["open"],
        json!({ "error": "cannot open the key-value store: access-denied" })
    );
}

/// Spin 4.0.2's SQLite store panics in the host on such a value (and
/// leaves its store unusable until restarted), so this runs on the local
/// host only.
#[test]
fn incrementing_a_value_that_is_not_a_counter_is_an_error_and_keeps_the_value() {
    if on_spin() {
        return;
    }
    let app = start();
    let results = wasi(
        &app,
        json!([
            { "op": "set", "key": "name", "value": "ada" },
            { "op": "increment", "key": "name", "delta": 1 },
            { "op": "get", "key": "name" },
        ]),
    );
    assert_eq!(results[0], ok(Value::Null));
    let error = results[1]["error"]["other"].as_str().expect("an error");
    assert!(error.contains("not a counter"), "{error}");
    assert_eq!(results[2], ok(json!("ada")));
}

//! A component that runs a script of key-value operations, so the host's
//! end-to-end tests can drive the `wasi:keyvalue` store, atomics and batch
//! interfaces one call at a time and compare the local host with Spin.
//!
//! `POST /wasi?store=<label>` runs each operation of a JSON array body on
//! `wasi:keyvalue` directly; `POST /env` runs `get`, `set`, `delete` and
//! `increment` through the Spin adapter's `Env::kv()`. Values are strings
//! on the way in (or `bytes`, an array of numbers) and strings on the way
//! out (lossy UTF-8; `get-bytes` answers with the bytes). Each result is
//! `{"ok": ...}` or `{"error": ...}`; the component identifies itself by
//! its `COMPONENT` environment variable.

use adspin_core::env::Env;
use adspin_core::kv::KeyValue;
use serde_json::{Value, json};
use spin_sdk::http::{Request, Response};
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store};

#[expect(
    unsafe_code,
    reason = "the Spin SDK's export macro emits the component's unsafe ABI glue"
)]
mod export {
    #[spin_sdk::http_component]
    fn handle(request: super::Request) -> super::Response {
        super::route(&request)
    }
}

fn route(request: &Request) -> Response {
    let path_info = request
        .header("spin-path-info")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let operations: Vec<Value> = match serde_json::from_slice(request.body()) {
        Ok(operations) => operations,
        Err(e) => return json_response(400, json!({ "error": e.to_string() })),
    };
    let body = match path_info.trim_matches('/') {
        "wasi" => run_on_bucket(
            query_param(request, "store").unwrap_or("default"),
            &operations,
        ),
        "env" => run_on_env(&operations),
        _ => return json_response(404, json!({ "error": "unknown path" })),
    };
    let mut body = body;
    body["component"] = json!(std::env::var("COMPONENT").ok());
    json_response(200, body)
}

fn json_response(status: u16, body: Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}

fn query_param<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.query().split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then_some(value)
    })
}

fn describe(error: &store::Error) -> Value {
    match error {
        store::Error::NoSuchStore => json!("no-such-store"),
        store::Error::AccessDenied => json!("access-denied"),
        store::Error::Other(message) => json!({ "other": message }),
    }
}

fn outcome<T>(result: Result<T, store::Error>, ok: impl FnOnce(T) -> Value) -> Value {
    match result {
        Ok(value) => json!({ "ok": ok(value) }),
        Err(error) => json!({ "error": describe(&error) }),
    }
}

fn text(bytes: &[u8]) -> Value {
    json!(String::from_utf8_lossy(bytes))
}

fn field<'a>(operation: &'a Value, name: &str) -> &'a str {
    operation[name].as_str().unwrap_or_default()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| item.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The value an operation sets: its `bytes`, or else its `value` string.
fn value_of(operation: &Value) -> Vec<u8> {
    match operation["bytes"].as_array() {
        Some(bytes) => bytes
            .iter()
            .map(|b| u8::try_from(b.as_u64().unwrap_or_default()).unwrap_or_default())
            .collect(),
        None => field(operation, "value").as_bytes().to_vec(),
    }
}

fn run_on_bucket(label: &str, operations: &[Value]) -> Value {
    let bucket = match store::open(label) {
        Ok(bucket) => bucket,
        Err(error) => return json!({ "open": { "error": describe(&error) } }),
    };
    let results: Vec<Value> = operations
        .iter()
        .map(|operation| run_one(&bucket, operation))
        .collect();
    json!({ "open": { "ok": label }, "results": results })
}

fn run_one(bucket: &store::Bucket, operation: &Value) -> Value {
    let key = field(operation, "key");
    match field(operation, "op") {
        "get" => outcome(bucket.get(key), |value| {
            value.as_deref().map_or(Value::Null, text)
        }),
        "get-bytes" => outcome(bucket.get(key), |value| json!(value)),
        "set" => outcome(bucket.set(key, &value_of(operation)), |()| Value::Null),
        "delete" => outcome(bucket.delete(key), |()| Value::Null),
        "exists" => outcome(bucket.exists(key), |exists| json!(exists)),
        "list-keys" => {
            let cursor = operation["cursor"].as_str();
            outcome(
                bucket.list_keys(cursor),
                |response| json!({ "keys": response.keys, "cursor": response.cursor }),
            )
        }
        "increment" => {
            let delta = operation["delta"].as_i64().unwrap_or_default();
            outcome(atomics::increment(bucket, key, delta), |value| json!(value))
        }
        "get-many" => outcome(
            batch::get_many(bucket, &strings(&operation["keys"])),
            |pairs| {
                json!(
                    pairs
                        .iter()
                        .map(|(key, value)| json!([key, value.as_deref().map(text)]))
                        .collect::<Vec<_>>()
                )
            },
        ),
        "set-many" => {
            let pairs: Vec<(String, Vec<u8>)> = operation["pairs"]
                .as_array()
                .map(|pairs| {
                    pairs
                        .iter()
                        .map(|pair| {
                            let key = pair[0].as_str().unwrap_or_default().to_string();
                            let value = pair[1].as_str().unwrap_or_default().as_bytes().to_vec();
                            (key, value)
                        })
                        .collect()
                })
                .unwrap_or_default();
            outcome(batch::set_many(bucket, &pairs), |()| Value::Null)
        }
        "delete-many" => outcome(
            batch::delete_many(bucket, &strings(&operation["keys"])),
            |()| Value::Null,
        ),
        "swap" => compare_and_swap(bucket, operation),
        other => json!({ "error": format!("unknown operation {other:?}") }),
    }
}

/// Reads `key` through a compare-and-swap handle, sets it to `interfere`
/// in between when given (another writer), then swaps in `value`. A
/// failed swap is retried once with the handle the failure hands back.
fn compare_and_swap(bucket: &store::Bucket, operation: &Value) -> Value {
    let key = field(operation, "key");
    let value = value_of(operation);
    let cas = match atomics::Cas::new(bucket, key) {
        Ok(cas) => cas,
        Err(error) => return json!({ "error": describe(&error) }),
    };
    let seen = match cas.current() {
        Ok(seen) => seen,
        Err(error) => return json!({ "error": describe(&error) }),
    };
    if let Some(interfering) = operation["interfere"].as_str()
        && let Err(error) = bucket.set(key, interfering.as_bytes())
    {
        return json!({ "error": describe(&error) });
    }
    let seen = seen.as_deref().map(text);
    match atomics::swap(cas, &value) {
        Ok(()) => json!({ "ok": { "seen": seen, "swapped": true } }),
        Err(atomics::CasError::StoreError(error)) => json!({ "error": describe(&error) }),
        Err(atomics::CasError::CasFailed(retry)) => {
            let latest = match retry.current() {
                Ok(latest) => latest.as_deref().map(text),
                Err(error) => return json!({ "error": describe(&error) }),
            };
            let retried = match atomics::swap(retry, &value) {
                Ok(()) => json!({ "ok": null }),
                Err(atomics::CasError::StoreError(error)) => json!({ "error": describe(&error) }),
                Err(atomics::CasError::CasFailed(_)) => json!({ "error": "cas-failed" }),
            };
            json!({ "ok": { "seen": seen, "swapped": false, "latest": latest, "retried": retried } })
        }
    }
}

/// Runs the operations through the adapter's [`Env::kv`], opened on first
/// use like every store of the environment.
fn run_on_env(operations: &[Value]) -> Value {
    let env = adspin_spin::SpinEnv::default();
    let kv = match env.kv() {
        Ok(kv) => kv,
        Err(error) => return json!({ "open": { "error": error.to_string() } }),
    };
    let results: Vec<Value> = operations
        .iter()
        .map(|operation| {
            let key = field(operation, "key");
            let result = match field(operation, "op") {
                "get" => kv
                    .get(key)
                    .map(|value| value.as_deref().map_or(Value::Null, text)),
                "set" => kv.set(key, &value_of(operation)).map(|()| Value::Null),
                "delete" => kv.delete(key).map(|()| Value::Null),
                "increment" => kv
                    .increment(key, operation["delta"].as_i64().unwrap_or_default())
                    .map(|value| json!(value)),
                other => return json!({ "error": format!("unknown operation {other:?}") }),
            };
            match result {
                Ok(value) => json!({ "ok": value }),
                Err(error) => json!({ "error": error.to_string() }),
            }
        })
        .collect();
    json!({ "open": { "ok": "default" }, "results": results })
}

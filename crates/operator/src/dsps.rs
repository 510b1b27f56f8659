//! The DSP registry: the external DSPs the auction calls (the internal
//! DSP is registered by the migrations). Auth tokens are write-only. Each
//! DSP is shown with its health (`adspin_core::dsp_health`): its circuit
//! breaker and measured round trip, from the key-value store the SSP
//! keeps them in.

use adspin_core::api_error::ApiError;
use adspin_core::body::parse_json;
use adspin_core::catalog::fields;
use adspin_core::db::Database;
use adspin_core::dsp_health::{self, Policy};
use adspin_core::kv::{KeyValue, KvError};
use adspin_core::time::UnixSeconds;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Outcome;
use crate::store;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DspSettings {
    name: String,
    bid_url: String,
    #[serde(default)]
    render_url: Option<String>,
    #[serde(default)]
    auth_token: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    timeout_ms: Option<i64>,
    /// `json` (the default) or `openrtb`.
    #[serde(default)]
    protocol: Option<String>,
}

/// Where DSP health is kept (`None`: the component lists no key-value
/// store) and the breakers' policy.
pub(crate) struct HealthStore<'a, K: KeyValue> {
    pub kv: Option<&'a K>,
    pub policy: Policy,
}

impl<K: KeyValue> HealthStore<'_, K> {
    /// A DSP's `health`: `null` when it cannot be read.
    fn view(&self, dsp: &str, now: UnixSeconds) -> Value {
        let Some(kv) = self.kv else {
            return Value::Null;
        };
        let read = || -> Result<Value, KvError> {
            let health = dsp_health::read(kv, dsp)?;
            let state = health.breaker.state(self.policy, now);
            Ok(json!({
                "breaker": state.as_str(),
                "consecutive_failures": dsp_health::failures(kv, dsp)?,
                "opened_at": health.breaker.opened_at,
                "round_trip_ms": health.round_trip.map(|rtt| rtt.ms),
            }))
        };
        read().unwrap_or(Value::Null)
    }
}

fn dsp_view(dsp: &store::DspRecord, health: Value) -> Value {
    json!({
        "id": dsp.id, "name": dsp.name, "bid_url": dsp.bid_url, "render_url": dsp.render_url,
        "has_auth_token": dsp.has_auth_token, "enabled": dsp.enabled, "timeout_ms": dsp.timeout_ms,
        "protocol": dsp.protocol, "health": health,
    })
}

pub(crate) fn list_dsps(
    db: &impl Database,
    health: &HealthStore<'_, impl KeyValue>,
    now: UnixSeconds,
) -> Outcome {
    let data: Vec<Value> = store::list_dsps(db)?
        .iter()
        .map(|dsp| dsp_view(dsp, health.view(&dsp.id, now)))
        .collect();
    Ok((
        200,
        json!({ "object": "list", "data": data, "count": data.len() }),
    ))
}

/// Registers or replaces a DSP. Its auth token is write-only.
pub(crate) fn set_dsp(
    db: &impl Database,
    health: &HealthStore<'_, impl KeyValue>,
    id: &str,
    body: &[u8],
    now: UnixSeconds,
) -> Outcome {
    let settings: DspSettings = parse_json(body)?;
    let valid_id = (2..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid_id {
        return Err(ApiError::invalid_value(
            "id",
            "A DSP id is 2 to 64 lowercase letters, digits or underscores.",
        ));
    }
    fields::text("name", &settings.name, 1, 100)?;
    fields::url("bid_url", &settings.bid_url)?;
    if let Some(render_url) = &settings.render_url {
        fields::url("render_url", render_url)?;
    }
    let timeout = settings.timeout_ms.unwrap_or(3000);
    if !(10..=10_000).contains(&timeout) {
        return Err(ApiError::invalid_value(
            "timeout_ms",
            "timeout_ms must be between 10 and 10000.",
        ));
    }
    let protocol = match settings.protocol.as_deref() {
        None | Some("json") => "json",
        Some("openrtb") => "openrtb",
        Some(_) => {
            return Err(ApiError::invalid_value(
                "protocol",
                "protocol must be json or openrtb.",
            ));
        }
    };
    store::upsert_dsp(
        db,
        id,
        store::DspSettings {
            name: settings.name,
            bid_url: settings.bid_url,
            render_url: settings.render_url,
            auth_token: settings.auth_token,
            enabled: settings.enabled.unwrap_or(true),
            timeout_ms: timeout,
            protocol,
        },
        now,
    )?;
    let dsp = store::find_dsp(db, id)?.ok_or_else(ApiError::internal)?;
    Ok((200, dsp_view(&dsp, health.view(id, now))))
}

/// Removes a DSP and forgets its health (a DSP registered again under the
/// id starts healthy).
pub(crate) fn delete_dsp(
    db: &impl Database,
    health: &HealthStore<'_, impl KeyValue>,
    id: &str,
) -> Outcome {
    if !store::delete_dsp(db, id)? {
        return Err(ApiError::not_found("DSP", id));
    }
    if let Some(kv) = health.kv
        && let Err(error) = dsp_health::forget(kv, id)
    {
        adspin_core::log::warn(&format!("health of DSP {id} not forgotten: {error}"));
    }
    Ok((200, json!({ "id": id, "deleted": true })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use adspin_core::testing::{self, MemoryKv};

    const NOW: UnixSeconds = UnixSeconds::new(1_776_000_000);

    fn no_store() -> HealthStore<'static, MemoryKv> {
        HealthStore {
            kv: None,
            policy: Policy::default(),
        }
    }

    fn put(db: &impl Database, body: Value) -> Outcome {
        set_dsp(db, &no_store(), "acme", body.to_string().as_bytes(), NOW)
    }

    #[test]
    fn a_dsp_speaks_json_unless_registered_as_openrtb() {
        let db = testing::database();
        let url = "https://acme.example/bid";
        let (_, view) = put(&db, json!({"name": "Acme", "bid_url": url})).expect("json");
        assert_eq!(view["protocol"], "json");
        let (_, view) = put(
            &db,
            json!({"name": "Acme", "bid_url": url, "protocol": "openrtb"}),
        )
        .expect("openrtb");
        assert_eq!(view["protocol"], "openrtb");
        let (_, listed) = list_dsps(&db, &no_store(), NOW).expect("list");
        let acme = listed["data"]
            .as_array()
            .expect("data")
            .iter()
            .find(|d| d["id"] == "acme")
            .cloned()
            .expect("acme");
        assert_eq!(acme["protocol"], "openrtb");
        let (_, view) = put(&db, json!({"name": "Acme", "bid_url": url})).expect("replaced");
        assert_eq!(view["protocol"], "json", "a registration is replaced whole");
        assert!(
            put(
                &db,
                json!({"name": "Acme", "bid_url": url, "protocol": "soap"})
            )
            .is_err()
        );
        delete_dsp(&db, &no_store(), "acme").expect("deleted");
        let rows: i64 = db
            .query_row("SELECT COUNT(*) FROM dsp_protocols", &[])
            .expect("query")
            .and_then(|row| row.integer(0))
            .expect("count");
        assert_eq!(rows, 0);
    }

    #[test]
    fn each_dsp_shows_its_breaker_and_round_trip() {
        let db = testing::database();
        let kv = MemoryKv::default();
        let store = HealthStore {
            kv: Some(&kv),
            policy: Policy::default(),
        };
        let url = "https://acme.example/bid";
        let (_, view) = set_dsp(
            &db,
            &store,
            "acme",
            json!({"name": "Acme", "bid_url": url})
                .to_string()
                .as_bytes(),
            NOW,
        )
        .expect("registered");
        assert_eq!(
            view["health"],
            json!({"breaker": "closed", "consecutive_failures": 0, "opened_at": null,
                   "round_trip_ms": null})
        );
        let policy = Policy::default();
        // An answer in 42 ms, then failures enough to open the breaker.
        let outcomes = std::iter::once(dsp_health::Outcome::Answered { ms: 42 })
            .chain((0..policy.failures_to_open).map(|_| dsp_health::Outcome::Failed));
        for outcome in outcomes {
            let health = dsp_health::read(&kv, "acme").expect("read");
            let call = dsp_health::Admission::Call;
            dsp_health::record(&kv, "acme", &health, || policy, call, outcome, NOW)
                .expect("recorded");
        }
        let (_, listed) = list_dsps(&db, &store, NOW).expect("list");
        let acme = listed["data"]
            .as_array()
            .expect("data")
            .iter()
            .find(|d| d["id"] == "acme")
            .cloned()
            .expect("acme");
        assert_eq!(acme["health"]["breaker"], "open");
        assert_eq!(acme["health"]["opened_at"], NOW.get());
        assert_eq!(acme["health"]["round_trip_ms"], 42);
        delete_dsp(&db, &store, "acme").expect("deleted");
        assert!(kv.keys().is_empty(), "{:?}", kv.keys());
    }
}

//! `POST /v1/api/collect`: a server-side event (page view, impression,
//! funnel step...), stored with the server's stamps and enrichment.
//! Fire-and-forget: `204` once it is stored, or when its
//! `(tag_id, event_id)` was already stored (the repeat is not stored again).

use serde_json::{Map, Value, json};

use super::S2sError;
use super::auth::Partner;
use super::enrich::enrichment;
use super::fields::{Fields, MAX_ID_CHARS, MAX_URL_CHARS, MAX_USER_AGENT_CHARS};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Request, header};

/// Latest accepted `timestamp` (2100-01-01).
const MAX_TIMESTAMP: i64 = 4_102_444_800;
/// Longest accepted `view_time_ms` (a day).
const MAX_VIEW_TIME_MS: i64 = 86_400_000;

/// A validated event, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub tag_id: String,
    pub event_name: String,
    pub event_id: Option<String>,
    pub occurred_at: UnixSeconds,
    pub click_id: Option<String>,
    /// Everything stored about the event, as JSON.
    pub data: Value,
}

/// Validates the body of `request` and builds the event `partner` sent.
pub fn parse(request: &Request, partner: &Partner, now: UnixSeconds) -> Result<Event, S2sError> {
    let mut f = Fields::parse(request.body())?;
    let event_name = f.required_string("event_name", MAX_ID_CHARS);
    if event_name
        .as_deref()
        .is_some_and(|name| name.trim().is_empty())
    {
        f.issue(
            "event_name",
            "String should have at least 1 character",
            "string_too_short",
        );
    }
    let tag_id = f.optional_string("tag_id", MAX_ID_CHARS);
    let event_id = f.optional_string("event_id", MAX_ID_CHARS);
    let timestamp = f.optional_integer("timestamp", 0, MAX_TIMESTAMP);
    let page_url = f.optional_string("page_url", MAX_URL_CHARS);
    let referrer = f.optional_string("referrer", MAX_URL_CHARS);
    let user_agent = f.optional_string("user_agent", MAX_USER_AGENT_CHARS);
    f.ignore("channel");
    let mut strings = Map::new();
    for name in [
        "session_id",
        "client_id",
        "impression_id",
        "click_id",
        "bid_id",
    ] {
        strings.insert(name.into(), f.optional_string(name, MAX_ID_CHARS).into());
    }
    let attribution_type = f.optional_choice("attribution_type", &["click", "view", "organic"]);
    let impression_state = f.optional_choice(
        "impression_state",
        &["rendered", "in_view", "viewable", "view_end"],
    );
    let view_time_ms = f.optional_integer("view_time_ms", 0, MAX_VIEW_TIME_MS);
    let consent = f.optional_object("consent");
    let params = f.optional_object("params");
    let extras = f.extras();
    f.finish()?;
    let event_name = event_name.unwrap_or_default();

    let tag_id = tag_id
        .filter(|tag| !tag.trim().is_empty())
        .unwrap_or_else(|| derived_tag(page_url.as_deref(), request));
    let occurred_at = timestamp.map_or(now, UnixSeconds::new);
    let click_id = strings["click_id"].as_str().map(String::from);
    let mut data = json!({
        "event_name": event_name,
        "tag_id": tag_id,
        "event_id": event_id,
        "timestamp": occurred_at.get(),
        "received_at": now.get(),
        "page_url": page_url,
        "referrer": referrer,
        "user_agent": user_agent,
        "attribution_type": attribution_type,
        "impression_state": impression_state,
        "view_time_ms": view_time_ms,
        "consent": consent,
        "params": stamped_params(params, extras, partner),
    });
    if let Value::Object(map) = &mut data {
        map.extend(strings);
        map.extend(enrichment(request, user_agent.as_deref()));
    }
    Ok(Event {
        tag_id,
        event_name,
        event_id,
        occurred_at,
        click_id,
        data,
    })
}

/// `params` with the server's stamps (`integration`, `partner_id`,
/// `api_key_label`) and the unknown top-level fields under `extra`.
pub fn stamped_params(
    params: Option<Map<String, Value>>,
    extras: Map<String, Value>,
    partner: &Partner,
) -> Value {
    let mut params = params.unwrap_or_default();
    if !extras.is_empty() {
        params.insert(
            "extra".into(),
            Value::Object(super::conversion::sanitized(extras)),
        );
    }
    params.insert("integration".into(), "partner_s2s".into());
    params.insert(
        "partner_id".into(),
        partner.organization_id.to_string().into(),
    );
    params.insert("api_key_label".into(), partner.label.clone().into());
    Value::Object(params)
}

/// `site:<host>` of the page, else of the `Origin`, else of the `Referer`
/// header; `site:unknown` when none has a host.
fn derived_tag(page_url: Option<&str>, request: &Request) -> String {
    [
        page_url,
        header(request, "origin"),
        header(request, "referer"),
    ]
    .into_iter()
    .flatten()
    .find_map(|url| {
        url::Url::parse(url.trim())
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
    })
    .map_or_else(|| "site:unknown".to_string(), |host| format!("site:{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use adspin_core::ids::{ApiKeyId, OrganizationId};

    fn partner() -> Partner {
        Partner {
            organization_id: OrganizationId::parse("0d3e0000-0000-4000-8000-00000000000c")
                .expect("id"),
            key_id: ApiKeyId::new_random(),
            label: Some("backend".into()),
        }
    }

    fn request(body: Value, headers: &[(&str, &str)]) -> Request {
        let mut builder = http::Request::builder()
            .method("POST")
            .uri("/v1/api/collect");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder
            .body(body.to_string().into_bytes())
            .expect("request")
    }

    fn parsed(body: Value, headers: &[(&str, &str)]) -> Result<Event, S2sError> {
        parse(
            &request(body, headers),
            &partner(),
            UnixSeconds::new(1_800_000_000),
        )
    }

    #[test]
    fn the_quickstart_event_is_stamped_and_tagged_by_its_page() {
        let event = parsed(
            json!({"event_name": "page_view", "event_id": "pv-checkout-step-1",
                   "page_url": "https://Example.com/checkout", "params": {"step": "shipping"},
                   "channel": "browser", "gclid": "abc"}),
            &[],
        )
        .expect("valid");
        assert_eq!(event.tag_id, "site:example.com");
        assert_eq!(event.occurred_at, UnixSeconds::new(1_800_000_000));
        let params = &event.data["params"];
        assert_eq!(params["step"], "shipping");
        assert_eq!(params["integration"], "partner_s2s");
        assert_eq!(params["partner_id"], "0d3e0000-0000-4000-8000-00000000000c");
        assert_eq!(params["api_key_label"], "backend");
        assert_eq!(params["extra"], json!({"gclid": "abc"}));
        assert_eq!(event.data["channel"], "server");
    }

    #[test]
    fn the_tag_falls_back_to_origin_then_referer_then_unknown() {
        let tag =
            |body: Value, headers: &[(&str, &str)]| parsed(body, headers).expect("valid").tag_id;
        let origin = [
            ("origin", "https://shop.example.org"),
            ("referer", "https://ref.example.net/x"),
        ];
        assert_eq!(
            tag(json!({"event_name": "e", "tag_id": "  "}), &origin),
            "site:shop.example.org"
        );
        assert_eq!(
            tag(json!({"event_name": "e"}), &origin[1..]),
            "site:ref.example.net"
        );
        assert_eq!(
            tag(json!({"event_name": "e", "page_url": "not a url"}), &[]),
            "site:unknown"
        );
        assert_eq!(
            tag(json!({"event_name": "e", "tag_id": "tag_1"}), &origin),
            "tag_1"
        );
    }

    #[test]
    fn types_enums_and_sizes_are_validated() {
        let Err(S2sError::Validation(issues)) = parsed(
            json!({"event_name": "", "timestamp": "yesterday", "attribution_type": "banner",
                   "impression_state": "seen", "view_time_ms": -5, "consent": "yes",
                   "page_url": "x".repeat(3000), "click_id": 42}),
            &[],
        ) else {
            panic!("expected a 422");
        };
        let fields: Vec<&str> = issues.iter().map(|i| i.loc[1].as_str()).collect();
        assert_eq!(
            fields,
            [
                "event_name",
                "timestamp",
                "page_url",
                "click_id",
                "attribution_type",
                "impression_state",
                "view_time_ms",
                "consent"
            ]
        );
        assert!(matches!(
            parsed(json!({}), &[]),
            Err(S2sError::Validation(_))
        ));
    }
}

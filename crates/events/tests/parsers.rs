//! Property tests of the S2S parsers: the collect event
//! (`POST /v1/api/collect`, its body and enrichment headers) and the
//! conversion (`POST /v1/api/conversion`, its body and `Idempotency-Key`).
//!
//! Each property runs `PROPTEST_CASES` cases (256 by default); see
//! docs/TESTING.md to run them longer.

use adspin_core::ids::{ApiKeyId, OrganizationId};
use adspin_core::time::UnixSeconds;
use adspin_events::auth::Partner;
use adspin_events::fields::{
    Fields, MAX_BODY_BYTES, MAX_ID_CHARS, MAX_OBJECT_BYTES, MAX_URL_CHARS, MAX_USER_AGENT_CHARS,
};
use adspin_events::{S2sError, collect, conversion};
use chrono::{DateTime, FixedOffset};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// 2027-01-15T08:00:00Z
const NOW: i64 = 1_800_000_000;
/// Latest `timestamp` a collect event takes (2100-01-01).
const MAX_TIMESTAMP: i64 = 4_102_444_800;

fn partner() -> Partner {
    Partner {
        organization_id: OrganizationId::parse("0d3e0000-0000-4000-8000-00000000000c")
            .unwrap_or_else(OrganizationId::new_random),
        key_id: ApiKeyId::new_random(),
        label: Some("backend".into()),
    }
}

/// Names the S2S bodies know, so arbitrary objects reach their checks.
const KNOWN_FIELDS: &[&str] = &[
    "event_name",
    "tag_id",
    "event_id",
    "timestamp",
    "page_url",
    "referrer",
    "user_agent",
    "channel",
    "session_id",
    "client_id",
    "impression_id",
    "click_id",
    "bid_id",
    "attribution_type",
    "impression_state",
    "view_time_ms",
    "consent",
    "params",
    "conversion_time",
    "conversion_value",
    "currency",
    "event_type",
    "order_id",
];

/// Any JSON value, a few levels deep, with object keys that are often
/// the bodies' own.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![
            Just("USD".to_string()),
            Just("2026-02-19T18:00:00Z".to_string()),
            Just("49.99".to_string()),
            Just("https://shop.example/p".to_string()),
            ".{0,12}",
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        let key = prop_oneof![
            prop::sample::select(KNOWN_FIELDS).prop_map(String::from),
            ".{0,8}"
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// An object body whose fields are mostly the known ones, with any value.
fn json_object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(
        prop::sample::select(KNOWN_FIELDS).prop_map(String::from),
        json_value(),
        0..10,
    )
    .prop_map(|fields| Value::Object(fields.into_iter().collect()))
}

/// Header values as a client may send them (`http` refuses control
/// characters; bytes past ASCII are not text to `header()`).
fn header_value() -> impl Strategy<Value = http::HeaderValue> {
    prop_oneof![
        "[ -~]{0,40}".prop_filter_map("a header value", |text| {
            http::HeaderValue::from_str(&text).ok()
        }),
        prop::collection::vec(
            prop_oneof![Just(b'\t'), 0x20_u8..=0x7e, 0x80_u8..=0xff],
            0..40
        )
        .prop_filter_map("a header value", |bytes| {
            http::HeaderValue::from_bytes(&bytes).ok()
        }),
        prop::sample::select(
            &[
                "https://shop.example.org",
                "203.0.113.9, 10.0.0.1",
                "[::1]:8080",
                "S%C3%A3o%20Paulo",
                "%FF%FE",
                "XX",
                "-33.9",
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
            ][..]
        )
        .prop_map(http::HeaderValue::from_static),
    ]
}

/// The headers enrichment and tag derivation read.
const HEADERS: &[&str] = &[
    "origin",
    "referer",
    "user-agent",
    "x-forwarded-for",
    "spin-client-addr",
    "cf-ipcountry",
    "x-vercel-ip-city",
    "x-geo-region",
    "cf-iplatitude",
    "x-vercel-ip-longitude",
];

fn headers() -> impl Strategy<Value = Vec<(&'static str, http::HeaderValue)>> {
    prop::collection::vec((prop::sample::select(HEADERS), header_value()), 0..5)
}

fn collect_request(
    body: Vec<u8>,
    headers: &[(&'static str, http::HeaderValue)],
) -> Result<http::Request<Vec<u8>>, TestCaseError> {
    let mut request = http::Request::builder()
        .method("POST")
        .uri("/v1/api/collect")
        .body(body)
        .map_err(|error| TestCaseError::fail(error.to_string()))?;
    for (name, value) in headers {
        request.headers_mut().append(*name, value.clone());
    }
    Ok(request)
}

fn parse_event(
    body: &Value,
    headers: &[(&'static str, http::HeaderValue)],
) -> Result<Result<collect::Event, S2sError>, TestCaseError> {
    let request = collect_request(body.to_string().into_bytes(), headers)?;
    Ok(collect::parse(&request, &partner(), UnixSeconds::new(NOW)))
}

/// The fields a 422 names (`loc[1]`), or why it is not a 422.
fn invalid_fields(error: &S2sError) -> Result<Vec<String>, TestCaseError> {
    match error {
        S2sError::Validation(issues) if !issues.is_empty() => Ok(issues
            .iter()
            .map(|issue| issue.loc[1..].join("."))
            .collect()),
        other => Err(TestCaseError::fail(format!(
            "expected a 422, got {other:?}"
        ))),
    }
}

fn id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.:-]{1,64}"
}

/// A valid collect event body and what it should parse to.
#[derive(Debug, Clone)]
struct ValidEvent {
    body: Value,
    event_name: String,
    tag_id: Option<String>,
    host: Option<String>,
    event_id: Option<String>,
    timestamp: Option<i64>,
    click_id: Option<String>,
    extras: Map<String, Value>,
}

fn valid_event() -> impl Strategy<Value = ValidEvent> {
    (
        "[a-z_]{1,30}",
        prop::option::of(id()),
        prop::option::of("[a-z]{1,10}"),
        prop::option::of(id()),
        prop::option::of((0..=MAX_TIMESTAMP, any::<bool>())),
        prop::option::of(id()),
        (
            prop::option::of(prop::sample::select(&["click", "view", "organic"][..])),
            prop::option::of(prop::sample::select(
                &["rendered", "in_view", "viewable", "view_end"][..],
            )),
            prop::option::of(0..=86_400_000_i64),
            prop::option::of(prop::collection::btree_map("[a-z]{1,6}", ".{0,10}", 0..4)),
        ),
        prop::collection::btree_map("x_[a-z0-9_.-]{1,10}", ".{0,20}", 0..4),
    )
        .prop_map(
            |(
                event_name,
                tag_id,
                host,
                event_id,
                timestamp,
                click_id,
                (attribution, state, view_time, params),
                extras,
            )| {
                let mut body = json!({"event_name": event_name});
                if let Some(tag) = &tag_id {
                    body["tag_id"] = json!(tag);
                }
                if let Some(host) = &host {
                    body["page_url"] = json!(format!("https://{host}.example/checkout"));
                }
                if let Some(event_id) = &event_id {
                    body["event_id"] = json!(event_id);
                }
                if let Some((seconds, as_text)) = timestamp {
                    body["timestamp"] = if as_text {
                        json!(seconds.to_string())
                    } else {
                        json!(seconds)
                    };
                }
                if let Some(click_id) = &click_id {
                    body["click_id"] = json!(click_id);
                }
                body["attribution_type"] = json!(attribution);
                body["impression_state"] = json!(state);
                body["view_time_ms"] = json!(view_time);
                body["params"] = json!(params);
                let extras: Map<String, Value> = extras
                    .into_iter()
                    .map(|(name, value)| (name, Value::from(value)))
                    .collect();
                for (name, value) in &extras {
                    body[name.as_str()] = value.clone();
                }
                ValidEvent {
                    body,
                    event_name,
                    tag_id,
                    host,
                    event_id,
                    timestamp: timestamp.map(|(seconds, _)| seconds),
                    click_id,
                    extras,
                }
            },
        )
}

/// A value that one field of a collect event refuses.
fn bad_event_field() -> impl Strategy<Value = (&'static str, Value)> {
    let string_fields = prop::sample::select(
        &[
            "tag_id",
            "event_id",
            "session_id",
            "client_id",
            "impression_id",
            "click_id",
            "bid_id",
        ][..],
    );
    let not_a_string = prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(json!([])),
        Just(json!({})),
    ];
    let too_long = |max: usize| "[a-z]{1,4}".prop_map(move |s| json!(s.repeat(max + 1)));
    prop_oneof![
        prop_oneof![
            Just(json!("")),
            Just(json!("  \t")),
            not_a_string.clone(),
            too_long(MAX_ID_CHARS)
        ]
        .prop_map(|v| ("event_name", v)),
        (
            string_fields,
            prop_oneof![not_a_string.clone(), too_long(MAX_ID_CHARS)]
        ),
        (
            prop::sample::select(&["page_url", "referrer"][..]),
            prop_oneof![not_a_string.clone(), too_long(MAX_URL_CHARS)]
        ),
        prop_oneof![not_a_string.clone(), too_long(MAX_USER_AGENT_CHARS)]
            .prop_map(|v| ("user_agent", v)),
        prop_oneof![
            (i64::MIN..0).prop_map(Value::from),
            (MAX_TIMESTAMP + 1..).prop_map(Value::from),
            Just(json!(1.5)),
            Just(json!("soon")),
            Just(json!(true)),
        ]
        .prop_map(|v| ("timestamp", v)),
        prop_oneof![
            (i64::MIN..0).prop_map(Value::from),
            (86_400_001..i64::MAX).prop_map(Value::from),
            Just(json!("long")),
        ]
        .prop_map(|v| ("view_time_ms", v)),
        ".{0,10}"
            .prop_filter("not a choice", |v| !["click", "view", "organic"]
                .contains(&v.as_str()))
            .prop_map(|v| ("attribution_type", json!(v))),
        ".{0,10}"
            .prop_filter("not a choice", |v| {
                !["rendered", "in_view", "viewable", "view_end"].contains(&v.as_str())
            })
            .prop_map(|v| ("impression_state", json!(v))),
        (
            prop::sample::select(&["consent", "params"][..]),
            prop_oneof![
                not_a_string.prop_filter("not an object", |v| !v.is_object()),
                Just(json!({"big": "x".repeat(MAX_OBJECT_BYTES)})),
            ]
        ),
    ]
}

/// A valid conversion body, its `Idempotency-Key` and what it should
/// parse to.
#[derive(Debug, Clone)]
struct ValidConversion {
    body: Value,
    key: Option<String>,
    click_id: String,
    time: i64,
    cents: i64,
    currency: String,
    event_type: Option<String>,
    event_id: Option<String>,
    order_id: Option<String>,
}

/// `seconds` written the ways a partner may write a date-time.
fn date_time(seconds: i64) -> impl Strategy<Value = String> {
    let utc = DateTime::from_timestamp(seconds, 0).unwrap_or_default();
    // Whole minutes from UTC−12:00 to UTC+14:00.
    let offsets = (-12 * 60..=14 * 60_i32).prop_map(|minutes| minutes * 60);
    prop_oneof![
        Just(utc.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        Just(utc.format("%Y-%m-%dT%H:%M:%S").to_string()),
        Just(utc.format("%Y-%m-%dT%H:%M:%S.250").to_string()),
        Just(format!(" {} ", utc.format("%Y-%m-%dT%H:%M:%S.5+00:00"))),
        offsets.prop_filter_map("an offset", move |offset| {
            FixedOffset::east_opt(offset).map(|zone| utc.with_timezone(&zone).to_rfc3339())
        }),
    ]
}

fn valid_conversion() -> impl Strategy<Value = ValidConversion> {
    let time = (0..=NOW + 600).prop_flat_map(|seconds| (Just(seconds), date_time(seconds)));
    (
        id(),
        time,
        0..=100_000_000_000_i64,
        any::<bool>(),
        prop::sample::select(&["USD", "eur", "Gbp", "JPY", "CHF"][..]),
        prop::option::of("[a-z_]{1,20}"),
        prop::option::of(id()),
        prop::option::of(id()),
        prop::option::of(id()),
    )
        .prop_map(
            |(click_id, (time, written), cents, value_as_text, currency, event_type, event_id, order_id, key)| {
                let value = cents as f64 / 100.0;
                let mut body = json!({
                    "click_id": click_id,
                    "conversion_time": written,
                    "conversion_value": if value_as_text { json!(value.to_string()) } else { json!(value) },
                    "currency": currency,
                    "event_type": event_type,
                    "event_id": event_id,
                });
                if let Some(order_id) = &order_id {
                    body["order_id"] = json!(order_id);
                }
                ValidConversion {
                    body,
                    key,
                    click_id,
                    time,
                    cents,
                    currency: currency.to_ascii_uppercase(),
                    event_type,
                    event_id,
                    order_id,
                }
            },
        )
}

/// A value that one field of a conversion refuses (`None`: the field is
/// left out).
fn bad_conversion_field() -> impl Strategy<Value = (&'static str, Option<Value>)> {
    let not_a_string = prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(json!([])),
    ];
    prop_oneof![
        prop::sample::select(
            &[
                "click_id",
                "conversion_time",
                "conversion_value",
                "currency"
            ][..]
        )
        .prop_map(|field| (field, None)),
        prop_oneof![
            not_a_string.clone(),
            "[a-z]{1,3}".prop_map(|s| json!(s.repeat(MAX_ID_CHARS + 1)))
        ]
        .prop_map(|v| ("click_id", Some(v))),
        prop_oneof![
            not_a_string.clone(),
            Just(json!("19/02/2026")),
            Just(json!("2026-02-30T00:00:00Z")),
            Just(json!("yesterday")),
            // Past the 10 minutes of clock skew allowed.
            (NOW + 601..NOW + 100_000_000).prop_map(|s| json!(UnixSeconds::new(s).to_iso8601())),
        ]
        .prop_map(|v| ("conversion_time", Some(v))),
        prop_oneof![
            (i64::MIN..0).prop_map(Value::from),
            (1_000_000_001..i64::MAX).prop_map(Value::from),
            Just(json!(-0.01)),
            Just(json!("lots")),
            Just(json!("NaN")),
            Just(json!("inf")),
            Just(json!("-inf")),
            Just(json!(true)),
        ]
        .prop_map(|v| ("conversion_value", Some(v))),
        prop_oneof![
            not_a_string,
            Just(json!("ZZZ")),
            Just(json!("USDX")),
            Just(json!("")),
            Just(json!("us")),
        ]
        .prop_map(|v| ("currency", Some(v))),
        prop_oneof![Just(json!("")), Just(json!(" \t "))].prop_map(|v| ("event_type", Some(v))),
    ]
}

proptest! {
    #[test]
    fn arbitrary_bytes_are_a_422_never_a_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
        match Fields::parse(&body) {
            Ok(fields) => {
                let value: Value = serde_json::from_slice(&body)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(value.is_object());
                prop_assert!(fields.finish().is_ok());
            }
            Err(error) => prop_assert_eq!(error.status(), 422),
        }
        let conversion = conversion::parse(&body, None, &partner(), UnixSeconds::new(NOW));
        prop_assert_eq!(conversion.map_err(|e| e.status()).err(), Some(422));
    }

    #[test]
    fn a_body_past_the_limit_is_a_413(extra in 1..64_usize) {
        let body = vec![b' '; MAX_BODY_BYTES + extra];
        prop_assert_eq!(Fields::parse(&body).err().map(|e| e.status()), Some(413));
    }

    #[test]
    fn any_collect_body_and_headers_give_an_event_or_a_422(
        body in prop_oneof![json_object(), json_value()],
        headers in headers(),
    ) {
        match parse_event(&body, &headers)? {
            Ok(event) => {
                prop_assert!(!event.event_name.trim().is_empty());
                prop_assert!(!event.tag_id.is_empty());
                prop_assert!((0..=MAX_TIMESTAMP).contains(&event.occurred_at.get()));
                prop_assert_eq!(&event.data["params"]["integration"], "partner_s2s");
                prop_assert_eq!(&event.data["channel"], "server");
            }
            Err(error) => {
                invalid_fields(&error)?;
            }
        }
    }

    #[test]
    fn a_valid_event_is_accepted_with_what_it_says(
        valid in valid_event(),
        headers in headers(),
    ) {
        let event = parse_event(&valid.body, &headers)?
            .map_err(|error| TestCaseError::fail(format!("{error:?}")))?;
        prop_assert_eq!(&event.event_name, &valid.event_name);
        prop_assert_eq!(&event.event_id, &valid.event_id);
        prop_assert_eq!(&event.click_id, &valid.click_id);
        prop_assert_eq!(event.occurred_at, UnixSeconds::new(valid.timestamp.unwrap_or(NOW)));
        match (&valid.tag_id, &valid.host) {
            (Some(tag), _) => prop_assert_eq!(&event.tag_id, tag),
            (None, Some(host)) => prop_assert_eq!(&event.tag_id, &format!("site:{host}.example")),
            (None, None) => prop_assert!(event.tag_id.starts_with("site:")),
        }
        let extra = &event.data["params"]["extra"];
        for (name, value) in &valid.extras {
            prop_assert_eq!(&extra[name.as_str()], value);
        }
    }

    #[test]
    fn a_valid_event_with_one_field_broken_is_a_422_naming_it(
        valid in valid_event(),
        (field, value) in bad_event_field(),
    ) {
        let mut body = valid.body;
        body[field] = value;
        let error = parse_event(&body, &[])?.err()
            .ok_or_else(|| TestCaseError::fail(format!("accepted {field}: {body}")))?;
        let fields = invalid_fields(&error)?;
        prop_assert!(fields.iter().any(|f| f == field), "{field} not in {fields:?}");
    }

    #[test]
    fn a_collect_body_that_is_not_an_object_is_a_422_about_the_body(
        body in json_value().prop_filter("not an object", |v| !v.is_object()),
    ) {
        let error = parse_event(&body, &[])?.err()
            .ok_or_else(|| TestCaseError::fail("accepted"))?;
        prop_assert_eq!(invalid_fields(&error)?, vec![String::new()]);
    }

    #[test]
    fn any_conversion_body_and_key_give_a_conversion_or_a_422(
        body in prop_oneof![json_object(), json_value()],
        key in prop::option::of(".{0,300}"),
    ) {
        let parsed = conversion::parse(
            body.to_string().as_bytes(),
            key.as_deref(),
            &partner(),
            UnixSeconds::new(NOW),
        );
        match parsed {
            Ok(conversion) => {
                prop_assert!(conversion.conversion_time.get() <= NOW + conversion::MAX_FUTURE_SECONDS);
                prop_assert!((0..=1_000_000_000_000_000).contains(&conversion.value_micros));
                prop_assert!(adspin_core::currency::is_currency(&conversion.currency));
                prop_assert!(!conversion.event_type.trim().is_empty());
            }
            Err(error) => {
                invalid_fields(&error)?;
            }
        }
    }

    #[test]
    fn a_valid_conversion_is_accepted_with_what_it_says(valid in valid_conversion()) {
        let conversion = conversion::parse(
            valid.body.to_string().as_bytes(),
            valid.key.as_deref(),
            &partner(),
            UnixSeconds::new(NOW),
        )
        .map_err(|error| TestCaseError::fail(format!("{error:?} for {}", valid.body)))?;
        prop_assert_eq!(&conversion.click_id, &valid.click_id);
        prop_assert_eq!(conversion.conversion_time, UnixSeconds::new(valid.time));
        prop_assert_eq!(conversion.value_micros, valid.cents * 10_000);
        prop_assert_eq!(&conversion.currency, &valid.currency);
        prop_assert_eq!(
            conversion.event_type,
            valid.event_type.unwrap_or_else(|| "purchase_completed".into())
        );
        prop_assert_eq!(&conversion.order_id, &valid.order_id);
        let key = valid.key.or(valid.event_id).or(valid.order_id);
        prop_assert_eq!(conversion.dedupe_key, key);
    }

    #[test]
    fn a_valid_conversion_with_one_field_broken_is_a_422_naming_it(
        valid in valid_conversion(),
        (field, value) in bad_conversion_field(),
    ) {
        let mut body = valid.body;
        match value {
            Some(value) => body[field] = value,
            None => {
                if let Some(object) = body.as_object_mut() {
                    object.remove(field);
                }
            }
        }
        let error = conversion::parse(
            body.to_string().as_bytes(),
            valid.key.as_deref(),
            &partner(),
            UnixSeconds::new(NOW),
        )
        .err()
        .ok_or_else(|| TestCaseError::fail(format!("accepted {field}: {body}")))?;
        let fields = invalid_fields(&error)?;
        prop_assert!(fields.iter().any(|f| f == field), "{field} not in {fields:?}");
    }

    #[test]
    fn an_idempotency_key_longer_than_an_id_is_a_422_naming_the_header(
        valid in valid_conversion(),
        key in "[a-z]{1,4}".prop_map(|s| s.repeat(MAX_ID_CHARS + 1)),
    ) {
        let error = conversion::parse(
            valid.body.to_string().as_bytes(),
            Some(&key),
            &partner(),
            UnixSeconds::new(NOW),
        )
        .err()
        .ok_or_else(|| TestCaseError::fail("accepted"))?;
        prop_assert_eq!(invalid_fields(&error)?, vec!["idempotency-key".to_string()]);
    }
}

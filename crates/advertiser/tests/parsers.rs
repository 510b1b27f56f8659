//! Property tests of the Advertiser API's parsers of outside input: the
//! insights query (time ranges, fields, filters, segments, the page and
//! its row cursor) and the upload (the `file` part of a multipart body, and
//! the image format and size read from its bytes).
//!
//! Each property runs `PROPTEST_CASES` cases (256 by default); see
//! docs/TESTING.md to run them longer.

use std::io::Write;

use adspin_advertiser::ApiError;
use adspin_advertiser::insights::params::{
    self, Filter, Granularity, InsightsRequest, Level, MAX_HOURLY_RANGE_HOURS, MAX_RANGE_DAYS,
    Metric, Window,
};
use adspin_advertiser::store::insights::{RowKey, Scope, cursor_key, rows};
use adspin_advertiser::upload::{self, ImageFormat, MAX_DIMENSION};
use adspin_core::db::native::NativeDb;
use adspin_core::pagination::INSIGHTS_MAX_LIMIT;
use adspin_core::testing;
use adspin_core::time::UnixSeconds;
use adspin_core::web::Query;
use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::{Value, json};

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
/// 2026-04-15T10:30:00Z
const NOW: i64 = 1_776_249_000;

const LEVELS: [Level; 4] = [Level::AdAccount, Level::Campaign, Level::AdGroup, Level::Ad];

/// The query parameters insights read, so errors name one of them.
const PARAMS: &[&str] = &[
    "time_granularity",
    "aggregation_level",
    "time_ranges",
    "fields",
    "filters",
    "segments",
    "limit",
    "order",
    "before",
    "after",
];

thread_local! {
    /// One schema per test thread: building it takes longer than a case.
    static DATABASE: NativeDb = testing::database();
}

/// Percent-encodes every byte but ASCII letters and digits.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

fn query(pairs: &[(String, String)]) -> Query {
    let text: Vec<String> = pairs
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect();
    Query::parse(&text.join("&"))
}

fn parse(pairs: &[(String, String)], scope: Level) -> Result<InsightsRequest, ApiError> {
    params::parse(&query(pairs), scope, UnixSeconds::new(NOW))
}

/// `ins_` row ids, valid and not.
fn row_key() -> impl Strategy<Value = RowKey> {
    (
        any::<i64>(),
        any::<i64>(),
        ".{0,12}",
        ".{0,12}",
        ".{0,12}",
        ".{0,12}",
    )
        .prop_map(
            |(window, bucket, campaign_id, ad_group_id, ad_id, supply)| RowKey {
                window,
                bucket,
                campaign_id,
                ad_group_id,
                ad_id,
                supply,
            },
        )
}

/// Any JSON value, a few levels deep, whose object keys are often the
/// ones time ranges and filters read.
fn json_value() -> impl Strategy<Value = Value> {
    const KEYS: &[&str] = &[
        "type",
        "since",
        "until",
        "start_time",
        "end_time",
        "preset",
        "field",
        "operator",
        "value",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(
            &[
                "date_range",
                "time_range",
                "preset",
                "today",
                "last_month",
                "2026-04-01",
                "clicks",
                "ad.id",
                "supply",
                "in",
                "equals",
                "greater_than",
            ][..]
        )
        .prop_map(Value::from),
        ".{0,10}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        let key = prop_oneof![prop::sample::select(KEYS).prop_map(String::from), ".{0,6}"];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..5)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// A query parameter as a client may send it: a known name (with or
/// without brackets) or another, and JSON, a known word or any text.
fn query_pair() -> impl Strategy<Value = (String, String)> {
    let name = prop_oneof![
        prop::sample::select(PARAMS).prop_map(String::from),
        prop::sample::select(PARAMS).prop_map(|name| format!("{name}[]")),
        ".{0,8}",
    ];
    let value = prop_oneof![
        json_value().prop_map(|value| value.to_string()),
        prop::sample::select(
            &[
                "hourly",
                "daily",
                "monthly",
                "none",
                "ad_account",
                "campaign",
                "ad_group",
                "ad",
                "supply",
                "clicks",
                "ad.ctr",
                "asc",
                "desc",
                "0",
                "1",
                "2000",
                "2001",
            ][..]
        )
        .prop_map(String::from),
        row_key().prop_map(|key| key.id()),
        ".{0,20}",
    ];
    (name, value)
}

/// Whether `request` keeps the limits it was validated against.
fn check_accepted(request: &InsightsRequest, scope: Level) -> Result<(), TestCaseError> {
    prop_assert!(request.level >= scope);
    prop_assert!(!request.windows.is_empty());
    for window in &request.windows {
        prop_assert!(window.start < window.end, "{window:?}");
        let span = i128::from(window.end) - i128::from(window.start);
        prop_assert!(span <= i128::from(MAX_RANGE_DAYS * DAY), "{window:?}");
        if request.granularity == Granularity::Hourly {
            prop_assert!(
                span <= i128::from(MAX_HOURLY_RANGE_HOURS * HOUR),
                "{window:?}"
            );
        }
    }
    prop_assert!(!request.metrics.is_empty());
    prop_assert!((1..=INSIGHTS_MAX_LIMIT).contains(&request.page.limit));
    Ok(())
}

/// Whether `error` is a 400 naming one of the insights parameters.
fn check_refused(error: &ApiError) -> Result<(), TestCaseError> {
    prop_assert_eq!(error.status(), 400, "{}", error);
    let param = error.param().unwrap_or_default();
    prop_assert!(PARAMS.contains(&param), "{}", error);
    Ok(())
}

/// Runs `request` against an empty store: whatever the parser accepts,
/// the query built from it runs.
fn run(request: &InsightsRequest) -> Result<(), TestCaseError> {
    let cursor = cursor_key(&request.page.cursor).ok().flatten();
    DATABASE.with(|db| {
        let scope = Scope {
            organization: adspin_core::ids::OrganizationId::new_random(),
            level: request.level,
            id: None,
        };
        rows(db, &scope, request, cursor.as_ref())
            .map(|_| ())
            .map_err(|error| TestCaseError::fail(error.to_string()))
    })
}

/// Time-range bounds, most near the ends of `i64` or of the calendar.
fn seconds() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        (0..=100_000_i64).prop_map(|offset| i64::MAX - offset),
        (0..=100_000_i64).prop_map(|offset| i64::MIN + offset),
        -10_000_000_000..10_000_000_000_i64,
        (-1_000_000..1_000_000_i64).prop_map(|offset| NOW + offset),
    ]
}

fn time_range(start: i64, end: i64) -> String {
    json!({"type": "time_range", "start_time": start, "end_time": end}).to_string()
}

/// Days from 0001-01-01 to 9999-12-31.
fn date() -> impl Strategy<Value = NaiveDate> {
    (0..3_652_059_i32).prop_filter_map("a date", |days| {
        NaiveDate::from_num_days_from_ce_opt(days + 1)
    })
}

fn midnight(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .map(|time| time.and_utc().timestamp())
        .unwrap_or_default()
}

/// A valid PNG of `width`×`height` in color type `color` at `depth`.
fn png(width: u32, height: u32, color: u8, depth: u8, fill: u8) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let channels: u64 = match color {
        2 => 3,
        4 => 2,
        6 => 4,
        _ => 1,
    };
    let row = (u64::from(width) * channels * u64::from(depth)).div_ceil(8);
    let mut raw = Vec::new();
    for _ in 0..height {
        raw.push(0);
        raw.extend(std::iter::repeat_n(fill, usize::try_from(row).unwrap_or(0)));
    }
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let compressed = encoder
        .write_all(&raw)
        .and_then(|()| encoder.finish())
        .unwrap_or_default();
    let mut header = width.to_be_bytes().to_vec();
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[depth, color, 0, 0, 0]);
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &compressed);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn valid_png() -> impl Strategy<Value = (u32, u32, Vec<u8>)> {
    (
        1..=48_u32,
        1..=48_u32,
        prop::sample::select(&[(0, 8), (0, 1), (0, 16), (2, 8), (4, 8), (6, 8), (6, 16)][..]),
        any::<u8>(),
    )
        .prop_map(|(width, height, (color, depth), fill)| {
            (width, height, png(width, height, color, depth, fill))
        })
}

/// A baseline JPEG's start, frame header and end, `width`×`height`.
fn jpeg_header(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
    bytes
}

/// An extended WebP (`VP8X`) declaring a `width`×`height` canvas
/// (each side 1 to 2²⁴).
fn webp_header(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"RIFF\x16\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00".to_vec();
    bytes.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    bytes.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    bytes
}

/// The starts of the formats `inspect` tells apart, and none.
const MAGIC: &[&[u8]] = &[
    b"",
    &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A],
    &[0xFF, 0xD8, 0xFF],
    b"RIFF\x20\x00\x00\x00WEBPVP8 ",
    b"RIFF\x20\x00\x00\x00WEBPVP8L",
    b"RIFF\x20\x00\x00\x00WEBPVP8X",
    b"GIF89a",
];

/// The codes an upload is refused with, all `400` about `file`.
const UPLOAD_CODES: &[&str] = &[
    "invalid_file",
    "unsupported_mimetype",
    "file_too_large",
    "image_too_large",
    "invalid_value",
];

fn check_upload_refused(error: &ApiError) -> Result<(), TestCaseError> {
    prop_assert_eq!(error.status(), 400, "{}", error);
    prop_assert!(UPLOAD_CODES.contains(&error.code()), "{}", error);
    prop_assert_eq!(error.param(), Some("file"), "{}", error);
    Ok(())
}

/// A `multipart/form-data` body of `parts` (name, bytes) and its
/// `Content-Type`, with `boundary`.
fn multipart(boundary: &str, parts: &[(String, Vec<u8>)]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for (name, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"a.bin\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (
        format!("multipart/form-data; boundary=\"{boundary}\""),
        body,
    )
}

/// A boundary of RFC 2046's characters (not ending in a space).
fn boundary() -> impl Strategy<Value = String> {
    "[A-Za-z0-9'()+_,./:=?-]{1,70}"
}

/// Other parts than `file`, and where the `file` part goes among them.
fn other_parts() -> impl Strategy<Value = (Vec<(String, Vec<u8>)>, usize)> {
    (
        prop::collection::vec(
            (
                "[a-z_]{1,8}".prop_filter("not file", |name| name != "file"),
                prop::collection::vec(any::<u8>(), 0..32),
            ),
            0..3,
        ),
        any::<usize>(),
    )
}

proptest! {
    #[test]
    fn any_insights_query_is_a_request_or_a_400_naming_a_parameter(
        pairs in prop::collection::vec(query_pair(), 0..6),
        scope in prop::sample::select(&LEVELS[..]),
    ) {
        match parse(&pairs, scope) {
            Ok(request) => {
                check_accepted(&request, scope)?;
                run(&request)?;
            }
            Err(error) => check_refused(&error)?,
        }
    }

    #[test]
    fn raw_query_text_is_a_request_or_a_400(text in ".{0,120}") {
        match params::parse(&Query::parse(&text), Level::AdAccount, UnixSeconds::new(NOW)) {
            Ok(request) => check_accepted(&request, Level::AdAccount)?,
            Err(error) => check_refused(&error)?,
        }
    }

    #[test]
    fn a_time_range_of_any_64_bit_seconds_is_widened_to_hours_or_refused(
        start in seconds(),
        end in seconds(),
        hourly in any::<bool>(),
    ) {
        let mut pairs = vec![("time_ranges[]".to_string(), time_range(start, end))];
        if hourly {
            pairs.push(("time_granularity".into(), "hourly".into()));
        }
        // The window it should be, computed without overflow.
        let (start, end) = (i128::from(start), i128::from(end));
        let hour = i128::from(HOUR);
        let widened = (start - start.rem_euclid(hour), end + (hour - end.rem_euclid(hour)) % hour);
        let limit = if hourly { MAX_HOURLY_RANGE_HOURS * HOUR } else { MAX_RANGE_DAYS * DAY };
        let fits = |t: i128| i64::try_from(t).is_ok();
        let valid = fits(widened.0)
            && fits(widened.1)
            && widened.0 < widened.1
            && widened.1 - widened.0 <= i128::from(limit);
        match parse(&pairs, Level::AdAccount) {
            Ok(request) => {
                prop_assert!(valid, "accepted {widened:?}");
                let window = request.windows[0];
                prop_assert_eq!((i128::from(window.start), i128::from(window.end)), widened);
                check_accepted(&request, Level::AdAccount)?;
                run(&request)?;
            }
            Err(error) => {
                prop_assert!(!valid, "refused {widened:?}: {error}");
                prop_assert_eq!(error.param(), Some("time_ranges"));
            }
        }
    }

    #[test]
    fn a_date_range_is_its_whole_utc_days_up_to_366(
        since in date(),
        until in date(),
        granularity in prop::sample::select(&["daily", "monthly", "none"][..]),
    ) {
        let range = json!({"type": "date_range", "since": since.format("%Y-%m-%d").to_string(),
                           "until": until.format("%Y-%m-%d").to_string()});
        let pairs = [
            ("time_ranges".to_string(), range.to_string()),
            ("time_granularity".to_string(), granularity.to_string()),
        ];
        let days = (until - since).num_days() + 1;
        match parse(&pairs, Level::Campaign) {
            Ok(request) => {
                prop_assert!((1..=MAX_RANGE_DAYS).contains(&days));
                prop_assert_eq!(
                    request.windows,
                    vec![Window { start: midnight(since), end: midnight(until) + DAY }]
                );
            }
            Err(error) => {
                prop_assert!(!(1..=MAX_RANGE_DAYS).contains(&days), "{error}");
                let expected = if days < 1 { "invalid_time_range" } else { "range_too_wide" };
                prop_assert_eq!(error.code(), expected);
            }
        }
    }

    #[test]
    fn presets_hold_today_at_any_time(
        now in 0..=4_102_444_800_i64,
        preset in prop::sample::select(&[
            "today", "yesterday", "last_7_days", "last_14_days", "last_30_days",
            "last_90_days", "this_month", "last_month",
        ][..]),
        hourly in any::<bool>(),
    ) {
        let range = json!({"type": "preset", "preset": preset}).to_string();
        let granularity = if hourly { "hourly" } else { "daily" };
        let query = query(&[
            ("time_ranges[]".into(), range),
            ("time_granularity".into(), granularity.into()),
        ]);
        let tomorrow = now - now.rem_euclid(DAY) + DAY;
        match params::parse(&query, Level::Ad, UnixSeconds::new(now)) {
            Ok(request) => {
                let window = request.windows[0];
                prop_assert!(window.end <= tomorrow && window.start < window.end);
                prop_assert_eq!(window.start.rem_euclid(DAY), 0);
                prop_assert_eq!(window.end.rem_euclid(DAY), 0);
                if preset != "last_month" {
                    prop_assert!(window.end > now - DAY, "{preset} ends today or yesterday");
                }
            }
            Err(error) => {
                prop_assert!(hourly, "{preset}: {error}");
                prop_assert_eq!(error.code(), "hourly_range_too_wide");
            }
        }
    }

    #[test]
    fn any_filter_is_a_filter_or_a_400_about_filters(value in json_value()) {
        let pairs = [("filters[]".to_string(), value.to_string())];
        match parse(&pairs, Level::AdAccount) {
            Ok(request) => prop_assert_eq!(request.filters.len(), 1),
            Err(error) => {
                prop_assert_eq!(error.param(), Some("filters"));
                prop_assert!(
                    ["invalid_filter", "invalid_filter_operator"].contains(&error.code()),
                    "{}", error
                );
            }
        }
    }

    #[test]
    fn a_dimension_filter_keeps_its_values(
        field in prop::sample::select(&["campaign.id", "campaign_id", "ad_group.id", "ad_group_id", "ad.id", "ad_id", "supply"][..]),
        operator in prop::sample::select(&["equals", "not_equals", "in", "not_in"][..]),
        values in prop::collection::vec(".{0,16}", 1..=100),
    ) {
        let many = operator.ends_with("in");
        let value = if many { json!(values) } else { json!(values[0]) };
        let filter = json!({"field": field, "operator": operator, "value": value});
        let request = parse(&[("filters".to_string(), filter.to_string())], Level::AdAccount)
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        match &request.filters[0] {
            Filter::Dimension { values: kept, negated, .. } => {
                prop_assert_eq!(*negated, operator.starts_with("not_"));
                prop_assert_eq!(kept, &if many { values } else { vec![values[0].clone()] });
            }
            other => return Err(TestCaseError::fail(format!("{other:?}"))),
        }
    }

    #[test]
    fn a_metric_filter_keeps_its_number(
        metric in prop::sample::select(&Metric::ALL[..]),
        prefix in prop::sample::select(&["", "ad.", "campaign.", "ad_group.", "ad_account."][..]),
        operator in prop::sample::select(&["equals", "not_equals", "greater_than", "greater_than_or_equal", "less_than", "less_than_or_equal"][..]),
        number in any::<f64>().prop_filter("finite", |n| n.is_finite()),
    ) {
        let filter = json!({"field": format!("{prefix}{}", metric.name()), "operator": operator, "value": number});
        let request = parse(&[("filters[]".to_string(), filter.to_string())], Level::AdAccount)
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        match &request.filters[0] {
            Filter::Metric { metric: kept, value, .. } => {
                prop_assert_eq!(*kept, metric);
                // serde_json reads a float to within an ulp of the one it
                // wrote: the filter keeps what it reads.
                let read: f64 = serde_json::from_str(&json!(number).to_string())
                    .map_err(|error| TestCaseError::fail(error.to_string()))?;
                prop_assert_eq!(*value, read);
            }
            other => return Err(TestCaseError::fail(format!("{other:?}"))),
        }
    }

    #[test]
    fn fields_are_the_metrics_named_once_each_in_order(
        names in prop::collection::vec(
            (prop::sample::select(&Metric::ALL[..]), prop::sample::select(&["", "ad.", "campaign."][..])),
            1..12,
        ),
    ) {
        let pairs: Vec<(String, String)> = names
            .iter()
            .map(|(metric, prefix)| ("fields[]".to_string(), format!("{prefix}{}", metric.name())))
            .collect();
        let request = parse(&pairs, Level::Ad).map_err(|error| TestCaseError::fail(error.to_string()))?;
        let mut expected: Vec<Metric> = Vec::new();
        for (metric, _) in &names {
            if !expected.contains(metric) {
                expected.push(*metric);
            }
        }
        prop_assert_eq!(request.metrics, expected);
    }

    #[test]
    fn an_insights_row_id_round_trips(key in row_key()) {
        let id = key.id();
        prop_assert!(id.starts_with("ins_"));
        prop_assert_eq!(RowKey::parse(&id), Some(key));
    }

    #[test]
    fn any_cursor_is_a_row_or_a_400_naming_it(
        cursor in prop_oneof![
            ".{0,40}",
            "ins_[A-Za-z0-9_-]{0,40}",
            json_value().prop_map(|value| {
                use base64::Engine;
                format!("ins_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string()))
            }),
        ],
        after in any::<bool>(),
    ) {
        let name = if after { "after" } else { "before" };
        let request = parse(&[(name.to_string(), cursor.clone())], Level::Ad);
        match request {
            Ok(request) => match cursor_key(&request.page.cursor) {
                Ok(key) => {
                    let key = key.ok_or_else(|| TestCaseError::fail("a cursor"))?;
                    prop_assert_eq!(RowKey::parse(&cursor), Some(key));
                    run(&request)?;
                }
                Err(param) => prop_assert_eq!(param, name),
            },
            Err(error) => {
                prop_assert!(cursor.is_empty(), "{error}");
                prop_assert_eq!(error.param(), Some(name));
            }
        }
    }

    #[test]
    fn arbitrary_bytes_are_refused_as_an_upload_never_a_panic(
        prefix in prop::sample::select(MAGIC),
        tail in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let bytes = [prefix, &tail[..]].concat();
        if let Err(error) = upload::inspect(&bytes) {
            check_upload_refused(&error)?;
        }
    }

    #[test]
    fn a_png_is_read_with_its_size(png in valid_png()) {
        let (width, height, bytes) = png;
        let image = upload::inspect(&bytes).map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(image.format, ImageFormat::Png);
        prop_assert_eq!((image.width, image.height), (width, height));
    }

    #[test]
    fn a_png_with_any_byte_changed_or_cut_is_refused(
        png in valid_png(),
        position in any::<usize>(),
        change in 1..=255_u8,
        cut in any::<bool>(),
    ) {
        let (_, _, mut bytes) = png;
        let position = position % bytes.len();
        if cut {
            bytes.truncate(position);
        } else {
            bytes[position] ^= change;
        }
        match upload::inspect(&bytes) {
            Ok(image) => {
                return Err(TestCaseError::fail(format!("accepted {image:?} (byte {position})")));
            }
            Err(error) => check_upload_refused(&error)?,
        }
    }

    #[test]
    fn a_jpeg_or_webp_is_accepted_exactly_when_each_side_is_1_to_4096(
        width in 0..=u32::from(u16::MAX),
        height in 0..=u32::from(u16::MAX),
        webp in any::<bool>(),
    ) {
        let (format, bytes) = if webp {
            (ImageFormat::WebP, webp_header(width.max(1), height.max(1)))
        } else {
            let side = |n: u32| u16::try_from(n).unwrap_or(u16::MAX);
            (ImageFormat::Jpeg, jpeg_header(side(width), side(height)))
        };
        let (width, height) = if webp { (width.max(1), height.max(1)) } else { (width, height) };
        let fits = |n: u32| (1..=MAX_DIMENSION).contains(&n);
        match upload::inspect(&bytes) {
            Ok(image) => {
                prop_assert!(fits(width) && fits(height));
                prop_assert_eq!((image.format, image.width, image.height), (format, width, height));
            }
            Err(error) => {
                prop_assert!(!(fits(width) && fits(height)), "{error}");
                check_upload_refused(&error)?;
            }
        }
    }

    #[test]
    fn the_file_part_comes_back_byte_for_byte(
        boundary in boundary(),
        file in prop::collection::vec(any::<u8>(), 0..256),
        (others, position) in other_parts(),
    ) {
        let mut parts = others;
        let position = position % (parts.len() + 1);
        parts.insert(position, ("file".to_string(), file.clone()));
        let delimiter = format!("--{boundary}").into_bytes();
        let clashes = parts
            .iter()
            .any(|(_, bytes)| bytes.windows(delimiter.len()).any(|w| w == delimiter.as_slice()));
        if !clashes {
            let (content_type, body) = multipart(&boundary, &parts);
            let part = upload::file_part(&content_type, &body)
                .map_err(|error| TestCaseError::fail(format!("{error} for {content_type}")))?;
            prop_assert_eq!(part, file);
        }
    }

    #[test]
    fn no_file_part_or_two_is_a_400(
        boundary in boundary(),
        (others, _) in other_parts(),
        twice in any::<bool>(),
    ) {
        let mut parts = others;
        if twice {
            parts.push(("file".to_string(), b"a".to_vec()));
            parts.push(("file".to_string(), b"b".to_vec()));
        }
        let (content_type, body) = multipart(&boundary, &parts);
        let error = upload::file_part(&content_type, &body)
            .err()
            .ok_or_else(|| TestCaseError::fail("accepted"))?;
        prop_assert_eq!(error.code(), "invalid_value");
        prop_assert_eq!(error.param(), Some("file"));
    }

    #[test]
    fn any_multipart_body_is_a_file_or_a_400_never_a_panic(
        content_type in prop_oneof![
            "multipart/form-data; boundary=[A-Za-z0-9]{1,8}",
            "multipart/form-data; boundary=\".{0,10}\"",
            ".{0,40}",
        ],
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256),
            (boundary(), prop::collection::vec(any::<u8>(), 0..64), any::<usize>(), any::<u8>(), any::<bool>())
                .prop_map(|(boundary, file, position, byte, cut)| {
                    let (_, mut body) = multipart(&boundary, &[("file".to_string(), file)]);
                    let position = position % body.len();
                    if cut { body.truncate(position) } else { body[position] = byte }
                    body
                }),
        ],
    ) {
        if let Err(error) = upload::file_part(&content_type, &body) {
            check_upload_refused(&error)?;
        }
    }
}

/// What the properties above found: widening a time range to whole hours,
/// measuring it and splitting it into days overflowed at the ends of
/// `i64` seconds (a panic in debug builds, a wrapped window in release).
#[test]
fn time_ranges_at_the_ends_of_64_bit_seconds_are_a_400_or_read_hourly() {
    let code = |start: i64, end: i64| {
        parse(
            &[("time_ranges[]".into(), time_range(start, end))],
            Level::AdAccount,
        )
        .map(|request| request.windows[0])
        .map_err(|error| (error.code().to_string(), error.param().map(String::from)))
    };
    let invalid = Err(("invalid_value".to_string(), Some("time_ranges".to_string())));
    // The first hour of i64 seconds starts before i64::MIN.
    assert_eq!(code(i64::MIN, i64::MIN + 1), invalid);
    // And the last one ends after i64::MAX.
    assert_eq!(code(i64::MAX - 10, i64::MAX), invalid);
    // A span wider than i64 is too wide, not negative.
    let lowest_hour = i64::MIN + 1_808;
    let highest_hour = i64::MAX - 1_807;
    assert_eq!(
        code(lowest_hour, highest_hour).map_err(|(code, _)| code),
        Err("range_too_wide".to_string())
    );
    // Hours in the first and the last day of i64 seconds, which have no
    // midnight before or after them: the store reads them hourly.
    for (start, end) in [
        (lowest_hour, lowest_hour + 1),
        (highest_hour - 7_200, highest_hour),
    ] {
        let window = code(start, end).expect("whole hours");
        assert_eq!(window.start, start);
        assert_eq!(
            window.end - window.start,
            if end - start == 1 { HOUR } else { 7_200 }
        );
        let request = parse(
            &[("time_ranges[]".into(), time_range(start, end))],
            Level::AdAccount,
        )
        .expect("valid");
        assert!(run(&request).is_ok());
    }
}

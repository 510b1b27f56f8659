//! `POST /v1/api/conversion`: a conversion the advertiser's server reports
//! with the `click_id` its landing page received (`thrad_click_id`).
//!
//! The click ties the conversion to its ad, ad group, campaign and
//! organization. It counts in insights when it happened inside the click's
//! window (from five minutes before the click, for clock skew, to the
//! window's end). Repeats are recognised by the `Idempotency-Key` header,
//! else `event_id`, else `order_id`, together with `click_id` and
//! `event_type`: exactly one is stored however many arrive at once.

use chrono::{NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::auth::Partner;
use super::collect::stamped_params;
use super::fields::{Fields, MAX_ID_CHARS, MAX_URL_CHARS, MAX_USER_AGENT_CHARS};
use super::{S2sError, ValidationIssue};
use crate::store;
use adspin_core::currency::is_currency;
use adspin_core::db::Database;
use adspin_core::money::Micros;
use adspin_core::time::UnixSeconds;

/// Default click-to-conversion window.
pub const DEFAULT_WINDOW_DAYS: i64 = 30;
/// How long before its click a conversion may be stamped (clock skew).
pub const CLOCK_SKEW_SECONDS: i64 = 300;
/// How far in the future a `conversion_time` may be.
pub const MAX_FUTURE_SECONDS: i64 = 600;
/// Largest `conversion_value`.
pub const MAX_VALUE: f64 = 1_000_000_000.0;
/// Most `params.extra` fields kept, and the longest string value kept.
const MAX_EXTRA_FIELDS: usize = 50;
const MAX_EXTRA_STRING_CHARS: usize = 1024;

/// A validated conversion.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    pub click_id: String,
    pub conversion_time: UnixSeconds,
    pub value_micros: i64,
    pub currency: String,
    pub event_type: String,
    pub order_id: Option<String>,
    /// `Idempotency-Key`, else `event_id`, else `order_id`.
    pub dedupe_key: Option<String>,
    /// The optional fields, with `params` stamped and `params.extra`.
    pub data: Value,
}

/// The answer to a conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Stored (and counted when inside its click's window).
    Ok,
    /// Already stored: nothing was written.
    Duplicate,
}

impl Recorded {
    pub fn status(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Duplicate => "duplicate",
        }
    }
}

/// Validates a conversion body and its `Idempotency-Key` header.
pub fn parse(
    body: &[u8],
    idempotency_key: Option<&str>,
    partner: &Partner,
    now: UnixSeconds,
) -> Result<Conversion, S2sError> {
    let mut f = Fields::parse(body)?;
    let click_id = f.required_string("click_id", MAX_ID_CHARS);
    let conversion_time =
        f.required_string("conversion_time", 64)
            .and_then(|text| match parse_datetime(&text) {
                Some(time) if time.get() > now.get() + MAX_FUTURE_SECONDS => {
                    f.issue(
                        "conversion_time",
                        "Value error, conversion_time is in the future",
                        "value_error",
                    );
                    None
                }
                Some(time) => Some(time),
                None => {
                    f.issue(
                        "conversion_time",
                        "Input should be a valid datetime (ISO 8601, such as 2026-02-19T18:00:00Z)",
                        "datetime_parsing",
                    );
                    None
                }
            });
    let value = f.required_number("conversion_value", 0.0, MAX_VALUE);
    let currency = f
        .required_string("currency", 3)
        .map(|code| code.to_ascii_uppercase())
        .and_then(|code| {
            if is_currency(&code) {
                Some(code)
            } else {
                f.issue(
                    "currency",
                    "Value error, currency must be an ISO 4217 code such as USD",
                    "value_error",
                );
                None
            }
        });
    let event_type = f.optional_string("event_type", MAX_ID_CHARS);
    if event_type.as_deref().is_some_and(|t| t.trim().is_empty()) {
        f.issue(
            "event_type",
            "String should have at least 1 character",
            "string_too_short",
        );
    }
    let order_id = f.optional_string("order_id", MAX_ID_CHARS);
    let event_id = f.optional_string("event_id", MAX_ID_CHARS);
    let mut optional = Map::new();
    for (name, max) in [
        ("tag_id", MAX_ID_CHARS),
        ("page_url", MAX_URL_CHARS),
        ("referrer", MAX_URL_CHARS),
        ("user_agent", MAX_USER_AGENT_CHARS),
        ("session_id", MAX_ID_CHARS),
        ("client_id", MAX_ID_CHARS),
    ] {
        optional.insert(name.into(), f.optional_string(name, max).into());
    }
    let extras = f.extras();
    let key = idempotency_key.map(str::trim).filter(|k| !k.is_empty());
    let mut issues = match f.finish() {
        Ok(()) => Vec::new(),
        Err(S2sError::Validation(issues)) => issues,
        Err(other) => return Err(other),
    };
    if key.is_some_and(|k| k.chars().count() > MAX_ID_CHARS) {
        issues.push(ValidationIssue {
            loc: vec!["header".into(), "idempotency-key".into()],
            msg: format!("String should have at most {MAX_ID_CHARS} characters"),
            kind: "string_too_long".into(),
        });
    }
    let (Some(click_id), Some(conversion_time), Some(value), Some(currency), true) = (
        click_id,
        conversion_time,
        value,
        currency,
        issues.is_empty(),
    ) else {
        return Err(S2sError::Validation(issues));
    };
    let dedupe_key = key
        .map(String::from)
        .or_else(|| event_id.clone())
        .or_else(|| order_id.clone());
    let mut data = json!({
        "event_id": event_id,
        "params": stamped_params(None, extras, partner),
    });
    if let Value::Object(map) = &mut data {
        map.extend(optional);
    }
    Ok(Conversion {
        click_id,
        conversion_time,
        value_micros: (value * 1e6).round() as i64,
        currency,
        event_type: event_type.unwrap_or_else(|| "purchase_completed".into()),
        order_id,
        dedupe_key,
        data,
    })
}

/// RFC 3339 / ISO 8601 date-times; one without an offset is UTC.
fn parse_datetime(text: &str) -> Option<UnixSeconds> {
    UnixSeconds::parse_iso8601(text).or_else(|| {
        NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(|naive| UnixSeconds::new(Utc.from_utc_datetime(&naive).timestamp()))
    })
}

/// Unknown top-level fields, cleaned for storage under `params.extra`:
/// names of letters, digits, `_`, `-` and `.` up to 64 characters, at most
/// [`MAX_EXTRA_FIELDS`] of them, strings cut to [`MAX_EXTRA_STRING_CHARS`].
pub fn sanitized(extras: Map<String, Value>) -> Map<String, Value> {
    extras
        .into_iter()
        .filter(|(name, _)| {
            !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        })
        .take(MAX_EXTRA_FIELDS)
        .map(|(name, value)| (name, cut_strings(value)))
        .collect()
}

fn cut_strings(value: Value) -> Value {
    match value {
        Value::String(text) if text.chars().count() > MAX_EXTRA_STRING_CHARS => {
            Value::String(text.chars().take(MAX_EXTRA_STRING_CHARS).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(cut_strings).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(name, value)| (name, cut_strings(value)))
                .collect(),
        ),
        other => other,
    }
}

/// Records `conversion` for `partner`: `404 Click not found` for a click
/// that does not exist or belongs to another organization, `400 Click
/// missing bid id` for a click on an ad no campaign bid for (a test ad or
/// another DSP's).
pub fn record(
    db: &impl Database,
    partner: &Partner,
    conversion: &Conversion,
    window_days: i64,
    now: UnixSeconds,
) -> Result<Recorded, S2sError> {
    let not_found = || S2sError::detail(404, "Click not found");
    let click = store::find_click(db, &conversion.click_id)
        .map_err(S2sError::from)?
        .ok_or_else(not_found)?;
    let Some(demand) = click.demand else {
        // A click on an ad no campaign bid for (a test ad, another DSP's):
        // only the organization that showed it learns that much; to anyone
        // else the click does not exist.
        if click.publisher_id != partner.organization_id {
            return Err(not_found());
        }
        return Err(S2sError::detail(400, "Click missing bid id"));
    };
    if demand.organization_id != partner.organization_id {
        return Err(not_found());
    }
    let time = conversion.conversion_time;
    // Like its impression and click, a conversion on an unbilled (staging)
    // click is kept but not counted.
    let attributed = click.billable
        && time >= click.at.plus_seconds(-CLOCK_SKEW_SECONDS)
        && time <= click.at.plus_seconds(window_days * 86_400);
    let counted_value = if click.account_currency.as_deref() == Some(conversion.currency.as_str()) {
        Micros::new(conversion.value_micros)
    } else {
        Micros::ZERO
    };
    let inserted = store::insert_conversion(
        db,
        partner,
        &demand,
        conversion,
        counted_value,
        attributed,
        now,
    )
    .map_err(S2sError::from)?;
    Ok(if inserted {
        Recorded::Ok
    } else {
        Recorded::Duplicate
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use adspin_core::ids::{ApiKeyId, OrganizationId};

    fn partner() -> Partner {
        Partner {
            organization_id: OrganizationId::parse("0d3e0000-0000-4000-8000-00000000000d")
                .expect("id"),
            key_id: ApiKeyId::new_random(),
            label: None,
        }
    }

    const NOW: i64 = 1_771_524_000 + 3600;

    fn parsed(body: Value, key: Option<&str>) -> Result<Conversion, S2sError> {
        parse(
            body.to_string().as_bytes(),
            key,
            &partner(),
            UnixSeconds::new(NOW),
        )
    }

    fn quickstart() -> Value {
        json!({"click_id": "11111111-1111-4111-8111-111111111111",
               "conversion_time": "2026-02-19T18:00:00Z", "conversion_value": 49.99,
               "currency": "USD", "order_id": "order-123", "event_type": "purchase_completed"})
    }

    fn issue_fields(result: Result<Conversion, S2sError>) -> Vec<String> {
        match result {
            Err(S2sError::Validation(issues)) => {
                issues.into_iter().map(|i| i.loc.join(".")).collect()
            }
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn the_quickstart_conversion_parses_with_the_header_as_its_key() {
        let conversion = parsed(quickstart(), Some("order-123")).expect("valid");
        assert_eq!(conversion.conversion_time, UnixSeconds::new(1_771_524_000));
        assert_eq!(conversion.value_micros, 49_990_000);
        assert_eq!(conversion.dedupe_key.as_deref(), Some("order-123"));
        assert_eq!(conversion.event_type, "purchase_completed");
    }

    #[test]
    fn the_key_is_the_header_then_event_id_then_order_id() {
        let mut body = quickstart();
        body["event_id"] = json!("evt-9");
        assert_eq!(
            parsed(body.clone(), Some("hdr"))
                .expect("ok")
                .dedupe_key
                .as_deref(),
            Some("hdr")
        );
        assert_eq!(
            parsed(body.clone(), None)
                .expect("ok")
                .dedupe_key
                .as_deref(),
            Some("evt-9")
        );
        body["event_id"] = Value::Null;
        assert_eq!(
            parsed(body.clone(), Some("  "))
                .expect("ok")
                .dedupe_key
                .as_deref(),
            Some("order-123")
        );
        body["order_id"] = Value::Null;
        assert_eq!(parsed(body, None).expect("ok").dedupe_key, None);
    }

    #[test]
    fn extra_fields_are_sanitized_into_params_extra() {
        let mut body = quickstart();
        body["coupon"] = json!("SPRING");
        body["bad key!"] = json!(1);
        body["note"] = json!("n".repeat(5000));
        let conversion = parsed(body, None).expect("valid");
        let extra = &conversion.data["params"]["extra"];
        assert_eq!(extra["coupon"], "SPRING");
        assert!(extra.get("bad key!").is_none());
        assert_eq!(extra["note"].as_str().map(str::len), Some(1024));
        assert_eq!(conversion.data["params"]["integration"], "partner_s2s");
    }

    #[test]
    fn every_field_is_validated() {
        assert_eq!(
            issue_fields(parsed(json!({}), None)),
            [
                "body.click_id",
                "body.conversion_time",
                "body.conversion_value",
                "body.currency"
            ]
        );
        assert_eq!(
            issue_fields(parsed(
                json!({"click_id": 7, "conversion_time": "19/02/2026", "conversion_value": "lots",
                       "currency": "ZZZ", "event_type": ""}),
                Some(&"k".repeat(300))
            )),
            [
                "body.click_id",
                "body.conversion_time",
                "body.conversion_value",
                "body.currency",
                "body.event_type",
                "header.idempotency-key"
            ]
        );
        let mut future = quickstart();
        future["conversion_time"] = json!("2026-02-19T20:00:00Z");
        assert_eq!(issue_fields(parsed(future, None)), ["body.conversion_time"]);
        let mut negative = quickstart();
        negative["conversion_value"] = json!(-1);
        assert_eq!(
            issue_fields(parsed(negative, None)),
            ["body.conversion_value"]
        );
    }

    #[test]
    fn lenient_where_pydantic_is() {
        let mut body = quickstart();
        body["conversion_value"] = json!("49.99");
        body["currency"] = json!("usd");
        body["conversion_time"] = json!("2026-02-19T18:00:00");
        let conversion = parsed(body, None).expect("valid");
        assert_eq!(conversion.value_micros, 49_990_000);
        assert_eq!(conversion.currency, "USD");
        assert_eq!(conversion.conversion_time, UnixSeconds::new(1_771_524_000));
    }

    mod recording {
        use super::*;
        use adspin_core::db::native::NativeDb;
        use adspin_core::money::Micros;
        use adspin_core::testing;

        const CLICKED: i64 = 1_771_520_000;

        struct Setup {
            db: NativeDb,
            partner: Partner,
            click: String,
        }

        fn setup() -> Setup {
            let db = testing::database();
            let org = testing::organization(&db);
            let demand = testing::live_ad(&db, org);
            let impression = testing::impression(
                &db,
                Some(demand),
                true,
                Micros::new(2_000_000),
                UnixSeconds::new(CLICKED - 60),
            );
            let click = testing::click(&db, &impression, UnixSeconds::new(CLICKED));
            let partner = Partner {
                organization_id: org,
                key_id: ApiKeyId::new_random(),
                label: None,
            };
            Setup { db, partner, click }
        }

        fn conversion(setup: &Setup, at: i64, currency: &str, key: Option<&str>) -> Conversion {
            Conversion {
                click_id: setup.click.clone(),
                conversion_time: UnixSeconds::new(at),
                value_micros: 10_000_000,
                currency: currency.into(),
                event_type: "purchase_completed".into(),
                order_id: None,
                dedupe_key: key.map(String::from),
                data: json!({}),
            }
        }

        fn record_at(setup: &Setup, conversion: &Conversion) -> Result<Recorded, S2sError> {
            record(
                &setup.db,
                &setup.partner,
                conversion,
                DEFAULT_WINDOW_DAYS,
                UnixSeconds::new(CLICKED),
            )
        }

        /// (conversions, value) in the hourly and the daily rollups.
        fn counted(db: &NativeDb) -> [(i64, i64); 2] {
            ["rollups_hourly", "rollups_daily"].map(|table| {
                let row = db
                    .query_row(
                        &format!(
                            "SELECT TOTAL(conversions), TOTAL(conversion_value_micros) FROM {table}"
                        ),
                        &[],
                    )
                    .expect("sum")
                    .expect("row");
                (
                    row.real(0).unwrap_or_default() as i64,
                    row.real(1).unwrap_or_default() as i64,
                )
            })
        }

        #[test]
        fn a_conversion_in_the_window_counts_once_per_key() {
            let s = setup();
            let reported = conversion(&s, CLICKED + 3_600, "USD", Some("order-1"));
            assert_eq!(record_at(&s, &reported).expect("ok"), Recorded::Ok);
            assert_eq!(record_at(&s, &reported).expect("ok"), Recorded::Duplicate);
            assert_eq!(counted(&s.db), [(1, 10_000_000); 2]);
            let unkeyed = conversion(&s, CLICKED + 7_200, "USD", None);
            assert_eq!(record_at(&s, &unkeyed).expect("ok"), Recorded::Ok);
            assert_eq!(record_at(&s, &unkeyed).expect("ok"), Recorded::Ok);
            assert_eq!(counted(&s.db), [(3, 30_000_000); 2]);
        }

        #[test]
        fn outside_the_window_it_is_stored_but_not_counted() {
            let s = setup();
            let late = conversion(&s, CLICKED + 31 * 86_400, "USD", Some("late"));
            let early = conversion(&s, CLICKED - 600, "USD", Some("early"));
            let skewed = conversion(&s, CLICKED - 120, "USD", Some("skewed"));
            for reported in [&late, &early, &skewed] {
                assert_eq!(record_at(&s, reported).expect("ok"), Recorded::Ok);
            }
            assert_eq!(
                counted(&s.db),
                [(1, 10_000_000); 2],
                "only the one within clock skew"
            );
            let stored =
                s.db.query_row("SELECT COUNT(*), SUM(attributed) FROM conversions", &[])
                    .expect("count")
                    .expect("row");
            assert_eq!((stored.integer(0), stored.integer(1)), (Some(3), Some(1)));
        }

        #[test]
        fn a_conversion_on_an_unbilled_click_is_stored_but_not_counted() {
            let s = setup();
            let org = s.partner.organization_id;
            let demand = testing::live_ad(&s.db, org);
            let staging = testing::impression(
                &s.db,
                Some(demand),
                false,
                Micros::new(2_000_000),
                UnixSeconds::new(CLICKED - 60),
            );
            let click = testing::click(&s.db, &staging, UnixSeconds::new(CLICKED));
            let mut reported = conversion(&s, CLICKED + 60, "USD", None);
            reported.click_id = click;
            assert_eq!(record_at(&s, &reported).expect("ok"), Recorded::Ok);
            assert_eq!(counted(&s.db), [(0, 0); 2]);
            let stored =
                s.db.query_row("SELECT COUNT(*), SUM(attributed) FROM conversions", &[])
                    .expect("count")
                    .expect("row");
            assert_eq!((stored.integer(0), stored.integer(1)), (Some(1), Some(0)));
        }

        #[test]
        fn a_foreign_currency_counts_the_conversion_without_its_value() {
            let s = setup();
            let euros = conversion(&s, CLICKED + 60, "EUR", None);
            assert_eq!(record_at(&s, &euros).expect("ok"), Recorded::Ok);
            assert_eq!(counted(&s.db), [(1, 0); 2]);
        }

        fn status(result: Result<Recorded, S2sError>) -> String {
            match result {
                Err(S2sError::Detail { status, detail }) => format!("{status} {detail}"),
                other => format!("{other:?}"),
            }
        }

        #[test]
        fn unknown_foreign_and_unattributable_clicks_are_refused() {
            let s = setup();
            let mut unknown = conversion(&s, CLICKED, "USD", None);
            unknown.click_id = uuid::Uuid::new_v4().to_string();
            assert_eq!(status(record_at(&s, &unknown)), "404 Click not found");

            let stranger = Partner {
                organization_id: testing::organization(&s.db),
                key_id: ApiKeyId::new_random(),
                label: None,
            };
            let theirs = conversion(&s, CLICKED, "USD", None);
            assert_eq!(
                status(record(
                    &s.db,
                    &stranger,
                    &theirs,
                    30,
                    UnixSeconds::new(CLICKED)
                )),
                "404 Click not found"
            );

            let other_dsp = testing::impression(
                &s.db,
                None,
                true,
                Micros::new(1_000_000),
                UnixSeconds::new(CLICKED),
            );
            // Shown by the partner's own organization as a publisher.
            s.db.execute(
                "UPDATE impressions SET publisher_id = ?1 WHERE id = ?2",
                &[s.partner.organization_id.into(), other_dsp.as_str().into()],
            )
            .expect("publisher");
            let mut unattributable = conversion(&s, CLICKED, "USD", None);
            unattributable.click_id = testing::click(&s.db, &other_dsp, UnixSeconds::new(CLICKED));
            assert_eq!(
                status(record_at(&s, &unattributable)),
                "400 Click missing bid id"
            );
            assert_eq!(
                status(record(
                    &s.db,
                    &stranger,
                    &unattributable,
                    30,
                    UnixSeconds::new(CLICKED)
                )),
                "404 Click not found",
                "another organization learns nothing about the click"
            );
            assert_eq!(counted(&s.db), [(0, 0); 2]);
        }
    }
}

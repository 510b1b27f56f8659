//! The query parameters of the insights endpoints, validated.
//!
//! Arrays repeat their name with or without brackets
//! (`fields[]=clicks&fields[]=spend`); `time_ranges[]` and `filters[]` are
//! JSON objects.

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde_json::Value;

use adspin_core::api_error::ApiError;
use adspin_core::pagination::{INSIGHTS_MAX_LIMIT, Order, PageRequest};
use adspin_core::time::UnixSeconds;
use adspin_core::web::Query;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
/// Longest time window.
pub const MAX_RANGE_DAYS: i64 = 366;
/// Longest time window with `hourly` granularity.
pub const MAX_HOURLY_RANGE_HOURS: i64 = 25;
/// Most time windows in one request.
pub const MAX_TIME_RANGES: usize = 10;
/// Most filters in one request.
pub const MAX_FILTERS: usize = 20;

/// The scopes and aggregation levels, from the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    AdAccount,
    Campaign,
    AdGroup,
    Ad,
}

impl Level {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ad_account" => Some(Self::AdAccount),
            "campaign" => Some(Self::Campaign),
            "ad_group" => Some(Self::AdGroup),
            "ad" => Some(Self::Ad),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AdAccount => "ad_account",
            Self::Campaign => "campaign",
            Self::AdGroup => "ad_group",
            Self::Ad => "ad",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Hourly,
    Daily,
    Monthly,
    /// One bucket per time window.
    None,
}

/// The metrics a row can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Impressions,
    Views,
    Clicks,
    Conversions,
    ConversionValue,
    Spend,
    Ctr,
    Cpc,
    Cpm,
}

impl Metric {
    pub const ALL: [Metric; 9] = [
        Self::Impressions,
        Self::Views,
        Self::Clicks,
        Self::Conversions,
        Self::ConversionValue,
        Self::Spend,
        Self::Ctr,
        Self::Cpc,
        Self::Cpm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Impressions => "impressions",
            Self::Views => "views",
            Self::Clicks => "clicks",
            Self::Conversions => "conversions",
            Self::ConversionValue => "conversion_value",
            Self::Spend => "spend",
            Self::Ctr => "ctr",
            Self::Cpc => "cpc",
            Self::Cpm => "cpm",
        }
    }

    /// `clicks`, `ad.clicks` and `campaign.clicks` all name clicks.
    pub fn parse(text: &str) -> Option<Self> {
        let name = match text.split_once('.') {
            Some((prefix, name)) if Level::parse(prefix).is_some() => name,
            Some(_) => return None,
            None => text,
        };
        Self::ALL.into_iter().find(|metric| metric.name() == name)
    }
}

/// A dimension rows can be filtered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Campaign,
    AdGroup,
    Ad,
    Supply,
}

impl Dimension {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "campaign.id" | "campaign_id" => Some(Self::Campaign),
            "ad_group.id" | "ad_group_id" => Some(Self::AdGroup),
            "ad.id" | "ad_id" => Some(Self::Ad),
            "supply" => Some(Self::Supply),
            _ => None,
        }
    }

    /// The rollup column.
    pub fn column(self) -> &'static str {
        match self {
            Self::Campaign => "campaign_id",
            Self::AdGroup => "ad_group_id",
            Self::Ad => "ad_id",
            Self::Supply => "supply",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Equals,
    NotEquals,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
}

impl Comparison {
    pub fn sql(self) -> &'static str {
        match self {
            Self::Equals => "=",
            Self::NotEquals => "<>",
            Self::GreaterThan => ">",
            Self::GreaterThanOrEqual => ">=",
            Self::LessThan => "<",
            Self::LessThanOrEqual => "<=",
        }
    }
}

/// A validated filter: the three kinds of field.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// An id or the supply is (not) one of `values`.
    Dimension {
        dimension: Dimension,
        values: Vec<String>,
        negated: bool,
    },
    /// A metric of the row compares to a number (dollars for money,
    /// a fraction for `ctr`).
    Metric {
        metric: Metric,
        comparison: Comparison,
        value: f64,
    },
}

/// A time window: `[start, end)`, whole hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: i64,
    pub end: i64,
}

/// Everything an insights request asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct InsightsRequest {
    pub level: Level,
    pub granularity: Granularity,
    pub windows: Vec<Window>,
    pub metrics: Vec<Metric>,
    pub filters: Vec<Filter>,
    /// Rows split by supply (`segments[]=supply`).
    pub by_supply: bool,
    pub page: PageRequest,
}

/// Reads the request for an endpoint of `scope`.
pub fn parse(query: &Query, scope: Level, now: UnixSeconds) -> Result<InsightsRequest, ApiError> {
    let granularity = match query.get("time_granularity") {
        None | Some("daily") => Granularity::Daily,
        Some("hourly") => Granularity::Hourly,
        Some("monthly") => Granularity::Monthly,
        Some("none") => Granularity::None,
        Some(_) => {
            return Err(ApiError::invalid_value(
                "time_granularity",
                "time_granularity must be one of hourly, daily, monthly, none.",
            ));
        }
    };
    let level = match query.get("aggregation_level") {
        None => scope,
        Some(text) => {
            let level = Level::parse(text).ok_or_else(|| {
                ApiError::invalid_value(
                    "aggregation_level",
                    "aggregation_level must be one of ad_account, campaign, ad_group, ad.",
                )
            })?;
            if level < scope {
                return Err(ApiError::invalid_request(
                    "aggregation_level_too_high",
                    format!(
                        "aggregation_level {} is above this endpoint's scope ({}): use {} or a deeper level.",
                        level.as_str(),
                        scope.as_str(),
                        scope.as_str()
                    ),
                )
                .with_param("aggregation_level"));
            }
            level
        }
    };
    let windows = windows(&query.array("time_ranges"), granularity, now)?;
    let metrics = metrics(&query.array("fields"))?;
    let filters = filters(&query.array("filters"))?;
    let mut by_supply = false;
    for segment in query.array("segments") {
        if segment != "supply" {
            return Err(ApiError::invalid_value(
                "segments",
                "The only segment is supply.",
            ));
        }
        by_supply = true;
    }
    let mut page = PageRequest::from_query(query, INSIGHTS_MAX_LIMIT)?;
    if query.get("order").is_none() {
        page.order = Order::Asc;
    }
    Ok(InsightsRequest {
        level,
        granularity,
        windows,
        metrics,
        filters,
        by_supply,
        page,
    })
}

fn metrics(values: &[&str]) -> Result<Vec<Metric>, ApiError> {
    if values.is_empty() {
        return Ok(vec![Metric::Impressions, Metric::Clicks, Metric::Spend]);
    }
    let mut metrics = Vec::new();
    for value in values {
        let metric = Metric::parse(value).ok_or_else(|| {
            ApiError::invalid_request(
                "unknown_field",
                format!(
                    "Unknown field '{value}'. Fields are impressions, views, clicks, conversions, \
                     conversion_value, spend, ctr, cpc and cpm."
                ),
            )
            .with_param("fields")
        })?;
        if !metrics.contains(&metric) {
            metrics.push(metric);
        }
    }
    Ok(metrics)
}

fn invalid_filter(message: impl Into<String>) -> ApiError {
    ApiError::invalid_request("invalid_filter", message).with_param("filters")
}

fn filters(values: &[&str]) -> Result<Vec<Filter>, ApiError> {
    if values.len() > MAX_FILTERS {
        return Err(invalid_filter(format!("At most {MAX_FILTERS} filters.")));
    }
    values.iter().map(|text| filter(text)).collect()
}

fn filter(text: &str) -> Result<Filter, ApiError> {
    let value: Value = serde_json::from_str(text).map_err(|_| {
        invalid_filter("A filter is a JSON object {\"field\", \"operator\", \"value\"}.")
    })?;
    let (Some(field), Some(operator)) = (value["field"].as_str(), value["operator"].as_str())
    else {
        return Err(invalid_filter(
            "A filter is a JSON object {\"field\", \"operator\", \"value\"}.",
        ));
    };
    let bad_operator = |allowed: &str| {
        ApiError::invalid_request(
            "invalid_filter_operator",
            format!("Operator '{operator}' cannot filter '{field}'; use {allowed}."),
        )
        .with_param("filters")
    };
    if let Some(dimension) = Dimension::parse(field) {
        let (negated, many) = match operator {
            "equals" => (false, false),
            "not_equals" => (true, false),
            "in" => (false, true),
            "not_in" => (true, true),
            _ => return Err(bad_operator("equals, not_equals, in or not_in")),
        };
        let values: Option<Vec<String>> = if many {
            value["value"].as_array().and_then(|items| {
                items
                    .iter()
                    .map(|item| item.as_str().map(String::from))
                    .collect()
            })
        } else {
            value["value"].as_str().map(|v| vec![v.to_string()])
        };
        let values = values
            .filter(|v| !v.is_empty() && v.len() <= 100)
            .ok_or_else(|| {
                invalid_filter(format!(
                    "The value of a '{operator}' filter on '{field}' is {}.",
                    if many {
                        "an array of 1 to 100 strings"
                    } else {
                        "a string"
                    }
                ))
            })?;
        return Ok(Filter::Dimension {
            dimension,
            values,
            negated,
        });
    }
    if let Some(metric) = Metric::parse(field) {
        let comparison = match operator {
            "equals" => Comparison::Equals,
            "not_equals" => Comparison::NotEquals,
            "greater_than" => Comparison::GreaterThan,
            "greater_than_or_equal" => Comparison::GreaterThanOrEqual,
            "less_than" => Comparison::LessThan,
            "less_than_or_equal" => Comparison::LessThanOrEqual,
            _ => {
                return Err(bad_operator(
                    "equals, not_equals, greater_than, greater_than_or_equal, less_than or less_than_or_equal",
                ));
            }
        };
        let value = value["value"]
            .as_f64()
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                invalid_filter(format!("The value of a filter on '{field}' is a number."))
            })?;
        return Ok(Filter::Metric {
            metric,
            comparison,
            value,
        });
    }
    Err(invalid_filter(format!(
        "Unknown filter field '{field}'. Filter on campaign.id, ad_group.id, ad.id, supply or a metric."
    )))
}

fn windows(
    values: &[&str],
    granularity: Granularity,
    now: UnixSeconds,
) -> Result<Vec<Window>, ApiError> {
    if values.is_empty() {
        return Ok(vec![default_window(granularity, now)]);
    }
    if values.len() > MAX_TIME_RANGES {
        return Err(ApiError::invalid_value(
            "time_ranges",
            format!("At most {MAX_TIME_RANGES} time ranges."),
        ));
    }
    values
        .iter()
        .map(|text| {
            let window = window(text, now)?;
            check_window(window, granularity)?;
            Ok(window)
        })
        .collect()
}

/// The last 30 days including today, or with `hourly` the last 24 hours
/// including the current one.
fn default_window(granularity: Granularity, now: UnixSeconds) -> Window {
    if granularity == Granularity::Hourly {
        let next_hour = now.get() - now.get().rem_euclid(HOUR) + HOUR;
        return Window {
            start: next_hour - 24 * HOUR,
            end: next_hour,
        };
    }
    let tomorrow = now.get() - now.get().rem_euclid(DAY) + DAY;
    Window {
        start: tomorrow - 30 * DAY,
        end: tomorrow,
    }
}

fn bad_range(message: impl Into<String>) -> ApiError {
    ApiError::invalid_value("time_ranges", message)
}

const RANGE_SHAPES: &str = "A time range is {\"type\": \"date_range\", \"since\": \"YYYY-MM-DD\", \"until\": \"YYYY-MM-DD\"}, \
     {\"type\": \"time_range\", \"start_time\": <Unix seconds>, \"end_time\": <Unix seconds>} or \
     {\"type\": \"preset\", \"preset\": \"today\" | \"yesterday\" | \"last_7_days\" | \"last_14_days\" | \
     \"last_30_days\" | \"last_90_days\" | \"this_month\" | \"last_month\"}.";

fn window(text: &str, now: UnixSeconds) -> Result<Window, ApiError> {
    let value: Value = serde_json::from_str(text).map_err(|_| bad_range(RANGE_SHAPES))?;
    match value["type"].as_str() {
        Some("date_range") => {
            let day = |name: &str| {
                value[name]
                    .as_str()
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                    .ok_or_else(|| bad_range(RANGE_SHAPES))
            };
            let (since, until) = (day("since")?, day("until")?);
            Ok(Window {
                start: midnight(since),
                end: midnight(until) + DAY,
            })
        }
        Some("time_range") => {
            let (Some(start), Some(end)) =
                (value["start_time"].as_i64(), value["end_time"].as_i64())
            else {
                return Err(bad_range(RANGE_SHAPES));
            };
            // Rollups are hourly: the window widens to whole hours, which
            // the first and last hours of `i64` seconds are not.
            let start = start.checked_sub(start.rem_euclid(HOUR));
            let end = end.checked_add((HOUR - end.rem_euclid(HOUR)) % HOUR);
            let (Some(start), Some(end)) = (start, end) else {
                return Err(bad_range(
                    "start_time and end_time must widen to whole hours within 64-bit Unix seconds.",
                ));
            };
            Ok(Window { start, end })
        }
        Some("preset") => value["preset"]
            .as_str()
            .and_then(|name| preset(name, now))
            .ok_or_else(|| bad_range(RANGE_SHAPES)),
        _ => Err(bad_range(RANGE_SHAPES)),
    }
}

fn midnight(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .map(|t| Utc.from_utc_datetime(&t).timestamp())
        .unwrap_or_default()
}

fn preset(name: &str, now: UnixSeconds) -> Option<Window> {
    let today = Utc.timestamp_opt(now.get(), 0).single()?.date_naive();
    let tomorrow = midnight(today) + DAY;
    let trailing = |days: i64| Window {
        start: tomorrow - days * DAY,
        end: tomorrow,
    };
    let first_of_month = today.with_day(1)?;
    Some(match name {
        "today" => trailing(1),
        "yesterday" => Window {
            start: tomorrow - 2 * DAY,
            end: tomorrow - DAY,
        },
        "last_7_days" => trailing(7),
        "last_14_days" => trailing(14),
        "last_30_days" => trailing(30),
        "last_90_days" => trailing(90),
        "this_month" => Window {
            start: midnight(first_of_month),
            end: tomorrow,
        },
        "last_month" => {
            let previous = (first_of_month - Duration::days(1)).with_day(1)?;
            Window {
                start: midnight(previous),
                end: midnight(first_of_month),
            }
        }
        _ => return None,
    })
}

fn check_window(window: Window, granularity: Granularity) -> Result<(), ApiError> {
    if window.end <= window.start {
        return Err(ApiError::invalid_request(
            "invalid_time_range",
            "A time range must end after it starts.",
        )
        .with_param("time_ranges"));
    }
    // Saturating: the span of two 64-bit times may not fit in 64 bits.
    let span = window.end.saturating_sub(window.start);
    if span > MAX_RANGE_DAYS * DAY {
        return Err(ApiError::invalid_request(
            "range_too_wide",
            format!("A time range spans at most {MAX_RANGE_DAYS} days."),
        )
        .with_param("time_ranges"));
    }
    if granularity == Granularity::Hourly && span > MAX_HOURLY_RANGE_HOURS * HOUR {
        return Err(ApiError::invalid_request(
            "hourly_range_too_wide",
            format!(
                "With hourly granularity a time range spans at most {MAX_HOURLY_RANGE_HOURS} hours."
            ),
        )
        .with_param("time_ranges"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-04-15T10:30:00Z
    const NOW: i64 = 1_776_249_000;

    fn request(query: &str, scope: Level) -> Result<InsightsRequest, ApiError> {
        parse(&Query::parse(query), scope, UnixSeconds::new(NOW))
    }

    fn code(result: Result<InsightsRequest, ApiError>) -> (String, Option<String>) {
        let error = result.expect_err("an error");
        (error.code().to_string(), error.param().map(String::from))
    }

    #[test]
    fn defaults_are_daily_rows_of_the_scope_over_the_last_30_days() {
        let r = request("", Level::Campaign).expect("valid");
        assert_eq!(r.level, Level::Campaign);
        assert_eq!(r.granularity, Granularity::Daily);
        assert_eq!(
            r.metrics,
            [Metric::Impressions, Metric::Clicks, Metric::Spend]
        );
        let tomorrow = 1_776_297_600; // 2026-04-16T00:00:00Z
        assert_eq!(
            r.windows,
            [Window {
                start: tomorrow - 30 * DAY,
                end: tomorrow
            }]
        );
        assert_eq!(r.page.limit, 20);
        assert_eq!(r.page.order, Order::Asc);
        let hourly = request("time_granularity=hourly", Level::Ad).expect("valid");
        assert_eq!(hourly.windows[0].end - hourly.windows[0].start, 24 * HOUR);
    }

    #[test]
    fn levels_may_go_deeper_than_the_scope_never_higher() {
        assert_eq!(
            request("aggregation_level=ad", Level::Campaign)
                .expect("ok")
                .level,
            Level::Ad
        );
        assert_eq!(
            code(request("aggregation_level=ad_account", Level::Campaign)),
            (
                "aggregation_level_too_high".into(),
                Some("aggregation_level".into())
            )
        );
        assert_eq!(
            code(request("aggregation_level=creative", Level::AdAccount)),
            ("invalid_value".into(), Some("aggregation_level".into()))
        );
        assert_eq!(
            code(request("time_granularity=weekly", Level::AdAccount)),
            ("invalid_value".into(), Some("time_granularity".into()))
        );
    }

    #[test]
    fn time_ranges_of_each_type_and_their_limits() {
        let window = |range: &str| {
            request(&format!("time_ranges[]={range}"), Level::AdAccount).map(|r| r.windows[0])
        };
        assert_eq!(
            window(r#"{"type":"date_range","since":"2026-04-01","until":"2026-04-02"}"#)
                .expect("ok"),
            Window {
                start: 1_775_001_600,
                end: 1_775_001_600 + 2 * DAY
            }
        );
        assert_eq!(
            window(r#"{"type":"time_range","start_time":1775001601,"end_time":1775005199}"#)
                .expect("ok"),
            Window {
                start: 1_775_001_600,
                end: 1_775_005_200
            }
        );
        assert_eq!(
            window(r#"{"type":"preset","preset":"last_month"}"#).expect("ok"),
            Window {
                start: 1_772_323_200,
                end: 1_775_001_600
            } // March 2026
        );
        let error = |query: &str| code(request(query, Level::AdAccount)).0;
        assert_eq!(
            error(
                r#"time_ranges[]={"type":"date_range","since":"2026-04-02","until":"2026-04-01"}"#
            ),
            "invalid_time_range"
        );
        assert_eq!(
            error(
                r#"time_ranges[]={"type":"date_range","since":"2025-01-01","until":"2026-04-01"}"#
            ),
            "range_too_wide"
        );
        assert_eq!(
            error(
                r#"time_granularity=hourly&time_ranges[]={"type":"preset","preset":"last_7_days"}"#
            ),
            "hourly_range_too_wide"
        );
        assert_eq!(
            error(r#"time_ranges[]={"type":"forever"}"#),
            "invalid_value"
        );
        assert_eq!(error("time_ranges[]=yesterday"), "invalid_value");
    }

    #[test]
    fn fields_accept_level_prefixes_and_reject_unknowns() {
        let r = request(
            "fields[]=ad.clicks&fields[]=ctr&fields=conversion_value",
            Level::Ad,
        )
        .expect("ok");
        assert_eq!(
            r.metrics,
            [Metric::Clicks, Metric::Ctr, Metric::ConversionValue]
        );
        assert_eq!(
            code(request("fields[]=reach", Level::Ad)),
            ("unknown_field".into(), Some("fields".into()))
        );
        assert_eq!(
            code(request("fields[]=foo.clicks", Level::Ad)).0,
            "unknown_field"
        );
    }

    #[test]
    fn filters_of_the_three_kinds() {
        let r = request(
            r#"filters[]={"field":"supply","operator":"equals","value":"chatgpt"}&filters[]={"field":"campaign.id","operator":"in","value":["a","b"]}&filters[]={"field":"clicks","operator":"greater_than","value":3}"#,
            Level::AdAccount,
        )
        .expect("ok");
        assert_eq!(r.filters.len(), 3);
        let error =
            |filter: &str| code(request(&format!("filters[]={filter}"), Level::AdAccount)).0;
        assert_eq!(
            error(r#"{"field":"country","operator":"equals","value":"US"}"#),
            "invalid_filter"
        );
        assert_eq!(
            error(r#"{"field":"supply","operator":"greater_than","value":"x"}"#),
            "invalid_filter_operator"
        );
        assert_eq!(
            error(r#"{"field":"clicks","operator":"in","value":[1]}"#),
            "invalid_filter_operator"
        );
        assert_eq!(
            error(r#"{"field":"clicks","operator":"equals","value":"many"}"#),
            "invalid_filter"
        );
        assert_eq!(
            error(r#"{"field":"ad.id","operator":"in","value":[]}"#),
            "invalid_filter"
        );
        assert_eq!(error("not-json"), "invalid_filter");
    }

    #[test]
    fn limits_and_segments() {
        assert_eq!(
            request("limit=2000", Level::Ad).expect("ok").page.limit,
            2000
        );
        assert_eq!(
            code(request("limit=2001", Level::Ad)),
            ("invalid_value".into(), Some("limit".into()))
        );
        assert_eq!(code(request("limit=0", Level::Ad)).0, "invalid_value");
        assert!(
            request("segments[]=supply", Level::Ad)
                .expect("ok")
                .by_supply
        );
        assert_eq!(
            code(request("segments[]=device", Level::Ad)),
            ("invalid_value".into(), Some("segments".into()))
        );
    }
}

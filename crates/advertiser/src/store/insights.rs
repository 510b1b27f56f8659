//! Insights rows from the rollups, in one SQL statement.
//!
//! Whole UTC days of a window are read from `rollups_daily`, its partial
//! first and last days (and every `hourly` request) from `rollups_hourly`;
//! raw events are never scanned. Rows are grouped by window, time bucket,
//! the entities of the aggregation level and (when segmented) the supply,
//! filtered, and paged by that same key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::insights::params::{
    Comparison, Filter, Granularity, InsightsRequest, Level, Metric, Window,
};
use adspin_core::db::{Database, DbError, SqlValue};
use adspin_core::ids::OrganizationId;
use adspin_core::pagination::Cursor;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// What an insights endpoint covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub organization: OrganizationId,
    pub level: Level,
    /// The campaign, ad group or ad id of the endpoint (none for the account).
    pub id: Option<String>,
}

/// The position of a row in the list (also its id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowKey {
    pub window: i64,
    pub bucket: i64,
    pub campaign_id: String,
    pub ad_group_id: String,
    pub ad_id: String,
    pub supply: String,
}

impl RowKey {
    /// `ins_` and the key, base64url-encoded JSON.
    pub fn id(&self) -> String {
        let key = json!([
            self.window,
            self.bucket,
            self.campaign_id,
            self.ad_group_id,
            self.ad_id,
            self.supply
        ]);
        format!("ins_{}", URL_SAFE_NO_PAD.encode(key.to_string()))
    }

    pub fn parse(id: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(id.strip_prefix("ins_")?).ok()?;
        let value: Value = serde_json::from_slice(&bytes).ok()?;
        let text = |i: usize| value.get(i)?.as_str().map(String::from);
        Some(Self {
            window: value.get(0)?.as_i64()?,
            bucket: value.get(1)?.as_i64()?,
            campaign_id: text(2)?,
            ad_group_id: text(3)?,
            ad_id: text(4)?,
            supply: text(5)?,
        })
    }
}

/// One aggregated row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsightsRow {
    pub key: RowKey,
    pub impressions: i64,
    pub views: i64,
    pub clicks: i64,
    pub conversions: i64,
    pub conversion_value_micros: i64,
    pub spend_micros: i64,
}

/// SQL text and its parameters, built together so they stay in order.
#[derive(Default)]
struct Sql {
    text: String,
    params: Vec<SqlValue>,
}

impl Sql {
    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    fn bind(&mut self, value: impl Into<SqlValue>) -> &mut Self {
        self.text.push('?');
        self.params.push(value.into());
        self
    }

    fn bind_list(&mut self, values: &[String]) -> &mut Self {
        self.text.push('(');
        for (index, value) in values.iter().enumerate() {
            if index > 0 {
                self.text.push_str(", ");
            }
            self.bind(value.as_str());
        }
        self.text.push(')');
        self
    }
}

/// The rollup table and time column a part of a window is read from.
#[derive(Clone, Copy)]
enum Source {
    Hourly,
    Daily,
}

impl Source {
    fn table(self) -> &'static str {
        match self {
            Self::Hourly => "rollups_hourly",
            Self::Daily => "rollups_daily",
        }
    }

    fn time(self) -> &'static str {
        match self {
            Self::Hourly => "hour",
            Self::Daily => "day",
        }
    }
}

/// The parts of a window and where each is read from.
fn parts(window: Window, granularity: Granularity) -> Vec<(Source, i64, i64)> {
    if granularity == Granularity::Hourly {
        return vec![(Source::Hourly, window.start, window.end)];
    }
    // Near the ends of `i64` seconds a day boundary may not exist:
    // saturating puts it past the window, which is then read hourly.
    let first_day = window
        .start
        .saturating_add((DAY - window.start.rem_euclid(DAY)) % DAY);
    let last_day = window.end.saturating_sub(window.end.rem_euclid(DAY));
    if first_day >= last_day {
        return vec![(Source::Hourly, window.start, window.end)];
    }
    let mut parts = vec![(Source::Daily, first_day, last_day)];
    if window.start < first_day {
        parts.push((Source::Hourly, window.start, first_day));
    }
    if last_day < window.end {
        parts.push((Source::Hourly, last_day, window.end));
    }
    parts
}

/// Adds the bucket a row falls in. Values are bound, never written into
/// the text, so the statement text depends only on the request's shape
/// and the host's prepared-statement cache keeps it.
fn push_bucket(sql: &mut Sql, granularity: Granularity, time: &str, window: Window) {
    match granularity {
        Granularity::Hourly => sql.push(time),
        Granularity::Daily => sql.push(&format!("({time} - {time} % {DAY})")),
        Granularity::Monthly => sql.push(&format!(
            "CAST(strftime('%s', {time}, 'unixepoch', 'start of month') AS INTEGER)"
        )),
        Granularity::None => sql.bind(window.start),
    };
}

/// The supply label of rows not split by supply: the one supply a filter
/// keeps, else `all`.
pub fn supply_label(request: &InsightsRequest) -> String {
    request
        .filters
        .iter()
        .find_map(|filter| match filter {
            Filter::Dimension {
                dimension: crate::insights::params::Dimension::Supply,
                values,
                negated: false,
            } if values.len() == 1 => Some(values[0].clone()),
            _ => None,
        })
        .unwrap_or_else(|| "all".to_string())
}

/// The SQL of a metric over the grouped rows (dollars for money).
fn metric_expression(metric: Metric) -> &'static str {
    match metric {
        Metric::Impressions => "SUM(impressions)",
        Metric::Views => "SUM(views)",
        Metric::Clicks => "SUM(clicks)",
        Metric::Conversions => "SUM(conversions)",
        Metric::ConversionValue => "(SUM(conversion_value_micros) / 1e6)",
        Metric::Spend => "(SUM(spend_micros) / 1e6)",
        Metric::Ctr => "COALESCE(CAST(SUM(clicks) AS REAL) / NULLIF(SUM(impressions), 0), 0)",
        Metric::Cpc => "COALESCE(SUM(spend_micros) / 1e6 / NULLIF(SUM(clicks), 0), 0)",
        Metric::Cpm => "COALESCE(SUM(spend_micros) / 1e3 / NULLIF(SUM(impressions), 0), 0)",
    }
}

fn source_select(
    sql: &mut Sql,
    scope: &Scope,
    request: &InsightsRequest,
    index: usize,
    window: Window,
    part: (Source, i64, i64),
    supply: &str,
) {
    let (source, from, to) = part;
    let time = source.time();
    let entity = |level: Level, column: &str| {
        if request.level >= level {
            column.to_string()
        } else {
            "''".to_string()
        }
    };
    sql.push(&format!("SELECT {index} AS w, "));
    push_bucket(sql, request.granularity, time, window);
    sql.push(&format!(
        " AS bucket, {} AS c, {} AS g, {} AS a, ",
        entity(Level::Campaign, "campaign_id"),
        entity(Level::AdGroup, "ad_group_id"),
        entity(Level::Ad, "ad_id"),
    ));
    if request.by_supply {
        sql.push("supply");
    } else {
        sql.bind(supply);
    }
    sql.push(&format!(
        " AS s, impressions, views, clicks, conversions, conversion_value_micros, spend_micros FROM {} \
         WHERE organization_id = ",
        source.table()
    ));
    sql.bind(scope.organization.to_string());
    sql.push(&format!(" AND {time} >= "))
        .bind(from)
        .push(&format!(" AND {time} < "))
        .bind(to);
    if let Some(id) = &scope.id {
        let column = match scope.level {
            Level::Campaign => "campaign_id",
            Level::AdGroup => "ad_group_id",
            _ => "ad_id",
        };
        sql.push(&format!(" AND {column} = ")).bind(id.as_str());
    }
    for filter in &request.filters {
        if let Filter::Dimension {
            dimension,
            values,
            negated,
        } = filter
        {
            sql.push(&format!(
                " AND {} {} ",
                dimension.column(),
                if *negated { "NOT IN" } else { "IN" }
            ))
            .bind_list(values);
        }
    }
}

/// One page of rows (up to `limit + 1`, to learn `has_more`).
pub fn rows(
    db: &impl Database,
    scope: &Scope,
    request: &InsightsRequest,
    cursor: Option<&RowKey>,
) -> Result<Vec<InsightsRow>, DbError> {
    let supply = supply_label(request);
    let mut sql = Sql::default();
    sql.push("SELECT w, bucket, c, g, a, s, impressions, views, clicks, conversions, conversion_value_micros, spend_micros FROM (");
    sql.push("SELECT w, bucket, c, g, a, s, SUM(impressions) AS impressions, SUM(views) AS views, SUM(clicks) AS clicks, SUM(conversions) AS conversions, SUM(conversion_value_micros) AS conversion_value_micros, SUM(spend_micros) AS spend_micros FROM (");
    let mut first = true;
    for (index, window) in request.windows.iter().enumerate() {
        for part in parts(*window, request.granularity) {
            if !first {
                sql.push(" UNION ALL ");
            }
            first = false;
            source_select(&mut sql, scope, request, index, *window, part, &supply);
        }
    }
    sql.push(") GROUP BY w, bucket, c, g, a, s");
    let mut having = request.filters.iter().filter_map(|filter| match filter {
        Filter::Metric {
            metric,
            comparison,
            value,
        } => Some((*metric, *comparison, *value)),
        Filter::Dimension { .. } => None,
    });
    if let Some((metric, comparison, value)) = having.next() {
        sql.push(" HAVING ");
        push_comparison(&mut sql, metric, comparison, value);
        for (metric, comparison, value) in having {
            sql.push(" AND ");
            push_comparison(&mut sql, metric, comparison, value);
        }
    }
    sql.push(")");
    let scan = request.page.scan();
    if let (Some(key), Some(bound)) = (cursor, scan.bound) {
        sql.push(&format!(" WHERE (w, bucket, c, g, a, s) {bound} ("))
            .bind(key.window)
            .push(", ")
            .bind(key.bucket)
            .push(", ")
            .bind(key.campaign_id.as_str())
            .push(", ")
            .bind(key.ad_group_id.as_str())
            .push(", ")
            .bind(key.ad_id.as_str())
            .push(", ")
            .bind(key.supply.as_str())
            .push(")");
    }
    let direction = if scan.ascending { "ASC" } else { "DESC" };
    sql.push(&format!(
        " ORDER BY w {direction}, bucket {direction}, c {direction}, g {direction}, a {direction}, s {direction} LIMIT "
    ))
    .bind(i64::from(scan.fetch));
    let rows = db.execute(&sql.text, &sql.params)?;
    Ok(rows
        .iter()
        .map(|row| {
            let int = |i: usize| row.integer(i).unwrap_or_default();
            let text = |i: usize| row.text(i).unwrap_or_default().to_string();
            InsightsRow {
                key: RowKey {
                    window: int(0),
                    bucket: int(1),
                    campaign_id: text(2),
                    ad_group_id: text(3),
                    ad_id: text(4),
                    supply: text(5),
                },
                impressions: int(6),
                views: int(7),
                clicks: int(8),
                conversions: int(9),
                conversion_value_micros: int(10),
                spend_micros: int(11),
            }
        })
        .collect())
}

fn push_comparison(sql: &mut Sql, metric: Metric, comparison: Comparison, value: f64) {
    sql.push(&format!(
        "{} {} ",
        metric_expression(metric),
        comparison.sql()
    ))
    .bind(value);
}

/// The cursor of a page request, decoded (`None` for the first page).
pub fn cursor_key(cursor: &Cursor) -> Result<Option<RowKey>, &'static str> {
    match cursor {
        Cursor::Start => Ok(None),
        Cursor::After(id) => RowKey::parse(id).map(Some).ok_or("after"),
        Cursor::Before(id) => RowKey::parse(id).map(Some).ok_or("before"),
    }
}

/// Where a bucket starts and ends inside its window.
pub fn bucket_bounds(granularity: Granularity, bucket: i64, window: Window) -> (i64, i64) {
    let end = match granularity {
        Granularity::Hourly => bucket + HOUR,
        Granularity::Daily => bucket + DAY,
        Granularity::Monthly => next_month(bucket),
        Granularity::None => window.end,
    };
    (bucket.max(window.start), end.min(window.end))
}

fn next_month(start: i64) -> i64 {
    use chrono::{Datelike, TimeZone, Utc};
    let Some(date) = Utc.timestamp_opt(start, 0).single() else {
        return start + 31 * DAY;
    };
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0)
        .single()
        .map_or(start + 31 * DAY, |d| d.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_read_whole_days_daily_and_their_edges_hourly() {
        let window = Window {
            start: 10 * DAY + 5 * HOUR,
            end: 13 * DAY + 2 * HOUR,
        };
        let split: Vec<(bool, i64, i64)> = parts(window, Granularity::Daily)
            .into_iter()
            .map(|(source, from, to)| (matches!(source, Source::Daily), from, to))
            .collect();
        assert_eq!(
            split,
            [
                (true, 11 * DAY, 13 * DAY),
                (false, 10 * DAY + 5 * HOUR, 11 * DAY),
                (false, 13 * DAY, 13 * DAY + 2 * HOUR)
            ]
        );
        let within_a_day = Window {
            start: 10 * DAY + HOUR,
            end: 10 * DAY + 5 * HOUR,
        };
        assert_eq!(parts(within_a_day, Granularity::Monthly).len(), 1);
        let aligned = Window {
            start: 10 * DAY,
            end: 12 * DAY,
        };
        assert_eq!(parts(aligned, Granularity::None).len(), 1);
    }

    #[test]
    fn row_ids_round_trip() {
        let key = RowKey {
            window: 1,
            bucket: 1_775_001_600,
            campaign_id: "c".into(),
            ad_group_id: String::new(),
            ad_id: String::new(),
            supply: "all".into(),
        };
        assert_eq!(RowKey::parse(&key.id()), Some(key));
        assert_eq!(RowKey::parse("ins_!!"), None);
        assert_eq!(RowKey::parse("camp_1"), None);
    }

    #[test]
    fn months_end_at_the_next_first() {
        // 2026-12-01 → 2027-01-01
        assert_eq!(next_month(1_796_083_200), 1_798_761_600);
        let window = Window {
            start: 1_796_083_200 + DAY,
            end: 1_798_761_600 + 5 * DAY,
        };
        assert_eq!(
            bucket_bounds(Granularity::Monthly, 1_796_083_200, window),
            (1_796_083_200 + DAY, 1_798_761_600)
        );
    }
}

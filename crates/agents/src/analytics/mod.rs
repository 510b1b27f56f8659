//! Analytics: `GET /analytics/overview`, `GET /analytics/campaigns/{id}`
//! and `GET /analytics/time-series`, read from the rollups `/v1` insights
//! read (every event is counted there in its own statement), so both
//! surfaces show the same numbers. A platform is a supply of the rollups:
//! adspin's own SSP is `chat`; other supplies keep their names.
//!
//! Windows are UTC days, `date_from` to `date_to` inclusive (the last 30
//! days by default, at most 366); hourly series at most 31 days.

pub mod pdf;
pub mod predictions;
pub mod report;

use chrono::{DateTime, Datelike, Days, NaiveDate};
use serde_json::{Value, json};

use adspin_core::db::{Database, DbError, FromRow, Row};
use adspin_core::delivery::SUPPLY;
use adspin_core::ids::OrganizationId;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Query, Response, json_response};

use crate::AgentsError;
use crate::auth::Caller;
pub use crate::campaigns::metrics;
use crate::campaigns::{self, store::Totals};
use crate::scopes::Scope;

/// Default window, in days.
pub const DEFAULT_DAYS: u64 = 30;
/// Widest window, in days.
pub const MAX_DAYS: i64 = 366;
/// Widest hourly series, in days.
pub const MAX_HOURLY_DAYS: i64 = 31;

/// A validated window: `[from, to)` in Unix seconds, and the days named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

impl Window {
    pub fn from_query(query: &Query, now: UnixSeconds) -> Result<Self, AgentsError> {
        let today = DateTime::from_timestamp(now.get(), 0)
            .map(|t| t.date_naive())
            .unwrap_or_default();
        let date = |field: &str| -> Result<Option<NaiveDate>, AgentsError> {
            query
                .get(field)
                .filter(|v| !v.trim().is_empty())
                .map(|text| {
                    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
                        AgentsError::validation(
                            field,
                            format!("{field} must be a date such as 2026-07-01."),
                        )
                    })
                })
                .transpose()
        };
        let last_day = date("date_to")?.unwrap_or(today);
        let first_day = match date("date_from")? {
            Some(day) => day,
            None => last_day
                .checked_sub_days(Days::new(DEFAULT_DAYS - 1))
                .unwrap_or(last_day),
        };
        if first_day > last_day {
            return Err(AgentsError::validation(
                "date_to",
                "date_to is before date_from.",
            ));
        }
        if (last_day - first_day).num_days() >= MAX_DAYS {
            return Err(AgentsError::validation(
                "date_from",
                format!("A window spans at most {MAX_DAYS} days."),
            ));
        }
        Ok(Self {
            first_day,
            last_day,
        })
    }

    fn days(self) -> i64 {
        (self.last_day - self.first_day).num_days() + 1
    }

    /// The window's first second.
    pub fn start(self) -> UnixSeconds {
        midnight(self.first_day)
    }

    /// The second after the window.
    pub fn end(self) -> UnixSeconds {
        midnight(self.last_day).plus_seconds(86_400)
    }

    fn view(self) -> (String, String) {
        (self.first_day.to_string(), self.last_day.to_string())
    }
}

fn midnight(day: NaiveDate) -> UnixSeconds {
    UnixSeconds::new(
        day.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp())
            .unwrap_or_default(),
    )
}

/// Totals of one group (a platform, an ad set, a period).
struct Group {
    key: String,
    totals: Totals,
}

impl FromRow for Group {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            key: row.get(0)?,
            totals: Totals {
                impressions: row.get(1)?,
                clicks: row.get(2)?,
                conversions: row.get(3)?,
                conversion_value: row.get(4)?,
                spend: row.get(5)?,
            },
        })
    }
}

const SUMS: &str = "COALESCE(SUM(impressions), 0), COALESCE(SUM(clicks), 0), \
    COALESCE(SUM(conversions), 0), COALESCE(SUM(conversion_value_micros), 0), COALESCE(SUM(spend_micros), 0)";

/// Daily rollup totals of the organization in `window` grouped by
/// `key` (an SQL expression), optionally for one shared campaign.
fn grouped(
    db: &impl Database,
    organization: OrganizationId,
    campaign: Option<&str>,
    window: Window,
    key: &str,
) -> Result<Vec<Group>, DbError> {
    db.list(
        &format!(
            "SELECT {key}, {SUMS} FROM rollups_daily
             WHERE organization_id = ?1 AND day >= ?2 AND day < ?3 AND (?4 IS NULL OR campaign_id = ?4)
             GROUP BY 1 ORDER BY 1"
        ),
        &[
            organization.into(),
            window.start().into(),
            window.end().into(),
            campaign.into(),
        ],
    )
}

fn total(groups: &[Group]) -> Totals {
    groups.iter().map(|g| g.totals).sum()
}

fn platform_name(supply: &str) -> &str {
    if supply == SUPPLY { "chat" } else { supply }
}

fn by_platform(groups: &[Group]) -> Value {
    let mut platforms = serde_json::Map::new();
    for group in groups {
        platforms.insert(
            platform_name(&group.key).to_string(),
            metrics(&group.totals),
        );
    }
    Value::Object(platforms)
}

/// `GET /analytics/overview`: the account's delivery in the window, by
/// platform, and its campaigns by status.
pub fn overview(
    db: &impl Database,
    caller: &Caller,
    query: &Query,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::AnalyticsRead)?;
    let window = Window::from_query(query, now)?;
    let organization = caller.organization_id();
    let platforms = grouped(db, organization, None, window, "supply")?;
    let statuses = campaigns::store::statuses(db, organization, caller.mode(), now)?;
    let (date_from, date_to) = window.view();
    Ok(json_response(
        200,
        &json!({
            "date_from": date_from,
            "date_to": date_to,
            "metrics": metrics(&total(&platforms)),
            "by_platform": by_platform(&platforms),
            "campaigns": statuses,
        }),
    ))
}

/// `GET /analytics/campaigns/{id}`: the campaign's delivery in the window,
/// by platform and by ad set.
pub fn campaign(
    db: &impl Database,
    caller: &Caller,
    id: &str,
    query: &Query,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::AnalyticsRead)?;
    let window = Window::from_query(query, now)?;
    let campaign = campaigns::owned(db, caller, id)?;
    let organization = caller.organization_id();
    let shared = campaign.campaign_id.to_string();
    let platforms = grouped(db, organization, Some(&shared), window, "supply")?;
    let groups = grouped(db, organization, Some(&shared), window, "ad_group_id")?;
    let mut ad_sets = Vec::new();
    for ad_set in campaigns::store::ad_sets(db, organization, campaign.id)? {
        let key = ad_set.ad_group_id.to_string();
        let totals = groups
            .iter()
            .find(|g| g.key == key)
            .map(|g| g.totals)
            .unwrap_or_default();
        ad_sets.push(
            json!({"ad_set_id": ad_set.id, "name": ad_set.name, "metrics": metrics(&totals)}),
        );
    }
    let (date_from, date_to) = window.view();
    Ok(json_response(
        200,
        &json!({
            "campaign_id": campaign.id,
            "campaign_name": campaign.name,
            "date_from": date_from,
            "date_to": date_to,
            "metrics": metrics(&total(&platforms)),
            "by_platform": by_platform(&platforms),
            "by_ad_set": ad_sets,
        }),
    ))
}

/// Periods of a time series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Hourly,
    Daily,
    Weekly,
}

impl Granularity {
    fn parse(text: Option<&str>) -> Result<Self, AgentsError> {
        match text.map(str::trim) {
            None | Some("") | Some("daily") => Ok(Self::Daily),
            Some("hourly") => Ok(Self::Hourly),
            Some("weekly") => Ok(Self::Weekly),
            Some(_) => Err(AgentsError::validation(
                "granularity",
                "granularity is hourly, daily or weekly.",
            )),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Hourly => "hourly",
            Self::Daily => "daily",
            Self::Weekly => "weekly",
        }
    }
}

/// `GET /analytics/time-series?granularity=&campaign_id=`: one point per
/// hour, day or ISO week (weeks start on Monday) of the window, empty
/// periods included.
pub fn time_series(
    db: &impl Database,
    caller: &Caller,
    query: &Query,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::AnalyticsRead)?;
    let window = Window::from_query(query, now)?;
    let granularity = Granularity::parse(query.get("granularity"))?;
    if granularity == Granularity::Hourly && window.days() > MAX_HOURLY_DAYS {
        return Err(AgentsError::validation(
            "date_from",
            format!("An hourly series spans at most {MAX_HOURLY_DAYS} days."),
        ));
    }
    let organization = caller.organization_id();
    let campaign = match query.get("campaign_id").filter(|v| !v.is_empty()) {
        Some(id) => Some(campaigns::owned(db, caller, id)?),
        None => None,
    };
    let shared = campaign.as_ref().map(|c| c.campaign_id.to_string());
    let rows: Vec<Group> = match granularity {
        Granularity::Hourly => db.list(
            &format!(
                "SELECT CAST(hour AS TEXT), {SUMS} FROM rollups_hourly
                 WHERE organization_id = ?1 AND hour >= ?2 AND hour < ?3 AND (?4 IS NULL OR campaign_id = ?4)
                 GROUP BY hour ORDER BY hour"
            ),
            &[
                organization.into(),
                window.start().into(),
                window.end().into(),
                shared.as_deref().into(),
            ],
        )?,
        _ => grouped(db, organization, shared.as_deref(), window, "CAST(day AS TEXT)")?,
    };
    let step = match granularity {
        Granularity::Hourly => 3_600,
        _ => 86_400,
    };
    let mut points: Vec<(i64, Totals)> = Vec::new();
    let mut at = window.start().get();
    while at < window.end().get() {
        let period = match granularity {
            Granularity::Weekly => week_start(at),
            _ => at,
        };
        let totals = rows
            .iter()
            .find(|r| r.key.parse::<i64>().ok() == Some(at))
            .map(|r| r.totals)
            .unwrap_or_default();
        match points.last_mut() {
            Some((start, sum)) if *start == period => {
                *sum = *sum + totals;
            }
            _ => points.push((period, totals)),
        }
        at += step;
    }
    let data: Vec<Value> = points
        .iter()
        .map(|(start, totals)| {
            let mut point = metrics(totals);
            point["period_start"] = json!(UnixSeconds::new(*start).to_iso8601_numeric_offset());
            point
        })
        .collect();
    let (date_from, date_to) = window.view();
    Ok(json_response(
        200,
        &json!({
            "granularity": granularity.as_str(),
            "campaign_id": campaign.map(|c| c.id),
            "date_from": date_from,
            "date_to": date_to,
            "data": data,
        }),
    ))
}

/// The Monday midnight (UTC) of the week of `at`.
fn week_start(at: i64) -> i64 {
    let day = DateTime::from_timestamp(at, 0)
        .map(|t| t.date_naive())
        .unwrap_or_default();
    let monday = day
        .checked_sub_days(Days::new(u64::from(day.weekday().num_days_from_monday())))
        .unwrap_or(day);
    midnight(monday).get()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixSeconds = UnixSeconds::new(1_782_907_200); // 2026-07-01T12:00:00Z

    fn query(text: &str) -> Query {
        Query::parse(text)
    }

    #[test]
    fn windows_default_to_thirty_days_and_are_bounded() {
        let window = Window::from_query(&query(""), NOW).expect("default");
        assert_eq!(window.view(), ("2026-06-02".into(), "2026-07-01".into()));
        let july = Window::from_query(&query("date_from=2026-07-01&date_to=2026-07-15"), NOW)
            .expect("explicit");
        assert_eq!(july.days(), 15);
        assert_eq!(july.end().get() - july.start().get(), 15 * 86_400);
        for bad in [
            "date_from=2026-07-02&date_to=2026-07-01",
            "date_from=2025-01-01&date_to=2026-07-01",
            "date_from=yesterday",
        ] {
            assert_eq!(
                Window::from_query(&query(bad), NOW)
                    .expect_err(bad)
                    .status(),
                422
            );
        }
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2026-07-01 is a Wednesday; its week starts on 2026-06-29.
        assert_eq!(week_start(NOW.get()), NOW.get() - 12 * 3_600 - 2 * 86_400);
    }
}

//! `GET /analytics/predictions?campaign_id=&days=`: a forecast of a
//! campaign's (or, without `campaign_id`, the whole account's) daily
//! spend, clicks and conversions for the coming days, from its own last 28
//! days.
//!
//! Method (`linear_trend`): for each metric, an ordinary least-squares line
//! through the daily values of the history window (days before the
//! campaign's launch left out), extended over the horizon; the interval is
//! the 95% prediction interval of that line (±1.96 residual standard
//! errors, widened for the distance from the history's centre). Values
//! never go below zero. With fewer than 3 days of history the forecast is
//! the history's mean (or zero without any), with an interval as wide as
//! the largest day seen.

use chrono::{DateTime, Days};
use serde_json::{Value, json};

use adspin_core::db::{Database, DbError, FromRow, Row};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Query, Response, json_response};

use crate::AgentsError;
use crate::auth::Caller;
use crate::campaigns;
use crate::scopes::Scope;

/// Days of history the forecast is fitted on.
pub const HISTORY_DAYS: i64 = 28;
/// Default and longest horizon, in days.
pub const DEFAULT_HORIZON: i64 = 7;
pub const MAX_HORIZON: i64 = 30;
/// The z value of a 95% interval.
const Z_95: f64 = 1.96;

/// A forecast value with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub lower: f64,
    pub upper: f64,
}

/// A least-squares line through `(x, y)` for x = 0, 1, 2, ...
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    intercept: f64,
    slope: f64,
    residual_error: f64,
    n: f64,
    mean_x: f64,
    sxx: f64,
    fallback: Option<(f64, f64)>,
}

impl Trend {
    pub fn fit(values: &[f64]) -> Self {
        let n = values.len() as f64;
        if values.len() < 3 {
            let mean = if values.is_empty() {
                0.0
            } else {
                values.iter().sum::<f64>() / n
            };
            let widest = values.iter().copied().fold(0.0, f64::max);
            return Self {
                intercept: mean,
                slope: 0.0,
                residual_error: 0.0,
                n,
                mean_x: 0.0,
                sxx: 0.0,
                fallback: Some((mean, widest)),
            };
        }
        let mean_x = (n - 1.0) / 2.0;
        let mean_y = values.iter().sum::<f64>() / n;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for (x, y) in values.iter().enumerate() {
            let dx = x as f64 - mean_x;
            sxy += dx * (y - mean_y);
            sxx += dx * dx;
        }
        let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
        let intercept = mean_y - slope * mean_x;
        let residuals: f64 = values
            .iter()
            .enumerate()
            .map(|(x, y)| (y - (intercept + slope * x as f64)).powi(2))
            .sum();
        Self {
            intercept,
            slope,
            residual_error: (residuals / (n - 2.0)).sqrt(),
            n,
            mean_x,
            sxx,
            fallback: None,
        }
    }

    /// The estimate at `x` (the history is x = 0 .. n-1).
    pub fn at(&self, x: f64) -> Estimate {
        if let Some((mean, widest)) = self.fallback {
            return Estimate {
                value: mean,
                lower: 0.0,
                upper: mean.max(widest),
            };
        }
        let value = self.intercept + self.slope * x;
        let spread = Z_95
            * self.residual_error
            * (1.0 + 1.0 / self.n + (x - self.mean_x).powi(2) / self.sxx).sqrt();
        Estimate {
            value: value.max(0.0),
            lower: (value - spread).max(0.0),
            upper: (value + spread).max(0.0),
        }
    }
}

struct Day {
    day: i64,
    clicks: i64,
    conversions: i64,
    spend_micros: i64,
}

impl FromRow for Day {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            day: row.get(0)?,
            clicks: row.get(1)?,
            conversions: row.get(2)?,
            spend_micros: row.get(3)?,
        })
    }
}

fn rounded(estimate: Estimate, places: i32) -> Value {
    let scale = 10_f64.powi(places);
    let round = |v: f64| (v * scale).round() / scale;
    json!({"value": round(estimate.value), "lower": round(estimate.lower), "upper": round(estimate.upper)})
}

/// `GET /analytics/predictions?campaign_id=&days=`.
pub fn predictions(
    db: &impl Database,
    caller: &Caller,
    query: &Query,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::AnalyticsRead)?;
    let horizon = match query.get("days").map(str::trim).filter(|d| !d.is_empty()) {
        None => DEFAULT_HORIZON,
        Some(text) => Some(text)
            .filter(|t| t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse::<i64>().ok())
            .filter(|d| (1..=MAX_HORIZON).contains(d))
            .ok_or_else(|| {
                AgentsError::validation("days", format!("days is 1 to {MAX_HORIZON}."))
            })?,
    };
    let campaign = match query.get("campaign_id").filter(|v| !v.is_empty()) {
        Some(id) => Some(campaigns::owned(db, caller, id)?),
        None => None,
    };
    let today = now.get() - now.get().rem_euclid(86_400);
    // History: the last full days (a campaign's from its launch on).
    let first = match &campaign {
        Some(campaign) => (today - HISTORY_DAYS * 86_400).max(
            campaign
                .launched_at
                .map_or(today, |t| t.get() - t.get().rem_euclid(86_400)),
        ),
        None => today - HISTORY_DAYS * 86_400,
    };
    let rows: Vec<Day> = db.list(
        "SELECT day, SUM(clicks), SUM(conversions), SUM(spend_micros) FROM rollups_daily
         WHERE organization_id = ?1 AND (?2 IS NULL OR campaign_id = ?2) AND day >= ?3 AND day < ?4
         GROUP BY day ORDER BY day",
        &[
            caller.organization_id().into(),
            campaign.as_ref().map(|c| c.campaign_id.to_string()).into(),
            first.into(),
            today.into(),
        ],
    )?;
    let history = ((today - first) / 86_400).max(0);
    let series = |value: fn(&Day) -> f64| -> Vec<f64> {
        (0..history)
            .map(|i| {
                let day = first + i * 86_400;
                rows.iter().find(|r| r.day == day).map_or(0.0, value)
            })
            .collect()
    };
    let spend = Trend::fit(&series(|d| d.spend_micros as f64 / 1_000_000.0));
    let clicks = Trend::fit(&series(|d| d.clicks as f64));
    let conversions = Trend::fit(&series(|d| d.conversions as f64));
    let start = DateTime::from_timestamp(today, 0)
        .map(|t| t.date_naive())
        .unwrap_or_default();
    let data: Vec<Value> = (0..horizon)
        .map(|i| {
            let x = (history + i) as f64;
            json!({
                "date": start.checked_add_days(Days::new(i as u64)).map(|d| d.to_string()),
                "spend": rounded(spend.at(x), 2),
                "clicks": rounded(clicks.at(x), 1),
                "conversions": rounded(conversions.at(x), 1),
            })
        })
        .collect();
    Ok(json_response(
        200,
        &json!({
            "campaign_id": campaign.map(|c| c.id),
            "method": if history >= 3 { "linear_trend" } else { "mean" },
            "confidence": 0.95,
            "history_days": history,
            "horizon_days": horizon,
            "data": data,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_rise_is_extended_with_a_tight_interval() {
        let values: Vec<f64> = (0..28).map(|d| 10.0 + 2.0 * d as f64).collect();
        let trend = Trend::fit(&values);
        let next = trend.at(28.0);
        assert!((next.value - 66.0).abs() < 1e-9, "{next:?}");
        assert!(next.upper - next.lower < 1e-6, "no noise, no spread");
    }

    #[test]
    fn noise_widens_the_interval_and_nothing_goes_below_zero() {
        let values: Vec<f64> = (0..28)
            .map(|d| if d % 2 == 0 { 5.0 } else { 15.0 })
            .collect();
        let near = Trend::fit(&values).at(28.0);
        let far = Trend::fit(&values).at(57.0);
        assert!(near.lower < near.value && near.value < near.upper);
        assert!(
            far.upper - far.lower > near.upper - near.lower,
            "further out, wider"
        );
        let falling: Vec<f64> = (0..10)
            .map(|d| 20.0 - 3.0 * d as f64)
            .map(|v: f64| v.max(0.0))
            .collect();
        assert_eq!(Trend::fit(&falling).at(30.0).value, 0.0);
    }

    #[test]
    fn short_histories_fall_back_to_the_mean() {
        let two = Trend::fit(&[4.0, 8.0]).at(5.0);
        assert_eq!((two.value, two.lower, two.upper), (6.0, 0.0, 8.0));
        assert_eq!(Trend::fit(&[]).at(0.0).value, 0.0);
    }
}

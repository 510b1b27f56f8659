//! What a rule says: a condition on a metric over a trailing window, and
//! the action taken on each ad, ad set or campaign that meets it.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AgentsError;
use crate::campaigns::store::Totals;

/// The metrics a condition may test (as the campaign object shows them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Clicks per impression, in percent.
    Ctr,
    /// Dollars per click.
    Cpc,
    /// Dollars per conversion.
    Cpa,
    /// Conversion value per dollar spent.
    Roas,
    /// Dollars.
    Spend,
    Impressions,
    Clicks,
    Conversions,
}

impl Metric {
    /// The metric's value, or `None` where it is undefined (a CTR without
    /// impressions, a CPC without clicks, ...): such a target is not judged.
    pub fn of(self, totals: &Totals) -> Option<f64> {
        let spend = totals.spend.to_dollars();
        let ratio = |numerator: f64, denominator: i64| {
            (denominator > 0).then(|| numerator / denominator as f64)
        };
        match self {
            Self::Ctr => ratio(totals.clicks as f64 * 100.0, totals.impressions),
            Self::Cpc => ratio(spend, totals.clicks),
            Self::Cpa => ratio(spend, totals.conversions),
            Self::Roas => (spend > 0.0).then(|| totals.conversion_value.to_dollars() / spend),
            Self::Spend => Some(spend),
            Self::Impressions => Some(totals.impressions as f64),
            Self::Clicks => Some(totals.clicks as f64),
            Self::Conversions => Some(totals.conversions as f64),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Lt,
    Lte,
    Gt,
    Gte,
    Eq,
}

impl Operator {
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Self::Lt => value < threshold,
            Self::Lte => value <= threshold,
            Self::Gt => value > threshold,
            Self::Gte => value >= threshold,
            Self::Eq => (value - threshold).abs() < 1e-9,
        }
    }
}

/// Longest trailing window, in hours (30 days).
pub const MAX_TIMEFRAME_HOURS: u32 = 720;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub metric: Metric,
    pub operator: Operator,
    pub value: f64,
    #[serde(default = "default_timeframe")]
    pub timeframe_hours: u32,
}

fn default_timeframe() -> u32 {
    24
}

impl Condition {
    pub fn checked(self) -> Result<Self, AgentsError> {
        if !self.value.is_finite() || self.value < 0.0 {
            return Err(AgentsError::validation(
                "condition.value",
                "condition.value is a number from 0.",
            ));
        }
        if !(1..=MAX_TIMEFRAME_HOURS).contains(&self.timeframe_hours) {
            return Err(AgentsError::validation(
                "condition.timeframe_hours",
                format!("condition.timeframe_hours is 1 to {MAX_TIMEFRAME_HOURS}."),
            ));
        }
        Ok(self)
    }
}

/// What a rule does to each target that meets its condition.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Pauses each active ad that meets the condition (`ad.paused`).
    PauseAd {},
    /// Pauses each active ad set that meets it (`ad.optimized`).
    PauseAdSet {},
    /// Changes the campaign's budget by a percentage, at most once per
    /// timeframe (`budget.reallocated`).
    AdjustBudget { change_percent: f64 },
    /// Announces the crossing, once until the condition stops holding
    /// (`alert.spend` for spend, `alert.performance` otherwise).
    Notify {},
}

impl Action {
    pub fn checked(self) -> Result<Self, AgentsError> {
        if let Self::AdjustBudget { change_percent } = self
            && (!change_percent.is_finite()
                || change_percent == 0.0
                || !(-90.0..=500.0).contains(&change_percent))
        {
            return Err(AgentsError::validation(
                "action.change_percent",
                "action.change_percent is -90 to 500, not 0.",
            ));
        }
        Ok(self)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::PauseAd {} => "pause_ad",
            Self::PauseAdSet {} => "pause_ad_set",
            Self::AdjustBudget { .. } => "adjust_budget",
            Self::Notify {} => "notify",
        }
    }

    /// What the rule judges: each ad, each ad set, or each campaign.
    pub fn level(self) -> Level {
        match self {
            Self::PauseAd {} => Level::Ad,
            Self::PauseAdSet {} => Level::AdSet,
            Self::AdjustBudget { .. } | Self::Notify {} => Level::Campaign,
        }
    }

    pub fn view(self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|_| json!({"type": self.name()}))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ad,
    AdSet,
    Campaign,
}

#[cfg(test)]
mod tests {
    use super::*;
    use adspin_core::money::Micros;

    #[test]
    fn undefined_metrics_are_not_judged() {
        let none = Totals::default();
        assert_eq!(Metric::Ctr.of(&none), None);
        assert_eq!(Metric::Spend.of(&none), Some(0.0));
        let some = Totals {
            impressions: 200,
            clicks: 1,
            spend: Micros::new(800_000),
            ..Totals::default()
        };
        assert_eq!(Metric::Ctr.of(&some), Some(0.5));
        assert_eq!(Metric::Cpc.of(&some), Some(0.8));
        assert!(Operator::Lt.holds(0.5, 1.0));
        assert!(!Operator::Gte.holds(0.5, 1.0));
    }

    #[test]
    fn the_documented_rule_reads_and_bad_ones_are_refused() {
        let condition: Condition = serde_json::from_value(
            json!({"metric": "ctr", "operator": "lt", "value": 1.0, "timeframe_hours": 48}),
        )
        .expect("documented");
        assert_eq!(condition.checked().expect("valid").timeframe_hours, 48);
        let action: Action = serde_json::from_value(json!({"type": "pause_ad"})).expect("action");
        assert_eq!(action.level(), Level::Ad);
        assert_eq!(action.view(), json!({"type": "pause_ad"}));
        assert!(
            serde_json::from_value::<Action>(json!({"type": "notify", "extra": 1})).is_err(),
            "unknown fields are refused"
        );
        let budget: Action =
            serde_json::from_value(json!({"type": "adjust_budget", "change_percent": 0}))
                .expect("shape");
        assert_eq!(budget.checked().expect_err("zero").status(), 422);
        let long = Condition {
            timeframe_hours: 721,
            ..condition
        };
        assert!(long.checked().is_err());
    }
}

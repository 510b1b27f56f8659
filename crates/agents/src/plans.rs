//! The plans an account can subscribe to, and what each allows.
//!
//! The specification names its plans two ways: the billing example lists
//! Free ($0), Standard ($49) and Flexible ($199) with ids 1 to 3, while its
//! rate-limit table has Free, Starter, Growth and Agency columns and an
//! agent example subscribes to `growth` at $149 a month. One catalog
//! serves both: the example's three plans keep their ids and prices,
//! Growth ($149) is plan 4, Starter is another name for Standard and
//! Agency for Flexible. Input accepts an id or any of the names (any
//! case); output always uses the catalog's name.

use serde::Serialize;
use serde_json::{Value, json};

use crate::limits::PlanLimits;

/// A plan of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub id: i64,
    pub name: &'static str,
    /// Other names the specification uses for it.
    pub aliases: &'static [&'static str],
    /// Monthly price in cents.
    pub price_cents: i64,
    pub limits: PlanLimits,
    /// AI generations a month; `None` is unlimited.
    pub ai_generations_per_month: Option<u32>,
    /// Campaigns the account may have (not archived); `None` is unlimited.
    pub campaigns: Option<u32>,
}

/// The currency of every price.
pub const CURRENCY: &str = "USD";

/// The catalog, cheapest first.
pub const PLANS: [Plan; 4] = [
    Plan {
        id: 1,
        name: "Free",
        aliases: &[],
        price_cents: 0,
        limits: PlanLimits {
            per_minute: 10,
            per_day: 500,
        },
        ai_generations_per_month: Some(10),
        campaigns: Some(3),
    },
    Plan {
        id: 2,
        name: "Standard",
        aliases: &["starter"],
        price_cents: 4_900,
        limits: PlanLimits {
            per_minute: 30,
            per_day: 5_000,
        },
        ai_generations_per_month: Some(50),
        campaigns: Some(20),
    },
    Plan {
        id: 4,
        name: "Growth",
        aliases: &[],
        price_cents: 14_900,
        limits: PlanLimits {
            per_minute: 60,
            per_day: 10_000,
        },
        ai_generations_per_month: Some(500),
        campaigns: Some(100),
    },
    Plan {
        id: 3,
        name: "Flexible",
        aliases: &["agency"],
        price_cents: 19_900,
        limits: PlanLimits {
            per_minute: 300,
            per_day: 100_000,
        },
        ai_generations_per_month: None,
        campaigns: None,
    },
];

/// The plan of an account without a paid subscription.
pub const FREE: Plan = PLANS[0];

impl Plan {
    pub fn by_id(id: i64) -> Option<Self> {
        PLANS.into_iter().find(|plan| plan.id == id)
    }

    /// The plan named `name` (its name or an alias, any case).
    pub fn by_name(name: &str) -> Option<Self> {
        let name = name.trim();
        PLANS.into_iter().find(|plan| {
            plan.name.eq_ignore_ascii_case(name)
                || plan
                    .aliases
                    .iter()
                    .any(|alias| alias.eq_ignore_ascii_case(name))
        })
    }

    pub fn is_free(&self) -> bool {
        self.price_cents == 0
    }

    /// The price in dollars, as the examples show it (`49.00` is `49.0`).
    pub fn price(&self) -> f64 {
        self.price_cents as f64 / 100.0
    }

    /// `{id, name, price, currency}`, as the subscribe answer shows a plan.
    pub fn summary(&self) -> Value {
        json!({"id": self.id, "name": self.name, "price": self.price(), "currency": CURRENCY})
    }

    /// The plan with its interval, limits and other names, as
    /// `GET /billing/plans` lists it.
    pub fn view(&self) -> Value {
        let mut view = self.summary();
        view["interval"] = json!("month");
        view["aliases"] = json!(self.aliases);
        view["limits"] = self.limits_view();
        view
    }

    /// What the plan allows: requests, AI generations, campaigns (`null`
    /// is unlimited).
    pub fn limits_view(&self) -> Value {
        json!({
            "requests_per_minute": self.limits.per_minute,
            "requests_per_day": self.limits.per_day,
            "ai_generations_per_month": self.ai_generations_per_month,
            "campaigns": self.campaigns,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_plan_name_and_id_resolves() {
        assert_eq!(Plan::by_id(2).map(|p| p.name), Some("Standard"));
        assert_eq!(Plan::by_id(3).map(|p| p.price()), Some(199.0));
        for (name, expected) in [
            ("free", "Free"),
            ("Standard", "Standard"),
            ("starter", "Standard"),
            ("growth", "Growth"),
            ("FLEXIBLE", "Flexible"),
            ("agency", "Flexible"),
        ] {
            assert_eq!(
                Plan::by_name(name).map(|p| p.name),
                Some(expected),
                "{name}"
            );
        }
        assert_eq!(Plan::by_name("platinum"), None);
        assert_eq!(Plan::by_id(9), None);
    }

    #[test]
    fn limits_follow_the_specifications_table() {
        let growth = Plan::by_name("growth").expect("growth");
        assert_eq!(
            (growth.limits.per_minute, growth.limits.per_day),
            (60, 10_000)
        );
        assert_eq!(growth.ai_generations_per_month, Some(500));
        assert_eq!(
            Plan::by_name("agency").and_then(|p| p.ai_generations_per_month),
            None
        );
    }
}

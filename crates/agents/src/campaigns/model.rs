//! The agents API's campaign fields as requests give them, in every
//! documented form, and what they become in the shared campaign tree: the
//! objective sets the bid, the budget the spend limit, the schedule the
//! serving window, and the product description and interests the context
//! hints the internal DSP matches conversations with.

use chrono::{Days, NaiveDate};
use serde::Deserialize;
use serde_json::{Value, json};

use adspin_core::catalog::hints;
use adspin_core::money::Micros;
use adspin_core::sql_text_enum;
use adspin_core::time::UnixSeconds;

use crate::AgentsError;

/// The six objectives (either case on input, lower case on output).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    Conversions,
    Traffic,
    Awareness,
    Engagement,
    Leads,
    AppInstalls,
}

sql_text_enum!(Objective);

impl Objective {
    pub const ALL: [Self; 6] = [
        Self::Conversions,
        Self::Traffic,
        Self::Awareness,
        Self::Engagement,
        Self::Leads,
        Self::AppInstalls,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Conversions => "conversions",
            Self::Traffic => "traffic",
            Self::Awareness => "awareness",
            Self::Engagement => "engagement",
            Self::Leads => "leads",
            Self::AppInstalls => "app_installs",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// The CPM the internal DSP bids for this objective on adspin's chat
    /// network: attention is cheapest, an action dearest.
    pub fn chat_bid(self) -> Micros {
        Micros::new(match self {
            Self::Awareness => 2_000_000,
            Self::Engagement | Self::Traffic => 3_000_000,
            Self::Leads | Self::Conversions | Self::AppInstalls => 4_000_000,
        })
    }

    /// The Meta Marketing API objective (ODAX) of this objective.
    pub fn meta_objective(self) -> &'static str {
        match self {
            Self::Conversions => "OUTCOME_SALES",
            Self::Traffic => "OUTCOME_TRAFFIC",
            Self::Awareness => "OUTCOME_AWARENESS",
            Self::Engagement => "OUTCOME_ENGAGEMENT",
            Self::Leads => "OUTCOME_LEADS",
            Self::AppInstalls => "OUTCOME_APP_PROMOTION",
        }
    }
}

/// Where a campaign runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// adspin's own conversational network, always available.
    Chat,
    Facebook,
    Instagram,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::Facebook => "facebook",
            Self::Instagram => "instagram",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "chat" => Some(Self::Chat),
            "facebook" => Some(Self::Facebook),
            "instagram" => Some(Self::Instagram),
            _ => None,
        }
    }
}

/// The lowest budget amount, in dollars.
pub const MIN_BUDGET_DOLLARS: f64 = 1.0;
/// The highest budget amount, in dollars.
pub const MAX_BUDGET_DOLLARS: f64 = 1_000_000.0;
/// How many days of a daily budget without an end date are funded.
pub const OPEN_ENDED_DAYS: u64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetType {
    Daily,
    Lifetime,
}

sql_text_enum!(BudgetType);

impl BudgetType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Lifetime => "lifetime",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "daily" => Some(Self::Daily),
            "lifetime" => Some(Self::Lifetime),
            _ => None,
        }
    }
}

/// A validated budget (USD).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub kind: BudgetType,
    pub amount: Micros,
}

impl Budget {
    pub fn view(self) -> Value {
        json!({"type": self.kind.as_str(), "amount": self.amount.to_dollars(), "currency": "USD"})
    }
}

/// The `budget` object as given (`amount` alone changes only the amount).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetRequest {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub amount: Option<f64>,
    #[serde(default)]
    pub currency: Option<String>,
}

/// The budget from `daily_budget` or `budget`, over `current` (for an
/// update). Exactly one form may be given.
pub fn budget(
    daily_budget: Option<f64>,
    request: Option<&BudgetRequest>,
    current: Option<Budget>,
) -> Result<Option<Budget>, AgentsError> {
    match (daily_budget, request) {
        (Some(_), Some(_)) => Err(AgentsError::validation(
            "budget",
            "Give daily_budget or budget, not both.",
        )),
        (None, None) => Ok(current),
        (Some(amount), None) => Ok(Some(Budget {
            kind: BudgetType::Daily,
            amount: amount_of("daily_budget", amount)?,
        })),
        (None, Some(request)) => {
            if let Some(currency) = &request.currency
                && !currency.trim().eq_ignore_ascii_case("USD")
            {
                return Err(AgentsError::validation(
                    "budget.currency",
                    "Budgets are in USD, the account's currency.",
                ));
            }
            let kind = match &request.kind {
                Some(kind) => BudgetType::parse(kind).ok_or_else(|| {
                    AgentsError::validation("budget.type", "budget.type is daily or lifetime.")
                })?,
                None => current.map_or(BudgetType::Daily, |c| c.kind),
            };
            let amount = match (request.amount, current) {
                (Some(amount), _) => amount_of("budget.amount", amount)?,
                (None, Some(current)) => current.amount,
                (None, None) => {
                    return Err(AgentsError::validation(
                        "budget.amount",
                        "budget.amount is required.",
                    ));
                }
            };
            Ok(Some(Budget { kind, amount }))
        }
    }
}

fn amount_of(field: &str, dollars: f64) -> Result<Micros, AgentsError> {
    if !dollars.is_finite() || dollars > MAX_BUDGET_DOLLARS {
        return Err(AgentsError::validation(
            field,
            format!("{field} must be a number of dollars up to {MAX_BUDGET_DOLLARS}."),
        ));
    }
    if dollars < MIN_BUDGET_DOLLARS {
        return Err(AgentsError::new(
            422,
            "campaign_budget_too_low",
            format!("The budget must be at least ${MIN_BUDGET_DOLLARS:.2}."),
        )
        .with_details(json!({"field": field, "minimum": MIN_BUDGET_DOLLARS})));
    }
    // Whole cents, as money is shown.
    let cents = (dollars * 100.0).round() as i64;
    Ok(Micros::new(cents * 10_000))
}

/// A validated schedule: UTC days, the end inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Schedule {
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
}

impl Schedule {
    pub fn parse(request: &ScheduleRequest) -> Result<Self, AgentsError> {
        let date = |field: &str, text: &Option<String>| -> Result<Option<NaiveDate>, AgentsError> {
            text.as_deref()
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
        let schedule = Self {
            start: date("schedule.start_date", &request.start_date)?,
            end: date("schedule.end_date", &request.end_date)?,
        };
        if let (Some(start), Some(end)) = (schedule.start, schedule.end)
            && end < start
        {
            return Err(AgentsError::validation(
                "schedule.end_date",
                "schedule.end_date is before schedule.start_date.",
            ));
        }
        Ok(schedule)
    }

    pub fn view(self) -> Value {
        json!({
            "start_date": self.start.map(|d| d.to_string()),
            "end_date": self.end.map(|d| d.to_string()),
        })
    }

    /// When serving starts: the start date's midnight (UTC), or `now`.
    pub fn start_time(self, now: UnixSeconds) -> UnixSeconds {
        self.start
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map_or(now, |t| UnixSeconds::new(t.and_utc().timestamp()))
    }

    /// When serving ends: the midnight after the end date (UTC).
    pub fn end_time(self) -> Option<UnixSeconds> {
        self.end
            .and_then(|d| d.checked_add_days(Days::new(1)))
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| UnixSeconds::new(t.and_utc().timestamp()))
    }

    /// Whole days served, from `start` (or today) to the end date.
    fn days(self, today: NaiveDate) -> Option<u64> {
        let end = self.end?;
        let start = self.start.unwrap_or(today).max(today.min(end));
        u64::try_from((end - start).num_days() + 1).ok()
    }
}

/// What a campaign may spend in the shared tree: a lifetime budget, or a
/// daily budget times the days of its schedule (30 days when it has no
/// end date).
pub fn spend_limit(budget: Budget, schedule: Schedule, now: UnixSeconds) -> Micros {
    match budget.kind {
        BudgetType::Lifetime => budget.amount,
        BudgetType::Daily => {
            let today = chrono::DateTime::from_timestamp(now.get(), 0)
                .map(|t| t.date_naive())
                .unwrap_or_default();
            let days = schedule.days(today).unwrap_or(OPEN_ENDED_DAYS).max(1);
            Micros::new(
                budget
                    .amount
                    .get()
                    .saturating_mul(i64::try_from(days).unwrap_or(i64::MAX)),
            )
        }
    }
}

/// What a campaign commits a day: its daily budget, or its lifetime
/// budget spread over the days of its schedule (30 days when it has no
/// end date). Agent safety measures spend raises with it.
pub fn daily_rate(budget: Budget, schedule: Schedule, now: UnixSeconds) -> Micros {
    match budget.kind {
        BudgetType::Daily => budget.amount,
        BudgetType::Lifetime => {
            let today = chrono::DateTime::from_timestamp(now.get(), 0)
                .map(|t| t.date_naive())
                .unwrap_or_default();
            let days = schedule.days(today).unwrap_or(OPEN_ENDED_DAYS).max(1);
            Micros::new(budget.amount.get() / i64::try_from(days).unwrap_or(i64::MAX))
        }
    }
}

/// Most context hints an ad set gets.
pub const MAX_HINTS: usize = 30;

/// The context hints of an ad set: each interest, then each pair of
/// neighbouring words of the campaign's product description ("online
/// accounting", "accounting small", "small business"), which a
/// conversation fits when both words appear in one message.
pub fn context_hints(interests: &[String], product_description: Option<&str>) -> Vec<String> {
    let mut result: Vec<String> = Vec::new();
    let mut push = |hint: String| {
        if !hint.is_empty() && !result.contains(&hint) && result.len() < MAX_HINTS {
            result.push(hint);
        }
    };
    for interest in interests {
        push(interest.trim().to_lowercase());
    }
    if let Some(text) = product_description {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .filter(|w| !hints::words(w).is_empty())
            .collect();
        for pair in words.windows(2) {
            push(format!("{} {}", pair[0], pair[1]));
        }
    }
    result
}

/// A call-to-action value (`sign_up`, `LEARN_MORE`) as the chat card's
/// button text (`Sign Up`).
pub fn cta_text(call_to_action: &str) -> String {
    call_to_action
        .split(['_', ' ', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let lower = w.to_lowercase();
            let mut chars = lower.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().collect::<String>() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixSeconds = UnixSeconds::new(1_782_864_000); // 2026-07-01T00:00:00Z

    #[test]
    fn objectives_read_either_case_and_bid_by_intent() {
        assert_eq!(
            Objective::parse("CONVERSIONS"),
            Some(Objective::Conversions)
        );
        assert_eq!(
            Objective::parse("app_installs"),
            Some(Objective::AppInstalls)
        );
        assert_eq!(Objective::parse("sales"), None);
        assert!(Objective::Awareness.chat_bid() < Objective::Conversions.chat_bid());
    }

    #[test]
    fn both_budget_forms_are_read_and_mixing_them_is_refused() {
        let daily = budget(Some(50.0), None, None)
            .expect("daily")
            .expect("some");
        assert_eq!(
            daily,
            Budget {
                kind: BudgetType::Daily,
                amount: Micros::new(50_000_000)
            }
        );
        let object = BudgetRequest {
            kind: Some("lifetime".into()),
            amount: Some(100.0),
            currency: Some("usd".into()),
        };
        let lifetime = budget(None, Some(&object), None)
            .expect("lifetime")
            .expect("some");
        assert_eq!(lifetime.kind, BudgetType::Lifetime);
        assert_eq!(
            budget(Some(1.0), Some(&object), None)
                .expect_err("both")
                .status(),
            422
        );
        let low = budget(Some(0.5), None, None).expect_err("too low");
        assert_eq!(low.code(), "campaign_budget_too_low");
        let amount_only = BudgetRequest {
            amount: Some(75.0),
            ..Default::default()
        };
        assert_eq!(
            budget(None, Some(&amount_only), Some(lifetime)).expect("update"),
            Some(Budget {
                kind: BudgetType::Lifetime,
                amount: Micros::new(75_000_000)
            })
        );
        let euros = BudgetRequest {
            currency: Some("EUR".into()),
            ..object
        };
        assert_eq!(
            budget(None, Some(&euros), None).expect_err("EUR").status(),
            422
        );
    }

    #[test]
    fn a_daily_budget_funds_the_days_of_its_schedule() {
        let daily = Budget {
            kind: BudgetType::Daily,
            amount: Micros::new(10_000_000),
        };
        let july = Schedule::parse(&ScheduleRequest {
            start_date: Some("2026-07-01".into()),
            end_date: Some("2026-07-31".into()),
        })
        .expect("schedule");
        assert_eq!(spend_limit(daily, july, NOW), Micros::new(310_000_000));
        assert_eq!(
            spend_limit(daily, Schedule::default(), NOW),
            Micros::new(300_000_000)
        );
        assert_eq!(july.start_time(NOW), NOW);
        assert_eq!(july.end_time(), Some(NOW.plus_seconds(31 * 86_400)));
        let backwards = ScheduleRequest {
            start_date: Some("2026-07-02".into()),
            end_date: Some("2026-07-01".into()),
        };
        assert!(Schedule::parse(&backwards).is_err());
    }

    #[test]
    fn a_lifetime_budget_commits_its_share_of_each_day() {
        let july = Schedule::parse(&ScheduleRequest {
            start_date: Some("2026-07-01".into()),
            end_date: Some("2026-07-31".into()),
        })
        .expect("schedule");
        let lifetime = Budget {
            kind: BudgetType::Lifetime,
            amount: Micros::new(310_000_000),
        };
        assert_eq!(daily_rate(lifetime, july, NOW), Micros::new(10_000_000));
        assert_eq!(
            daily_rate(lifetime, Schedule::default(), NOW),
            Micros::new(310_000_000 / 30),
            "30 days without an end date"
        );
        let daily = Budget {
            kind: BudgetType::Daily,
            amount: Micros::new(50_000_000),
        };
        assert_eq!(daily_rate(daily, july, NOW), daily.amount);
    }

    #[test]
    fn interests_and_word_pairs_of_the_product_become_hints() {
        let hints = context_hints(
            &["Remote Work".into(), "startups".into()],
            Some("Online accounting for small businesses"),
        );
        assert_eq!(
            hints,
            [
                "remote work",
                "startups",
                "online accounting",
                "accounting small",
                "small businesses"
            ]
        );
    }

    #[test]
    fn calls_to_action_become_button_text() {
        assert_eq!(cta_text("sign_up"), "Sign Up");
        assert_eq!(cta_text("LEARN_MORE"), "Learn More");
    }
}

//! What an account commits to spend a day, the measure of every spend
//! check: the daily rate of each live campaign (`campaigns::model::
//! daily_rate`) plus, for each active rule that raises budgets
//! (`adjust_budget` with a positive `change_percent`), one such raise of
//! each campaign it covers. A write raises spend when the measure after it
//! is higher than before.
//!
//! Also the account's confirmation threshold (`GET`/`PATCH
//! /account/safety`) and the keys' spend caps.

use serde::Deserialize;
use serde_json::{Value, json};

use adspin_core::body::parse_json;
use adspin_core::db::{Database, DbError};
use adspin_core::ids::OrganizationId;
use adspin_core::money::Micros;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Response, json_response};

use crate::AgentsError;
use crate::auth::Caller;
use crate::campaigns::store as campaigns;
use crate::campaigns::{CampaignStatus, model};
use crate::rules::model::Action;
use crate::rules::store as rules;
use crate::scopes::Scope;
use crate::store::Mode;

/// The added daily spend above which a write needs a confirmation token,
/// for an account that has not set its own: $100 a day.
pub const DEFAULT_THRESHOLD: Micros = Micros::from_dollars(100);
/// The highest threshold or spend cap, in dollars a day.
pub const MAX_DOLLARS: f64 = 1_000_000.0;

/// What the account (in `mode`) commits to spend a day at `now`.
pub fn committed(
    db: &impl Database,
    organization: OrganizationId,
    mode: Mode,
    now: UnixSeconds,
) -> Result<Micros, DbError> {
    let live: Vec<_> = campaigns::active_campaigns(db, organization, mode)?
        .into_iter()
        .filter(|campaign| campaign.status_at(now) == CampaignStatus::Active)
        .map(|campaign| {
            (
                campaign.id,
                model::daily_rate(campaign.budget, campaign.schedule, now).get(),
            )
        })
        .collect();
    let mut total: i64 = live.iter().map(|(_, rate)| rate).sum();
    for rule in rules::active_rules(db, organization, mode)? {
        let Action::AdjustBudget { change_percent } = rule.action else {
            continue;
        };
        if change_percent <= 0.0 {
            continue;
        }
        let covered: i64 = live
            .iter()
            .filter(|(id, _)| rule.campaign.is_none_or(|target| target == *id))
            .map(|(_, rate)| rate)
            .sum();
        // Rounded up: a raise is never under-counted.
        total += (covered as f64 * change_percent / 100.0).ceil() as i64;
    }
    Ok(Micros::new(total))
}

/// The committed daily spend before and after a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub before: Micros,
    pub after: Micros,
}

impl Change {
    /// How much the write raises the daily spend (zero when it does not).
    pub fn raise(self) -> Micros {
        Micros::new((self.after.get() - self.before.get()).max(0))
    }

    /// "raises the committed daily spend from $50.00 to $500.00"
    pub fn summary(self) -> String {
        format!(
            "raises the committed daily spend from ${:.2} to ${:.2}",
            self.before.to_dollars(),
            self.after.to_dollars()
        )
    }

    pub fn view(self) -> Value {
        json!({
            "daily_spend_before": self.before.to_dollars(),
            "daily_spend_after": self.after.to_dollars(),
            "currency": "USD",
        })
    }
}

/// The account's confirmation threshold ([`DEFAULT_THRESHOLD`] unless it
/// set one).
pub fn threshold(db: &impl Database, organization: OrganizationId) -> Result<Micros, DbError> {
    Ok(db
        .query_row(
            "SELECT confirmation_threshold_micros FROM agent_safety_settings WHERE organization_id = ?1",
            &[organization.into()],
        )?
        .and_then(|row| row.integer(0))
        .map_or(DEFAULT_THRESHOLD, Micros::new))
}

/// The spend cap of the key `key_seq`, if it has one.
pub fn cap(db: &impl Database, key_seq: i64) -> Result<Option<Micros>, DbError> {
    Ok(db
        .query_row(
            "SELECT daily_micros FROM agent_key_spend_caps WHERE key_seq = ?1",
            &[key_seq.into()],
        )?
        .and_then(|row| row.integer(0))
        .map(Micros::new))
}

/// Sets (or, with `None`, removes) the spend cap of the key `key_seq`.
pub fn set_cap(db: &impl Database, key_seq: i64, cap: Option<Micros>) -> Result<(), DbError> {
    match cap {
        Some(cap) => db.execute(
            "INSERT INTO agent_key_spend_caps (key_seq, daily_micros) VALUES (?1, ?2)
             ON CONFLICT (key_seq) DO UPDATE SET daily_micros = excluded.daily_micros",
            &[key_seq.into(), cap.into()],
        )?,
        None => db.execute(
            "DELETE FROM agent_key_spend_caps WHERE key_seq = ?1",
            &[key_seq.into()],
        )?,
    };
    Ok(())
}

/// A number of dollars a day for `field`: finite, from `minimum` up to
/// [`MAX_DOLLARS`], in whole cents.
pub fn dollars(field: &str, value: f64, minimum: f64) -> Result<Micros, AgentsError> {
    if !value.is_finite() || value < minimum || value > MAX_DOLLARS {
        return Err(AgentsError::validation(
            field,
            format!("{field} must be a number of dollars from {minimum} to {MAX_DOLLARS}."),
        ));
    }
    Ok(Micros::new(
        (value * 100.0).round() as i64 * Micros::PER_CENT,
    ))
}

/// `403 spend_cap_exceeded`: the write would take the committed daily
/// spend past the key's cap.
pub fn cap_exceeded(change: Change, cap: Micros) -> AgentsError {
    AgentsError::new(
        403,
        "spend_cap_exceeded",
        format!(
            "This write {}, past this key's spend cap of ${:.2} a day.",
            change.summary(),
            cap.to_dollars()
        ),
    )
    .with_details(json!({
        "spend_cap": cap.to_dollars(),
        "daily_spend_before": change.before.to_dollars(),
        "daily_spend_after": change.after.to_dollars(),
        "currency": "USD",
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SafetyRequest {
    confirmation_threshold: f64,
}

fn settings_view(threshold: Micros) -> Value {
    json!({
        "confirmation_threshold": threshold.to_dollars(),
        "currency": "USD",
        "default_confirmation_threshold": DEFAULT_THRESHOLD.to_dollars(),
    })
}

/// `GET /account/safety`: the account's confirmation threshold.
pub fn read_settings(db: &impl Database, caller: &Caller) -> Result<Response, AgentsError> {
    caller.require(Scope::AccountRead)?;
    let threshold = threshold(db, caller.organization_id())?;
    Ok(json_response(200, &settings_view(threshold)))
}

/// `PATCH /account/safety`: sets the confirmation threshold (dollars of
/// added daily spend; 0 asks for a confirmation of every raise).
pub fn update_settings(
    db: &impl Database,
    caller: &Caller,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::AccountWrite)?;
    let request: SafetyRequest = parse_json(body)?;
    let threshold = dollars(
        "confirmation_threshold",
        request.confirmation_threshold,
        0.0,
    )?;
    db.execute(
        "INSERT INTO agent_safety_settings (organization_id, confirmation_threshold_micros, updated_at)
         VALUES (?1, ?2, ?3)
         ON CONFLICT (organization_id) DO UPDATE SET
             confirmation_threshold_micros = excluded.confirmation_threshold_micros,
             updated_at = excluded.updated_at",
        &[caller.organization_id().into(), threshold.into(), now.into()],
    )?;
    Ok(json_response(200, &settings_view(threshold)))
}

//! Optimization rules: `POST/GET /optimization/rules` and
//! `GET/PATCH/DELETE /optimization/rules/{id}`, judged by the scheduled
//! work ([`evaluate_due`]) without a request arriving.
//!
//! A rule tests one metric of each target over a trailing window
//! (`condition {metric, operator, value, timeframe_hours}`) and acts on
//! every target that meets it: `pause_ad` (each active ad), `pause_ad_set`
//! (each active ad set), `adjust_budget` (the campaign's budget, at most
//! once per window) or `notify` (once per crossing). Targets are those of
//! launched, active campaigns of the rule's account and mode, or of its one
//! campaign. A target whose metric is undefined (a CTR without
//! impressions) is not judged. Every action is recorded and announced to
//! the account's webhooks.

pub mod model;
pub mod store;

use serde::Deserialize;
use serde_json::{Value, json};

use adspin_core::body::parse_json;
use adspin_core::catalog::fields::Status;
use adspin_core::catalog::store as catalog;
use adspin_core::db::{Database, DbError, transaction};
use adspin_core::money::Micros;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Query, Response, json_response, no_content};

use crate::AgentsError;
use crate::auth::Caller;
use crate::campaigns::{self, model as campaign_model};
use crate::events;
use crate::pages::PageRequest;
use crate::scopes::Scope;
use crate::text;
use model::{Action, Condition, Metric};
use store::{ActionRecord, Measured, Rule, RuleFields};

/// How often a rule is judged, in seconds.
pub const EVALUATION_INTERVAL_SECONDS: i64 = 900;
/// Most rules judged by one tick.
pub const RULES_PER_TICK: i64 = 50;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleRequest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "adspin_core::body::object")]
    condition: Option<Condition>,
    #[serde(default, deserialize_with = "adspin_core::body::object")]
    action: Option<Action>,
    #[serde(default, deserialize_with = "campaign_reference")]
    campaign_id: Option<Option<String>>,
    #[serde(default)]
    active: Option<bool>,
}

/// `campaign_id` as an integer, a string (`"5"`, `"camp_5"`), or `null`
/// (every campaign).
fn campaign_reference<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<String>>, D::Error> {
    let value = Option::<Value>::deserialize(deserializer)?;
    match value {
        None => Ok(Some(None)),
        Some(Value::Number(n)) => Ok(Some(Some(n.to_string()))),
        Some(Value::String(s)) => Ok(Some(Some(s))),
        Some(_) => Err(serde::de::Error::custom(
            "campaign_id is a campaign id or null",
        )),
    }
}

fn view(db: &impl Database, rule: &Rule) -> Result<Value, DbError> {
    Ok(json!({
        "id": rule.id,
        "name": rule.name,
        "campaign_id": rule.campaign,
        "condition": rule.condition,
        "action": rule.action.view(),
        "active": rule.active,
        "last_evaluated_at": rule.last_evaluated_at.map(UnixSeconds::to_iso8601_numeric_offset),
        "next_evaluation_at": rule.next_evaluation_at.to_iso8601_numeric_offset(),
        "actions_taken": rule.actions_taken,
        "recent_actions": store::recent_actions(db, rule.id, 10)?,
        "created_at": rule.created_at.to_iso8601_numeric_offset(),
        "updated_at": rule.updated_at.to_iso8601_numeric_offset(),
    }))
}

fn rule_not_found() -> AgentsError {
    AgentsError::new(404, "not_found", "No optimization rule has this id.")
}

fn owned(db: &impl Database, caller: &Caller, id: &str) -> Result<Rule, AgentsError> {
    let id = campaigns::parse_id(id, "rule_").ok_or_else(rule_not_found)?;
    store::find_rule(db, caller.organization_id(), caller.mode(), id)?.ok_or_else(rule_not_found)
}

/// The campaign a rule names, checked against the caller's.
fn campaign_of(
    db: &impl Database,
    caller: &Caller,
    reference: Option<&str>,
) -> Result<Option<i64>, AgentsError> {
    reference
        .map(|id| {
            campaigns::owned(db, caller, id).map(|c| c.id).map_err(|_| {
                AgentsError::validation(
                    "campaign_id",
                    "campaign_id is not a campaign of this account.",
                )
            })
        })
        .transpose()
}

/// `POST /optimization/rules`: `201`.
pub fn create(
    db: &impl Database,
    caller: &Caller,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsWrite)?;
    caller.require_verified()?;
    let request: RuleRequest = parse_json(body)?;
    let name = text::checked(
        "name",
        request.name.as_deref().unwrap_or_default(),
        campaigns::MAX_NAME_LENGTH,
    )?;
    let condition = request
        .condition
        .ok_or_else(|| AgentsError::validation("condition", "condition is required."))?
        .checked()?;
    let action = request
        .action
        .ok_or_else(|| AgentsError::validation("action", "action is required."))?
        .checked()?;
    let rule = transaction(db, || {
        let campaign = campaign_of(db, caller, request.campaign_id.clone().flatten().as_deref())?;
        let fields = RuleFields {
            campaign,
            name,
            condition: &condition,
            action: &action,
            active: request.active.unwrap_or(true),
        };
        Ok::<_, AgentsError>(store::insert_rule(
            db,
            caller.organization_id(),
            caller.mode(),
            &fields,
            now,
        )?)
    })?;
    Ok(json_response(201, &view(db, &rule)?))
}

/// `GET /optimization/rules`: cursor pages, newest first.
pub fn list(db: &impl Database, caller: &Caller, query: &Query) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsRead)?;
    let page = PageRequest::from_query(query)?;
    let rows = store::list_rules(db, caller.organization_id(), caller.mode(), &page)?;
    let total = store::count_rules(db, caller.organization_id(), caller.mode())?;
    let mut views = Vec::with_capacity(rows.len());
    for rule in &rows {
        views.push((rule.id, view(db, rule)?));
    }
    Ok(json_response(
        200,
        &page.page(
            rows,
            total,
            |r| r.id,
            |r| {
                views
                    .iter()
                    .find(|(id, _)| *id == r.id)
                    .map(|(_, v)| v.clone())
                    .unwrap_or(Value::Null)
            },
        ),
    ))
}

/// `GET /optimization/rules/{id}`, with its newest actions.
pub fn read(db: &impl Database, caller: &Caller, id: &str) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsRead)?;
    let rule = owned(db, caller, id)?;
    Ok(json_response(200, &view(db, &rule)?))
}

/// `PATCH /optimization/rules/{id}`: the fields given; the rule is judged
/// afresh at the next tick.
pub fn update(
    db: &impl Database,
    caller: &Caller,
    id: &str,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsWrite)?;
    caller.require_verified()?;
    let request: RuleRequest = parse_json(body)?;
    let rule = transaction(db, || {
        let current = owned(db, caller, id)?;
        let name = match &request.name {
            Some(name) => text::checked("name", name, campaigns::MAX_NAME_LENGTH)?,
            None => current.name.as_str(),
        };
        let condition = match request.condition {
            Some(condition) => condition.checked()?,
            None => current.condition,
        };
        let action = match request.action {
            Some(action) => action.checked()?,
            None => current.action,
        };
        let campaign = match &request.campaign_id {
            Some(reference) => campaign_of(db, caller, reference.as_deref())?,
            None => current.campaign,
        };
        let fields = RuleFields {
            campaign,
            name,
            condition: &condition,
            action: &action,
            active: request.active.unwrap_or(current.active),
        };
        store::update_rule(db, current.id, &fields, now)?;
        store::find_rule(db, caller.organization_id(), caller.mode(), current.id)?
            .ok_or_else(rule_not_found)
    })?;
    Ok(json_response(200, &view(db, &rule)?))
}

/// `DELETE /optimization/rules/{id}`: `204`; what it did stays done.
pub fn delete(
    db: &impl Database,
    caller: &Caller,
    id: &str,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsWrite)?;
    caller.require_verified()?;
    let rule = owned(db, caller, id)?;
    store::delete_rule(db, rule.id, now)?;
    Ok(no_content())
}

/// What one tick of rules did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub evaluated: u32,
    pub actions: u32,
}

/// Judges every due rule (at most [`RULES_PER_TICK`]), each in its own
/// transaction with the actions it takes and their events.
pub fn evaluate_due(db: &impl Database, now: UnixSeconds) -> Result<Report, DbError> {
    let mut report = Report::default();
    for id in store::due_rules(db, now, RULES_PER_TICK)? {
        let actions = transaction(db, || {
            let next = now.plus_seconds(EVALUATION_INTERVAL_SECONDS);
            match store::claim_rule(db, id, now, next)? {
                Some(rule) => evaluate(db, &rule, now).map(Some),
                None => Ok::<_, DbError>(None),
            }
        })?;
        if let Some(actions) = actions {
            report.evaluated += 1;
            report.actions += actions;
        }
    }
    Ok(report)
}

/// Judges one rule; returns how many actions it took.
fn evaluate(db: &impl Database, rule: &Rule, now: UnixSeconds) -> Result<u32, DbError> {
    let condition = rule.condition;
    let since = UnixSeconds::new(
        adspin_core::delivery::hour_of(now) - (i64::from(condition.timeframe_hours) - 1) * 3_600,
    );
    let targets = store::measure(db, rule, rule.action.level(), since)?;
    let mut actions = 0;
    let mut triggered = Vec::new();
    for target in &targets {
        let Some(value) = condition.metric.of(&target.totals) else {
            continue;
        };
        if !condition.operator.holds(value, condition.value) {
            continue;
        }
        let acted = match rule.action {
            Action::PauseAd {} => pause_ad(db, rule, target, value, now)?,
            Action::PauseAdSet {} => pause_ad_set(db, rule, target, value, now)?,
            Action::AdjustBudget { change_percent } => {
                adjust_budget(db, rule, target, value, change_percent, now)?
            }
            Action::Notify {} => {
                triggered.push(target.campaign);
                !rule.triggered.contains(&target.campaign) && notify(db, rule, target, value, now)?
            }
        };
        if acted {
            actions += 1;
        }
    }
    if matches!(rule.action, Action::Notify {}) && triggered != rule.triggered {
        store::set_triggered(db, rule.id, &triggered)?;
    }
    Ok(actions)
}

/// Records the action and announces it.
fn record(
    db: &impl Database,
    rule: &Rule,
    target: &Measured,
    event: &str,
    what: (&str, f64),
    details: Value,
    now: UnixSeconds,
) -> Result<(), DbError> {
    let (label, value) = what;
    let mut data = json!({
        "rule_id": rule.id,
        "rule_name": rule.name,
        "campaign_id": target.campaign,
        "metric": rule.condition.metric,
        "operator": rule.condition.operator,
        "threshold": rule.condition.value,
        "value": (value * 100.0).round() / 100.0,
        "timeframe_hours": rule.condition.timeframe_hours,
        "action": rule.action.name(),
    });
    if let (Value::Object(data), Value::Object(extra)) = (&mut data, &details) {
        data.extend(extra.clone());
    }
    store::record_action(
        db,
        &ActionRecord {
            rule: rule.id,
            campaign: target.campaign,
            target: label,
            action: rule.action.name(),
            value,
            details: &details,
        },
        now,
    )?;
    events::emit(db, rule.organization_id, rule.mode, event, &data, now)?;
    Ok(())
}

fn pause_ad(
    db: &impl Database,
    rule: &Rule,
    target: &Measured,
    value: f64,
    now: UnixSeconds,
) -> Result<bool, DbError> {
    let (Some(ad), Some(ad_id)) = (target.ad, target.ad_id) else {
        return Ok(false);
    };
    let Some(mut shared) = catalog::find::<catalog::Ad>(db, rule.organization_id, ad_id)? else {
        return Ok(false);
    };
    shared.status = Status::Paused;
    shared.updated_at = now;
    catalog::update_ad(db, rule.organization_id, &shared)?;
    let reason = reason(rule, value);
    record(
        db,
        rule,
        target,
        "ad.paused",
        (&format!("ad:{ad}"), value),
        json!({"ad_id": ad, "ad_set_id": target.ad_set, "reason": reason}),
        now,
    )?;
    Ok(true)
}

fn pause_ad_set(
    db: &impl Database,
    rule: &Rule,
    target: &Measured,
    value: f64,
    now: UnixSeconds,
) -> Result<bool, DbError> {
    let (Some(ad_set), Some(group)) = (target.ad_set, target.ad_group_id) else {
        return Ok(false);
    };
    let Some(mut shared) = catalog::find::<catalog::AdGroup>(db, rule.organization_id, group)?
    else {
        return Ok(false);
    };
    shared.status = Status::Paused;
    shared.updated_at = now;
    catalog::update_ad_group(db, rule.organization_id, &shared)?;
    let reason = reason(rule, value);
    record(
        db,
        rule,
        target,
        "ad.optimized",
        (&format!("ad_set:{ad_set}"), value),
        json!({"ad_set_id": ad_set, "reason": reason}),
        now,
    )?;
    Ok(true)
}

fn adjust_budget(
    db: &impl Database,
    rule: &Rule,
    target: &Measured,
    value: f64,
    change_percent: f64,
    now: UnixSeconds,
) -> Result<bool, DbError> {
    let window = i64::from(rule.condition.timeframe_hours) * 3_600;
    if store::last_action_on(db, rule.id, target.campaign)?
        .is_some_and(|last| last.get() + window > now.get())
    {
        return Ok(false);
    }
    let Some(campaign) =
        campaigns::store::find_campaign(db, rule.organization_id, rule.mode, target.campaign)?
    else {
        return Ok(false);
    };
    let old = campaign.budget.amount;
    let cents = ((old.to_dollars() * (1.0 + change_percent / 100.0)) * 100.0).round() as i64;
    let new = Micros::new(
        (cents * 10_000).max((campaign_model::MIN_BUDGET_DOLLARS * 1_000_000.0) as i64),
    );
    let budget = campaign_model::Budget {
        kind: campaign.budget.kind,
        amount: new,
    };
    let Some(mut shared) =
        catalog::find::<catalog::Campaign>(db, rule.organization_id, campaign.campaign_id)?
    else {
        return Ok(false);
    };
    let limit = campaign_model::spend_limit(budget, campaign.schedule, now);
    if limit < shared.spent || new == old {
        return Ok(false);
    }
    shared.lifetime_spend_limit = limit;
    shared.updated_at = now;
    catalog::update_campaign(db, rule.organization_id, &shared)?;
    campaigns::store::set_budget(db, campaign.id, budget, now)?;
    campaigns::store::set_daily_budget(db, campaign.campaign_id, budget)?;
    record(
        db,
        rule,
        target,
        "budget.reallocated",
        (&format!("campaign:{}", campaign.id), value),
        json!({"previous_budget": old.to_dollars(), "new_budget": new.to_dollars(),
               "budget_type": budget.kind.as_str(), "change_percent": change_percent,
               "reason": reason(rule, value)}),
        now,
    )?;
    Ok(true)
}

fn notify(
    db: &impl Database,
    rule: &Rule,
    target: &Measured,
    value: f64,
    now: UnixSeconds,
) -> Result<bool, DbError> {
    let event = if rule.condition.metric == Metric::Spend {
        "alert.spend"
    } else {
        "alert.performance"
    };
    record(
        db,
        rule,
        target,
        event,
        (&format!("campaign:{}", target.campaign), value),
        json!({"reason": reason(rule, value)}),
        now,
    )?;
    Ok(true)
}

fn reason(rule: &Rule, value: f64) -> String {
    let condition = rule.condition;
    let operator = match condition.operator {
        model::Operator::Lt => "below",
        model::Operator::Lte => "at or below",
        model::Operator::Gt => "above",
        model::Operator::Gte => "at or above",
        model::Operator::Eq => "at",
    };
    let metric = serde_json::to_value(condition.metric)
        .ok()
        .and_then(|v| v.as_str().map(str::to_uppercase))
        .unwrap_or_default();
    format!(
        "{metric} {value:.2} is {operator} {} over the last {} hours (rule \"{}\").",
        condition.value, condition.timeframe_hours, rule.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Level;

    #[test]
    fn a_level_for_every_action() {
        assert_eq!(Action::PauseAdSet {}.level(), Level::AdSet);
        assert_eq!(
            Action::AdjustBudget {
                change_percent: 20.0
            }
            .level(),
            Level::Campaign
        );
    }
}

//! SQL of optimization rules, their actions, and the metrics they judge.

use serde_json::Value;

use adspin_core::db::{Database, DbError, FromRow, Json, Row};
use adspin_core::ids::{AdGroupId, AdId, CampaignId, OrganizationId};
use adspin_core::time::UnixSeconds;

use super::model::{Action, Condition, Level};
use crate::campaigns::store::Totals;
use crate::pages::PageRequest;
use crate::store::Mode;

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: i64,
    pub organization_id: OrganizationId,
    pub mode: Mode,
    pub campaign: Option<i64>,
    pub name: String,
    pub condition: Condition,
    pub action: Action,
    pub active: bool,
    pub next_evaluation_at: UnixSeconds,
    pub last_evaluated_at: Option<UnixSeconds>,
    /// Campaigns whose notify condition held at the last evaluation.
    pub triggered: Vec<i64>,
    pub actions_taken: i64,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
}

const RULE_COLUMNS: &str = "r.id, r.organization_id, r.mode, r.campaign, r.name, r.condition, r.action, \
    r.active, r.next_evaluation_at, r.last_evaluated_at, r.triggered, \
    (SELECT COUNT(*) FROM agent_rule_actions x WHERE x.rule = r.id), r.created_at, r.updated_at";

impl FromRow for Rule {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: row.get(0)?,
            organization_id: row.get(1)?,
            mode: row.get(2)?,
            campaign: row.get(3)?,
            name: row.get(4)?,
            condition: row.get::<Json<_>>(5)?.0,
            action: row.get::<Json<_>>(6)?.0,
            active: row.get(7)?,
            next_evaluation_at: row.get(8)?,
            last_evaluated_at: row.get(9)?,
            triggered: row.get::<Json<_>>(10)?.0,
            actions_taken: row.get(11)?,
            created_at: row.get(12)?,
            updated_at: row.get(13)?,
        })
    }
}

/// A rule's fields, to write.
pub struct RuleFields<'a> {
    pub campaign: Option<i64>,
    pub name: &'a str,
    pub condition: &'a Condition,
    pub action: &'a Action,
    pub active: bool,
}

pub fn insert_rule(
    db: &impl Database,
    organization: OrganizationId,
    mode: Mode,
    fields: &RuleFields<'_>,
    now: UnixSeconds,
) -> Result<Rule, DbError> {
    let id = db.insert_returning_id(
        "INSERT INTO agent_rules (organization_id, mode, campaign, name, condition, action, active,
                 next_evaluation_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?8) RETURNING id",
        &[
            organization.into(),
            mode.into(),
            fields.campaign.into(),
            fields.name.into(),
            Json(fields.condition).into(),
            Json(fields.action).into(),
            fields.active.into(),
            now.into(),
        ],
    )?;
    find_rule(db, organization, mode, id)?
        .ok_or_else(|| DbError::Malformed("a rule just written is missing".into()))
}

/// Writes a rule's fields; a changed rule is judged at the next tick,
/// afresh.
pub fn update_rule(
    db: &impl Database,
    id: i64,
    fields: &RuleFields<'_>,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_rules SET campaign = ?1, name = ?2, condition = ?3, action = ?4, active = ?5,
             next_evaluation_at = ?6, triggered = '[]', updated_at = ?6
         WHERE id = ?7",
        &[
            fields.campaign.into(),
            fields.name.into(),
            Json(fields.condition).into(),
            Json(fields.action).into(),
            fields.active.into(),
            now.into(),
            id.into(),
        ],
    )?;
    Ok(())
}

pub fn delete_rule(db: &impl Database, id: i64, now: UnixSeconds) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_rules SET deleted_at = ?1, updated_at = ?1 WHERE id = ?2",
        &[now.into(), id.into()],
    )?;
    Ok(())
}

pub fn find_rule(
    db: &impl Database,
    organization: OrganizationId,
    mode: Mode,
    id: i64,
) -> Result<Option<Rule>, DbError> {
    db.find(
        &format!(
            "SELECT {RULE_COLUMNS} FROM agent_rules r
             WHERE r.id = ?1 AND r.organization_id = ?2 AND r.mode = ?3 AND r.deleted_at IS NULL"
        ),
        &[id.into(), organization.into(), mode.into()],
    )
}

pub fn list_rules(
    db: &impl Database,
    organization: OrganizationId,
    mode: Mode,
    page: &PageRequest,
) -> Result<Vec<Rule>, DbError> {
    db.list(
        &format!(
            "SELECT {RULE_COLUMNS} FROM agent_rules r
             WHERE r.organization_id = ?1 AND r.mode = ?2 AND r.deleted_at IS NULL AND (?3 IS NULL OR r.id < ?3)
             ORDER BY r.id DESC LIMIT ?4"
        ),
        &[
            organization.into(),
            mode.into(),
            page.before_seq.into(),
            page.rows_to_fetch().into(),
        ],
    )
}

/// The account's (and mode's) active rules.
pub fn active_rules(
    db: &impl Database,
    organization: OrganizationId,
    mode: Mode,
) -> Result<Vec<Rule>, DbError> {
    db.list(
        &format!(
            "SELECT {RULE_COLUMNS} FROM agent_rules r
             WHERE r.organization_id = ?1 AND r.mode = ?2 AND r.deleted_at IS NULL AND r.active = 1"
        ),
        &[organization.into(), mode.into()],
    )
}

pub fn count_rules(
    db: &impl Database,
    organization: OrganizationId,
    mode: Mode,
) -> Result<i64, DbError> {
    db.count(
        "SELECT COUNT(*) FROM agent_rules WHERE organization_id = ?1 AND mode = ?2 AND deleted_at IS NULL",
        &[organization.into(), mode.into()],
    )
}

/// The ids of active rules due at `now`.
pub fn due_rules(db: &impl Database, now: UnixSeconds, limit: i64) -> Result<Vec<i64>, DbError> {
    db.execute(
        "SELECT id FROM agent_rules WHERE deleted_at IS NULL AND active = 1 AND next_evaluation_at <= ?1
         ORDER BY next_evaluation_at LIMIT ?2",
        &[now.into(), limit.into()],
    )?
    .iter()
    .map(|row| row.get(0))
    .collect()
}

/// Claims a due rule until `next`: `None` when another tick has it.
pub fn claim_rule(
    db: &impl Database,
    id: i64,
    now: UnixSeconds,
    next: UnixSeconds,
) -> Result<Option<Rule>, DbError> {
    let claimed = db.execute(
        "UPDATE agent_rules SET next_evaluation_at = ?1, last_evaluated_at = ?2
         WHERE id = ?3 AND deleted_at IS NULL AND active = 1 AND next_evaluation_at <= ?2 RETURNING organization_id, mode",
        &[next.into(), now.into(), id.into()],
    )?;
    let Some(row) = claimed.first() else {
        return Ok(None);
    };
    find_rule(db, row.get(0)?, row.get(1)?, id)
}

pub fn set_triggered(db: &impl Database, id: i64, campaigns: &[i64]) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_rules SET triggered = ?1 WHERE id = ?2",
        &[Json(campaigns).into(), id.into()],
    )?;
    Ok(())
}

/// Records what a rule did.
pub struct ActionRecord<'a> {
    pub rule: i64,
    pub campaign: i64,
    pub target: &'a str,
    pub action: &'a str,
    pub value: f64,
    pub details: &'a Value,
}

pub fn record_action(
    db: &impl Database,
    record: &ActionRecord<'_>,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO agent_rule_actions (rule, campaign, target, action, value, details, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[
            record.rule.into(),
            record.campaign.into(),
            record.target.into(),
            record.action.into(),
            record.value.into(),
            Json(record.details).into(),
            now.into(),
        ],
    )?;
    Ok(())
}

/// When the rule last acted on `campaign`.
pub fn last_action_on(
    db: &impl Database,
    rule: i64,
    campaign: i64,
) -> Result<Option<UnixSeconds>, DbError> {
    db.execute(
        "SELECT MAX(created_at) FROM agent_rule_actions WHERE rule = ?1 AND campaign = ?2",
        &[rule.into(), campaign.into()],
    )?
    .first()
    .map(|row| row.get(0))
    .transpose()
    .map(Option::flatten)
}

/// The newest actions of a rule.
pub fn recent_actions(db: &impl Database, rule: i64, limit: i64) -> Result<Vec<Value>, DbError> {
    db.execute(
        "SELECT target, action, value, details, created_at FROM agent_rule_actions
         WHERE rule = ?1 ORDER BY id DESC LIMIT ?2",
        &[rule.into(), limit.into()],
    )?
    .iter()
    .map(|row| {
        Ok(serde_json::json!({
            "target": row.get::<String>(0)?,
            "action": row.get::<String>(1)?,
            "value": row.get::<f64>(2)?,
            "details": row.get::<Json<Value>>(3)?.0,
            "created_at": row.get::<UnixSeconds>(4)?.to_iso8601_numeric_offset(),
        }))
    })
    .collect()
}

/// One target a rule judges, with its delivery in the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub campaign: i64,
    pub campaign_id: CampaignId,
    pub ad_set: Option<i64>,
    pub ad_group_id: Option<AdGroupId>,
    pub ad: Option<i64>,
    pub ad_id: Option<AdId>,
    pub totals: Totals,
}

impl FromRow for Measured {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            campaign: row.get(0)?,
            campaign_id: row.get(1)?,
            ad_set: row.get(2)?,
            ad_group_id: row.get(3)?,
            ad: row.get(4)?,
            ad_id: row.get(5)?,
            totals: Totals {
                impressions: row.get(6)?,
                clicks: row.get(7)?,
                conversions: row.get(8)?,
                conversion_value: row.get(9)?,
                spend: row.get(10)?,
            },
        })
    }
}

const SUMS: &str = "COALESCE(SUM(u.impressions), 0), COALESCE(SUM(u.clicks), 0), COALESCE(SUM(u.conversions), 0), \
    COALESCE(SUM(u.conversion_value_micros), 0), COALESCE(SUM(u.spend_micros), 0)";

/// The live targets of a rule at `level` (active ads, ad sets or
/// campaigns of launched, active campaigns), each with its delivery since
/// `since`.
pub fn measure(
    db: &impl Database,
    rule: &Rule,
    level: Level,
    since: UnixSeconds,
) -> Result<Vec<Measured>, DbError> {
    let (columns, joins, filter, group) = match level {
        Level::Ad => (
            "a.id, a.campaign_id, s.id, s.ad_group_id, d.id, d.ad_id",
            "JOIN agent_ad_sets s ON s.campaign = a.id AND s.deleted_at IS NULL
             JOIN ad_groups g ON g.id = s.ad_group_id AND g.status = 'active'
             JOIN agent_ads d ON d.ad_set = s.id AND d.deleted_at IS NULL
             JOIN ads x ON x.id = d.ad_id AND x.status = 'active'",
            "u.ad_id = d.ad_id",
            "d.id",
        ),
        Level::AdSet => (
            "a.id, a.campaign_id, s.id, s.ad_group_id, NULL, NULL",
            "JOIN agent_ad_sets s ON s.campaign = a.id AND s.deleted_at IS NULL
             JOIN ad_groups g ON g.id = s.ad_group_id AND g.status = 'active'",
            "u.ad_group_id = s.ad_group_id",
            "s.id",
        ),
        Level::Campaign => (
            "a.id, a.campaign_id, NULL, NULL, NULL, NULL",
            "",
            "u.campaign_id = a.campaign_id",
            "a.id",
        ),
    };
    db.list(
        &format!(
            "SELECT {columns}, {SUMS}
             FROM agent_campaigns a {joins}
             LEFT JOIN rollups_hourly u ON u.organization_id = a.organization_id AND u.hour >= ?4 AND {filter}
             WHERE a.organization_id = ?1 AND a.mode = ?2 AND a.deleted_at IS NULL AND a.status = 'active'
               AND (?3 IS NULL OR a.id = ?3)
             GROUP BY {group} ORDER BY {group}"
        ),
        &[
            rule.organization_id.into(),
            rule.mode.into(),
            rule.campaign.into(),
            since.into(),
        ],
    )
}

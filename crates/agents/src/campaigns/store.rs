//! SQL of the agents API's campaigns, ad sets and ads: their own rows
//! joined with the shared campaign tree's. Every query is scoped by the
//! caller's organization and mode; another account's id is not found.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use adspin_core::catalog::fields::{ReviewStatus, Status};
use adspin_core::db::{Database, DbError, FromRow, Json, Row, SqlValue};
use adspin_core::ids::{AdGroupId, AdId, CampaignId, OrganizationId};
use adspin_core::money::Micros;
use adspin_core::time::UnixSeconds;

use super::CampaignStatus;
use super::model::{Budget, BudgetType, Objective, Schedule};
use crate::pages::PageRequest;
use crate::store::Mode;

/// The free-text fields of a campaign, as given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Details {
    #[serde(default)]
    pub product_description: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub target_url: Option<String>,
    #[serde(default)]
    pub audience_description: Option<String>,
    #[serde(default)]
    pub target_location: Option<String>,
}

/// A campaign: the agents API's row and its shared row.
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub id: i64,
    pub campaign_id: CampaignId,
    pub name: String,
    pub objective: Objective,
    pub status: CampaignStatus,
    pub platforms: Vec<String>,
    pub budget: Budget,
    pub schedule: Schedule,
    pub optimization: Value,
    pub details: Details,
    pub facebook_campaign_id: Option<String>,
    pub launched_at: Option<UnixSeconds>,
    pub review_status: ReviewStatus,
    pub spent: Micros,
    pub spend_limit: Micros,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
}

const CAMPAIGN_COLUMNS: &str = "a.id, a.campaign_id, c.name, a.objective, a.status, a.platforms, \
    a.budget_type, a.budget_micros, a.start_date, a.end_date, a.optimization, a.details, \
    a.facebook_campaign_id, a.launched_at, c.review_status, c.spent_micros, \
    c.lifetime_spend_limit_micros, a.created_at, a.updated_at, c.start_time, c.end_time";

fn date(row: &Row, index: usize) -> Result<Option<NaiveDate>, DbError> {
    row.get::<Option<String>>(index)?
        .map(|text| {
            NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .map_err(|_| DbError::Malformed(format!("column {index} is not a date: {text}")))
        })
        .transpose()
}

/// The day (UTC) of a moment.
fn day_of(time: UnixSeconds) -> Option<NaiveDate> {
    chrono::DateTime::from_timestamp(time.get(), 0).map(|t| t.date_naive())
}

/// The campaign's schedule as the shared row serves it, so that a change
/// made through `/v1` (or the dashboard) reads the same here: the start
/// date is the day serving starts when the campaign has one, and the end
/// date is the last day it serves.
fn served_schedule(row: &Row) -> Result<Schedule, DbError> {
    let own_start = date(row, 8)?;
    let start_time: UnixSeconds = row.get(19)?;
    let end_time: Option<UnixSeconds> = row.get(20)?;
    Ok(Schedule {
        start: own_start.and_then(|_| day_of(start_time)),
        end: end_time.and_then(|end| day_of(end.plus_seconds(-1))),
    })
}

impl FromRow for Campaign {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        let kind = row.get::<BudgetType>(6)?;
        // A lifetime budget is the shared row's spend limit; a daily
        // budget is the agents API's own (its spend limit is derived).
        let amount = match kind {
            BudgetType::Lifetime => row.get(16)?,
            BudgetType::Daily => row.get(7)?,
        };
        Ok(Self {
            id: row.get(0)?,
            campaign_id: row.get(1)?,
            name: row.get(2)?,
            objective: row.get(3)?,
            status: row.get(4)?,
            platforms: row.get::<Json<_>>(5)?.0,
            budget: Budget { kind, amount },
            schedule: served_schedule(row)?,
            optimization: row.get::<Json<_>>(10)?.0,
            details: row.get::<Json<_>>(11)?.0,
            facebook_campaign_id: row.get(12)?,
            launched_at: row.get(13)?,
            review_status: row.get(14)?,
            spent: row.get(15)?,
            spend_limit: row.get(16)?,
            created_at: row.get(17)?,
            updated_at: row.get(18)?,
        })
    }
}

/// The agents API's fields of a campaign, to write.
pub struct CampaignFields<'a> {
    pub objective: Objective,
    pub status: CampaignStatus,
    pub platforms: &'a [String],
    pub budget: Budget,
    pub schedule: Schedule,
    pub optimization: &'a Value,
    pub details: &'a Details,
}

impl CampaignFields<'_> {
    fn params(&self) -> Vec<SqlValue> {
        vec![
            self.objective.into(),
            self.status.into(),
            Json(self.platforms).into(),
            self.budget.kind.into(),
            self.budget.amount.into(),
            self.schedule.start.map(|d| d.to_string()).into(),
            self.schedule.end.map(|d| d.to_string()).into(),
            Json(self.optimization).into(),
            Json(self.details).into(),
        ]
    }
}

pub fn insert_campaign(
    db: &impl Database,
    organization: OrganizationId,
    mode: Mode,
    campaign: CampaignId,
    fields: &CampaignFields<'_>,
    now: UnixSeconds,
) -> Result<i64, DbError> {
    let mut params = fields.params();
    params.extend([
        campaign.into(),
        organization.into(),
        mode.into(),
        now.into(),
    ]);
    db.insert_returning_id(
        "INSERT INTO agent_campaigns (objective, status, platforms, budget_type, budget_micros, start_date,
             end_date, optimization, details, campaign_id, organization_id, mode, currency, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'USD', ?13, ?13) RETURNING id",
        &params,
    )
}

/// Marks a shared campaign as the sandbox's: it serves only on staging
/// publisher keys.
pub fn mark_sandbox(db: &impl Database, campaign: CampaignId) -> Result<(), DbError> {
    db.execute(
        "INSERT OR IGNORE INTO sandbox_campaigns (campaign_id) VALUES (?1)",
        &[campaign.into()],
    )?;
    Ok(())
}

pub fn update_campaign(
    db: &impl Database,
    id: i64,
    fields: &CampaignFields<'_>,
    now: UnixSeconds,
) -> Result<(), DbError> {
    let mut params = fields.params();
    params.extend([now.into(), id.into()]);
    db.execute(
        "UPDATE agent_campaigns SET objective = ?1, status = ?2, platforms = ?3, budget_type = ?4,
             budget_micros = ?5, start_date = ?6, end_date = ?7, optimization = ?8, details = ?9,
             updated_at = ?10
         WHERE id = ?11",
        &params,
    )?;
    Ok(())
}

/// Sets (or, for a lifetime budget, removes) the shared campaign's daily
/// budget on the chat network.
pub fn set_daily_budget(
    db: &impl Database,
    campaign: CampaignId,
    budget: Budget,
) -> Result<(), DbError> {
    match budget.kind {
        BudgetType::Daily => db.execute(
            "INSERT INTO campaign_daily_budgets (campaign_id, daily_limit_micros) VALUES (?1, ?2)
             ON CONFLICT (campaign_id) DO UPDATE SET daily_limit_micros = excluded.daily_limit_micros",
            &[campaign.into(), budget.amount.into()],
        )?,
        BudgetType::Lifetime => db.execute(
            "DELETE FROM campaign_daily_budgets WHERE campaign_id = ?1",
            &[campaign.into()],
        )?,
    };
    Ok(())
}

/// Writes a campaign's budget.
pub fn set_budget(
    db: &impl Database,
    id: i64,
    budget: Budget,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_campaigns SET budget_type = ?1, budget_micros = ?2, updated_at = ?3 WHERE id = ?4",
        &[budget.kind.into(), budget.amount.into(), now.into(), id.into()],
    )?;
    Ok(())
}

/// Keeps the id of the campaign's Meta campaign.
pub fn set_facebook_campaign_id(db: &impl Database, id: i64, remote: &str) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_campaigns SET facebook_campaign_id = ?1 WHERE id = ?2",
        &[remote.into(), id.into()],
    )?;
    Ok(())
}

/// Marks a campaign launched (`active`).
pub fn mark_launched(db: &impl Database, id: i64, now: UnixSeconds) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_campaigns SET status = 'active', launched_at = ?1, updated_at = ?1 WHERE id = ?2",
        &[now.into(), id.into()],
    )?;
    Ok(())
}

pub fn mark_deleted(db: &impl Database, id: i64, now: UnixSeconds) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_campaigns SET deleted_at = ?1, updated_at = ?1 WHERE id = ?2",
        &[now.into(), id.into()],
    )?;
    Ok(())
}

pub fn find_campaign(
    db: &impl Database,
    organization: OrganizationId,
    mode: Mode,
    id: i64,
) -> Result<Option<Campaign>, DbError> {
    db.find(
        &format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM agent_campaigns a JOIN campaigns c ON c.id = a.campaign_id
             WHERE a.id = ?1 AND a.organization_id = ?2 AND a.mode = ?3 AND a.deleted_at IS NULL"
        ),
        &[id.into(), organization.into(), mode.into()],
    )
}

pub fn list_campaigns(
    db: &impl Database,
    organization: OrganizationId,
    mode: Mode,
    page: &PageRequest,
) -> Result<Vec<Campaign>, DbError> {
    db.list(
        &format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM agent_campaigns a JOIN campaigns c ON c.id = a.campaign_id
             WHERE a.organization_id = ?1 AND a.mode = ?2 AND a.deleted_at IS NULL
               AND (?3 IS NULL OR a.id < ?3)
             ORDER BY a.id DESC LIMIT ?4"
        ),
        &[
            organization.into(),
            mode.into(),
            page.before_seq.into(),
            page.rows_to_fetch().into(),
        ],
    )
}

/// The account's (and mode's) launched campaigns whose status is active
/// (some may have completed since: see `Campaign::status_at`).
pub fn active_campaigns(
    db: &impl Database,
    organization: OrganizationId,
    mode: Mode,
) -> Result<Vec<Campaign>, DbError> {
    db.list(
        &format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM agent_campaigns a JOIN campaigns c ON c.id = a.campaign_id
             WHERE a.organization_id = ?1 AND a.mode = ?2 AND a.deleted_at IS NULL
               AND a.status = 'active' AND a.launched_at IS NOT NULL"
        ),
        &[organization.into(), mode.into()],
    )
}

pub fn count_campaigns(
    db: &impl Database,
    organization: OrganizationId,
    mode: Mode,
) -> Result<i64, DbError> {
    db.count(
        "SELECT COUNT(*) FROM agent_campaigns WHERE organization_id = ?1 AND mode = ?2 AND deleted_at IS NULL",
        &[organization.into(), mode.into()],
    )
}

/// How many of the account's campaigns are in each status at `now`.
pub fn statuses(
    db: &impl Database,
    organization: OrganizationId,
    mode: Mode,
    now: UnixSeconds,
) -> Result<Value, DbError> {
    let campaigns: Vec<Campaign> = db.list(
        &format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM agent_campaigns a JOIN campaigns c ON c.id = a.campaign_id
             WHERE a.organization_id = ?1 AND a.mode = ?2 AND a.deleted_at IS NULL"
        ),
        &[organization.into(), mode.into()],
    )?;
    let count = |status: CampaignStatus| {
        campaigns
            .iter()
            .filter(|c| c.status_at(now) == status)
            .count()
    };
    Ok(serde_json::json!({
        "total": campaigns.len(),
        "draft": count(CampaignStatus::Draft),
        "active": count(CampaignStatus::Active),
        "paused": count(CampaignStatus::Paused),
        "completed": count(CampaignStatus::Completed),
    }))
}

/// Delivery totals of a campaign from the rollups (every supply).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub impressions: i64,
    pub clicks: i64,
    pub conversions: i64,
    pub conversion_value: Micros,
    pub spend: Micros,
}

impl std::ops::Add for Totals {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            impressions: self.impressions + other.impressions,
            clicks: self.clicks + other.clicks,
            conversions: self.conversions + other.conversions,
            conversion_value: Micros::new(
                self.conversion_value.get() + other.conversion_value.get(),
            ),
            spend: Micros::new(self.spend.get() + other.spend.get()),
        }
    }
}

impl std::iter::Sum for Totals {
    fn sum<I: Iterator<Item = Self>>(totals: I) -> Self {
        totals.fold(Self::default(), |sum, t| sum + t)
    }
}

impl FromRow for Totals {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            impressions: row.get(0)?,
            clicks: row.get(1)?,
            conversions: row.get(2)?,
            conversion_value: row.get(3)?,
            spend: row.get(4)?,
        })
    }
}

pub fn totals(
    db: &impl Database,
    organization: OrganizationId,
    campaign: CampaignId,
) -> Result<Totals, DbError> {
    Ok(totals_of(db, organization, &[campaign])?
        .pop()
        .map(|(_, totals)| totals)
        .unwrap_or_default())
}

/// The totals of several campaigns in one pass over the rollups (a
/// campaign without delivery is left out).
pub fn totals_of(
    db: &impl Database,
    organization: OrganizationId,
    campaigns: &[CampaignId],
) -> Result<Vec<(CampaignId, Totals)>, DbError> {
    if campaigns.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..campaigns.len())
        .map(|i| format!("?{}", i + 2))
        .collect();
    let mut params: Vec<SqlValue> = vec![organization.into()];
    params.extend(campaigns.iter().map(|c| SqlValue::from(*c)));
    db.execute(
        &format!(
            "SELECT campaign_id, COALESCE(SUM(impressions), 0), COALESCE(SUM(clicks), 0),
                    COALESCE(SUM(conversions), 0), COALESCE(SUM(conversion_value_micros), 0),
                    COALESCE(SUM(spend_micros), 0)
             FROM rollups_daily WHERE organization_id = ?1 AND campaign_id IN ({})
             GROUP BY campaign_id",
            placeholders.join(", ")
        ),
        &params,
    )?
    .iter()
    .map(|row| {
        Ok((
            row.get(0)?,
            Totals {
                impressions: row.get(1)?,
                clicks: row.get(2)?,
                conversions: row.get(3)?,
                conversion_value: row.get(4)?,
                spend: row.get(5)?,
            },
        ))
    })
    .collect()
}

/// An ad set: the agents API's row and its ad group.
#[derive(Debug, Clone, PartialEq)]
pub struct AdSet {
    pub id: i64,
    pub campaign: i64,
    pub ad_group_id: AdGroupId,
    pub name: String,
    pub status: Status,
    pub targeting: Value,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
}

const AD_SET_COLUMNS: &str =
    "s.id, s.campaign, s.ad_group_id, g.name, g.status, s.targeting, s.created_at, s.updated_at";

impl FromRow for AdSet {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: row.get(0)?,
            campaign: row.get(1)?,
            ad_group_id: row.get(2)?,
            name: row.get(3)?,
            status: row.get(4)?,
            targeting: row.get::<Json<_>>(5)?.0,
            created_at: row.get(6)?,
            updated_at: row.get(7)?,
        })
    }
}

pub fn insert_ad_set(
    db: &impl Database,
    organization: OrganizationId,
    campaign: i64,
    ad_group: AdGroupId,
    targeting: &Value,
    now: UnixSeconds,
) -> Result<i64, DbError> {
    db.insert_returning_id(
        "INSERT INTO agent_ad_sets (ad_group_id, campaign, organization_id, targeting, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
        &[
            ad_group.into(),
            campaign.into(),
            organization.into(),
            Json(targeting).into(),
            now.into(),
        ],
    )
}

pub fn update_ad_set(
    db: &impl Database,
    id: i64,
    targeting: &Value,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_ad_sets SET targeting = ?1, updated_at = ?2 WHERE id = ?3",
        &[Json(targeting).into(), now.into(), id.into()],
    )?;
    Ok(())
}

pub fn delete_ad_set(db: &impl Database, id: i64, now: UnixSeconds) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_ad_sets SET deleted_at = ?1, updated_at = ?1 WHERE id = ?2",
        &[now.into(), id.into()],
    )?;
    Ok(())
}

pub fn find_ad_set(
    db: &impl Database,
    organization: OrganizationId,
    campaign: i64,
    id: i64,
) -> Result<Option<AdSet>, DbError> {
    db.find(
        &format!(
            "SELECT {AD_SET_COLUMNS} FROM agent_ad_sets s JOIN ad_groups g ON g.id = s.ad_group_id
             WHERE s.id = ?1 AND s.campaign = ?2 AND s.organization_id = ?3 AND s.deleted_at IS NULL"
        ),
        &[id.into(), campaign.into(), organization.into()],
    )
}

/// Every ad set of a campaign, oldest first.
pub fn ad_sets(
    db: &impl Database,
    organization: OrganizationId,
    campaign: i64,
) -> Result<Vec<AdSet>, DbError> {
    db.list(
        &format!(
            "SELECT {AD_SET_COLUMNS} FROM agent_ad_sets s JOIN ad_groups g ON g.id = s.ad_group_id
             WHERE s.campaign = ?1 AND s.organization_id = ?2 AND s.deleted_at IS NULL ORDER BY s.id"
        ),
        &[campaign.into(), organization.into()],
    )
}

/// An ad: the agents API's row and its shared ad.
#[derive(Debug, Clone, PartialEq)]
pub struct Ad {
    pub id: i64,
    pub ad_set: i64,
    pub ad_id: AdId,
    pub name: String,
    pub status: Status,
    pub creative: Value,
    pub generation_id: Option<String>,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
}

const AD_COLUMNS: &str = "d.id, d.ad_set, d.ad_id, x.name, x.status, d.creative, d.generation_id, \
    d.created_at, d.updated_at";

impl FromRow for Ad {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: row.get(0)?,
            ad_set: row.get(1)?,
            ad_id: row.get(2)?,
            name: row.get(3)?,
            status: row.get(4)?,
            creative: row.get::<Json<_>>(5)?.0,
            generation_id: row.get(6)?,
            created_at: row.get(7)?,
            updated_at: row.get(8)?,
        })
    }
}

pub fn insert_ad(
    db: &impl Database,
    organization: OrganizationId,
    ad_set: i64,
    ad: AdId,
    creative: &Value,
    generation_id: Option<&str>,
    now: UnixSeconds,
) -> Result<i64, DbError> {
    db.insert_returning_id(
        "INSERT INTO agent_ads (ad_id, ad_set, organization_id, creative, generation_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) RETURNING id",
        &[
            ad.into(),
            ad_set.into(),
            organization.into(),
            Json(creative).into(),
            generation_id.into(),
            now.into(),
        ],
    )
}

pub fn update_ad(
    db: &impl Database,
    id: i64,
    creative: &Value,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_ads SET creative = ?1, updated_at = ?2 WHERE id = ?3",
        &[Json(creative).into(), now.into(), id.into()],
    )?;
    Ok(())
}

pub fn delete_ad(db: &impl Database, id: i64, now: UnixSeconds) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_ads SET deleted_at = ?1, updated_at = ?1 WHERE id = ?2",
        &[now.into(), id.into()],
    )?;
    Ok(())
}

pub fn find_ad(
    db: &impl Database,
    organization: OrganizationId,
    ad_set: i64,
    id: i64,
) -> Result<Option<Ad>, DbError> {
    db.find(
        &format!(
            "SELECT {AD_COLUMNS} FROM agent_ads d JOIN ads x ON x.id = d.ad_id
             WHERE d.id = ?1 AND d.ad_set = ?2 AND d.organization_id = ?3 AND d.deleted_at IS NULL"
        ),
        &[id.into(), ad_set.into(), organization.into()],
    )
}

/// Every ad of an ad set, oldest first.
pub fn ads(
    db: &impl Database,
    organization: OrganizationId,
    ad_set: i64,
) -> Result<Vec<Ad>, DbError> {
    db.list(
        &format!(
            "SELECT {AD_COLUMNS} FROM agent_ads d JOIN ads x ON x.id = d.ad_id
             WHERE d.ad_set = ?1 AND d.organization_id = ?2 AND d.deleted_at IS NULL ORDER BY d.id"
        ),
        &[ad_set.into(), organization.into()],
    )
}

/// How many active ads the campaign's active ad sets have.
pub fn active_ads(
    db: &impl Database,
    organization: OrganizationId,
    campaign: i64,
) -> Result<i64, DbError> {
    db.count(
        "SELECT COUNT(*) FROM agent_ads d JOIN ads x ON x.id = d.ad_id
             JOIN agent_ad_sets s ON s.id = d.ad_set JOIN ad_groups g ON g.id = s.ad_group_id
         WHERE s.campaign = ?1 AND d.organization_id = ?2 AND d.deleted_at IS NULL AND s.deleted_at IS NULL
           AND x.status = 'active' AND g.status = 'active'",
        &[campaign.into(), organization.into()],
    )
}

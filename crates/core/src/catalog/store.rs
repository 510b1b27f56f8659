//! SQL for the campaign tree. Every read and write is scoped by the
//! caller's organization; an id of another organization is simply not found.

use serde::Serialize;
use serde_json::Value;

use crate::db::{Database, DbError, FromRow, Json, Row, SqlValue};
use crate::ids::{AdGroupId, AdId, CampaignId, OrganizationId};
use crate::money::Micros;
use crate::pagination::PageRequest;
use crate::time::UnixSeconds;

use super::creative::{Creative, CreativeType};
use super::fields::{PricingModel, RecurringFrequency, ReviewStatus, Status};
use super::hints;
use super::targeting::Targeting;

/// A campaign as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub id: CampaignId,
    pub name: String,
    pub description: Option<String>,
    pub status: Status,
    pub review_status: ReviewStatus,
    pub start_time: UnixSeconds,
    pub end_time: Option<UnixSeconds>,
    pub lifetime_spend_limit: Micros,
    pub spent: Micros,
    pub recurring_frequency: RecurringFrequency,
    pub pricing_model: PricingModel,
    pub countries: Vec<String>,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
}

/// The `/v1` campaign object.
#[derive(Debug, Serialize)]
pub struct CampaignResource<'a> {
    id: String,
    name: &'a str,
    description: Option<&'a str>,
    status: Status,
    review_status: ReviewStatus,
    start_time: UnixSeconds,
    end_time: Option<UnixSeconds>,
    budget: Budget,
    recurring_frequency: RecurringFrequency,
    pricing_model: PricingModel,
    targeting: Targeting,
    created_at: UnixSeconds,
    updated_at: UnixSeconds,
}

#[derive(Debug, Serialize)]
struct Budget {
    lifetime_spend_limit_micros: Micros,
}

impl Campaign {
    pub fn resource(&self) -> CampaignResource<'_> {
        CampaignResource {
            id: self.id.to_string(),
            name: &self.name,
            description: self.description.as_deref(),
            status: self.status,
            review_status: self.review_status,
            start_time: self.start_time,
            end_time: self.end_time,
            budget: Budget {
                lifetime_spend_limit_micros: self.lifetime_spend_limit,
            },
            recurring_frequency: self.recurring_frequency,
            pricing_model: self.pricing_model,
            targeting: Targeting::from_countries(&self.countries),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

impl FromRow for Campaign {
    /// Reads the columns of [`TreeEntity::SELECT`].
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: row.get(0)?,
            name: row.get(1)?,
            description: row.get(2)?,
            status: row.get(3)?,
            review_status: row.get(4)?,
            start_time: row.get(5)?,
            end_time: row.get(6)?,
            lifetime_spend_limit: row.get(7)?,
            spent: row.get(8)?,
            recurring_frequency: row.get(9)?,
            pricing_model: row.get(10)?,
            countries: row.get::<Json<_>>(11)?.0,
            created_at: row.get(12)?,
            updated_at: row.get(13)?,
        })
    }
}

/// An ad group as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AdGroup {
    pub id: AdGroupId,
    pub campaign_id: CampaignId,
    pub name: String,
    pub description: Option<String>,
    pub context_hints: Vec<String>,
    pub status: Status,
    pub max_bid: Option<Micros>,
    pub creative_type: Option<CreativeType>,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
}

/// The `/v1` ad group object.
#[derive(Debug, Serialize)]
pub struct AdGroupResource<'a> {
    id: String,
    campaign_id: String,
    name: &'a str,
    description: Option<&'a str>,
    context_hints: &'a [String],
    status: Status,
    bidding_config: BiddingConfig,
    created_at: UnixSeconds,
    updated_at: UnixSeconds,
}

#[derive(Debug, Serialize)]
struct BiddingConfig {
    billing_event_type: &'static str,
    max_bid_micros: Option<Micros>,
}

impl AdGroup {
    pub fn resource(&self) -> AdGroupResource<'_> {
        AdGroupResource {
            id: self.id.to_string(),
            campaign_id: self.campaign_id.to_string(),
            name: &self.name,
            description: self.description.as_deref(),
            context_hints: &self.context_hints,
            status: self.status,
            bidding_config: BiddingConfig {
                billing_event_type: "impression",
                max_bid_micros: self.max_bid,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

impl FromRow for AdGroup {
    /// Reads the columns of [`TreeEntity::SELECT`].
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: row.get(0)?,
            campaign_id: row.get(1)?,
            name: row.get(2)?,
            description: row.get(3)?,
            context_hints: row.get::<Json<_>>(4)?.0,
            status: row.get(5)?,
            max_bid: row.get(6)?,
            creative_type: row.get(7)?,
            created_at: row.get(8)?,
            updated_at: row.get(9)?,
        })
    }
}

/// An ad as stored, with the review status it inherits from its campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct Ad {
    pub id: AdId,
    pub ad_group_id: AdGroupId,
    pub campaign_id: CampaignId,
    pub name: String,
    pub status: Status,
    pub review_status: ReviewStatus,
    pub creative: Creative,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
}

impl Ad {
    /// The `/v1` ad object; `files_base_url` makes the image URL absolute.
    pub fn resource(&self, files_base_url: &str) -> Value {
        serde_json::json!({
            "id": self.id.to_string(),
            "ad_group_id": self.ad_group_id.to_string(),
            "name": self.name,
            "status": self.status,
            "review_status": self.review_status,
            "creative": self.creative.to_resource(files_base_url),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }
}

impl FromRow for Ad {
    /// Reads the columns of [`TreeEntity::SELECT`].
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: row.get(0)?,
            ad_group_id: row.get(1)?,
            campaign_id: row.get(2)?,
            name: row.get(3)?,
            status: row.get(4)?,
            review_status: row.get(5)?,
            creative: row.get::<Json<_>>(6)?.0,
            created_at: row.get(7)?,
            updated_at: row.get(8)?,
        })
    }
}

// ---- reads ----

/// An entity of the campaign tree: a row of its own table (aliased `t`),
/// owned by an organization and listed under its parent.
pub trait TreeEntity: FromRow {
    type Id: Into<SqlValue>;
    /// What lists of this entity are scoped by.
    type Parent: Into<SqlValue>;
    /// `SELECT <columns> FROM <table> t ...`, reading [`FromRow`]'s columns.
    const SELECT: &'static str;
    const TABLE: &'static str;
    /// The column naming the parent.
    const PARENT_COLUMN: &'static str;
}

impl TreeEntity for Campaign {
    type Id = CampaignId;
    type Parent = OrganizationId;
    const SELECT: &'static str = concat!(
        "SELECT id, name, description, status, review_status, start_time, end_time, ",
        "lifetime_spend_limit_micros, spent_micros, recurring_frequency, pricing_model, ",
        "target_countries, created_at, updated_at FROM campaigns t"
    );
    const TABLE: &'static str = "campaigns";
    const PARENT_COLUMN: &'static str = "organization_id";
}

impl TreeEntity for AdGroup {
    type Id = AdGroupId;
    type Parent = CampaignId;
    const SELECT: &'static str = concat!(
        "SELECT id, campaign_id, name, description, context_hints, status, max_bid_micros, ",
        "creative_type, created_at, updated_at FROM ad_groups t"
    );
    const TABLE: &'static str = "ad_groups";
    const PARENT_COLUMN: &'static str = "campaign_id";
}

impl TreeEntity for Ad {
    type Id = AdId;
    type Parent = AdGroupId;
    const SELECT: &'static str = concat!(
        "SELECT t.id, t.ad_group_id, t.campaign_id, t.name, t.status, c.review_status, ",
        "t.creative, t.created_at, t.updated_at FROM ads t JOIN campaigns c ON c.id = t.campaign_id"
    );
    const TABLE: &'static str = "ads";
    const PARENT_COLUMN: &'static str = "ad_group_id";
}

/// The organization's entity `id` (another organization's reads as none).
pub fn find<T: TreeEntity>(
    db: &impl Database,
    organization: OrganizationId,
    id: T::Id,
) -> Result<Option<T>, DbError> {
    db.find(
        &format!("{} WHERE t.id = ?1 AND t.organization_id = ?2", T::SELECT),
        &[id.into(), organization.into()],
    )
}

/// Why a page could not be listed.
#[derive(Debug)]
pub enum ListError {
    UnknownCursor,
    Db(DbError),
}

impl From<DbError> for ListError {
    fn from(error: DbError) -> Self {
        Self::Db(error)
    }
}

/// One page of the entities under `parent` (the caller checks that the
/// organization owns the parent).
pub fn list<T: TreeEntity>(
    db: &impl Database,
    parent: T::Parent,
    page: &PageRequest,
) -> Result<Vec<T>, ListError> {
    let parent: SqlValue = parent.into();
    let scan = page.scan();
    let mut params: Vec<SqlValue> = vec![parent.clone()];
    let mut bound = String::new();
    if let (Some(cursor), Some(operator)) = (page.cursor_id(), scan.bound) {
        // Where the page starts: a cursor that names no row of this scope
        // is the client's error.
        let seq: i64 = db
            .query_row(
                &format!(
                    "SELECT seq FROM {} WHERE id = ?1 AND {} = ?2",
                    T::TABLE,
                    T::PARENT_COLUMN
                ),
                &[cursor.into(), parent],
            )?
            .ok_or(ListError::UnknownCursor)?
            .get(0)?;
        params.push(seq.into());
        bound = format!(" AND t.seq {operator} ?2");
    }
    params.push(i64::from(scan.fetch).into());
    let direction = if scan.ascending { "ASC" } else { "DESC" };
    Ok(db.list(
        &format!(
            "{} WHERE t.{} = ?1{bound} ORDER BY t.seq {direction} LIMIT ?{}",
            T::SELECT,
            T::PARENT_COLUMN,
            params.len()
        ),
        &params,
    )?)
}

/// Whether the organization owns the uploaded file.
pub fn owns_upload(
    db: &impl Database,
    organization: OrganizationId,
    file_id: &str,
) -> Result<bool, DbError> {
    Ok(db
        .query_row(
            "SELECT 1 FROM uploads WHERE file_id = ?1 AND organization_id = ?2",
            &[file_id.into(), organization.into()],
        )?
        .is_some())
}

// ---- writes ----

pub fn insert_campaign(
    db: &impl Database,
    organization: OrganizationId,
    c: &Campaign,
) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO campaigns (id, organization_id, name, description, status, review_status, start_time,
             end_time, lifetime_spend_limit_micros, spent_micros, recurring_frequency, pricing_model,
             target_countries, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        &[
            c.id.into(),
            organization.into(),
            c.name.as_str().into(),
            c.description.clone().into(),
            c.status.into(),
            c.review_status.into(),
            c.start_time.into(),
            c.end_time.into(),
            c.lifetime_spend_limit.into(),
            c.spent.into(),
            c.recurring_frequency.into(),
            c.pricing_model.into(),
            Json(&c.countries).into(),
            c.created_at.into(),
            c.updated_at.into(),
        ],
    )?;
    Ok(())
}

/// Writes the editable fields and `updated_at` of a campaign.
pub fn update_campaign(
    db: &impl Database,
    organization: OrganizationId,
    c: &Campaign,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE campaigns SET name = ?1, description = ?2, status = ?3, start_time = ?4, end_time = ?5,
             lifetime_spend_limit_micros = ?6, recurring_frequency = ?7, pricing_model = ?8,
             target_countries = ?9, updated_at = ?10
         WHERE id = ?11 AND organization_id = ?12",
        &[
            c.name.as_str().into(),
            c.description.clone().into(),
            c.status.into(),
            c.start_time.into(),
            c.end_time.into(),
            c.lifetime_spend_limit.into(),
            c.recurring_frequency.into(),
            c.pricing_model.into(),
            Json(&c.countries).into(),
            c.updated_at.into(),
            c.id.into(),
            organization.into(),
        ],
    )?;
    Ok(())
}

pub fn insert_ad_group(
    db: &impl Database,
    organization: OrganizationId,
    g: &AdGroup,
) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO ad_groups (id, organization_id, campaign_id, name, description, context_hints, status,
             max_bid_micros, creative_type, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        &[
            g.id.into(),
            organization.into(),
            g.campaign_id.into(),
            g.name.as_str().into(),
            g.description.clone().into(),
            Json(&g.context_hints).into(),
            g.status.into(),
            g.max_bid.into(),
            g.creative_type.into(),
            g.created_at.into(),
            g.updated_at.into(),
        ],
    )?;
    hints::insert_keywords(db, g.id, &g.context_hints)
}

pub fn update_ad_group(
    db: &impl Database,
    organization: OrganizationId,
    g: &AdGroup,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE ad_groups SET name = ?1, description = ?2, context_hints = ?3, status = ?4,
             max_bid_micros = ?5, creative_type = ?6, updated_at = ?7
         WHERE id = ?8 AND organization_id = ?9",
        &[
            g.name.as_str().into(),
            g.description.clone().into(),
            Json(&g.context_hints).into(),
            g.status.into(),
            g.max_bid.into(),
            g.creative_type.into(),
            g.updated_at.into(),
            g.id.into(),
            organization.into(),
        ],
    )?;
    Ok(())
}

pub fn insert_ad(db: &impl Database, organization: OrganizationId, a: &Ad) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO ads (id, organization_id, campaign_id, ad_group_id, name, status, creative, created_at,
             updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        &[
            a.id.into(),
            organization.into(),
            a.campaign_id.into(),
            a.ad_group_id.into(),
            a.name.as_str().into(),
            a.status.into(),
            Json(&a.creative).into(),
            a.created_at.into(),
            a.updated_at.into(),
        ],
    )?;
    Ok(())
}

pub fn update_ad(db: &impl Database, organization: OrganizationId, a: &Ad) -> Result<(), DbError> {
    db.execute(
        "UPDATE ads SET name = ?1, status = ?2, creative = ?3, updated_at = ?4
         WHERE id = ?5 AND organization_id = ?6",
        &[
            a.name.as_str().into(),
            a.status.into(),
            Json(&a.creative).into(),
            a.updated_at.into(),
            a.id.into(),
            organization.into(),
        ],
    )?;
    Ok(())
}

/// Sends a campaign back to review: what its ads show changed, so what was
/// approved (or rejected) no longer describes it. It stops serving until an
/// operator approves it again. `false` when it was already in review.
pub fn request_review(
    db: &impl Database,
    organization: OrganizationId,
    campaign: CampaignId,
    now: UnixSeconds,
) -> Result<bool, DbError> {
    let rows = db.execute(
        "UPDATE campaigns SET review_status = 'in_review', updated_at = ?1
         WHERE id = ?2 AND organization_id = ?3 AND review_status <> 'in_review' RETURNING id",
        &[now.into(), campaign.into(), organization.into()],
    )?;
    Ok(!rows.is_empty())
}

/// Fixes an ad group's creative type on its first ad; the statement only
/// matches while the type is unset or already equal.
pub fn claim_creative_type(
    db: &impl Database,
    ad_group: AdGroupId,
    kind: CreativeType,
    now: UnixSeconds,
) -> Result<bool, DbError> {
    let rows = db.execute(
        "UPDATE ad_groups SET creative_type = ?1, updated_at = CASE WHEN creative_type IS NULL THEN ?2 ELSE updated_at END
         WHERE id = ?3 AND (creative_type IS NULL OR creative_type = ?1) RETURNING id",
        &[kind.into(), now.into(), ad_group.into()],
    )?;
    Ok(!rows.is_empty())
}

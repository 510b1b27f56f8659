//! The operator surface's SQL: organizations and their billing profile,
//! publisher settings, the DSP registry, campaign review and supply
//! reports. Keys are `adspin_core::api_keys`', campaigns the catalog's.

use adspin_core::api_keys::KeyKind;
use adspin_core::catalog::fields::{ReviewStatus, Status};
use adspin_core::db::{Database, DbError, FromRow, Json, Row};
use adspin_core::ids::{AdGroupId, AdId, ApiKeyId, CampaignId, OrganizationId};
pub use adspin_core::organizations::{
    NewOrganization, Organization, find_organization, insert_organization,
};
use adspin_core::time::UnixSeconds;
use serde::Serialize;

/// Puts `payment_method` on file (replacing the one there).
pub fn set_payment_method(
    db: &impl Database,
    organization: OrganizationId,
    payment_method: &str,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO billing_profiles (organization_id, payment_method, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (organization_id) DO UPDATE SET payment_method = excluded.payment_method, updated_at = excluded.updated_at",
        &[organization.into(), payment_method.into(), now.into()],
    )?;
    Ok(())
}

pub fn remove_payment_method(
    db: &impl Database,
    organization: OrganizationId,
) -> Result<(), DbError> {
    db.execute(
        "DELETE FROM billing_profiles WHERE organization_id = ?1",
        &[organization.into()],
    )?;
    Ok(())
}

/// The kind of the organization's key `id`.
pub fn find_key_kind(
    db: &impl Database,
    organization: OrganizationId,
    id: ApiKeyId,
) -> Result<Option<KeyKind>, DbError> {
    db.query_row(
        "SELECT kind FROM api_keys WHERE id = ?1 AND organization_id = ?2",
        &[id.into(), organization.into()],
    )?
    .map(|row| row.get(0))
    .transpose()
}

/// A campaign in the review queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewItem {
    pub id: CampaignId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub status: Status,
    pub review_status: ReviewStatus,
    pub created_at: UnixSeconds,
}

impl FromRow for ReviewItem {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: row.get(0)?,
            organization_id: row.get(1)?,
            name: row.get(2)?,
            status: row.get(3)?,
            review_status: row.get(4)?,
            created_at: row.get(5)?,
        })
    }
}

/// The first `limit` campaigns with `review_status`, oldest first.
pub fn list_campaigns_for_review(
    db: &impl Database,
    review_status: ReviewStatus,
    limit: i64,
) -> Result<Vec<ReviewItem>, DbError> {
    db.list(
        "SELECT id, organization_id, name, status, review_status, created_at FROM campaigns
         WHERE review_status = ?1 ORDER BY seq LIMIT ?2",
        &[review_status.into(), limit.into()],
    )
}

/// The organization that owns campaign `id`.
pub fn find_campaign_owner(
    db: &impl Database,
    id: CampaignId,
) -> Result<Option<OrganizationId>, DbError> {
    db.query_row(
        "SELECT organization_id FROM campaigns WHERE id = ?1",
        &[id.into()],
    )?
    .map(|row| row.get(0))
    .transpose()
}

/// Records a review decision; a rejected active campaign is paused.
pub fn set_review_status(
    db: &impl Database,
    id: CampaignId,
    decision: ReviewStatus,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE campaigns SET review_status = ?1,
             status = CASE WHEN ?1 = 'rejected' AND status = 'active' THEN 'paused' ELSE status END,
             updated_at = ?2
         WHERE id = ?3",
        &[decision.into(), now.into(), id.into()],
    )?;
    Ok(())
}

/// A publisher's settings; the default is what migrations/0003_ssp.sql
/// declares for a new row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublisherSettings {
    pub allowed_origins: Vec<String>,
    pub rate_limit_per_second: i64,
    pub floor_cpm_micros: i64,
    pub ad_offset: i64,
    pub max_frequency: i64,
    pub max_headline_chars: Option<i64>,
    pub image_enabled: bool,
    /// From `publisher_privacy` (migration 12).
    pub child_directed: bool,
}

impl Default for PublisherSettings {
    fn default() -> Self {
        Self {
            allowed_origins: Vec::new(),
            rate_limit_per_second: 100,
            floor_cpm_micros: 1_000_000,
            ad_offset: 0,
            max_frequency: 0,
            max_headline_chars: None,
            image_enabled: true,
            child_directed: false,
        }
    }
}

impl FromRow for PublisherSettings {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            allowed_origins: row.get::<Json<_>>(0)?.0,
            rate_limit_per_second: row.get(1)?,
            floor_cpm_micros: row.get(2)?,
            ad_offset: row.get(3)?,
            max_frequency: row.get(4)?,
            max_headline_chars: row.get(5)?,
            image_enabled: row.get(6)?,
            child_directed: row.get(7)?,
        })
    }
}

/// The organization's publisher settings, created with the defaults when
/// it has none yet.
pub fn publisher_settings(
    db: &impl Database,
    organization: OrganizationId,
) -> Result<PublisherSettings, DbError> {
    // Reading writes nothing: an organization never configured as a
    // publisher has the defaults.
    // `update_publisher` writes the `publishers` row first, so privacy
    // settings never exist without it.
    Ok(db
        .find(
            "SELECT p.allowed_origins, p.rate_limit_per_second, p.floor_cpm_micros, p.ad_offset,
                p.max_frequency, p.max_headline_chars, p.image_enabled,
                COALESCE(pp.child_directed, 0)
         FROM publishers p LEFT JOIN publisher_privacy pp ON pp.organization_id = p.organization_id
         WHERE p.organization_id = ?1",
            &[organization.into()],
        )?
        .unwrap_or_default())
}

fn ensure_publisher(
    db: &impl Database,
    organization: OrganizationId,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "INSERT OR IGNORE INTO publishers (organization_id, created_at, updated_at) VALUES (?1, ?2, ?2)",
        &[organization.into(), now.into()],
    )?;
    Ok(())
}

/// A change to publisher settings: `None` keeps a field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublisherChange {
    pub allowed_origins: Option<Vec<String>>,
    pub rate_limit_per_second: Option<i64>,
    pub floor_cpm_micros: Option<i64>,
    pub ad_offset: Option<i64>,
    pub max_frequency: Option<i64>,
    /// `Some(None)` clears the limit.
    pub max_headline_chars: Option<Option<i64>>,
    pub image_enabled: Option<bool>,
    pub child_directed: Option<bool>,
}

pub fn update_publisher(
    db: &impl Database,
    organization: OrganizationId,
    change: PublisherChange,
    now: UnixSeconds,
) -> Result<(), DbError> {
    ensure_publisher(db, organization, now)?;
    db.execute(
        "UPDATE publishers SET
             allowed_origins = COALESCE(?2, allowed_origins),
             rate_limit_per_second = COALESCE(?3, rate_limit_per_second),
             floor_cpm_micros = COALESCE(?4, floor_cpm_micros),
             ad_offset = COALESCE(?5, ad_offset),
             max_frequency = COALESCE(?6, max_frequency),
             max_headline_chars = CASE WHEN ?7 THEN ?8 ELSE max_headline_chars END,
             image_enabled = COALESCE(?9, image_enabled),
             updated_at = ?10
         WHERE organization_id = ?1",
        &[
            organization.into(),
            change.allowed_origins.map(Json).into(),
            change.rate_limit_per_second.into(),
            change.floor_cpm_micros.into(),
            change.ad_offset.into(),
            change.max_frequency.into(),
            change.max_headline_chars.is_some().into(),
            change.max_headline_chars.flatten().into(),
            change.image_enabled.into(),
            now.into(),
        ],
    )?;
    if let Some(child_directed) = change.child_directed {
        db.execute(
            "INSERT INTO publisher_privacy (organization_id, child_directed, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (organization_id) DO UPDATE SET child_directed = excluded.child_directed,
                                                         updated_at = excluded.updated_at",
            &[organization.into(), child_directed.into(), now.into()],
        )?;
    }
    Ok(())
}

/// A DSP as registered (its auth token never leaves the database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DspRecord {
    pub id: String,
    pub name: String,
    pub bid_url: String,
    pub render_url: Option<String>,
    pub has_auth_token: bool,
    pub enabled: bool,
    pub timeout_ms: i64,
    /// `json` or `openrtb`.
    pub protocol: String,
}

impl FromRow for DspRecord {
    /// Reads [`DSP_COLUMNS`].
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: row.get(0)?,
            name: row.get(1)?,
            bid_url: row.get(2)?,
            render_url: row.get(3)?,
            has_auth_token: row.get(4)?,
            enabled: row.get(5)?,
            timeout_ms: row.get(6)?,
            protocol: row.get(7)?,
        })
    }
}

/// A DSP's columns, from `dsps d LEFT JOIN dsp_protocols p` (a DSP
/// without a protocol row speaks JSON).
const DSP_COLUMNS: &str =
    "d.id, d.name, d.bid_url, d.render_url, d.auth_token IS NOT NULL, d.enabled,
     d.timeout_ms, COALESCE(p.protocol, 'json')";

pub fn list_dsps(db: &impl Database) -> Result<Vec<DspRecord>, DbError> {
    db.list(
        &format!(
            "SELECT {DSP_COLUMNS} FROM dsps d LEFT JOIN dsp_protocols p ON p.dsp_id = d.id ORDER BY d.id"
        ),
        &[],
    )
}

pub fn find_dsp(db: &impl Database, id: &str) -> Result<Option<DspRecord>, DbError> {
    db.find(
        &format!(
            "SELECT {DSP_COLUMNS} FROM dsps d LEFT JOIN dsp_protocols p ON p.dsp_id = d.id WHERE d.id = ?1"
        ),
        &[id.into()],
    )
}

/// A DSP to register or replace.
pub struct DspSettings {
    pub name: String,
    pub bid_url: String,
    pub render_url: Option<String>,
    pub auth_token: Option<String>,
    pub enabled: bool,
    pub timeout_ms: i64,
    /// `json` or `openrtb`.
    pub protocol: &'static str,
}

/// Registers or replaces a DSP and its protocol, in one transaction.
pub fn upsert_dsp(
    db: &impl Database,
    id: &str,
    dsp: DspSettings,
    now: UnixSeconds,
) -> Result<(), DbError> {
    adspin_core::db::transaction(db, || write_dsp(db, id, dsp, now))
}

fn write_dsp(
    db: &impl Database,
    id: &str,
    dsp: DspSettings,
    now: UnixSeconds,
) -> Result<(), DbError> {
    let protocol = dsp.protocol;
    db.execute(
        "INSERT INTO dsps (id, name, bid_url, render_url, auth_token, enabled, timeout_ms, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, bid_url = excluded.bid_url,
             render_url = excluded.render_url, auth_token = excluded.auth_token, enabled = excluded.enabled,
             timeout_ms = excluded.timeout_ms, updated_at = excluded.updated_at",
        &[
            id.into(),
            dsp.name.into(),
            dsp.bid_url.into(),
            dsp.render_url.into(),
            dsp.auth_token.into(),
            dsp.enabled.into(),
            dsp.timeout_ms.into(),
            now.into(),
        ],
    )?;
    db.execute(
        "INSERT INTO dsp_protocols (dsp_id, protocol, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (dsp_id) DO UPDATE SET protocol = excluded.protocol, updated_at = excluded.updated_at",
        &[id.into(), protocol.into(), now.into()],
    )?;
    Ok(())
}

/// Removes a DSP; `false` when there was none.
pub fn delete_dsp(db: &impl Database, id: &str) -> Result<bool, DbError> {
    db.execute("DELETE FROM dsp_protocols WHERE dsp_id = ?1", &[id.into()])?;
    Ok(!db
        .execute("DELETE FROM dsps WHERE id = ?1 RETURNING id", &[id.into()])?
        .is_empty())
}

/// The campaign and ad group of the organization's ad `id`.
pub fn find_ad_parents(
    db: &impl Database,
    organization: OrganizationId,
    id: AdId,
) -> Result<Option<(CampaignId, AdGroupId)>, DbError> {
    db.query_row(
        "SELECT campaign_id, ad_group_id FROM ads WHERE id = ?1 AND organization_id = ?2",
        &[id.into(), organization.into()],
    )?
    .map(|row| Ok((row.get(0)?, row.get(1)?)))
    .transpose()
}

pub use adspin_core::supply::{SupplyReportRow, upsert_supply_report};

//! The Advertiser API's SQL beyond the catalog's (which is
//! `adspin_core::catalog::store`): the ad account, idempotent creates,
//! deposits, uploads and ownership checks; [`insights`] reads the rollups.
//! Every statement is scoped by the caller's organization.

pub mod insights;

use adspin_core::db::{Database, DbError, FromRow, Row};
use adspin_core::ids::{CampaignId, LedgerEntryId, OrganizationId};
use adspin_core::money::Micros;
use adspin_core::time::UnixSeconds;

/// The response stored for an idempotency key, and the hash of the
/// request that produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

impl FromRow for StoredResponse {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            request_hash: row.get(0)?,
            status: row.get::<u32>(1).map(|s| u16::try_from(s).unwrap_or(201))?,
            body: row.get(2)?,
        })
    }
}

pub fn find_stored_response(
    db: &impl Database,
    organization: OrganizationId,
    key: &str,
) -> Result<Option<StoredResponse>, DbError> {
    db.find(
        "SELECT request_hash, response_status, response_body FROM idempotency_keys
         WHERE organization_id = ?1 AND idempotency_key = ?2",
        &[organization.into(), key.into()],
    )
}

/// Keeps a create's `201` response for retries with the same key.
pub fn insert_stored_response(
    db: &impl Database,
    organization: OrganizationId,
    key: &str,
    request_hash: &str,
    body: &str,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO idempotency_keys (organization_id, idempotency_key, request_hash, response_status,
             response_body, created_at)
         VALUES (?1, ?2, ?3, 201, ?4, ?5)",
        &[
            organization.into(),
            key.into(),
            request_hash.into(),
            body.into(),
            now.into(),
        ],
    )?;
    Ok(())
}

/// Records a campaign's deposit, charged to `payment_method`.
pub fn insert_deposit(
    db: &impl Database,
    organization: OrganizationId,
    campaign: CampaignId,
    amount: Micros,
    payment_method: &str,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO ledger_entries (id, organization_id, campaign_id, kind, amount_micros, payment_method, created_at)
         VALUES (?1, ?2, ?3, 'deposit', ?4, ?5, ?6)",
        &[
            LedgerEntryId::new_random().into(),
            organization.into(),
            campaign.into(),
            amount.into(),
            payment_method.into(),
            now.into(),
        ],
    )?;
    Ok(())
}

/// An uploaded image about to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUpload<'a> {
    pub file_id: &'a str,
    pub content_type: &'a str,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

pub fn insert_upload(
    db: &impl Database,
    organization: OrganizationId,
    upload: NewUpload<'_>,
    now: UnixSeconds,
) -> Result<(), DbError> {
    let size = i64::try_from(upload.bytes.len()).unwrap_or(i64::MAX);
    db.execute(
        "INSERT INTO uploads (file_id, organization_id, content_type, size_bytes, width, height, bytes, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[
            upload.file_id.into(),
            organization.into(),
            upload.content_type.into(),
            size.into(),
            i64::from(upload.width).into(),
            i64::from(upload.height).into(),
            upload.bytes.into(),
            now.into(),
        ],
    )?;
    Ok(())
}

/// Whether the organization owns the row `id` of `table` (`campaigns`,
/// `ad_groups` or `ads`).
pub fn owns(
    db: &impl Database,
    organization: OrganizationId,
    table: OwnedTable,
    id: &str,
) -> Result<bool, DbError> {
    let table = match table {
        OwnedTable::Campaigns => "campaigns",
        OwnedTable::AdGroups => "ad_groups",
        OwnedTable::Ads => "ads",
    };
    Ok(db
        .query_row(
            &format!("SELECT 1 FROM {table} WHERE id = ?1 AND organization_id = ?2"),
            &[id.into(), organization.into()],
        )?
        .is_some())
}

/// The tables of the campaign tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnedTable {
    Campaigns,
    AdGroups,
    Ads,
}

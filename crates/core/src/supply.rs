//! Delivery on other supplies (another SSP, Facebook, Instagram), reported
//! by the hour: a report of an hour replaces an earlier report of it, and
//! the rollup triggers (migration 7) move insights by the difference, so
//! analytics and `/v1` insights count every supply once.

use crate::db::{Database, DbError};
use crate::ids::{AdGroupId, AdId, CampaignId, OrganizationId};
use crate::time::UnixSeconds;

/// One hour of an ad's delivery on another supply, as reported.
pub struct SupplyReportRow<'a> {
    pub hour: i64,
    pub campaign_id: CampaignId,
    pub ad_group_id: AdGroupId,
    pub ad_id: AdId,
    pub supply: &'a str,
    pub impressions: i64,
    pub views: i64,
    pub clicks: i64,
    pub conversions: i64,
    pub conversion_value_micros: i64,
    pub spend_micros: i64,
}

/// Stores a reported hour, replacing an earlier report of it (the rollup
/// triggers move insights by the difference).
pub fn upsert_supply_report(
    db: &impl Database,
    organization: OrganizationId,
    row: &SupplyReportRow<'_>,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO supply_reports (organization_id, hour, campaign_id, ad_group_id, ad_id, supply,
             impressions, views, clicks, conversions, conversion_value_micros, spend_micros, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (organization_id, hour, campaign_id, ad_group_id, ad_id, supply) DO UPDATE SET
             impressions = excluded.impressions, views = excluded.views, clicks = excluded.clicks,
             conversions = excluded.conversions,
             conversion_value_micros = excluded.conversion_value_micros,
             spend_micros = excluded.spend_micros, updated_at = excluded.updated_at",
        &[
            organization.into(),
            row.hour.into(),
            row.campaign_id.into(),
            row.ad_group_id.into(),
            row.ad_id.into(),
            row.supply.into(),
            row.impressions.into(),
            row.views.into(),
            row.clicks.into(),
            row.conversions.into(),
            row.conversion_value_micros.into(),
            row.spend_micros.into(),
            now.into(),
        ],
    )?;
    Ok(())
}

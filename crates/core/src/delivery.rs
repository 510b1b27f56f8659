//! Recording what the SSP serves: impressions, clicks and views.
//!
//! Each is one atomic statement. The triggers of migration 3 do the rest
//! inside it: an impression of platform demand charges its campaign (the
//! `spent_micros <= lifetime_spend_limit_micros` CHECK refuses a charge
//! past the budget, however many auctions run at once, and nothing is
//! written), moves the chat's pacing, and every event is counted in the
//! hourly rollups insights read.

use crate::db::{Database, DbError, Row};
use crate::ids::{AdGroupId, AdId, CampaignId, OrganizationId};
use crate::money::Micros;
use crate::time::UnixSeconds;

/// Supply name of the platform's own SSP in the rollups.
pub const SUPPLY: &str = "thrad";

/// The platform demand behind an impression (internal DSP wins only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Demand {
    pub organization_id: OrganizationId,
    pub campaign_id: CampaignId,
    pub ad_group_id: AdGroupId,
    pub ad_id: AdId,
}

/// An impression about to be served.
#[derive(Debug, Clone, PartialEq)]
pub struct Impression<'a> {
    pub id: &'a str,
    pub request_id: &'a str,
    pub publisher_id: OrganizationId,
    pub environment: &'a str,
    /// Production key and production request: money moves.
    pub billable: bool,
    pub dsp: &'a str,
    pub bid_id: &'a str,
    pub demand: Option<Demand>,
    pub price: Micros,
    pub landing_url: &'a str,
    pub chat_id: &'a str,
    pub country: Option<&'a str>,
    /// The chat's request count at admission (see `publisher::admit`).
    pub chat_requests: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("the campaign has no budget left for this impression")]
    BudgetExhausted,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The hour an event is counted in.
pub fn hour_of(time: UnixSeconds) -> i64 {
    time.get() - time.get().rem_euclid(3600)
}

/// Records the impression (which charges the campaign when billable).
pub fn record(
    db: &impl Database,
    impression: &Impression<'_>,
    now: UnixSeconds,
) -> Result<(), ServeError> {
    let cost = if impression.billable {
        impression.price.cpm_to_impression_cost()
    } else {
        Micros::ZERO
    };
    let demand = impression.demand;
    let inserted = db.execute(
        "INSERT INTO impressions (id, request_id, publisher_id, environment, billable, dsp_id, bid_id,
             organization_id, campaign_id, ad_group_id, ad_id, price_cpm_micros, cost_micros, landing_url,
             chat_id, chat_request, country, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        &[
            impression.id.into(),
            impression.request_id.into(),
            impression.publisher_id.into(),
            impression.environment.into(),
            impression.billable.into(),
            impression.dsp.into(),
            impression.bid_id.into(),
            demand.map(|d| d.organization_id.to_string()).into(),
            demand.map(|d| d.campaign_id.to_string()).into(),
            demand.map(|d| d.ad_group_id.to_string()).into(),
            demand.map(|d| d.ad_id.to_string()).into(),
            impression.price.into(),
            cost.into(),
            impression.landing_url.into(),
            impression.chat_id.into(),
            impression.chat_requests.into(),
            impression.country.into(),
            now.into(),
        ],
    );
    match inserted {
        Ok(_) => Ok(()),
        Err(error) if error.is_check_violation("spent_micros") => Err(ServeError::BudgetExhausted),
        Err(error) => Err(error.into()),
    }
}

/// How long after a counted click another click on the same impression is
/// the same click (same `click_id`, counted once).
pub const CLICK_DEDUPLICATION_SECONDS: i64 = 3600;

/// Counts a click on impression `impression_id` and returns the click id
/// to report; `None` when there is no such impression. A click within
/// [`CLICK_DEDUPLICATION_SECONDS`] of a counted one is that click. The
/// common case is one statement: the insert checks both conditions itself,
/// atomically, so concurrent clicks count once.
pub fn record_click(
    db: &impl Database,
    impression_id: &str,
    now: UnixSeconds,
) -> Result<Option<String>, DbError> {
    let since = now.plus_seconds(-CLICK_DEDUPLICATION_SECONDS);
    let click_id = uuid::Uuid::new_v4().to_string();
    let inserted = db.query_row(
        "INSERT INTO clicks (id, impression_id, created_at)
         SELECT ?1, id, ?3 FROM impressions
         WHERE id = ?2
           AND NOT EXISTS (SELECT 1 FROM clicks WHERE impression_id = ?2 AND created_at > ?4)
         RETURNING id",
        &[
            click_id.as_str().into(),
            impression_id.into(),
            now.into(),
            since.into(),
        ],
    )?;
    if inserted.is_some() {
        return Ok(Some(click_id));
    }
    // Already clicked (or no such impression): the recent click, if any.
    db.query_row(
        "SELECT id FROM clicks WHERE impression_id = ?1 AND created_at > ?2 ORDER BY seq DESC LIMIT 1",
        &[impression_id.into(), since.into()],
    )?
    .map(|row| row.get(0))
    .transpose()
}

/// Marks an impression viewed (once). `None` when there is no such
/// impression; `Some(false)` when it was already counted.
pub fn record_view(
    db: &impl Database,
    impression_id: &str,
    now: UnixSeconds,
) -> Result<Option<bool>, DbError> {
    let updated = db.query_row(
        "UPDATE impressions SET viewed_at = ?1 WHERE id = ?2 AND viewed_at IS NULL RETURNING id",
        &[now.into(), impression_id.into()],
    )?;
    if updated.is_some() {
        return Ok(Some(true));
    }
    let exists = db
        .query_row(
            "SELECT 1 FROM impressions WHERE id = ?1",
            &[impression_id.into()],
        )?
        .is_some();
    Ok(exists.then_some(false))
}

/// The demand columns of a row, starting at `first` (organization,
/// campaign, ad group, ad).
pub fn demand_of(row: &Row, first: usize) -> Option<Demand> {
    Some(Demand {
        organization_id: row.text(first).and_then(OrganizationId::parse)?,
        campaign_id: row.text(first + 1).and_then(CampaignId::parse)?,
        ad_group_id: row.text(first + 2).and_then(AdGroupId::parse)?,
        ad_id: row.text(first + 3).and_then(AdId::parse)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn a_click_within_the_hour_is_the_same_click_and_counts_once() {
        let db = testing::database();
        let demand = testing::live_ad(&db, testing::organization(&db));
        let at = UnixSeconds::new(1_800_000_000);
        let impression = testing::impression(&db, Some(demand), true, Micros::new(2_000_000), at);
        let first = record_click(&db, &impression, at.plus_seconds(5))
            .expect("click")
            .expect("impression exists");
        let again = record_click(&db, &impression, at.plus_seconds(3_000)).expect("click");
        assert_eq!(again.as_deref(), Some(first.as_str()));
        let later = record_click(&db, &impression, at.plus_seconds(3_606)).expect("click");
        assert!(
            later.is_some_and(|id| id != first),
            "a new click after an hour"
        );
        let clicks = db
            .query_row("SELECT SUM(clicks) FROM rollups_hourly", &[])
            .expect("rollups")
            .and_then(|row| row.integer(0));
        assert_eq!(clicks, Some(2));
        assert_eq!(
            record_click(&db, "no-such-impression", at).expect("no click"),
            None
        );
    }
}

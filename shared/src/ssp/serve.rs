//! Recording a served ad: one write transaction after the auction that
//! charges the campaign (for the platform's own demand), records the
//! impression with its clearing price, moves the chat's pacing, and counts
//! the impression in the hourly rollups.
//!
//! The charge is a single conditional `UPDATE`: it cannot take a campaign
//! past its lifetime budget, however many auctions run at once. When it
//! does not fit, nothing is written and the caller serves the next bid.

use crate::db::{Database, DbError, transaction};
use crate::ids::{AdGroupId, AdId, CampaignId, OrganizationId};
use crate::money::Micros;
use crate::time::UnixSeconds;

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

/// Supply name of the platform's own SSP in the rollups.
pub const SUPPLY: &str = "thrad";

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

/// Records the impression (and charges the campaign when billable).
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
    transaction(db, || {
        if let (Some(demand), true) = (impression.demand, cost > Micros::ZERO) {
            let charged = db.execute(
                "UPDATE campaigns SET spent_micros = spent_micros + ?1
                 WHERE id = ?2 AND spent_micros + ?1 <= lifetime_spend_limit_micros RETURNING id",
                &[cost.get().into(), demand.campaign_id.to_string().into()],
            )?;
            if charged.is_empty() {
                return Err(ServeError::BudgetExhausted);
            }
        }
        let demand = impression.demand;
        db.execute(
            "INSERT INTO impressions (id, request_id, publisher_id, environment, billable, dsp_id, bid_id,
                 organization_id, campaign_id, ad_group_id, ad_id, price_cpm_micros, cost_micros, landing_url,
                 chat_id, country, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            &[
                impression.id.into(),
                impression.request_id.into(),
                impression.publisher_id.to_string().into(),
                impression.environment.into(),
                impression.billable.into(),
                impression.dsp.into(),
                impression.bid_id.into(),
                demand.map(|d| d.organization_id.to_string()).into(),
                demand.map(|d| d.campaign_id.to_string()).into(),
                demand.map(|d| d.ad_group_id.to_string()).into(),
                demand.map(|d| d.ad_id.to_string()).into(),
                impression.price.get().into(),
                cost.get().into(),
                impression.landing_url.into(),
                impression.chat_id.into(),
                impression.country.into(),
                now.get().into(),
            ],
        )?;
        db.execute(
            "UPDATE chat_pacing SET last_ad_request = ?1, ads_served = ads_served + 1, updated_at = ?2
             WHERE publisher_id = ?3 AND chat_id = ?4",
            &[
                impression.chat_requests.into(),
                now.get().into(),
                impression.publisher_id.to_string().into(),
                impression.chat_id.into(),
            ],
        )?;
        if let (Some(demand), true) = (demand, impression.billable) {
            let counts = Counts {
                impressions: 1,
                spend_micros: cost.get(),
                ..Counts::default()
            };
            add_to_rollup(db, &demand, SUPPLY, now, &counts)?;
        }
        Ok(())
    })
}

/// Event counts added to an hourly rollup row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub impressions: i64,
    pub views: i64,
    pub clicks: i64,
    pub conversions: i64,
    pub conversion_value_micros: i64,
    pub spend_micros: i64,
}

/// Adds `counts` to the demand's rollup row for the hour of `at`, in one
/// upsert.
pub fn add_to_rollup(
    db: &impl Database,
    demand: &Demand,
    supply: &str,
    at: UnixSeconds,
    counts: &Counts,
) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO rollups_hourly (hour, organization_id, campaign_id, ad_group_id, ad_id, supply,
             impressions, views, clicks, conversions, conversion_value_micros, spend_micros)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (organization_id, hour, campaign_id, ad_group_id, ad_id, supply) DO UPDATE SET
             impressions = impressions + excluded.impressions,
             views = views + excluded.views,
             clicks = clicks + excluded.clicks,
             conversions = conversions + excluded.conversions,
             conversion_value_micros = conversion_value_micros + excluded.conversion_value_micros,
             spend_micros = spend_micros + excluded.spend_micros",
        &[
            hour_of(at).into(),
            demand.organization_id.to_string().into(),
            demand.campaign_id.to_string().into(),
            demand.ad_group_id.to_string().into(),
            demand.ad_id.to_string().into(),
            supply.into(),
            counts.impressions.into(),
            counts.views.into(),
            counts.clicks.into(),
            counts.conversions.into(),
            counts.conversion_value_micros.into(),
            counts.spend_micros.into(),
        ],
    )?;
    Ok(())
}

/// The landing page of an impression and the click to report, after
/// counting a click. Clicks on one impression within an hour of a counted
/// click are the same click (same `click_id`, counted once).
pub fn record_click(
    db: &impl Database,
    impression_id: &str,
    now: UnixSeconds,
) -> Result<Option<(String, String)>, DbError> {
    transaction(db, || {
        let Some(row) = db.query_row(
            "SELECT landing_url, billable, organization_id, campaign_id, ad_group_id, ad_id FROM impressions WHERE id = ?1",
            &[impression_id.into()],
        )?
        else {
            return Ok(None);
        };
        let landing = row.text(0).unwrap_or_default().to_string();
        if let Some(existing) = db.query_row(
            "SELECT id FROM clicks WHERE impression_id = ?1 AND created_at > ?2 ORDER BY seq DESC LIMIT 1",
            &[impression_id.into(), (now.get() - 3600).into()],
        )? {
            return Ok(Some((existing.text(0).unwrap_or_default().to_string(), landing)));
        }
        let click_id = uuid::Uuid::new_v4().to_string();
        db.execute(
            "INSERT INTO clicks (id, impression_id, created_at) VALUES (?1, ?2, ?3)",
            &[
                click_id.as_str().into(),
                impression_id.into(),
                now.get().into(),
            ],
        )?;
        if row.integer(1) == Some(1)
            && let Some(demand) = demand_of(&row, 2)
        {
            add_to_rollup(
                db,
                &demand,
                SUPPLY,
                now,
                &Counts {
                    clicks: 1,
                    ..Counts::default()
                },
            )?;
        }
        Ok(Some((click_id, landing)))
    })
}

/// Marks an impression viewed (once). `None` when there is no such
/// impression; `Some(false)` when it was already counted.
pub fn record_view(
    db: &impl Database,
    impression_id: &str,
    now: UnixSeconds,
) -> Result<Option<bool>, DbError> {
    transaction(db, || {
        let updated = db.query_row(
            "UPDATE impressions SET viewed_at = ?1 WHERE id = ?2 AND viewed_at IS NULL
             RETURNING billable, organization_id, campaign_id, ad_group_id, ad_id",
            &[now.get().into(), impression_id.into()],
        )?;
        let Some(row) = updated else {
            let exists = db
                .query_row(
                    "SELECT 1 FROM impressions WHERE id = ?1",
                    &[impression_id.into()],
                )?
                .is_some();
            return Ok(exists.then_some(false));
        };
        if row.integer(0) == Some(1)
            && let Some(demand) = demand_of(&row, 1)
        {
            add_to_rollup(
                db,
                &demand,
                SUPPLY,
                now,
                &Counts {
                    views: 1,
                    ..Counts::default()
                },
            )?;
        }
        Ok(Some(true))
    })
}

/// The demand columns of a row, starting at `first` (organization,
/// campaign, ad group, ad).
fn demand_of(row: &crate::db::Row, first: usize) -> Option<Demand> {
    Some(Demand {
        organization_id: row.text(first).and_then(OrganizationId::parse)?,
        campaign_id: row.text(first + 1).and_then(CampaignId::parse)?,
        ad_group_id: row.text(first + 2).and_then(AdGroupId::parse)?,
        ad_id: row.text(first + 3).and_then(AdId::parse)?,
    })
}

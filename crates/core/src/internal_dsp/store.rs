//! The internal DSP's SQL: the demand that can serve now (ad groups of
//! active, approved campaigns inside their schedule with budget left for
//! one more impression, and their active ads, in one query), and one such
//! ad for the render call.

use crate::catalog::creative::Creative;
use crate::db::{Database, DbError, FromRow, Json, Row, SqlValue};
use crate::ids::{AdGroupId, AdId, CampaignId, OrganizationId};
use crate::money::Micros;
use crate::time::UnixSeconds;

use super::demand::ServingAd;

/// One active ad of an ad group that may bid.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateAd {
    pub ad_group_id: AdGroupId,
    pub campaign_id: CampaignId,
    pub organization_id: OrganizationId,
    pub context_hints: Vec<String>,
    pub max_bid: Micros,
    pub countries: Vec<String>,
    pub ad_id: AdId,
    pub creative: Creative,
    pub advertiser: String,
}

impl FromRow for CandidateAd {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            ad_group_id: row.get(0)?,
            campaign_id: row.get(1)?,
            organization_id: row.get(2)?,
            context_hints: row.get::<Json<_>>(3)?.0,
            max_bid: row.get(4)?,
            countries: row.get::<Json<_>>(5)?.0,
            ad_id: row.get(6)?,
            creative: row.get::<Json<_>>(7)?.0,
            advertiser: row.get(8)?,
        })
    }
}

/// The active ads of the ad groups that can serve at `now` and have a hint
/// whose words are all among `words`, by ad group, oldest ad first;
/// sandbox campaigns only with `include_sandbox`; a campaign with a daily
/// budget only while today's spend on this network (UTC) leaves room for
/// one more impression at the ad group's bid. A row
/// that does not decode is left out (and logged): one bad ad never stops
/// the others from bidding.
pub fn candidate_ads(
    db: &impl Database,
    now: UnixSeconds,
    words: &[String],
    include_sandbox: bool,
) -> Result<Vec<CandidateAd>, DbError> {
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..words.len()).map(|i| format!("?{}", i + 2)).collect();
    let mut params: Vec<SqlValue> = vec![now.into()];
    params.extend(words.iter().map(|w| w.as_str().into()));
    params.push(include_sandbox.into());
    params.push((now.get() - now.get().rem_euclid(86_400)).into());
    let rows = db.execute(
        &format!(
            "SELECT g.id, g.campaign_id, g.organization_id, g.context_hints, g.max_bid_micros, c.target_countries,
                    a.id, a.creative, o.name
             FROM ad_groups g
             JOIN campaigns c ON c.id = g.campaign_id
             JOIN ads a ON a.ad_group_id = g.id AND a.status = 'active'
             JOIN organizations o ON o.id = g.organization_id
             WHERE g.id IN (SELECT h.ad_group_id FROM ad_group_hint_anchors h WHERE h.word IN ({0})
                              AND NOT EXISTS (SELECT 1 FROM ad_group_hint_words w
                                              WHERE w.ad_group_id = h.ad_group_id AND w.hint = h.hint
                                                AND w.word NOT IN ({0})))
               AND c.status = 'active' AND c.review_status = 'approved' AND g.status = 'active'
               AND g.creative_type IN ('chat_card', 'poll') AND g.max_bid_micros IS NOT NULL
               AND c.start_time <= ?1 AND (c.end_time IS NULL OR c.end_time > ?1)
               AND c.spent_micros + g.max_bid_micros / 1000 <= c.lifetime_spend_limit_micros
               AND (?{1} = 1 OR c.id NOT IN (SELECT campaign_id FROM sandbox_campaigns))
               AND NOT EXISTS (
                   SELECT 1 FROM campaign_daily_budgets b
                   WHERE b.campaign_id = c.id
                     AND b.daily_limit_micros < g.max_bid_micros / 1000 + (
                         SELECT COALESCE(SUM(r.spend_micros), 0) FROM rollups_daily r
                         WHERE r.organization_id = c.organization_id AND r.day = ?{2}
                           AND r.campaign_id = c.id AND r.supply = 'thrad'))
             ORDER BY g.id, a.seq",
            placeholders.join(", "),
            words.len() + 2,
            words.len() + 3
        ),
        &params,
    )?;
    Ok(rows
        .iter()
        .filter_map(|row| match CandidateAd::from_row(row) {
            Ok(ad) => Some(ad),
            Err(error) => {
                crate::log::warn(&format!("thrad-dsp: an ad row is skipped: {error}"));
                None
            }
        })
        .collect())
}

impl FromRow for ServingAd {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            ad_id: row.get(0)?,
            ad_group_id: row.get(1)?,
            campaign_id: row.get(2)?,
            organization_id: row.get(3)?,
            creative: row.get::<Json<_>>(4)?.0,
            advertiser: row.get(5)?,
        })
    }
}

/// Ad `ad_id` when it is still able to serve at `now`.
pub fn find_serving_ad(
    db: &impl Database,
    ad_id: AdId,
    now: UnixSeconds,
) -> Result<Option<ServingAd>, DbError> {
    db.find(
        "SELECT a.id, a.ad_group_id, a.campaign_id, a.organization_id, a.creative, o.name
         FROM ads a JOIN ad_groups g ON g.id = a.ad_group_id JOIN campaigns c ON c.id = a.campaign_id
              JOIN organizations o ON o.id = a.organization_id
         WHERE a.id = ?1 AND a.status = 'active' AND g.status = 'active' AND c.status = 'active'
           AND c.review_status = 'approved' AND c.start_time <= ?2 AND (c.end_time IS NULL OR c.end_time > ?2)",
        &[ad_id.into(), now.into()],
    )
}

//! The S2S events surface's SQL: events, the click a conversion reports,
//! and conversions. Each write is one statement whose unique index makes a
//! retried event or conversion a no-op (`ON CONFLICT DO NOTHING`).

use adspin_core::db::{Database, DbError, FromRow, Json, Row};
use adspin_core::delivery::Demand;
use adspin_core::ids::{AdGroupId, AdId, CampaignId, OrganizationId};
use adspin_core::money::Micros;
use adspin_core::time::UnixSeconds;

use crate::auth::Partner;
use crate::collect::Event;
use crate::conversion::Conversion;

/// Stores the event; `false` when its `(tag_id, event_id)` was already
/// stored for this organization.
pub fn insert_event(
    db: &impl Database,
    partner: &Partner,
    event: &Event,
    now: UnixSeconds,
) -> Result<bool, DbError> {
    let inserted = db.query_row(
        "INSERT INTO events (organization_id, api_key_id, tag_id, event_name, event_id, occurred_at, received_at,
                             click_id, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (organization_id, tag_id, event_id) WHERE event_id IS NOT NULL DO NOTHING
         RETURNING seq",
        &[
            partner.organization_id.into(),
            partner.key_id.into(),
            event.tag_id.as_str().into(),
            event.event_name.as_str().into(),
            event.event_id.as_deref().into(),
            event.occurred_at.into(),
            now.into(),
            event.click_id.as_deref().into(),
            Json(&event.data).into(),
        ],
    )?;
    Ok(inserted.is_some())
}

/// The click a conversion reports, with what it is attributed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Click {
    pub at: UnixSeconds,
    /// The platform campaign's ad behind the click; `None` for a test ad
    /// or another DSP's.
    pub demand: Option<Demand>,
    pub account_currency: Option<String>,
    /// A click on a billed impression (not a staging or test one).
    pub billable: bool,
    /// The publisher that showed the ad.
    pub publisher_id: OrganizationId,
}

impl FromRow for Click {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        let organization: Option<OrganizationId> = row.get(1)?;
        let campaign: Option<CampaignId> = row.get(2)?;
        let ad_group: Option<AdGroupId> = row.get(3)?;
        let ad: Option<AdId> = row.get(4)?;
        let demand = match (organization, campaign, ad_group, ad) {
            (Some(organization_id), Some(campaign_id), Some(ad_group_id), Some(ad_id)) => {
                Some(Demand {
                    organization_id,
                    campaign_id,
                    ad_group_id,
                    ad_id,
                })
            }
            _ => None,
        };
        Ok(Self {
            at: row.get(0)?,
            demand,
            account_currency: row.get(5)?,
            billable: row.get(6)?,
            publisher_id: row.get(7)?,
        })
    }
}

pub fn find_click(db: &impl Database, click_id: &str) -> Result<Option<Click>, DbError> {
    db.find(
        "SELECT c.created_at, i.organization_id, i.campaign_id, i.ad_group_id, i.ad_id, o.currency_code,
                i.billable, i.publisher_id
         FROM clicks c JOIN impressions i ON i.id = c.impression_id
         LEFT JOIN organizations o ON o.id = i.organization_id
         WHERE c.id = ?1",
        &[click_id.into()],
    )
}

/// Stores a conversion of `demand`'s click; `false` when one with the same
/// dedupe key was already stored (nothing is written).
pub fn insert_conversion(
    db: &impl Database,
    partner: &Partner,
    demand: &Demand,
    conversion: &Conversion,
    counted_value: Micros,
    attributed: bool,
    now: UnixSeconds,
) -> Result<bool, DbError> {
    let inserted = db.query_row(
        "INSERT INTO conversions (id, organization_id, api_key_id, click_id, campaign_id, ad_group_id, ad_id,
                                  event_type, dedupe_key, order_id, conversion_time, value_micros, currency,
                                  counted_value_micros, attributed, data, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
         ON CONFLICT (organization_id, click_id, event_type, dedupe_key) WHERE dedupe_key IS NOT NULL
         DO NOTHING
         RETURNING seq",
        &[
            uuid::Uuid::new_v4().to_string().into(),
            demand.organization_id.into(),
            partner.key_id.into(),
            conversion.click_id.as_str().into(),
            demand.campaign_id.into(),
            demand.ad_group_id.into(),
            demand.ad_id.into(),
            conversion.event_type.as_str().into(),
            conversion.dedupe_key.as_deref().into(),
            conversion.order_id.as_deref().into(),
            conversion.conversion_time.into(),
            conversion.value_micros.into(),
            conversion.currency.as_str().into(),
            counted_value.into(),
            attributed.into(),
            Json(&conversion.data).into(),
            now.into(),
        ],
    )?;
    Ok(inserted.is_some())
}

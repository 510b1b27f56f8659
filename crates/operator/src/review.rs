//! Campaign review: the queue, and the decision that lets a campaign
//! serve (or stops it).

use adspin_core::api_error::ApiError;
use adspin_core::catalog::fields::ReviewStatus;
use adspin_core::catalog::store::{self as catalog, Campaign};
use adspin_core::db::Database;
use adspin_core::ids::CampaignId;
use adspin_core::time::UnixSeconds;
use adspin_core::web::Query;
use serde_json::{Value, json};

use crate::Outcome;
use crate::store;

/// Most campaigns one review list shows.
pub const REVIEW_LIST_LIMIT: i64 = 500;

pub(crate) fn list_campaigns_for_review(db: &impl Database, query: &Query) -> Outcome {
    let review_status = ReviewStatus::parse(query.get("review_status").unwrap_or("in_review"))
        .ok_or_else(|| {
            ApiError::invalid_value(
                "review_status",
                "review_status must be in_review, approved or rejected.",
            )
        })?;
    let data = store::list_campaigns_for_review(db, review_status, REVIEW_LIST_LIMIT)?;
    Ok((
        200,
        json!({ "object": "list", "data": data, "count": data.len() }),
    ))
}

/// Approves or rejects a campaign; its ads inherit the review. A rejected
/// campaign stops serving (it is paused unless archived).
pub(crate) fn review(
    db: &impl Database,
    id: &str,
    decision: ReviewStatus,
    now: UnixSeconds,
) -> Outcome {
    let missing = || ApiError::not_found("campaign", id);
    let campaign_id = CampaignId::parse(id).ok_or_else(missing)?;
    let organization = store::find_campaign_owner(db, campaign_id)?.ok_or_else(missing)?;
    store::set_review_status(db, campaign_id, decision, now)?;
    let campaign = catalog::find::<Campaign>(db, organization, campaign_id)?.ok_or_else(missing)?;
    let mut view = serde_json::to_value(campaign.resource()).unwrap_or(Value::Null);
    view["organization_id"] = Value::String(organization.to_string());
    Ok((200, view))
}

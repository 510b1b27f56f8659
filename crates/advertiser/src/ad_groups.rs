//! Ad groups: `GET/POST /v1/ad_groups`, `GET/POST /v1/ad_groups/{id}` and
//! the lifecycle actions. An ad group carries the conversation topics its
//! ads suit (`context_hints`) and the most it bids per impression.

use adspin_core::objects;
use serde::Deserialize;

use adspin_core::body::parse_json;
use adspin_core::db::{Database, transaction};
use adspin_core::ids::{AdGroupId, CampaignId};
use adspin_core::money::Micros;
use adspin_core::pagination::{PageRequest, RESOURCE_MAX_LIMIT};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Query, Response};

use super::ApiError;
use super::ads::{self, AdInput};
use super::campaigns;
use super::context::{Ctx, list_error, respond};
use adspin_core::catalog::fields::{self, ReviewStatus, Status, at, nullable};
use adspin_core::catalog::store::{self, Ad, AdGroup, Campaign};

pub const NAME_MIN: usize = 3;
pub const NAME_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 1000;
pub const MAX_CONTEXT_HINTS: usize = 50;
pub const CONTEXT_HINT_MAX: usize = 100;
pub const MIN_BID_MICROS: i64 = 1;
pub const MAX_BID_MICROS: i64 = 100_000_000;
/// Most ads one create request may carry per ad group.
pub const MAX_ADS_PER_REQUEST: usize = 50;

/// An ad group in a create request (nested in a campaign, or alone with
/// its `campaign_id`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdGroupInput {
    #[serde(default)]
    pub campaign_id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub context_hints: Vec<String>,
    #[serde(default)]
    pub status: Option<Status>,
    #[serde(default, deserialize_with = "objects::optional_object")]
    pub bidding_config: Option<BiddingConfigInput>,
    #[serde(default, deserialize_with = "objects::objects")]
    pub ads: Vec<AdInput>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BiddingConfigInput {
    #[serde(default)]
    pub billing_event_type: Option<BillingEventType>,
    #[serde(default, deserialize_with = "nullable")]
    pub max_bid_micros: Option<Option<i64>>,
}

/// Ads are billed per impression; no other event is offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingEventType {
    Impression,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateAdGroupRequest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    #[serde(default)]
    context_hints: Option<Vec<String>>,
    #[serde(default)]
    status: Option<Status>,
    #[serde(default, deserialize_with = "objects::optional_object")]
    bidding_config: Option<BiddingConfigInput>,
}

/// An ad group with the ads created along with it.
#[derive(Debug, Clone)]
pub struct NewAdGroup {
    pub group: AdGroup,
    pub ads: Vec<Ad>,
}

fn check_description(param: &str, description: Option<&str>) -> Result<(), ApiError> {
    match description {
        Some(text) if text.chars().count() > DESCRIPTION_MAX => Err(ApiError::invalid_value(
            param,
            format!("{param} must be at most {DESCRIPTION_MAX} characters long."),
        )),
        _ => Ok(()),
    }
}

fn check_context_hints(param: &str, hints: &[String]) -> Result<(), ApiError> {
    if hints.len() > MAX_CONTEXT_HINTS {
        return Err(ApiError::invalid_value(
            param,
            format!("At most {MAX_CONTEXT_HINTS} context_hints are allowed."),
        ));
    }
    for (index, hint) in hints.iter().enumerate() {
        fields::text(&format!("{param}[{index}]"), hint, 1, CONTEXT_HINT_MAX)?;
    }
    Ok(())
}

/// The max bid after a `bidding_config`: `None` keeps `current`.
fn max_bid(
    config: &BiddingConfigInput,
    current: Option<Micros>,
    prefix: &str,
) -> Result<Option<Micros>, ApiError> {
    match config.max_bid_micros {
        None => Ok(current),
        Some(None) => Ok(None),
        Some(Some(micros)) if (MIN_BID_MICROS..=MAX_BID_MICROS).contains(&micros) => {
            Ok(Some(Micros::new(micros)))
        }
        Some(Some(_)) => Err(ApiError::invalid_value(
            at(prefix, "bidding_config.max_bid_micros"),
            format!(
                "max_bid_micros must be between {MIN_BID_MICROS} and {MAX_BID_MICROS} ($0.000001 to $100)."
            ),
        )),
    }
}

/// Validates an ad group and its ads. `prefix` locates it in the body.
pub fn build(
    input: &AdGroupInput,
    campaign_id: CampaignId,
    review_status: ReviewStatus,
    prefix: &str,
    now: UnixSeconds,
) -> Result<NewAdGroup, ApiError> {
    fields::text(&at(prefix, "name"), &input.name, NAME_MIN, NAME_MAX)?;
    check_description(&at(prefix, "description"), input.description.as_deref())?;
    check_context_hints(&at(prefix, "context_hints"), &input.context_hints)?;
    let max_bid = max_bid(
        &input.bidding_config.clone().unwrap_or_default(),
        None,
        prefix,
    )?;
    if input.ads.len() > MAX_ADS_PER_REQUEST {
        return Err(ApiError::invalid_value(
            at(prefix, "ads"),
            format!("At most {MAX_ADS_PER_REQUEST} ads can be created in one request."),
        ));
    }
    let group_id = AdGroupId::new_random();
    let mut ads = Vec::with_capacity(input.ads.len());
    for (index, ad_input) in input.ads.iter().enumerate() {
        let ad_prefix = at(prefix, &format!("ads[{index}]"));
        if ad_input.ad_group_id.is_some() {
            return Err(ApiError::invalid_request(
                "unknown_parameter",
                "A nested ad belongs to the ad group it is nested in; remove ad_group_id.",
            )
            .with_param(at(&ad_prefix, "ad_group_id")));
        }
        let ad = ads::build(
            ad_input,
            campaign_id,
            group_id,
            review_status,
            &ad_prefix,
            now,
        )?;
        if let Some(first) = ads.first().map(|a: &Ad| a.creative.kind())
            && first != ad.creative.kind()
        {
            return Err(ads::type_mismatch(
                &at(&ad_prefix, "creative.type"),
                Some(first.as_str()),
            ));
        }
        ads.push(ad);
    }
    Ok(NewAdGroup {
        group: AdGroup {
            id: group_id,
            campaign_id,
            name: input.name.clone(),
            description: input.description.clone(),
            context_hints: input
                .context_hints
                .iter()
                .map(|h| h.trim().to_string())
                .collect(),
            status: input.status.unwrap_or(Status::Active).for_child(),
            max_bid,
            creative_type: ads.first().map(|ad| ad.creative.kind()),
            created_at: now,
            updated_at: now,
        },
        ads,
    })
}

/// Writes an ad group and its ads (inside the caller's transaction).
pub fn insert<D: Database>(ctx: &Ctx<'_, D>, new: &NewAdGroup) -> Result<(), ApiError> {
    store::insert_ad_group(ctx.db, ctx.caller.organization_id, &new.group)?;
    for ad in &new.ads {
        store::insert_ad(ctx.db, ctx.caller.organization_id, ad)?;
    }
    Ok(())
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found("ad group", id)
}

fn load<D: Database>(ctx: &Ctx<'_, D>, id: &str) -> Result<AdGroup, ApiError> {
    let parsed = AdGroupId::parse(id).ok_or_else(|| not_found(id))?;
    store::find::<AdGroup>(ctx.db, ctx.caller.organization_id, parsed)?.ok_or_else(|| not_found(id))
}

/// `GET /v1/ad_groups?campaign_id=`
pub fn list_ad_groups<D: Database>(ctx: &Ctx<'_, D>, query: &Query) -> Result<Response, ApiError> {
    let Some(campaign_id) = query.get("campaign_id") else {
        return Err(ApiError::invalid_request(
            "missing_required_parameter",
            "campaign_id is required: ad groups are listed per campaign.",
        )
        .with_param("campaign_id"));
    };
    let page = PageRequest::from_query(query, RESOURCE_MAX_LIMIT)?;
    let missing = || ApiError::not_found("campaign", campaign_id).with_param("campaign_id");
    let id = CampaignId::parse(campaign_id).ok_or_else(missing)?;
    store::find::<Campaign>(ctx.db, ctx.caller.organization_id, id)?.ok_or_else(missing)?;
    let groups = store::list::<AdGroup>(ctx.db, id, &page).map_err(|e| list_error(&page, e))?;
    let list = page.into_list(groups, |g| g.id.to_string());
    respond(200, &list.render(AdGroup::resource))
}

/// `GET /v1/ad_groups/{id}`
pub fn find_ad_group<D: Database>(ctx: &Ctx<'_, D>, id: &str) -> Result<Response, ApiError> {
    respond(200, &load(ctx, id)?.resource())
}

/// `POST /v1/ad_groups`: an ad group (with optional `ads[]`) for an
/// existing campaign, written atomically.
pub fn create_ad_group<D: Database>(ctx: &Ctx<'_, D>, body: &[u8]) -> Result<Response, ApiError> {
    let input: AdGroupInput = parse_json(body)?;
    let Some(campaign_id) = input.campaign_id.as_deref() else {
        return Err(ApiError::invalid_request(
            "missing_required_parameter",
            "campaign_id is required.",
        )
        .with_param("campaign_id"));
    };
    let missing = || ApiError::not_found("campaign", campaign_id).with_param("campaign_id");
    let id = CampaignId::parse(campaign_id).ok_or_else(missing)?;
    let campaign =
        store::find::<Campaign>(ctx.db, ctx.caller.organization_id, id)?.ok_or_else(missing)?;
    campaigns::ensure_open(&campaign)?;
    // New ads are reviewed with their campaign (see `ads::create_ad`).
    let review_status = if input.ads.is_empty() {
        campaign.review_status
    } else {
        ReviewStatus::InReview
    };
    let new = build(&input, campaign.id, review_status, "", ctx.now)?;
    for (index, ad) in new.ads.iter().enumerate() {
        ads::check_upload(ctx, ad, &format!("ads[{index}]"))?;
    }
    transaction(ctx.db, || {
        insert(ctx, &new)?;
        if !new.ads.is_empty() {
            store::request_review(ctx.db, ctx.caller.organization_id, campaign.id, ctx.now)?;
        }
        Ok::<_, ApiError>(())
    })?;
    respond(201, &new.group.resource())
}

/// `POST /v1/ad_groups/{id}`: partial update; `status` is accepted
/// (archived reads back paused).
pub fn update_ad_group<D: Database>(
    ctx: &Ctx<'_, D>,
    id: &str,
    body: &[u8],
) -> Result<Response, ApiError> {
    let request: UpdateAdGroupRequest = parse_json(body)?;
    let group = transaction(ctx.db, || {
        let mut group = load(ctx, id)?;
        campaigns::check_not_archived(ctx, group.campaign_id)?;
        if let Some(name) = &request.name {
            fields::text("name", name, NAME_MIN, NAME_MAX)?;
            group.name = name.clone();
        }
        if let Some(description) = &request.description {
            check_description("description", description.as_deref())?;
            group.description = description.clone();
        }
        if let Some(hints) = &request.context_hints {
            check_context_hints("context_hints", hints)?;
            group.context_hints = hints.iter().map(|h| h.trim().to_string()).collect();
        }
        if let Some(config) = &request.bidding_config {
            group.max_bid = max_bid(config, group.max_bid, "")?;
        }
        if let Some(status) = request.status {
            group.status = status.for_child();
        }
        group.updated_at = ctx.now;
        store::update_ad_group(ctx.db, ctx.caller.organization_id, &group)?;
        if request.context_hints.is_some() {
            adspin_core::catalog::hints::index_keywords(ctx.db, group.id, &group.context_hints)?;
        }
        Ok::<_, ApiError>(group)
    })?;
    respond(200, &group.resource())
}

/// `POST /v1/ad_groups/{id}/activate|pause|archive`
pub fn set_ad_group_status<D: Database>(
    ctx: &Ctx<'_, D>,
    id: &str,
    status: Status,
) -> Result<Response, ApiError> {
    let status = status.for_child();
    let group = transaction(ctx.db, || {
        let mut group = load(ctx, id)?;
        if status == Status::Active {
            campaigns::check_not_archived(ctx, group.campaign_id)?;
        }
        if group.status != status {
            group.status = status;
            group.updated_at = ctx.now;
            store::update_ad_group(ctx.db, ctx.caller.organization_id, &group)?;
        }
        Ok::<_, ApiError>(group)
    })?;
    respond(200, &group.resource())
}

//! Campaigns: `GET/POST /v1/campaigns`, `GET/POST /v1/campaigns/{id}` and
//! `/activate`, `/pause`, `/archive`.
//!
//! Creating a campaign is one atomic write of the whole tree (campaign, ad
//! groups, ads), the $10 deposit charged to the organization's payment
//! method, and, with an `Idempotency-Key`, the response to replay. The
//! campaign starts `paused` and `in_review`; it can be activated once an
//! operator approves it. Archiving is final.

use adspin_core::objects;
use serde::Deserialize;
use serde_json::Value;

use adspin_core::body::parse_json;
use adspin_core::db::{Database, transaction};
use adspin_core::ids::CampaignId;
use adspin_core::money::Micros;
use adspin_core::organizations::find_organization;
use adspin_core::pagination::{PageRequest, RESOURCE_MAX_LIMIT};
use adspin_core::rate_limit;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Query, Response, raw_json_response};

use super::ApiError;
use super::ad_groups::{self, AdGroupInput, NewAdGroup};
use super::ads;
use super::api::CAMPAIGN_CREATES_PER_HOUR;
use super::canonical::canonical_hash;
use super::context::{Ctx, list_error, respond};
use adspin_core::catalog::fields::{
    self, PricingModel, RecurringFrequency, ReviewStatus, Status, nullable,
};
use adspin_core::catalog::store::{self, Campaign};
use adspin_core::catalog::targeting::{self, TargetingInput};

pub const NAME_MIN: usize = 3;
pub const NAME_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 1000;
/// Smallest lifetime budget: $0.99.
pub const MIN_LIFETIME_BUDGET: Micros = Micros::new(990_000);
/// Largest lifetime budget: $10,000,000 (far from where spend arithmetic
/// could overflow).
pub const MAX_LIFETIME_BUDGET: Micros = Micros::from_dollars(10_000_000);
/// Charged to the organization's payment method for every new campaign.
pub const DEPOSIT: Micros = Micros::from_dollars(10);
/// A campaign created without `start_time` starts two days later, the
/// earliest launch window after review.
pub const DEFAULT_START_DELAY_SECONDS: i64 = 2 * 86_400;
/// Most ad groups one create request may carry.
pub const MAX_AD_GROUPS_PER_REQUEST: usize = 50;
/// Longest accepted `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY: usize = 255;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetInput {
    lifetime_spend_limit_micros: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateCampaignRequest {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    start_time: Option<i64>,
    #[serde(default)]
    end_time: Option<i64>,
    #[serde(deserialize_with = "objects::object")]
    budget: BudgetInput,
    #[serde(default)]
    recurring_frequency: Option<RecurringFrequency>,
    #[serde(default)]
    pricing_model: Option<PricingModel>,
    #[serde(default, deserialize_with = "objects::optional_object")]
    targeting: Option<TargetingInput>,
    #[serde(default, deserialize_with = "objects::objects")]
    ad_groups: Vec<AdGroupInput>,
    /// Rejected with `use_status_action`: status changes are sub-actions.
    #[serde(default)]
    status: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateCampaignRequest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    #[serde(default)]
    start_time: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    end_time: Option<Option<i64>>,
    #[serde(default, deserialize_with = "objects::optional_object")]
    budget: Option<BudgetInput>,
    #[serde(default)]
    recurring_frequency: Option<RecurringFrequency>,
    #[serde(default)]
    pricing_model: Option<PricingModel>,
    #[serde(default, deserialize_with = "objects::nullable_object")]
    targeting: Option<Option<TargetingInput>>,
    #[serde(default)]
    status: Option<Value>,
    #[serde(default)]
    review_status: Option<Value>,
}

fn use_status_action() -> ApiError {
    ApiError::invalid_request(
        "use_status_action",
        "A campaign's status is changed with POST /v1/campaigns/{id}/activate, /pause or /archive.",
    )
    .with_param("status")
}

fn check_description(description: Option<&str>) -> Result<(), ApiError> {
    match description {
        Some(text) if text.chars().count() > DESCRIPTION_MAX => Err(ApiError::invalid_value(
            "description",
            format!("description must be at most {DESCRIPTION_MAX} characters long."),
        )),
        _ => Ok(()),
    }
}

fn check_budget(limit: Micros, spent: Micros) -> Result<(), ApiError> {
    let param = "budget.lifetime_spend_limit_micros";
    if limit < MIN_LIFETIME_BUDGET {
        return Err(ApiError::invalid_value(
            param,
            format!(
                "lifetime_spend_limit_micros must be at least {} ($0.99).",
                MIN_LIFETIME_BUDGET.get()
            ),
        ));
    }
    if limit > MAX_LIFETIME_BUDGET {
        return Err(ApiError::invalid_value(
            param,
            format!(
                "lifetime_spend_limit_micros must be at most {} ($10,000,000).",
                MAX_LIFETIME_BUDGET.get()
            ),
        ));
    }
    if limit < spent {
        return Err(ApiError::invalid_value(
            param,
            format!(
                "lifetime_spend_limit_micros cannot be below the {} micros already spent.",
                spent.get()
            ),
        ));
    }
    Ok(())
}

fn check_schedule(start_time: UnixSeconds, end_time: Option<UnixSeconds>) -> Result<(), ApiError> {
    fields::time("start_time", start_time.get())?;
    if let Some(end) = end_time {
        fields::time("end_time", end.get())?;
        if end <= start_time {
            return Err(ApiError::invalid_value(
                "end_time",
                "end_time must be after start_time.",
            ));
        }
    }
    Ok(())
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found("campaign", id)
}

fn load<D: Database>(ctx: &Ctx<'_, D>, id: &str) -> Result<Campaign, ApiError> {
    let parsed = CampaignId::parse(id).ok_or_else(|| not_found(id))?;
    store::find::<Campaign>(ctx.db, ctx.caller.organization_id, parsed)?
        .ok_or_else(|| not_found(id))
}

/// `GET /v1/campaigns`
pub fn list_campaigns<D: Database>(ctx: &Ctx<'_, D>, query: &Query) -> Result<Response, ApiError> {
    let page = PageRequest::from_query(query, RESOURCE_MAX_LIMIT)?;
    let campaigns = store::list::<Campaign>(ctx.db, ctx.caller.organization_id, &page)
        .map_err(|e| list_error(&page, e))?;
    let list = page.into_list(campaigns, |c| c.id.to_string());
    respond(200, &list.render(Campaign::resource))
}

/// `GET /v1/campaigns/{id}`
pub fn find_campaign<D: Database>(ctx: &Ctx<'_, D>, id: &str) -> Result<Response, ApiError> {
    respond(200, &load(ctx, id)?.resource())
}

/// A validated campaign tree, ready to write.
struct NewCampaign {
    campaign: Campaign,
    ad_groups: Vec<NewAdGroup>,
}

fn build_campaign<D: Database>(
    ctx: &Ctx<'_, D>,
    request: &CreateCampaignRequest,
) -> Result<NewCampaign, ApiError> {
    if request.status.is_some() {
        return Err(use_status_action());
    }
    fields::text("name", &request.name, NAME_MIN, NAME_MAX)?;
    check_description(request.description.as_deref())?;
    let start_time = request.start_time.map_or(
        ctx.now.plus_seconds(DEFAULT_START_DELAY_SECONDS),
        UnixSeconds::new,
    );
    let end_time = request.end_time.map(UnixSeconds::new);
    let lifetime_spend_limit = Micros::new(request.budget.lifetime_spend_limit_micros);
    check_schedule(start_time, end_time)?;
    check_budget(lifetime_spend_limit, Micros::ZERO)?;
    let countries = targeting::normalize(&request.targeting.clone().unwrap_or_default(), "")?;
    if request.ad_groups.len() > MAX_AD_GROUPS_PER_REQUEST {
        return Err(ApiError::invalid_value(
            "ad_groups",
            format!("At most {MAX_AD_GROUPS_PER_REQUEST} ad groups can be created in one request."),
        ));
    }
    let campaign = Campaign {
        id: CampaignId::new_random(),
        name: request.name.clone(),
        description: request.description.clone(),
        status: Status::Paused,
        review_status: ReviewStatus::InReview,
        start_time,
        end_time,
        lifetime_spend_limit,
        spent: Micros::ZERO,
        recurring_frequency: request
            .recurring_frequency
            .unwrap_or(RecurringFrequency::Monthly),
        pricing_model: request.pricing_model.unwrap_or(PricingModel::Cpm),
        countries,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    let mut ad_groups = Vec::with_capacity(request.ad_groups.len());
    for (index, input) in request.ad_groups.iter().enumerate() {
        let prefix = format!("ad_groups[{index}]");
        if input.campaign_id.is_some() {
            return Err(ApiError::invalid_request(
                "unknown_parameter",
                "A nested ad group belongs to the campaign it is nested in; remove campaign_id.",
            )
            .with_param(format!("{prefix}.campaign_id")));
        }
        ad_groups.push(ad_groups::build(
            input,
            campaign.id,
            ReviewStatus::InReview,
            &prefix,
            ctx.now,
        )?);
    }
    Ok(NewCampaign {
        campaign,
        ad_groups,
    })
}

fn check_idempotency_key(key: &str) -> Result<(), ApiError> {
    let printable = key.bytes().all(|b| b.is_ascii_graphic());
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY || !printable {
        return Err(ApiError::invalid_value(
            "Idempotency-Key",
            format!(
                "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters."
            ),
        ));
    }
    Ok(())
}

/// A stored response to replay for an idempotency key.
fn replay<D: Database>(
    ctx: &Ctx<'_, D>,
    key: &str,
    request_hash: &str,
) -> Result<Option<Response>, ApiError> {
    let Some(stored) = crate::store::find_stored_response(ctx.db, ctx.caller.organization_id, key)?
    else {
        return Ok(None);
    };
    if stored.request_hash != request_hash {
        return Err(ApiError::conflict(
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request body.",
        )
        .with_param("Idempotency-Key"));
    }
    Ok(Some(raw_json_response(stored.status, stored.body)))
}

/// Counts a campaign creation against the key's hourly create limit.
fn limit_creates<D: Database>(ctx: &Ctx<'_, D>) -> Result<(), ApiError> {
    let usage = rate_limit::hit(
        ctx.db,
        &format!("v1-campaign-create:{}", ctx.caller.limit_scope()),
        CAMPAIGN_CREATES_PER_HOUR,
        ctx.now,
    )?;
    if usage.exceeded() {
        return Err(ApiError::rate_limited(format!(
            "You exceeded {} campaign creations per hour for this API key; retry in {} seconds.",
            usage.limit,
            usage.retry_after(ctx.now)
        ))
        .with_retry_after(usage.retry_after(ctx.now)));
    }
    Ok(())
}

/// `POST /v1/campaigns`
pub fn create_campaign<D: Database>(
    ctx: &Ctx<'_, D>,
    body: &[u8],
    idempotency_key: Option<&str>,
) -> Result<Response, ApiError> {
    if let Some(key) = idempotency_key {
        check_idempotency_key(key)?;
    }
    let request: CreateCampaignRequest = parse_json(body)?;
    let request_hash = idempotency_key
        .map(|_| serde_json::from_slice::<Value>(body).map(|value| canonical_hash(&value)))
        .transpose()
        .map_err(|_| {
            ApiError::invalid_request("invalid_json", "The request body is not valid JSON.")
        })?;
    // A retry is answered with the stored response before anything else
    // (validation that depends on the time, the create limit) can differ.
    if let (Some(key), Some(hash)) = (idempotency_key, request_hash.as_deref())
        && let Some(stored) = replay(ctx, key, hash)?
    {
        return Ok(stored);
    }
    limit_creates(ctx)?;
    let new = build_campaign(ctx, &request)?;
    for (group_index, group) in new.ad_groups.iter().enumerate() {
        for (ad_index, ad) in group.ads.iter().enumerate() {
            ads::check_upload(
                ctx,
                ad,
                &format!("ad_groups[{group_index}].ads[{ad_index}]"),
            )?;
        }
    }

    transaction(ctx.db, || {
        if let (Some(key), Some(hash)) = (idempotency_key, request_hash.as_deref())
            && let Some(stored) = replay(ctx, key, hash)?
        {
            return Ok(stored);
        }
        let organization = ctx.caller.organization_id;
        let payment_method = find_organization(ctx.db, organization)?
            .and_then(|organization| organization.payment_method)
            .ok_or_else(|| {
                ApiError::invalid_request(
                    "billing_not_configured",
                    "Add a default payment method to your organization before creating campaigns; nothing was charged.",
                )
            })?;
        store::insert_campaign(ctx.db, organization, &new.campaign)?;
        for group in &new.ad_groups {
            ad_groups::insert(ctx, group)?;
        }
        crate::store::insert_deposit(
            ctx.db,
            organization,
            new.campaign.id,
            DEPOSIT,
            &payment_method,
            ctx.now,
        )?;
        let body =
            serde_json::to_string(&new.campaign.resource()).map_err(|_| ApiError::internal())?;
        if let (Some(key), Some(hash)) = (idempotency_key, request_hash.as_deref()) {
            crate::store::insert_stored_response(ctx.db, organization, key, hash, &body, ctx.now)?;
        }
        Ok(raw_json_response(201, body))
    })
}

/// `POST /v1/campaigns/{id}`: partial update. `status` is refused with
/// `use_status_action`; `budget` is sent whole; `description`, `end_time`
/// and `targeting` accept `null` to clear.
pub fn update_campaign<D: Database>(
    ctx: &Ctx<'_, D>,
    id: &str,
    body: &[u8],
) -> Result<Response, ApiError> {
    let request: UpdateCampaignRequest = parse_json(body)?;
    if request.status.is_some() {
        return Err(use_status_action());
    }
    if request.review_status.is_some() {
        return Err(ApiError::invalid_value(
            "review_status",
            "review_status is read-only: it is set by review.",
        ));
    }
    let campaign = transaction(ctx.db, || {
        let mut campaign = load(ctx, id)?;
        if campaign.status == Status::Archived {
            return Err(archived(id));
        }
        if let Some(name) = &request.name {
            fields::text("name", name, NAME_MIN, NAME_MAX)?;
            campaign.name = name.clone();
        }
        if let Some(description) = &request.description {
            check_description(description.as_deref())?;
            campaign.description = description.clone();
        }
        if let Some(start_time) = request.start_time {
            campaign.start_time = UnixSeconds::new(start_time);
        }
        if let Some(end_time) = request.end_time {
            campaign.end_time = end_time.map(UnixSeconds::new);
        }
        if request.start_time.is_some() || request.end_time.is_some() {
            check_schedule(campaign.start_time, campaign.end_time)?;
        }
        if let Some(budget) = &request.budget {
            let limit = Micros::new(budget.lifetime_spend_limit_micros);
            check_budget(limit, campaign.spent)?;
            campaign.lifetime_spend_limit = limit;
        }
        if let Some(frequency) = request.recurring_frequency {
            campaign.recurring_frequency = frequency;
        }
        if let Some(model) = request.pricing_model {
            campaign.pricing_model = model;
        }
        if let Some(targeting) = &request.targeting {
            campaign.countries = targeting::normalize(&targeting.clone().unwrap_or_default(), "")?;
        }
        campaign.updated_at = ctx.now;
        store::update_campaign(ctx.db, ctx.caller.organization_id, &campaign)?;
        Ok::<_, ApiError>(campaign)
    })?;
    respond(200, &campaign.resource())
}

/// Refuses a change to an ad group or ad of an archived campaign
/// (`campaign_archived`): archiving is final for the campaign's whole tree.
/// Pausing stays allowed (it changes nothing that could serve).
pub fn check_not_archived<D: Database>(
    ctx: &Ctx<'_, D>,
    campaign_id: CampaignId,
) -> Result<(), ApiError> {
    match store::find::<Campaign>(ctx.db, ctx.caller.organization_id, campaign_id)? {
        Some(campaign) => ensure_open(&campaign),
        None => Ok(()),
    }
}

/// [`check_not_archived`] for a campaign already loaded.
pub fn ensure_open(campaign: &Campaign) -> Result<(), ApiError> {
    if campaign.status == Status::Archived {
        return Err(archived(&campaign.id.to_string()));
    }
    Ok(())
}

fn archived(id: &str) -> ApiError {
    ApiError::invalid_request(
        "campaign_archived",
        format!("Campaign '{id}' is archived; archiving is final."),
    )
}

/// `POST /v1/campaigns/{id}/activate|pause|archive`
pub fn set_campaign_status<D: Database>(
    ctx: &Ctx<'_, D>,
    id: &str,
    status: Status,
) -> Result<Response, ApiError> {
    let campaign = transaction(ctx.db, || {
        let mut campaign = load(ctx, id)?;
        if campaign.status == Status::Archived && status != Status::Archived {
            return Err(archived(id));
        }
        if status == Status::Active {
            match campaign.review_status {
                ReviewStatus::Approved => {}
                ReviewStatus::InReview => {
                    return Err(ApiError::invalid_request(
                        "campaign_not_approved",
                        "This campaign is still in review; it can be activated once it is approved.",
                    ));
                }
                ReviewStatus::Rejected => {
                    return Err(ApiError::invalid_request(
                        "campaign_not_approved",
                        "This campaign was rejected in review and cannot be activated.",
                    ));
                }
            }
        }
        if campaign.status != status {
            campaign.status = status;
            campaign.updated_at = ctx.now;
            store::update_campaign(ctx.db, ctx.caller.organization_id, &campaign)?;
        }
        Ok::<_, ApiError>(campaign)
    })?;
    respond(200, &campaign.resource())
}

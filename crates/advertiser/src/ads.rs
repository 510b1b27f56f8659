//! Ads: `GET/POST /v1/ads`, `GET/POST /v1/ads/{id}` and the lifecycle
//! actions. An ad's `review_status` is its campaign's.

use adspin_core::objects;
use serde::Deserialize;

use adspin_core::body::parse_json;
use adspin_core::db::{Database, transaction};
use adspin_core::ids::{AdGroupId, AdId, CampaignId};
use adspin_core::pagination::{PageRequest, RESOURCE_MAX_LIMIT};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Query, Response};

use super::ApiError;
use super::campaigns;
use super::context::{Ctx, list_error, respond};
use adspin_core::catalog::creative::{self, CreativeInput};
use adspin_core::catalog::fields::{self, ReviewStatus, Status, at};
use adspin_core::catalog::store::{self, Ad, AdGroup, Campaign};

pub const NAME_MIN: usize = 3;
pub const NAME_MAX: usize = 100;

/// An ad in a create request (nested in an ad group, or alone with its
/// `ad_group_id`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdInput {
    #[serde(default)]
    pub ad_group_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: Option<Status>,
    #[serde(deserialize_with = "objects::object")]
    pub creative: CreativeInput,
    #[serde(default)]
    pub auto_generate: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateAdRequest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    status: Option<Status>,
    #[serde(default, deserialize_with = "objects::optional_object")]
    creative: Option<CreativeInput>,
}

/// Validates an ad of the given group. `prefix` locates it in the body.
pub fn build(
    input: &AdInput,
    campaign_id: CampaignId,
    ad_group_id: AdGroupId,
    review_status: ReviewStatus,
    prefix: &str,
    now: UnixSeconds,
) -> Result<Ad, ApiError> {
    let creative = creative::validate(
        &input.creative,
        input.auto_generate.unwrap_or(false),
        &at(prefix, "creative"),
    )?;
    let name = match &input.name {
        Some(name) => {
            fields::text(&at(prefix, "name"), name, NAME_MIN, NAME_MAX)?;
            name.clone()
        }
        None => creative.default_name(),
    };
    Ok(Ad {
        id: AdId::new_random(),
        ad_group_id,
        campaign_id,
        name,
        status: input.status.unwrap_or(Status::Active).for_child(),
        review_status,
        creative,
        created_at: now,
        updated_at: now,
    })
}

/// Checks that the organization owns the image an ad uses.
pub fn check_upload<D: Database>(ctx: &Ctx<'_, D>, ad: &Ad, prefix: &str) -> Result<(), ApiError> {
    if let Some(file_id) = ad.creative.file_id()
        && !store::owns_upload(ctx.db, ctx.caller.organization_id, file_id)?
    {
        return Err(ApiError::invalid_value(
            at(prefix, "creative.file_id"),
            format!("No uploaded file found with file_id '{file_id}'."),
        ));
    }
    Ok(())
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found("ad", id)
}

fn load<D: Database>(ctx: &Ctx<'_, D>, id: &str) -> Result<Ad, ApiError> {
    let parsed = AdId::parse(id).ok_or_else(|| not_found(id))?;
    store::find::<Ad>(ctx.db, ctx.caller.organization_id, parsed)?.ok_or_else(|| not_found(id))
}

/// `GET /v1/ads?ad_group_id=`
pub fn list_ads<D: Database>(ctx: &Ctx<'_, D>, query: &Query) -> Result<Response, ApiError> {
    let Some(ad_group_id) = query.get("ad_group_id") else {
        return Err(ApiError::invalid_request(
            "missing_required_parameter",
            "ad_group_id is required: ads are listed per ad group.",
        )
        .with_param("ad_group_id"));
    };
    let page = PageRequest::from_query(query, RESOURCE_MAX_LIMIT)?;
    let missing = || ApiError::not_found("ad group", ad_group_id).with_param("ad_group_id");
    let group_id = AdGroupId::parse(ad_group_id).ok_or_else(missing)?;
    store::find::<AdGroup>(ctx.db, ctx.caller.organization_id, group_id)?.ok_or_else(missing)?;
    let ads = store::list::<Ad>(ctx.db, group_id, &page).map_err(|e| list_error(&page, e))?;
    let list = page.into_list(ads, |ad| ad.id.to_string());
    respond(200, &list.render(|ad| ad.resource(&ctx.files_base_url)))
}

/// `GET /v1/ads/{id}`
pub fn find_ad<D: Database>(ctx: &Ctx<'_, D>, id: &str) -> Result<Response, ApiError> {
    let ad = load(ctx, id)?;
    respond(200, &ad.resource(&ctx.files_base_url))
}

/// `POST /v1/ads`
pub fn create_ad<D: Database>(ctx: &Ctx<'_, D>, body: &[u8]) -> Result<Response, ApiError> {
    let input: AdInput = parse_json(body)?;
    let Some(ad_group_id) = input.ad_group_id.as_deref() else {
        return Err(ApiError::invalid_request(
            "missing_required_parameter",
            "ad_group_id is required.",
        )
        .with_param("ad_group_id"));
    };
    let missing = || ApiError::not_found("ad group", ad_group_id).with_param("ad_group_id");
    let group_id = AdGroupId::parse(ad_group_id).ok_or_else(missing)?;
    let group = store::find::<AdGroup>(ctx.db, ctx.caller.organization_id, group_id)?
        .ok_or_else(missing)?;
    let campaign = store::find::<Campaign>(ctx.db, ctx.caller.organization_id, group.campaign_id)?
        .ok_or_else(missing)?;
    campaigns::ensure_open(&campaign)?;
    // A new ad is reviewed with its campaign: an approved campaign goes
    // back to review rather than serve an ad nobody looked at.
    let ad = build(
        &input,
        campaign.id,
        group.id,
        ReviewStatus::InReview,
        "",
        ctx.now,
    )?;
    check_upload(ctx, &ad, "")?;
    transaction(ctx.db, || {
        if !store::claim_creative_type(ctx.db, group.id, ad.creative.kind(), ctx.now)? {
            return Err(type_mismatch(
                "creative.type",
                group.creative_type.map(|t| t.as_str()),
            ));
        }
        store::insert_ad(ctx.db, ctx.caller.organization_id, &ad)?;
        store::request_review(ctx.db, ctx.caller.organization_id, campaign.id, ctx.now)?;
        Ok(())
    })?;
    respond(201, &ad.resource(&ctx.files_base_url))
}

/// The error for an ad whose creative type differs from its group's.
pub fn type_mismatch(param: &str, group_type: Option<&str>) -> ApiError {
    ApiError::invalid_value(
        param,
        format!(
            "All ads of an ad group share one creative type; this ad group's is {}.",
            group_type.unwrap_or("another type")
        ),
    )
}

/// `POST /v1/ads/{id}`: name, status (archived reads back paused) and the
/// whole creative, whose type must stay the ad group's.
pub fn update_ad<D: Database>(
    ctx: &Ctx<'_, D>,
    id: &str,
    body: &[u8],
) -> Result<Response, ApiError> {
    let request: UpdateAdRequest = parse_json(body)?;
    let ad = transaction(ctx.db, || {
        let mut ad = load(ctx, id)?;
        campaigns::check_not_archived(ctx, ad.campaign_id)?;
        if let Some(name) = &request.name {
            fields::text("name", name, NAME_MIN, NAME_MAX)?;
            ad.name = name.clone();
        }
        if let Some(status) = request.status {
            ad.status = status.for_child();
        }
        if let Some(input) = &request.creative {
            let creative = creative::validate(input, false, "creative")?;
            if creative.kind() != ad.creative.kind() {
                return Err(type_mismatch(
                    "creative.type",
                    Some(ad.creative.kind().as_str()),
                ));
            }
            if creative != ad.creative {
                // What was reviewed is no longer what the ad shows (its
                // landing page, image or text): review it again before it
                // serves.
                ad.creative = creative;
                check_upload(ctx, &ad, "")?;
                store::request_review(ctx.db, ctx.caller.organization_id, ad.campaign_id, ctx.now)?;
                ad.review_status = ReviewStatus::InReview;
            }
        }
        ad.updated_at = ctx.now;
        store::update_ad(ctx.db, ctx.caller.organization_id, &ad)?;
        Ok::<_, ApiError>(ad)
    })?;
    respond(200, &ad.resource(&ctx.files_base_url))
}

/// `POST /v1/ads/{id}/activate|pause|archive`
pub fn set_ad_status<D: Database>(
    ctx: &Ctx<'_, D>,
    id: &str,
    status: Status,
) -> Result<Response, ApiError> {
    let status = status.for_child();
    let ad = transaction(ctx.db, || {
        let mut ad = load(ctx, id)?;
        if status == Status::Active {
            campaigns::check_not_archived(ctx, ad.campaign_id)?;
        }
        if ad.status != status {
            ad.status = status;
            ad.updated_at = ctx.now;
            store::update_ad(ctx.db, ctx.caller.organization_id, &ad)?;
        }
        Ok::<_, ApiError>(ad)
    })?;
    respond(200, &ad.resource(&ctx.files_base_url))
}

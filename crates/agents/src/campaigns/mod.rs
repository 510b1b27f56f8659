//! Campaigns: `POST/GET /campaigns`, `GET/PATCH/DELETE /campaigns/{id}`
//! and `POST /campaigns/{id}/launch`; their ad sets ([`ad_sets`]) and ads
//! ([`ads`]).
//!
//! An agents API campaign is a campaign of the shared tree (the row `/v1`
//! serves and the internal DSP bids with) plus the fields only this
//! surface shows ([`store`]). Its lifecycle is `draft` → `active` ⇄
//! `paused` → `completed`: a draft is built up (ad sets, ads) without
//! serving; launching it puts it into the auction of every platform it
//! names, subject to operator review as any `/v1` campaign; it is
//! `completed` once its end date has passed or its budget is spent.

pub mod ad_sets;
pub mod ads;
pub mod model;
pub mod store;

use serde::Deserialize;
use serde_json::{Value, json};

use adspin_core::body::parse_json;
use adspin_core::catalog::fields::{self, PricingModel, RecurringFrequency, ReviewStatus, Status};
use adspin_core::catalog::store as catalog;
use adspin_core::db::{Database, transaction};
use adspin_core::ids::CampaignId;
use adspin_core::money::Micros;
use adspin_core::outbound::HttpClient;
use adspin_core::sql_text_enum;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Query, Response, json_response, no_content};

use crate::AgentsError;
use crate::auth::Caller;
use crate::events;
use crate::pages::PageRequest;
use crate::platforms::launch as meta_launch;
use crate::platforms::meta::MetaConfig;
use crate::scopes::Scope;
use crate::store as account_store;
use crate::text;
use model::{BudgetRequest, Objective, Platform, Schedule, ScheduleRequest};
use store::{Campaign, CampaignFields, Details, Totals};

/// Longest campaign, ad set and ad name, in characters.
pub const MAX_NAME_LENGTH: usize = 200;
/// Longest free-text field (product description, message, ...).
pub const MAX_TEXT_LENGTH: usize = 2_000;

/// Where a campaign is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignStatus {
    Draft,
    Active,
    Paused,
    Completed,
}

sql_text_enum!(CampaignStatus);

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Completed => "completed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "draft" => Some(Self::Draft),
            "active" => Some(Self::Active),
            "paused" => Some(Self::Paused),
            "completed" => Some(Self::Completed),
            _ => None,
        }
    }
}

impl Campaign {
    /// The status as of `now`: an active or paused campaign past its end
    /// date, or without budget for one more impression, is completed.
    pub fn status_at(&self, now: UnixSeconds) -> CampaignStatus {
        let ended = self.schedule.end_time().is_some_and(|end| end <= now);
        let one_impression = self.objective.chat_bid().cpm_to_impression_cost();
        let spent = self.launched_at.is_some()
            && self.spend_limit.get() - self.spent.get() < one_impression.get().max(1);
        match self.status {
            CampaignStatus::Active | CampaignStatus::Paused if ended || spent => {
                CampaignStatus::Completed
            }
            status => status,
        }
    }
}

/// A campaign request: every documented field, in every documented form.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignRequest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    objective: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    platforms: Option<Vec<String>>,
    #[serde(default)]
    daily_budget: Option<f64>,
    #[serde(default, deserialize_with = "adspin_core::body::object")]
    budget: Option<BudgetRequest>,
    #[serde(default, deserialize_with = "adspin_core::body::object")]
    schedule: Option<ScheduleRequest>,
    #[serde(default, deserialize_with = "adspin_core::body::object")]
    optimization: Option<OptimizationRequest>,
    #[serde(default, deserialize_with = "fields::nullable")]
    product_description: Option<Option<String>>,
    #[serde(default, deserialize_with = "fields::nullable")]
    message: Option<Option<String>>,
    #[serde(default, deserialize_with = "fields::nullable")]
    target_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "fields::nullable")]
    audience_description: Option<Option<String>>,
    #[serde(default, deserialize_with = "fields::nullable")]
    target_location: Option<Option<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OptimizationRequest {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    strategy: Option<String>,
    #[serde(default)]
    frequency: Option<String>,
}

const STRATEGIES: [&str; 4] = [
    "maximize_conversions",
    "maximize_clicks",
    "maximize_reach",
    "lowest_cost",
];
const FREQUENCIES: [&str; 3] = ["hourly", "daily", "weekly"];

fn optimization(request: &OptimizationRequest, current: &Value) -> Result<Value, AgentsError> {
    let pick =
        |field: &str, given: &Option<String>, allowed: &[&str]| -> Result<Value, AgentsError> {
            match given {
                Some(value) => {
                    let value = value.trim().to_ascii_lowercase();
                    if allowed.contains(&value.as_str()) {
                        Ok(Value::String(value))
                    } else {
                        Err(AgentsError::validation(
                            &format!("optimization.{field}"),
                            format!("optimization.{field} is one of {}.", allowed.join(", ")),
                        ))
                    }
                }
                None => Ok(current.get(field).cloned().unwrap_or(Value::Null)),
            }
        };
    Ok(json!({
        "enabled": request.enabled.or_else(|| current["enabled"].as_bool()).unwrap_or(false),
        "strategy": pick("strategy", &request.strategy, &STRATEGIES)?,
        "frequency": pick("frequency", &request.frequency, &FREQUENCIES)?,
    }))
}

fn checked_platforms(given: &[String]) -> Result<Vec<String>, AgentsError> {
    let mut result: Vec<String> = Vec::new();
    for name in given {
        let platform = Platform::parse(name).ok_or_else(|| {
            AgentsError::validation("platforms", "platforms are chat, facebook and instagram.")
        })?;
        let name = platform.as_str().to_string();
        if !result.contains(&name) {
            result.push(name);
        }
    }
    if result.is_empty() {
        return Err(AgentsError::validation(
            "platforms",
            "platforms names at least one platform.",
        ));
    }
    Ok(result)
}

/// The free-text fields, the request's over `current`'s.
fn details(request: &CampaignRequest, current: &Details) -> Result<Details, AgentsError> {
    let pick = |field: &str,
                given: &Option<Option<String>>,
                stored: &Option<String>|
     -> Result<Option<String>, AgentsError> {
        match given {
            None => Ok(stored.clone()),
            Some(None) => Ok(None),
            Some(Some(value)) if value.trim().is_empty() => Ok(None),
            Some(Some(value)) => Ok(Some(
                text::checked(field, value, MAX_TEXT_LENGTH)?.to_string(),
            )),
        }
    };
    let details = Details {
        product_description: pick(
            "product_description",
            &request.product_description,
            &current.product_description,
        )?,
        message: pick("message", &request.message, &current.message)?,
        target_url: pick("target_url", &request.target_url, &current.target_url)?,
        audience_description: pick(
            "audience_description",
            &request.audience_description,
            &current.audience_description,
        )?,
        target_location: pick(
            "target_location",
            &request.target_location,
            &current.target_location,
        )?,
    };
    if let Some(url) = &details.target_url {
        fields::url("target_url", url).map_err(|_| {
            AgentsError::validation("target_url", "target_url must be an http or https URL.")
        })?;
    }
    Ok(details)
}

/// The campaign object, with its delivery metrics.
pub fn view(campaign: &Campaign, totals: &Totals, now: UnixSeconds) -> Value {
    let budget = campaign.budget;
    json!({
        "id": campaign.id,
        "name": campaign.name,
        "objective": campaign.objective.as_str(),
        "status": campaign.status_at(now).as_str(),
        "review_status": campaign.review_status,
        "platforms": campaign.platforms,
        "budget": budget.view(),
        "daily_budget": (budget.kind == model::BudgetType::Daily).then(|| budget.amount.to_dollars()),
        "schedule": campaign.schedule.view(),
        "optimization": campaign.optimization,
        "product_description": campaign.details.product_description,
        "message": campaign.details.message,
        "target_url": campaign.details.target_url,
        "audience_description": campaign.details.audience_description,
        "target_location": campaign.details.target_location,
        "facebook_campaign_id": campaign.facebook_campaign_id,
        "metrics": metrics(totals),
        "launched_at": campaign.launched_at.map(UnixSeconds::to_iso8601_numeric_offset),
        "created_at": campaign.created_at.to_iso8601_numeric_offset(),
        "updated_at": campaign.updated_at.to_iso8601_numeric_offset(),
    })
}

/// Delivery metrics as this surface shows them: `ctr` is a percentage
/// (2.83 for 2.83%), money in dollars.
pub fn metrics(totals: &Totals) -> Value {
    // `numerator / denominator` to `places` decimals; none without a denominator.
    let ratio = |numerator: f64, denominator: f64, places: i32| {
        let scale = 10_f64.powi(places);
        (denominator > 0.0).then(|| (numerator / denominator * scale).round() / scale)
    };
    let spend = totals.spend.to_dollars();
    json!({
        "impressions": totals.impressions,
        "clicks": totals.clicks,
        "ctr": ratio(totals.clicks as f64 * 100.0, totals.impressions as f64, 2).unwrap_or(0.0),
        "conversions": totals.conversions,
        "spend": spend,
        "cpc": ratio(spend, totals.clicks as f64, 4),
        "roas": ratio(totals.conversion_value.to_dollars(), spend, 2),
    })
}

/// `404 not_found` (another account's id reads the same).
fn campaign_not_found() -> AgentsError {
    AgentsError::new(404, "not_found", "No campaign has this id.")
}

/// A campaign id from a path: `5`, or `camp_5` as the specification's
/// examples write ids.
pub fn parse_id(text: &str, prefix: &str) -> Option<i64> {
    let digits = text.strip_prefix(prefix).unwrap_or(text);
    digits
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0 && !digits.starts_with('+'))
}

/// The caller's campaign `id`.
pub fn owned(db: &impl Database, caller: &Caller, id: &str) -> Result<Campaign, AgentsError> {
    let id = parse_id(id, "camp_").ok_or_else(campaign_not_found)?;
    store::find_campaign(db, caller.organization_id(), caller.mode(), id)?
        .ok_or_else(campaign_not_found)
}

/// `POST /campaigns`: `201` with a `draft`.
pub fn create(
    db: &impl Database,
    caller: &Caller,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsWrite)?;
    caller.require_verified()?;
    let request: CampaignRequest = parse_json(body)?;
    let organization = caller.organization_id();
    if account_store::find_business(db, organization)?.is_none() {
        return Err(AgentsError::new(
            409,
            "business_required",
            "Create the business profile first: POST /account/business.",
        ));
    }
    let name = text::checked(
        "name",
        request.name.as_deref().unwrap_or_default(),
        MAX_NAME_LENGTH,
    )?;
    let objective = match &request.objective {
        Some(text) => Objective::parse(text).ok_or_else(invalid_objective)?,
        None => {
            return Err(AgentsError::validation(
                "objective",
                "objective is required.",
            ));
        }
    };
    if request.status.is_some() {
        return Err(AgentsError::validation(
            "status",
            "A campaign starts as a draft; launch it with POST /campaigns/{id}/launch.",
        ));
    }
    let budget =
        model::budget(request.daily_budget, request.budget.as_ref(), None)?.ok_or_else(|| {
            AgentsError::validation("budget", "Give daily_budget or budget {type, amount}.")
        })?;
    let schedule = match &request.schedule {
        Some(schedule) => Schedule::parse(schedule)?,
        None => Schedule::default(),
    };
    let platforms = checked_platforms(
        request
            .platforms
            .as_deref()
            .unwrap_or(&[Platform::Chat.as_str().to_string()]),
    )?;
    let optimization = match &request.optimization {
        Some(given) => optimization(given, &Value::Null)?,
        None => optimization(
            &OptimizationRequest {
                enabled: None,
                strategy: None,
                frequency: None,
            },
            &Value::Null,
        )?,
    };
    let details = details(&request, &Details::default())?;
    let fields = CampaignFields {
        objective,
        status: CampaignStatus::Draft,
        platforms: &platforms,
        budget,
        schedule,
        optimization: &optimization,
        details: &details,
    };
    let campaign = transaction(db, || {
        check_plan_limit(db, caller)?;
        let shared = catalog::Campaign {
            id: CampaignId::new_random(),
            name: name.to_string(),
            description: details.product_description.clone(),
            status: Status::Paused,
            review_status: ReviewStatus::InReview,
            start_time: schedule.start_time(now),
            end_time: schedule.end_time(),
            lifetime_spend_limit: model::spend_limit(budget, schedule, now),
            spent: Micros::ZERO,
            recurring_frequency: RecurringFrequency::Monthly,
            pricing_model: PricingModel::Cpm,
            countries: Vec::new(),
            created_at: now,
            updated_at: now,
        };
        catalog::insert_campaign(db, organization, &shared)?;
        store::set_daily_budget(db, shared.id, budget)?;
        if caller.mode() == account_store::Mode::Test {
            store::mark_sandbox(db, shared.id)?;
        }
        let id = store::insert_campaign(db, organization, caller.mode(), shared.id, &fields, now)?;
        let campaign = store::find_campaign(db, organization, caller.mode(), id)?
            .ok_or_else(|| AgentsError::internal_because("a campaign just written is missing"))?;
        events::emit(
            db,
            organization,
            caller.mode(),
            "campaign.created",
            &json!({"campaign_id": id, "name": campaign.name, "status": "draft"}),
            now,
        )?;
        Ok::<_, AgentsError>(campaign)
    })?;
    Ok(json_response(
        201,
        &view(&campaign, &Totals::default(), now),
    ))
}

fn invalid_objective() -> AgentsError {
    AgentsError::validation(
        "objective",
        "objective is one of conversions, traffic, awareness, engagement, leads, app_installs.",
    )
}

/// `403 plan_limit_reached` when the account holds as many campaigns as
/// its plan allows.
fn check_plan_limit(db: &impl Database, caller: &Caller) -> Result<(), AgentsError> {
    let Some(limit) = caller.plan.campaigns else {
        return Ok(());
    };
    let held = store::count_campaigns(db, caller.organization_id(), caller.mode())?;
    if held >= i64::from(limit) {
        return Err(AgentsError::new(
            403,
            "plan_limit_reached",
            format!(
                "The {} plan allows {limit} campaigns; delete one or upgrade with POST /billing/subscribe.",
                caller.plan.name
            ),
        )
        .with_details(json!({"limit": limit, "plan": caller.plan.name, "resource": "campaigns"})));
    }
    Ok(())
}

/// `GET /campaigns`: cursor pages, newest first.
pub fn list(
    db: &impl Database,
    caller: &Caller,
    query: &Query,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsRead)?;
    let page = PageRequest::from_query(query)?;
    let organization = caller.organization_id();
    let rows = store::list_campaigns(db, organization, caller.mode(), &page)?;
    let total = store::count_campaigns(db, organization, caller.mode())?;
    let shown: Vec<CampaignId> = rows
        .iter()
        .take(page.limit as usize)
        .map(|c| c.campaign_id)
        .collect();
    let totals = store::totals_of(db, organization, &shown)?;
    let totals_of = |campaign: &Campaign| {
        totals
            .iter()
            .find(|(id, _)| *id == campaign.campaign_id)
            .map(|(_, totals)| *totals)
            .unwrap_or_default()
    };
    Ok(json_response(
        200,
        &page.page(rows, total, |c| c.id, |c| view(c, &totals_of(c), now)),
    ))
}

/// `GET /campaigns/{id}`.
pub fn read(
    db: &impl Database,
    caller: &Caller,
    id: &str,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsRead)?;
    let campaign = owned(db, caller, id)?;
    let totals = store::totals(db, caller.organization_id(), campaign.campaign_id)?;
    Ok(json_response(200, &view(&campaign, &totals, now)))
}

/// `PATCH /campaigns/{id}`: changes the fields given. `status` pauses a
/// launched campaign or resumes it; a draft is launched with
/// `POST /campaigns/{id}/launch`, and a completed campaign no longer
/// changes status.
pub async fn update<H: HttpClient>(
    db: &impl Database,
    platforms: &Platforms<'_, H>,
    caller: &Caller,
    id: &str,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsWrite)?;
    caller.require_verified()?;
    let request: CampaignRequest = parse_json(body)?;
    let organization = caller.organization_id();
    propagate_update(db, platforms, caller, id, &request, now).await?;
    let campaign = transaction(db, || {
        let current = owned(db, caller, id)?;
        let name = match &request.name {
            Some(name) => text::checked("name", name, MAX_NAME_LENGTH)?.to_string(),
            None => current.name.clone(),
        };
        let objective = match &request.objective {
            Some(text) => Objective::parse(text).ok_or_else(invalid_objective)?,
            None => current.objective,
        };
        let status = match &request.status {
            None => current.status,
            Some(text) => {
                let wanted = CampaignStatus::parse(text).ok_or_else(|| {
                    AgentsError::validation("status", "status is active or paused.")
                })?;
                transition(&current, wanted, now)?
            }
        };
        let budget = model::budget(
            request.daily_budget,
            request.budget.as_ref(),
            Some(current.budget),
        )?
        .unwrap_or(current.budget);
        let schedule = match &request.schedule {
            Some(schedule) => Schedule::parse(schedule)?,
            None => current.schedule,
        };
        let platforms = match &request.platforms {
            Some(given) => checked_platforms(given)?,
            None => current.platforms.clone(),
        };
        let optimization = match &request.optimization {
            Some(given) => optimization(given, &current.optimization)?,
            None => current.optimization.clone(),
        };
        let details = details(&request, &current.details)?;
        let fields = CampaignFields {
            objective,
            status,
            platforms: &platforms,
            budget,
            schedule,
            optimization: &optimization,
            details: &details,
        };
        store::update_campaign(db, current.id, &fields, now)?;
        update_shared(db, caller, &current, &name, &fields, now)?;
        if details.product_description != current.details.product_description {
            ad_sets::reindex_campaign(
                db,
                caller,
                current.id,
                details.product_description.as_deref(),
            )?;
        }
        if status != current.status && status == CampaignStatus::Paused {
            events::emit(
                db,
                organization,
                caller.mode(),
                "campaign.paused",
                &json!({"campaign_id": current.id, "name": name}),
                now,
            )?;
        }
        let updated = store::find_campaign(db, organization, caller.mode(), current.id)?
            .ok_or_else(campaign_not_found)?;
        Ok::<_, AgentsError>(updated)
    })?;
    let totals = store::totals(db, organization, campaign.campaign_id)?;
    Ok(json_response(200, &view(&campaign, &totals, now)))
}

/// Sends a `PATCH`'s status and budget changes to Meta first, for a
/// campaign launched there: if Meta refuses, nothing changes here.
async fn propagate_update<H: HttpClient>(
    db: &impl Database,
    platforms: &Platforms<'_, H>,
    caller: &Caller,
    id: &str,
    request: &CampaignRequest,
    now: UnixSeconds,
) -> Result<(), AgentsError> {
    let current = owned(db, caller, id)?;
    let Some(remote) = &current.facebook_campaign_id else {
        return Ok(());
    };
    let status = match &request.status {
        Some(text) => CampaignStatus::parse(text)
            .map(|wanted| transition(&current, wanted, now))
            .transpose()?,
        None => None,
    }
    .filter(|status| *status != current.status);
    let budget = model::budget(
        request.daily_budget,
        request.budget.as_ref(),
        Some(current.budget),
    )?
    .filter(|budget| *budget != current.budget);
    if status.is_none() && budget.is_none() {
        return Ok(());
    }
    let Some(account) = meta_launch::account_for(
        db,
        caller,
        &current.platforms,
        platforms.meta,
        platforms.secret,
    )?
    else {
        return Ok(());
    };
    if let Some(budget) = budget {
        meta_launch::set_budget(
            platforms.http,
            &account,
            remote,
            budget.kind,
            budget.amount.get(),
        )
        .await?;
    }
    if let Some(status) = status {
        meta_launch::set_status(
            platforms.http,
            &account,
            remote,
            status == CampaignStatus::Active,
        )
        .await?;
    }
    Ok(())
}

/// The status a `PATCH` may move `current` to.
fn transition(
    current: &Campaign,
    wanted: CampaignStatus,
    now: UnixSeconds,
) -> Result<CampaignStatus, AgentsError> {
    let from = current.status_at(now);
    if from == wanted {
        return Ok(current.status);
    }
    match (from, wanted) {
        (CampaignStatus::Active, CampaignStatus::Paused)
        | (CampaignStatus::Paused, CampaignStatus::Active) => Ok(wanted),
        (CampaignStatus::Draft, CampaignStatus::Active) => Err(AgentsError::new(
            409,
            "campaign_not_launched",
            "A draft goes live with POST /campaigns/{id}/launch.",
        )),
        (CampaignStatus::Completed, _) => Err(AgentsError::new(
            409,
            "campaign_completed",
            "This campaign has completed (its end date passed or its budget is spent); extend them to resume it.",
        )),
        _ => Err(AgentsError::new(
            409,
            "invalid_status_transition",
            format!(
                "A {} campaign cannot become {}.",
                from.as_str(),
                wanted.as_str()
            ),
        )),
    }
}

/// Writes what changed to the shared campaign row: name, serving window,
/// spend limit and whether it serves.
fn update_shared(
    db: &impl Database,
    caller: &Caller,
    current: &Campaign,
    name: &str,
    fields: &CampaignFields<'_>,
    now: UnixSeconds,
) -> Result<(), AgentsError> {
    let organization = caller.organization_id();
    let mut shared = catalog::find::<catalog::Campaign>(db, organization, current.campaign_id)?
        .ok_or_else(campaign_not_found)?;
    shared.name = name.to_string();
    shared.description = fields.details.product_description.clone();
    if current.launched_at.is_none() {
        shared.start_time = fields.schedule.start_time(now);
    }
    shared.end_time = fields.schedule.end_time();
    shared.lifetime_spend_limit = model::spend_limit(fields.budget, fields.schedule, now);
    if shared.lifetime_spend_limit < shared.spent {
        return Err(AgentsError::new(
            422,
            "campaign_budget_too_low",
            format!(
                "The campaign has spent ${:.2}; its budget cannot end below that.",
                shared.spent.to_dollars()
            ),
        )
        .with_details(json!({"field": "budget.amount", "spent": shared.spent.to_dollars()})));
    }
    shared.status = serving_status(fields.status, fields.platforms);
    shared.updated_at = now;
    catalog::update_campaign(db, organization, &shared)?;
    store::set_daily_budget(db, shared.id, fields.budget)?;
    Ok(())
}

/// Whether the shared row serves: a launched, active campaign that names
/// the chat network does (a sandbox campaign on staging publisher keys
/// only).
fn serving_status(status: CampaignStatus, platforms: &[String]) -> Status {
    if status == CampaignStatus::Active && platforms.iter().any(|p| p == Platform::Chat.as_str()) {
        Status::Active
    } else {
        Status::Paused
    }
}

/// `DELETE /campaigns/{id}`: `204`; the campaign stops serving and reads
/// as `404` from then on (its spend and insights stay).
pub async fn delete<H: HttpClient>(
    db: &impl Database,
    platforms: &Platforms<'_, H>,
    caller: &Caller,
    id: &str,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsWrite)?;
    caller.require_verified()?;
    let current = owned(db, caller, id)?;
    if let Some(remote) = &current.facebook_campaign_id
        && let Some(account) = meta_launch::account_for(
            db,
            caller,
            &current.platforms,
            platforms.meta,
            platforms.secret,
        )?
    {
        meta_launch::delete(platforms.http, &account, remote).await?;
    }
    transaction(db, || {
        let campaign = owned(db, caller, id)?;
        let organization = caller.organization_id();
        let mut shared =
            catalog::find::<catalog::Campaign>(db, organization, campaign.campaign_id)?
                .ok_or_else(campaign_not_found)?;
        shared.status = Status::Archived;
        shared.updated_at = now;
        catalog::update_campaign(db, organization, &shared)?;
        store::mark_deleted(db, campaign.id, now)?;
        Ok::<_, AgentsError>(())
    })?;
    Ok(no_content())
}

/// Where a launch goes beyond the chat network: the HTTP client, the Meta
/// app (none: the demo connection), and the secret platform tokens are
/// sealed with.
pub struct Platforms<'a, H> {
    pub http: &'a H,
    pub meta: Option<&'a MetaConfig>,
    pub secret: &'a [u8],
}

/// `409` unless a launch may take `campaign` live now. A draft whose end
/// date has passed (a schedule written in the past, as the
/// specification's 2025 examples are now) is refused like a completed
/// campaign rather than launched only to complete at once.
fn check_launchable(campaign: &Campaign, now: UnixSeconds) -> Result<(), AgentsError> {
    if campaign.schedule.end_time().is_some_and(|end| end <= now) {
        return Err(AgentsError::new(
            409,
            "campaign_completed",
            "This campaign's end date has passed; move schedule.end_date with PATCH first.",
        ));
    }
    match campaign.status_at(now) {
        CampaignStatus::Draft | CampaignStatus::Paused => Ok(()),
        CampaignStatus::Active => Err(AgentsError::new(
            409,
            "campaign_already_active",
            "This campaign is already live.",
        )),
        CampaignStatus::Completed => Err(AgentsError::new(
            409,
            "campaign_completed",
            "This campaign has completed; extend its end date or budget first.",
        )),
    }
}

/// `POST /campaigns/{id}/launch`: a draft (or a paused campaign) goes
/// live on every platform it names. It needs at least one active ad; the
/// chat network serves it once an operator approved it; Facebook and
/// Instagram need a connected account, and get the campaign through
/// Meta's Marketing API before anything changes here.
pub async fn launch<H: HttpClient>(
    db: &impl Database,
    platforms: &Platforms<'_, H>,
    caller: &Caller,
    id: &str,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsWrite)?;
    caller.require_verified()?;
    let organization = caller.organization_id();
    let campaign = owned(db, caller, id)?;
    check_launchable(&campaign, now)?;
    if store::active_ads(db, organization, campaign.id)? == 0 {
        return Err(AgentsError::new(
            422,
            "campaign_has_no_ads",
            "Add an ad set with at least one active ad before launching.",
        )
        .with_details(json!({"field": "ad_sets"})));
    }
    let account = meta_launch::account_for(
        db,
        caller,
        &campaign.platforms,
        platforms.meta,
        platforms.secret,
    )?;
    let mut created = None;
    if let Some(account) = &account {
        match &campaign.facebook_campaign_id {
            Some(remote) => meta_launch::set_status(platforms.http, account, remote, true).await?,
            None => {
                let mut tree = Vec::new();
                for ad_set in store::ad_sets(db, organization, campaign.id)? {
                    if ad_set.status != Status::Active {
                        continue;
                    }
                    let ads: Vec<_> = store::ads(db, organization, ad_set.id)?
                        .into_iter()
                        .filter(|ad| ad.status == Status::Active)
                        .collect();
                    if !ads.is_empty() {
                        tree.push((ad_set, ads));
                    }
                }
                created =
                    Some(meta_launch::create(platforms.http, account, &campaign, &tree).await?);
            }
        }
    }
    let campaign = transaction(db, || {
        let campaign = owned(db, caller, id)?;
        check_launchable(&campaign, now)?;
        if let (Some(account), Some(created)) = (&account, &created) {
            store::set_facebook_campaign_id(db, campaign.id, &created.campaign)?;
            meta_launch::record(db, account, created, now)?;
        }
        ad_sets::prepare_for_chat(db, caller, &campaign, now)?;
        store::mark_launched(db, campaign.id, now)?;
        let mut shared =
            catalog::find::<catalog::Campaign>(db, organization, campaign.campaign_id)?
                .ok_or_else(campaign_not_found)?;
        shared.status = serving_status(CampaignStatus::Active, &campaign.platforms);
        shared.countries = ad_sets::countries(db, caller, campaign.id)?;
        shared.updated_at = now;
        catalog::update_campaign(db, organization, &shared)?;
        let launched = store::find_campaign(db, organization, caller.mode(), campaign.id)?
            .ok_or_else(campaign_not_found)?;
        events::emit(
            db,
            organization,
            caller.mode(),
            "campaign.launched",
            &json!({"campaign_id": launched.id, "name": launched.name, "platforms": launched.platforms,
                    "facebook_campaign_id": launched.facebook_campaign_id}),
            now,
        )?;
        Ok::<_, AgentsError>(launched)
    })?;
    let totals = store::totals(db, organization, campaign.campaign_id)?;
    let mut body = view(&campaign, &totals, now);
    let on_chat = campaign
        .platforms
        .iter()
        .any(|p| p == Platform::Chat.as_str());
    body["launch_message"] = json!(match (on_chat, campaign.review_status) {
        (false, _) | (true, ReviewStatus::Approved) => "Campaign launched.",
        _ => "Campaign launched; it serves on the chat network once its review is approved.",
    });
    Ok(json_response(200, &body))
}

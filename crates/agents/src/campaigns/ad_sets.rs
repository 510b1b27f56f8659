//! Ad sets: `POST/GET /campaigns/{id}/ad-sets` and
//! `GET/PATCH/DELETE /campaigns/{id}/ad-sets/{ad_set_id}`.
//!
//! An ad set is an ad group of the shared tree. On the chat network its
//! interests and the campaign's product description become the ad group's
//! context hints, its countries the campaign's geo targeting (the union of
//! its ad sets'), and the campaign's objective its bid. Age ranges have no
//! signal on the chat network; they are kept for the platforms that use
//! them.

use serde::Deserialize;
use serde_json::{Value, json};

use adspin_core::body::parse_json;
use adspin_core::catalog::creative::CreativeType;
use adspin_core::catalog::fields::Status;
use adspin_core::catalog::hints;
use adspin_core::catalog::store as catalog;
use adspin_core::db::{Database, transaction};
use adspin_core::ids::AdGroupId;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Response, json_response, no_content};

use super::model::context_hints;
use super::store::{self, AdSet, Campaign};
use super::{CampaignStatus, MAX_NAME_LENGTH, owned, parse_id};
use crate::AgentsError;
use crate::auth::Caller;
use crate::scopes::Scope;
use crate::text;

/// Most interests an ad set names.
pub const MAX_INTERESTS: usize = 25;
/// Longest interest, in characters.
pub const MAX_INTEREST_LENGTH: usize = 100;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdSetRequest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default, deserialize_with = "adspin_core::body::object")]
    targeting: Option<TargetingRequest>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetingRequest {
    #[serde(default)]
    age_min: Option<u32>,
    #[serde(default)]
    age_max: Option<u32>,
    #[serde(default)]
    locations: Option<Vec<Value>>,
    #[serde(default)]
    interests: Option<Vec<String>>,
}

/// The targeting as stored and shown.
fn targeting(request: &TargetingRequest) -> Result<Value, AgentsError> {
    let age = |field: &str, value: Option<u32>| -> Result<Option<u32>, AgentsError> {
        match value {
            Some(age) if !(13..=65).contains(&age) => Err(AgentsError::validation(
                &format!("targeting.{field}"),
                format!("targeting.{field} is an age from 13 to 65."),
            )),
            other => Ok(other),
        }
    };
    let age_min = age("age_min", request.age_min)?;
    let age_max = age("age_max", request.age_max)?;
    if let (Some(min), Some(max)) = (age_min, age_max)
        && min > max
    {
        return Err(AgentsError::validation(
            "targeting.age_max",
            "targeting.age_max is below targeting.age_min.",
        ));
    }
    let mut locations: Vec<Value> = Vec::new();
    for (index, location) in request.locations.iter().flatten().enumerate() {
        let field = format!("targeting.locations[{index}]");
        // `{"type": "country", "value": "US"}`, or just `"US"`.
        let (kind, value) = match location {
            Value::String(code) => ("country", code.as_str()),
            Value::Object(fields) if fields.len() == 2 => (
                fields
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
                fields
                    .get("value")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            ),
            _ => ("", ""),
        };
        let code = value.trim().to_ascii_uppercase();
        if kind != "country" || code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(AgentsError::validation(
                &field,
                "A location is {\"type\": \"country\", \"value\": \"US\"} (ISO 3166-1 alpha-2).",
            ));
        }
        let location = json!({"type": "country", "value": code});
        if !locations.contains(&location) {
            locations.push(location);
        }
    }
    let mut interests: Vec<String> = Vec::new();
    for interest in request.interests.iter().flatten() {
        let interest = text::checked("targeting.interests", interest, MAX_INTEREST_LENGTH)?;
        if !interests.iter().any(|i| i.eq_ignore_ascii_case(interest)) {
            interests.push(interest.to_string());
        }
    }
    if interests.len() > MAX_INTERESTS {
        return Err(AgentsError::validation(
            "targeting.interests",
            format!("An ad set names at most {MAX_INTERESTS} interests."),
        ));
    }
    Ok(json!({
        "age_min": age_min,
        "age_max": age_max,
        "locations": locations,
        "interests": interests,
    }))
}

fn interests_of(targeting: &Value) -> Vec<String> {
    targeting["interests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i.as_str().map(String::from))
        .collect()
}

pub fn view(ad_set: &AdSet) -> Value {
    json!({
        "id": ad_set.id,
        "campaign_id": ad_set.campaign,
        "name": ad_set.name,
        "status": ad_set.status,
        "targeting": ad_set.targeting,
        "created_at": ad_set.created_at.to_iso8601_numeric_offset(),
        "updated_at": ad_set.updated_at.to_iso8601_numeric_offset(),
    })
}

fn ad_set_not_found() -> AgentsError {
    AgentsError::new(404, "not_found", "No ad set of this campaign has this id.")
}

/// The caller's campaign `campaign` and its ad set `id`.
pub fn owned_ad_set(
    db: &impl Database,
    caller: &Caller,
    campaign: &str,
    id: &str,
) -> Result<(Campaign, AdSet), AgentsError> {
    let campaign = owned(db, caller, campaign)?;
    let id = parse_id(id, "adset_").ok_or_else(ad_set_not_found)?;
    let ad_set = store::find_ad_set(db, caller.organization_id(), campaign.id, id)?
        .ok_or_else(ad_set_not_found)?;
    Ok((campaign, ad_set))
}

/// A completed campaign's tree no longer changes.
pub fn check_editable(campaign: &Campaign, now: UnixSeconds) -> Result<(), AgentsError> {
    if campaign.status_at(now) == CampaignStatus::Completed {
        return Err(AgentsError::new(
            409,
            "campaign_completed",
            "This campaign has completed; its ad sets and ads no longer change.",
        ));
    }
    Ok(())
}

/// `status` of an ad set or an ad: `active` or `paused`, either case.
pub fn status_of(text: &str) -> Result<Status, AgentsError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "active" => Ok(Status::Active),
        "paused" => Ok(Status::Paused),
        _ => Err(AgentsError::validation(
            "status",
            "status is active or paused.",
        )),
    }
}

/// `POST /campaigns/{id}/ad-sets`: `201`.
pub fn create(
    db: &impl Database,
    caller: &Caller,
    campaign: &str,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsWrite)?;
    caller.require_verified()?;
    let request: AdSetRequest = parse_json(body)?;
    let name = text::checked(
        "name",
        request.name.as_deref().unwrap_or_default(),
        MAX_NAME_LENGTH,
    )?;
    let targeting = targeting(
        request
            .targeting
            .as_ref()
            .unwrap_or(&TargetingRequest::default()),
    )?;
    let status = request.status.as_deref().map(status_of).transpose()?;
    let organization = caller.organization_id();
    let ad_set = transaction(db, || {
        let campaign = owned(db, caller, campaign)?;
        check_editable(&campaign, now)?;
        let group = catalog::AdGroup {
            id: AdGroupId::new_random(),
            campaign_id: campaign.campaign_id,
            name: name.to_string(),
            description: None,
            context_hints: context_hints(
                &interests_of(&targeting),
                campaign.details.product_description.as_deref(),
            ),
            status: status.unwrap_or(Status::Active),
            max_bid: Some(campaign.objective.chat_bid()),
            creative_type: Some(CreativeType::ChatCard),
            created_at: now,
            updated_at: now,
        };
        catalog::insert_ad_group(db, organization, &group)?;
        let id = store::insert_ad_set(db, organization, campaign.id, group.id, &targeting, now)?;
        store::find_ad_set(db, organization, campaign.id, id)?
            .ok_or_else(|| AgentsError::internal_because("an ad set just written is missing"))
    })?;
    Ok(json_response(201, &view(&ad_set)))
}

/// `GET /campaigns/{id}/ad-sets`: every ad set, oldest first.
pub fn list(db: &impl Database, caller: &Caller, campaign: &str) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsRead)?;
    let campaign = owned(db, caller, campaign)?;
    let ad_sets = store::ad_sets(db, caller.organization_id(), campaign.id)?;
    let data: Vec<Value> = ad_sets.iter().map(view).collect();
    let total = data.len();
    Ok(json_response(
        200,
        &json!({"data": data, "pagination": {"next_cursor": null, "has_more": false, "total": total}}),
    ))
}

/// `GET /campaigns/{id}/ad-sets/{ad_set_id}`.
pub fn read(
    db: &impl Database,
    caller: &Caller,
    campaign: &str,
    id: &str,
) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsRead)?;
    let (_, ad_set) = owned_ad_set(db, caller, campaign, id)?;
    Ok(json_response(200, &view(&ad_set)))
}

/// `PATCH /campaigns/{id}/ad-sets/{ad_set_id}`: name, status, targeting.
pub fn update(
    db: &impl Database,
    caller: &Caller,
    campaign: &str,
    id: &str,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsWrite)?;
    caller.require_verified()?;
    let request: AdSetRequest = parse_json(body)?;
    let organization = caller.organization_id();
    let ad_set = transaction(db, || {
        let (campaign, current) = owned_ad_set(db, caller, campaign, id)?;
        check_editable(&campaign, now)?;
        let mut group = catalog::find::<catalog::AdGroup>(db, organization, current.ad_group_id)?
            .ok_or_else(ad_set_not_found)?;
        if let Some(name) = &request.name {
            group.name = text::checked("name", name, MAX_NAME_LENGTH)?.to_string();
        }
        if let Some(status) = &request.status {
            group.status = status_of(status)?;
        }
        let targeting = match &request.targeting {
            Some(given) => targeting(given)?,
            None => current.targeting.clone(),
        };
        let hints = context_hints(
            &interests_of(&targeting),
            campaign.details.product_description.as_deref(),
        );
        if hints != group.context_hints {
            hints::index_keywords(db, group.id, &hints)?;
            group.context_hints = hints;
        }
        group.updated_at = now;
        catalog::update_ad_group(db, organization, &group)?;
        store::update_ad_set(db, current.id, &targeting, now)?;
        if campaign.launched_at.is_some() {
            update_countries(db, caller, &campaign, now)?;
        }
        store::find_ad_set(db, organization, campaign.id, current.id)?.ok_or_else(ad_set_not_found)
    })?;
    Ok(json_response(200, &view(&ad_set)))
}

/// `DELETE /campaigns/{id}/ad-sets/{ad_set_id}`: `204`; its ads stop
/// serving with it.
pub fn delete(
    db: &impl Database,
    caller: &Caller,
    campaign: &str,
    id: &str,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsWrite)?;
    caller.require_verified()?;
    let organization = caller.organization_id();
    transaction(db, || {
        let (campaign, ad_set) = owned_ad_set(db, caller, campaign, id)?;
        check_editable(&campaign, now)?;
        let mut group = catalog::find::<catalog::AdGroup>(db, organization, ad_set.ad_group_id)?
            .ok_or_else(ad_set_not_found)?;
        group.status = Status::Paused;
        group.updated_at = now;
        catalog::update_ad_group(db, organization, &group)?;
        store::delete_ad_set(db, ad_set.id, now)?;
        if campaign.launched_at.is_some() {
            update_countries(db, caller, &campaign, now)?;
        }
        Ok::<_, AgentsError>(())
    })?;
    Ok(no_content())
}

/// Re-derives the context hints of every ad set of a campaign after its
/// product description changed.
pub fn reindex_campaign(
    db: &impl Database,
    caller: &Caller,
    campaign: i64,
    product_description: Option<&str>,
) -> Result<(), AgentsError> {
    let organization = caller.organization_id();
    for ad_set in store::ad_sets(db, organization, campaign)? {
        let Some(mut group) =
            catalog::find::<catalog::AdGroup>(db, organization, ad_set.ad_group_id)?
        else {
            continue;
        };
        let hints = context_hints(&interests_of(&ad_set.targeting), product_description);
        if hints != group.context_hints {
            hints::index_keywords(db, group.id, &hints)?;
            group.context_hints = hints;
            catalog::update_ad_group(db, organization, &group)?;
        }
    }
    Ok(())
}

/// Before a launch: every ad group of the campaign bids its objective's
/// CPM.
pub fn prepare_for_chat(
    db: &impl Database,
    caller: &Caller,
    campaign: &Campaign,
    now: UnixSeconds,
) -> Result<(), AgentsError> {
    let organization = caller.organization_id();
    for ad_set in store::ad_sets(db, organization, campaign.id)? {
        let Some(mut group) =
            catalog::find::<catalog::AdGroup>(db, organization, ad_set.ad_group_id)?
        else {
            continue;
        };
        let bid = Some(campaign.objective.chat_bid());
        if group.max_bid != bid {
            group.max_bid = bid;
            group.updated_at = now;
            catalog::update_ad_group(db, organization, &group)?;
        }
    }
    Ok(())
}

/// The countries the campaign's ad sets target, together (none: every
/// country).
pub fn countries(
    db: &impl Database,
    caller: &Caller,
    campaign: i64,
) -> Result<Vec<String>, AgentsError> {
    let mut countries: Vec<String> = Vec::new();
    let ad_sets = store::ad_sets(db, caller.organization_id(), campaign)?;
    for ad_set in &ad_sets {
        let codes: Vec<String> = ad_set.targeting["locations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l["value"].as_str().map(String::from))
            .collect();
        if codes.is_empty() {
            // An ad set without locations runs everywhere.
            return Ok(Vec::new());
        }
        for code in codes {
            if !countries.contains(&code) {
                countries.push(code);
            }
        }
    }
    countries.sort();
    Ok(countries)
}

fn update_countries(
    db: &impl Database,
    caller: &Caller,
    campaign: &Campaign,
    now: UnixSeconds,
) -> Result<(), AgentsError> {
    let organization = caller.organization_id();
    let countries = countries(db, caller, campaign.id)?;
    let Some(mut shared) =
        catalog::find::<catalog::Campaign>(db, organization, campaign.campaign_id)?
    else {
        return Ok(());
    };
    if shared.countries != countries {
        shared.countries = countries;
        shared.updated_at = now;
        catalog::update_campaign(db, organization, &shared)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targeting_is_normalised_and_checked() {
        let request: TargetingRequest = serde_json::from_value(json!({
            "age_min": 25, "age_max": 45,
            "locations": [{"type": "country", "value": "us"}, "DE", "US"],
            "interests": ["remote work", "Remote Work", "startups"]
        }))
        .expect("request");
        assert_eq!(
            targeting(&request).expect("valid"),
            json!({"age_min": 25, "age_max": 45,
                   "locations": [{"type": "country", "value": "US"}, {"type": "country", "value": "DE"}],
                   "interests": ["remote work", "startups"]})
        );
        for bad in [
            json!({"age_min": 12}),
            json!({"age_min": 40, "age_max": 30}),
            json!({"locations": [{"type": "city", "value": "Berlin"}]}),
            json!({"locations": ["USA"]}),
        ] {
            let request: TargetingRequest = serde_json::from_value(bad.clone()).expect("shape");
            assert_eq!(
                targeting(&request).expect_err("refused").status(),
                422,
                "{bad}"
            );
        }
    }
}

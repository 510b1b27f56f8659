//! Ads: `POST/GET /campaigns/{id}/ad-sets/{ad_set_id}/ads` and
//! `GET/PATCH/DELETE /campaigns/{id}/ad-sets/{ad_set_id}/ads/{ad_id}`.
//!
//! An ad is an ad of the shared tree. On the chat network its creative is
//! a chat card: the headline is the card's title (3 to 50 characters), its
//! text the description, or the primary text when there is no description
//! (shortened at a word to 100 characters), the link its target, the call
//! to action its button (`sign_up` → "Sign Up"), and an image uploaded to
//! this platform (`/files/...`) its image; any other image URL is kept for
//! the platforms that fetch it and the card shows as text.

use serde::Deserialize;
use serde_json::{Value, json};

use adspin_core::body::parse_json;
use adspin_core::catalog::creative::{self, Creative};
use adspin_core::catalog::fields::{self, Status};
use adspin_core::catalog::store as catalog;
use adspin_core::db::{Database, transaction};
use adspin_core::ids::AdId;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Response, json_response, no_content};

use super::ad_sets::{check_editable, owned_ad_set, status_of};
use super::model::cta_text;
use super::store::{self, Ad};
use super::{MAX_NAME_LENGTH, parse_id};
use crate::AgentsError;
use crate::auth::Caller;
use crate::scopes::Scope;
use crate::text;

/// Longest headline, primary text and description the API keeps.
const MAX_HEADLINE: usize = 255;
const MAX_PRIMARY_TEXT: usize = 2_000;
const MAX_DESCRIPTION: usize = 255;
/// Longest `generation_id`.
const MAX_GENERATION_ID: usize = 100;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdRequest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default, deserialize_with = "adspin_core::body::object")]
    creative: Option<CreativeRequest>,
    #[serde(default)]
    generation_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreativeRequest {
    #[serde(default)]
    headline: Option<String>,
    #[serde(default)]
    primary_text: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    image_url: Option<String>,
    #[serde(default)]
    call_to_action: Option<String>,
    #[serde(default)]
    link_url: Option<String>,
}

/// The creative as stored and shown (the request's fields over `current`'s).
fn creative_of(request: &CreativeRequest, current: &Value) -> Result<Value, AgentsError> {
    let field = |name: &str, given: &Option<String>, max: usize| -> Result<Value, AgentsError> {
        match given {
            Some(value) if value.trim().is_empty() => Ok(Value::Null),
            Some(value) => Ok(Value::String(
                text::checked(&format!("creative.{name}"), value, max)?.to_string(),
            )),
            None => Ok(current.get(name).cloned().unwrap_or(Value::Null)),
        }
    };
    let creative = json!({
        "headline": field("headline", &request.headline, MAX_HEADLINE)?,
        "primary_text": field("primary_text", &request.primary_text, MAX_PRIMARY_TEXT)?,
        "description": field("description", &request.description, MAX_DESCRIPTION)?,
        "image_url": field("image_url", &request.image_url, fields::MAX_URL_LENGTH)?,
        "call_to_action": field("call_to_action", &request.call_to_action, 40)?
            .as_str()
            .map(|c| Value::String(c.to_ascii_lowercase().replace([' ', '-'], "_")))
            .unwrap_or(Value::Null),
        "link_url": field("link_url", &request.link_url, fields::MAX_URL_LENGTH)?,
    });
    for name in ["headline", "link_url"] {
        if creative[name].is_null() {
            return Err(AgentsError::validation(
                &format!("creative.{name}"),
                format!("creative.{name} is required."),
            ));
        }
    }
    if creative["primary_text"].is_null() && creative["description"].is_null() {
        return Err(AgentsError::validation(
            "creative.primary_text",
            "creative.primary_text (or description) is required.",
        ));
    }
    for name in ["link_url", "image_url"] {
        if let Some(url) = creative[name].as_str() {
            fields::url(name, url).map_err(|_| {
                AgentsError::validation(
                    &format!("creative.{name}"),
                    format!("creative.{name} must be an http or https URL."),
                )
            })?;
        }
    }
    Ok(creative)
}

/// The chat card of a creative; `422` when the headline does not fit one.
fn chat_card(
    db: &impl Database,
    caller: &Caller,
    creative: &Value,
) -> Result<Creative, AgentsError> {
    let text = |name: &str| creative[name].as_str().map(str::trim).unwrap_or_default();
    let title = text("headline");
    let length = title.chars().count();
    if !(creative::TITLE_MIN..=creative::TITLE_MAX).contains(&length) {
        return Err(AgentsError::validation(
            "creative.headline",
            format!(
                "On the chat network a headline is {} to {} characters.",
                creative::TITLE_MIN,
                creative::TITLE_MAX
            ),
        ));
    }
    let body = [text("description"), text("primary_text")]
        .into_iter()
        .find(|t| !t.is_empty() && t.chars().count() <= creative::BODY_MAX)
        .map(String::from)
        .unwrap_or_else(|| shorten(text("primary_text"), creative::BODY_MAX));
    let cta = creative["call_to_action"]
        .as_str()
        .map(cta_text)
        .filter(|c| !c.is_empty() && c.chars().count() <= creative::CTA_MAX);
    let file_id = match creative["image_url"].as_str() {
        Some(url) => uploaded_file(db, caller, url)?,
        None => None,
    };
    Ok(Creative::ChatCard {
        title: title.to_string(),
        body,
        target_url: text("link_url").to_string(),
        file_id,
        cta_text: cta,
    })
}

/// The upload an image URL of this platform names, when the caller owns it.
fn uploaded_file(
    db: &impl Database,
    caller: &Caller,
    url: &str,
) -> Result<Option<String>, AgentsError> {
    let Some((_, file_id)) = url.split_once("/files/") else {
        return Ok(None);
    };
    if !creative::is_file_id(file_id) {
        return Ok(None);
    }
    Ok(catalog::owns_upload(db, caller.organization_id(), file_id)?.then(|| file_id.to_string()))
}

/// `text` cut at a word to at most `max` characters, with an ellipsis.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max - 1).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(space) if space > max / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

pub fn view(ad: &Ad, campaign: i64) -> Value {
    json!({
        "id": ad.id,
        "ad_set_id": ad.ad_set,
        "campaign_id": campaign,
        "name": ad.name,
        "status": ad.status,
        "creative": ad.creative,
        "generation_id": ad.generation_id,
        "created_at": ad.created_at.to_iso8601_numeric_offset(),
        "updated_at": ad.updated_at.to_iso8601_numeric_offset(),
    })
}

fn ad_not_found() -> AgentsError {
    AgentsError::new(404, "not_found", "No ad of this ad set has this id.")
}

fn generation_id(given: &Option<String>) -> Result<Option<String>, AgentsError> {
    given
        .as_deref()
        .map(|id| text::checked("generation_id", id, MAX_GENERATION_ID).map(String::from))
        .transpose()
}

/// `POST /campaigns/{id}/ad-sets/{ad_set_id}/ads`: `201`.
pub fn create(
    db: &impl Database,
    caller: &Caller,
    [campaign, ad_set]: [&str; 2],
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsWrite)?;
    caller.require_verified()?;
    let request: AdRequest = parse_json(body)?;
    let creative = creative_of(
        request
            .creative
            .as_ref()
            .ok_or_else(|| AgentsError::validation("creative", "creative is required."))?,
        &Value::Null,
    )?;
    let status = request.status.as_deref().map(status_of).transpose()?;
    let generation = generation_id(&request.generation_id)?;
    let organization = caller.organization_id();
    let (campaign, ad) = transaction(db, || {
        let (campaign, ad_set) = owned_ad_set(db, caller, campaign, ad_set)?;
        check_editable(&campaign, now)?;
        let card = chat_card(db, caller, &creative)?;
        let name = match &request.name {
            Some(name) => text::checked("name", name, MAX_NAME_LENGTH)?.to_string(),
            None => card.default_name(),
        };
        let shared = catalog::Ad {
            id: AdId::new_random(),
            ad_group_id: ad_set.ad_group_id,
            campaign_id: campaign.campaign_id,
            name,
            status: status.unwrap_or(Status::Active),
            review_status: campaign.review_status,
            creative: card,
            created_at: now,
            updated_at: now,
        };
        catalog::insert_ad(db, organization, &shared)?;
        let id = store::insert_ad(
            db,
            organization,
            ad_set.id,
            shared.id,
            &creative,
            generation.as_deref(),
            now,
        )?;
        let ad = store::find_ad(db, organization, ad_set.id, id)?
            .ok_or_else(|| AgentsError::internal_because("an ad just written is missing"))?;
        Ok::<_, AgentsError>((campaign, ad))
    })?;
    Ok(json_response(201, &view(&ad, campaign.id)))
}

/// `GET /campaigns/{id}/ad-sets/{ad_set_id}/ads`: every ad, oldest first.
pub fn list(
    db: &impl Database,
    caller: &Caller,
    [campaign, ad_set]: [&str; 2],
) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsRead)?;
    let (campaign, ad_set) = owned_ad_set(db, caller, campaign, ad_set)?;
    let ads = store::ads(db, caller.organization_id(), ad_set.id)?;
    let data: Vec<Value> = ads.iter().map(|ad| view(ad, campaign.id)).collect();
    let total = data.len();
    Ok(json_response(
        200,
        &json!({"data": data, "pagination": {"next_cursor": null, "has_more": false, "total": total}}),
    ))
}

fn owned_ad(
    db: &impl Database,
    caller: &Caller,
    [campaign, ad_set, id]: [&str; 3],
) -> Result<(super::store::Campaign, Ad), AgentsError> {
    let (campaign, ad_set) = owned_ad_set(db, caller, campaign, ad_set)?;
    let id = parse_id(id, "ad_").ok_or_else(ad_not_found)?;
    let ad =
        store::find_ad(db, caller.organization_id(), ad_set.id, id)?.ok_or_else(ad_not_found)?;
    Ok((campaign, ad))
}

/// `GET /campaigns/{id}/ad-sets/{ad_set_id}/ads/{ad_id}`.
pub fn read(db: &impl Database, caller: &Caller, ids: [&str; 3]) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsRead)?;
    let (campaign, ad) = owned_ad(db, caller, ids)?;
    Ok(json_response(200, &view(&ad, campaign.id)))
}

/// `PATCH /campaigns/{id}/ad-sets/{ad_set_id}/ads/{ad_id}`: name, status,
/// creative fields.
pub fn update(
    db: &impl Database,
    caller: &Caller,
    ids: [&str; 3],
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsWrite)?;
    caller.require_verified()?;
    let request: AdRequest = parse_json(body)?;
    let organization = caller.organization_id();
    let (campaign, ad) = transaction(db, || {
        let (campaign, current) = owned_ad(db, caller, ids)?;
        check_editable(&campaign, now)?;
        let mut shared = catalog::find::<catalog::Ad>(db, organization, current.ad_id)?
            .ok_or_else(ad_not_found)?;
        let creative = match &request.creative {
            Some(given) => creative_of(given, &current.creative)?,
            None => current.creative.clone(),
        };
        if creative != current.creative {
            shared.creative = chat_card(db, caller, &creative)?;
        }
        if let Some(name) = &request.name {
            shared.name = text::checked("name", name, MAX_NAME_LENGTH)?.to_string();
        }
        if let Some(status) = &request.status {
            shared.status = status_of(status)?;
        }
        if request.generation_id.is_some() {
            return Err(AgentsError::validation(
                "generation_id",
                "generation_id is set when the ad is created.",
            ));
        }
        shared.updated_at = now;
        catalog::update_ad(db, organization, &shared)?;
        store::update_ad(db, current.id, &creative, now)?;
        let ad = store::find_ad(db, organization, current.ad_set, current.id)?
            .ok_or_else(ad_not_found)?;
        Ok::<_, AgentsError>((campaign, ad))
    })?;
    Ok(json_response(200, &view(&ad, campaign.id)))
}

/// `DELETE /campaigns/{id}/ad-sets/{ad_set_id}/ads/{ad_id}`: `204`; the
/// ad stops serving.
pub fn delete(
    db: &impl Database,
    caller: &Caller,
    ids: [&str; 3],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::CampaignsWrite)?;
    caller.require_verified()?;
    let organization = caller.organization_id();
    transaction(db, || {
        let (campaign, ad) = owned_ad(db, caller, ids)?;
        check_editable(&campaign, now)?;
        let mut shared =
            catalog::find::<catalog::Ad>(db, organization, ad.ad_id)?.ok_or_else(ad_not_found)?;
        shared.status = Status::Paused;
        shared.updated_at = now;
        catalog::update_ad(db, organization, &shared)?;
        store::delete_ad(db, ad.id, now)?;
        Ok::<_, AgentsError>(())
    })?;
    Ok(no_content())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_primary_text_is_shortened_at_a_word() {
        let text = "Join 10,000 founders tracking their metrics in real time with dashboards that update themselves every minute of the day";
        let short = shorten(text, 100);
        assert!(short.chars().count() <= 100, "{short}");
        assert!(short.ends_with("of…") || short.ends_with('…'), "{short}");
        assert_eq!(shorten("Short", 100), "Short");
    }

    #[test]
    fn a_creative_needs_a_headline_a_link_and_some_text() {
        let given = CreativeRequest {
            headline: Some("Simplify your books".into()),
            primary_text: Some("Start free today".into()),
            call_to_action: Some("SIGN_UP".into()),
            link_url: Some("https://acme.example/start".into()),
            ..Default::default()
        };
        let creative = creative_of(&given, &Value::Null).expect("valid");
        assert_eq!(creative["call_to_action"], "sign_up");
        for broken in [
            CreativeRequest {
                headline: None,
                ..given.clone()
            },
            CreativeRequest {
                link_url: Some("ftp://x".into()),
                ..given.clone()
            },
            CreativeRequest {
                primary_text: None,
                ..given.clone()
            },
        ] {
            assert_eq!(
                creative_of(&broken, &Value::Null)
                    .expect_err("refused")
                    .status(),
                422
            );
        }
    }
}

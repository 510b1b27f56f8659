//! The business profile: `POST`, `GET` and `PATCH /account/business`. One
//! per account, required before campaigns; creating or changing it needs
//! a verified account. Its name (and website) also name the account's
//! organization, the one `/v1` and the dashboard show.

use serde::Deserialize;
use serde_json::{Value, json};

use adspin_core::body::parse_json;
use adspin_core::catalog::fields;
use adspin_core::db::{Database, transaction};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Response, json_response};

use crate::AgentsError;
use crate::auth::Caller;
use crate::scopes::Scope;
use crate::store::{self, Business, BusinessFields};
use crate::text;

/// Longest business name and industry, in characters.
const MAX_TEXT_LENGTH: usize = 200;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BusinessRequest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "fields::nullable")]
    website: Option<Option<String>>,
    #[serde(default, deserialize_with = "fields::nullable")]
    industry: Option<Option<String>>,
    #[serde(default, deserialize_with = "fields::nullable")]
    country: Option<Option<String>>,
}

fn view(business: &Business) -> Value {
    json!({
        "id": business.id,
        "name": business.name,
        "website": business.website,
        "industry": business.industry,
        "country": business.country,
        "created_at": business.created_at.to_iso8601_numeric_offset(),
        "updated_at": business.updated_at.to_iso8601_numeric_offset(),
    })
}

/// `POST /account/business`: `201`; `409 business_exists` for a second.
pub fn create(
    db: &impl Database,
    caller: &Caller,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::AccountWrite)?;
    caller.require_verified()?;
    let request: BusinessRequest = parse_json(body)?;
    let name = request
        .name
        .as_deref()
        .ok_or_else(|| AgentsError::validation("name", "name is required."))?;
    let fields = checked(name, &request, None)?;
    let business =
        store::insert_business(db, caller.organization_id(), &fields, now).map_err(|error| {
            if error.is_unique_violation() {
                AgentsError::new(
                    409,
                    "business_exists",
                    "This account already has a business. Change it with PATCH /account/business.",
                )
            } else {
                error.into()
            }
        })?;
    let mut body = view(&business);
    body["message"] = json!("Business created successfully.");
    Ok(json_response(201, &body))
}

/// `GET /account/business`: `404 business_not_found` until one is created.
pub fn read(db: &impl Database, caller: &Caller) -> Result<Response, AgentsError> {
    caller.require(Scope::AccountRead)?;
    let business = store::find_business(db, caller.organization_id())?.ok_or_else(missing)?;
    Ok(json_response(200, &view(&business)))
}

/// `PATCH /account/business`: changes the fields given (`null` clears an
/// optional one).
pub fn update(
    db: &impl Database,
    caller: &Caller,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::AccountWrite)?;
    caller.require_verified()?;
    let request: BusinessRequest = parse_json(body)?;
    let organization = caller.organization_id();
    transaction(db, || {
        let current = store::find_business(db, organization)?.ok_or_else(missing)?;
        let name = request.name.as_deref().unwrap_or(&current.name);
        let fields = checked(name, &request, Some(&current))?;
        let business =
            store::update_business(db, organization, &fields, now)?.ok_or_else(missing)?;
        Ok(json_response(200, &view(&business)))
    })
}

fn missing() -> AgentsError {
    AgentsError::new(
        404,
        "business_not_found",
        "This account has no business yet. Create it with POST /account/business.",
    )
}

/// The fields to store: the request's where given, else `current`'s.
fn checked<'a>(
    name: &'a str,
    request: &'a BusinessRequest,
    current: Option<&'a Business>,
) -> Result<BusinessFields<'a>, AgentsError> {
    let name = text::checked("name", name, MAX_TEXT_LENGTH)?;
    let pick = |given: &'a Option<Option<String>>, stored: Option<&'a Option<String>>| match given {
        Some(value) => value.as_deref().map(str::trim).filter(|v| !v.is_empty()),
        None => stored.and_then(|value| value.as_deref()),
    };
    let website = pick(&request.website, current.map(|c| &c.website));
    if let Some(website) = website {
        fields::url("website", website).map_err(|_| {
            AgentsError::validation("website", "website must be an http or https URL.")
        })?;
    }
    let industry = pick(&request.industry, current.map(|c| &c.industry));
    if let Some(industry) = industry {
        text::checked("industry", industry, MAX_TEXT_LENGTH)?;
    }
    let country = pick(&request.country, current.map(|c| &c.country));
    if let Some(country) = country
        && !(country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(AgentsError::validation(
            "country",
            "country must be an ISO 3166-1 alpha-2 code such as US.",
        ));
    }
    Ok(BusinessFields {
        name,
        website,
        industry,
        country,
    })
}

//! AI content: `POST /ai/generate/text`, `POST /ai/generate/image`,
//! `POST /ai/generate/variations`, `GET /ai/generations/{id}` (and
//! `POST /ai/optimize/suggest`, [`suggest`]).
//!
//! Every generation is stored (`agent_generations`) and uses credits of
//! the plan's monthly allowance (one per variation); a request whose
//! credits do not fit in what is left of the month is `403
//! plan_limit_reached`. Copy comes from the configured language model
//! ([`model`]) or, without one, the built-in copywriter ([`copywriter`]);
//! every variation carries a `predicted_ctr` from the
//! platform's delivery ([`ctr`]).

pub mod banner;
pub mod copywriter;
pub mod ctr;
pub mod image_api;
pub mod images;
pub mod limits;
pub mod model;
pub mod store;
pub mod suggest;

use serde::Deserialize;
use serde_json::{Value, json};

use adspin_core::body::parse_json;
use adspin_core::db::Database;
use adspin_core::env::Env;
use adspin_core::settings::UntrustedHost;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Response, json_response};

use crate::AgentsError;
use crate::auth::Caller;
use crate::campaigns::model::Platform;
use crate::scopes::Scope;
use crate::text;
use copywriter::{Brief, Copy, Language, Tone};
use ctr::CtrModel;
use model::TextModel;
use store::{Generation, Kind, NewGeneration, Status};

/// Most variations one request asks for.
pub const MAX_VARIATIONS: u32 = 10;
/// Variations when the request does not say.
pub const DEFAULT_VARIATIONS: u32 = 3;
/// Longest product description or target audience, in characters.
pub const MAX_BRIEF_LENGTH: usize = 1_000;
/// What the built-in copywriter and renderer are called in answers.
pub const BUILTIN_PROVIDER: &str = "builtin";

/// A field of a variation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Headline,
    PrimaryText,
    Description,
}

impl Field {
    pub const ALL: [Self; 3] = [Self::Headline, Self::PrimaryText, Self::Description];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Headline => "headline",
            Self::PrimaryText => "primary_text",
            Self::Description => "description",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|field| field.as_str() == text)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TextRequest {
    #[serde(default)]
    product_description: Option<String>,
    #[serde(default)]
    target_audience: Option<String>,
    #[serde(default)]
    tone: Option<String>,
    #[serde(default)]
    variations: Option<u32>,
    #[serde(default)]
    types: Option<Vec<String>>,
    #[serde(default)]
    platform: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

/// A text request, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyRequest {
    pub brief: Brief,
    pub count: u32,
    pub fields: Vec<Field>,
    pub platform: Platform,
    /// The language's ISO 639-1 code.
    pub language: String,
}

impl CopyRequest {
    /// The request as stored with its generation.
    fn view(&self) -> Value {
        json!({
            "product_description": self.brief.product_description,
            "target_audience": self.brief.target_audience,
            "tone": self.brief.tone.as_str(),
            "language": self.language,
            "variations": self.count,
            "types": self.fields.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
            "platform": self.platform.as_str(),
        })
    }
}

/// The brief's fields shared by every generating endpoint, checked, and
/// the language's code: any ISO 639-1 code for a model, one the built-in
/// copywriter writes otherwise.
fn brief(
    product_description: Option<&str>,
    target_audience: Option<&str>,
    tone: Option<&str>,
    language: Option<&str>,
    model: Option<&TextModel>,
) -> Result<(Brief, String), AgentsError> {
    let product_description = text::checked(
        "product_description",
        product_description.unwrap_or_default(),
        MAX_BRIEF_LENGTH,
    )?;
    let target_audience = text::checked(
        "target_audience",
        target_audience.unwrap_or_default(),
        MAX_BRIEF_LENGTH,
    )?;
    let tone = match tone {
        None => Tone::Professional,
        Some(tone) => Tone::parse(tone).ok_or_else(|| {
            AgentsError::validation("tone", format!("tone is one of {}.", Tone::NAMES))
        })?,
    };
    let code = language.unwrap_or("en").trim().to_ascii_lowercase();
    let base = code
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_string();
    let known = Language::parse(&base);
    let valid = if model.is_some() {
        (2..=3).contains(&base.len()) && base.chars().all(|c| c.is_ascii_lowercase())
    } else {
        known.is_some()
    };
    if !valid {
        let message = if model.is_some() {
            "language is an ISO 639-1 code (en, es, fr, de...).".to_string()
        } else {
            format!(
                "language is one of {} with the built-in copywriter (ISO 639-1).",
                Language::CODES
            )
        };
        return Err(AgentsError::validation("language", message));
    }
    let brief = Brief {
        product_description: product_description.to_string(),
        target_audience: target_audience.to_string(),
        tone,
        language: known.unwrap_or(Language::English),
    };
    Ok((brief, base))
}

fn platform(given: Option<&str>) -> Result<Platform, AgentsError> {
    given.map_or(Ok(Platform::Facebook), |name| {
        Platform::parse(name).ok_or_else(|| {
            AgentsError::validation("platform", "platform is one of facebook, instagram, chat.")
        })
    })
}

fn count(field: &str, given: Option<u32>) -> Result<u32, AgentsError> {
    let count = given.unwrap_or(DEFAULT_VARIATIONS);
    if !(1..=MAX_VARIATIONS).contains(&count) {
        return Err(AgentsError::validation(
            field,
            format!("{field} is 1 to {MAX_VARIATIONS}."),
        ));
    }
    Ok(count)
}

fn parse_text_request(body: &[u8], model: Option<&TextModel>) -> Result<CopyRequest, AgentsError> {
    let request: TextRequest = parse_json(body)?;
    let (brief, language) = brief(
        request.product_description.as_deref(),
        request.target_audience.as_deref(),
        request.tone.as_deref(),
        request.language.as_deref(),
        model,
    )?;
    let fields = match &request.types {
        None => Field::ALL.to_vec(),
        Some(types) => {
            let mut fields = Vec::new();
            for name in types {
                let field = Field::parse(name).ok_or_else(|| {
                    AgentsError::validation(
                        "types",
                        "types lists headline, primary_text and description.",
                    )
                })?;
                if !fields.contains(&field) {
                    fields.push(field);
                }
            }
            if fields.is_empty() {
                return Err(AgentsError::validation(
                    "types",
                    "types lists at least one type.",
                ));
            }
            fields
        }
    };
    Ok(CopyRequest {
        brief,
        count: count("variations", request.variations)?,
        fields,
        platform: platform(request.platform.as_deref())?,
        language,
    })
}

/// The plan's credits a month (`None`: unlimited).
fn credit_limit(caller: &Caller) -> Option<i64> {
    caller.plan.ai_generations_per_month.map(i64::from)
}

/// `403 plan_limit_reached` for a request of `requested` credits.
fn plan_limit_reached(caller: &Caller, used: i64, requested: i64, now: UnixSeconds) -> AgentsError {
    let limit = credit_limit(caller).unwrap_or_default();
    let remaining = (limit - used).max(0);
    AgentsError::new(
        403,
        "plan_limit_reached",
        format!(
            "The {} plan allows {limit} AI generations a month and {remaining} are left; this \
             request needs {requested}. Upgrade with POST /billing/subscribe or wait for the next month.",
            caller.plan.name
        ),
    )
    .with_details(json!({
        "resource": "ai_generations",
        "plan": caller.plan.name,
        "limit": limit,
        "used": used,
        "remaining": remaining,
        "requested": requested,
        "resets_at": store::next_month(now).to_iso8601(),
    }))
}

/// Checks that `requested` credits are left before any work is done.
fn check_credits(
    db: &impl Database,
    caller: &Caller,
    requested: i64,
    now: UnixSeconds,
) -> Result<(), AgentsError> {
    let Some(limit) = credit_limit(caller) else {
        return Ok(());
    };
    let used = store::credits_used(db, caller.organization_id(), now)?;
    if used + requested > limit {
        return Err(plan_limit_reached(caller, used, requested, now));
    }
    Ok(())
}

/// Stores a generation within the month's credits (`403` when another
/// request used them in the meantime).
fn record(
    db: &impl Database,
    caller: &Caller,
    generation: &NewGeneration<'_>,
    now: UnixSeconds,
) -> Result<Generation, AgentsError> {
    match store::insert_within_credits(db, generation, credit_limit(caller), now)? {
        Some(generation) => Ok(generation),
        None => {
            let used = store::credits_used(db, caller.organization_id(), now)?;
            Err(plan_limit_reached(caller, used, generation.credits, now))
        }
    }
}

/// A variation as answered: the fields asked for and `predicted_ctr`.
fn variation_view(copy: &Copy, fields: &[Field], model: &CtrModel, audience: &str) -> Value {
    let mut view = json!({});
    for field in fields {
        view[field.as_str()] = json!(match field {
            Field::Headline => &copy.headline,
            Field::PrimaryText => &copy.primary_text,
            Field::Description => &copy.description,
        });
    }
    view["predicted_ctr"] = json!(model.predict(&copy.headline, &copy.primary_text, audience));
    view
}

/// A generation as answered (`POST /ai/generate/...` and `GET
/// /ai/generations/{id}`): a completed one carries `result`, and its
/// variations also at the top level.
fn view(generation: &Generation, remaining: Option<i64>) -> Value {
    let mut view = json!({
        "id": generation.id,
        "type": generation.kind.as_str(),
        "status": generation.status.as_str(),
        "provider": generation.provider,
        "request": generation.request,
        "credits_used": generation.credits,
        "credits_remaining": remaining,
        "created_at": generation.created_at.to_iso8601(),
        "completed_at": generation.completed_at.map(UnixSeconds::to_iso8601),
    });
    if let Some(result) = generation
        .result
        .as_ref()
        .filter(|_| generation.status == Status::Completed)
    {
        view["result"] = result.clone();
        if let Some(variations) = result.get("variations") {
            view["variations"] = variations.clone();
        }
    }
    if let Some(error) = &generation.error {
        view["error"] = json!({"code": "generation_failed", "message": error});
    }
    view
}

/// Credits left this month after what is recorded (`None`: unlimited).
fn remaining(
    db: &impl Database,
    caller: &Caller,
    now: UnixSeconds,
) -> Result<Option<i64>, AgentsError> {
    let Some(limit) = credit_limit(caller) else {
        return Ok(None);
    };
    let used = store::credits_used(db, caller.organization_id(), now)?;
    Ok(Some((limit - used).max(0)))
}

/// The copy of `request`, from the model when one is configured, and who
/// wrote it.
fn write_copy(
    env: &impl Env,
    model: Option<&TextModel>,
    request: &CopyRequest,
) -> Result<(Vec<Copy>, String), AgentsError> {
    match model {
        Some(model) => Ok((model.write(env.llm(), request)?, model.name.clone())),
        None => Ok((
            copywriter::write(
                &request.brief,
                request.count as usize,
                limits::of(request.platform),
            ),
            BUILTIN_PROVIDER.to_string(),
        )),
    }
}

/// `POST /ai/generate/text`: `200` with the variations (a completed
/// generation).
pub fn generate_text<E: Env>(
    env: &E,
    db: &impl Database,
    caller: &Caller,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::ContentGenerate)?;
    caller.require_verified()?;
    let text_model = TextModel::from_env(env);
    let request = parse_text_request(body, text_model.as_ref())?;
    check_credits(db, caller, i64::from(request.count), now)?;
    let (copies, provider) = write_copy(env, text_model.as_ref(), &request)?;
    let credits = i64::try_from(copies.len()).unwrap_or(i64::MAX);
    let model = CtrModel::fit(&ctr::history(db, now)?);
    let variations: Vec<Value> = copies
        .iter()
        .map(|copy| {
            variation_view(
                copy,
                &request.fields,
                &model,
                &request.brief.target_audience,
            )
        })
        .collect();
    let result = json!({"variations": variations});
    let generation = record(
        db,
        caller,
        &NewGeneration {
            organization_id: caller.organization_id(),
            mode: caller.mode(),
            kind: Kind::Text,
            status: Status::Completed,
            provider: &provider,
            request: &request.view(),
            result: Some(&result),
            credits,
        },
        now,
    )?;
    Ok(json_response(
        200,
        &view(&generation, remaining(db, caller, now)?),
    ))
}

fn generation_not_found() -> AgentsError {
    AgentsError::new(404, "not_found", "No generation has this id.")
}

/// `GET /ai/generations/{id}`: the caller's generation (another account's
/// is `404`); one still processing is completed first, when links to its
/// images can be built (`base_url`; otherwise the scheduled work
/// completes it).
pub async fn read_generation<E: Env>(
    env: &E,
    db: &impl Database,
    caller: &Caller,
    id: &str,
    base_url: Result<String, UntrustedHost>,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::ContentGenerate)?;
    let mut generation = store::find(db, caller.organization_id(), caller.mode(), id)?
        .ok_or_else(generation_not_found)?;
    if let (Status::Processing, Ok(base_url)) = (generation.status, base_url) {
        generation = images::complete(env, db, &generation, &base_url, now).await?;
    }
    Ok(json_response(
        200,
        &view(&generation, remaining(db, caller, now)?),
    ))
}

/// `POST /ai/generate/image`: `202` with the generation, `processing`.
pub fn generate_image<E: Env>(
    env: &E,
    db: &impl Database,
    caller: &Caller,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    let api = image_api::ImageApi::from_env(env);
    let (generation, remaining) = images::generate_image(db, api.as_ref(), caller, body, now)?;
    Ok(json_response(202, &view(&generation, remaining)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VariationsRequest {
    #[serde(default)]
    product_description: Option<String>,
    #[serde(default)]
    target_audience: Option<String>,
    #[serde(default)]
    tone: Option<String>,
    #[serde(default)]
    count: Option<u32>,
    #[serde(default)]
    platform: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    include_images: Option<bool>,
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    style: Option<String>,
}

/// `POST /ai/generate/variations`: copy, and with `include_images` a
/// banner for each variation. Without images the generation is completed
/// at once (`200`); with them it is `processing` (`202`) until its banners
/// are drawn (poll `GET /ai/generations/{id}`). One credit per variation
/// and one per image.
pub fn generate_variations<E: Env>(
    env: &E,
    db: &impl Database,
    caller: &Caller,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::ContentGenerate)?;
    caller.require_verified()?;
    let text_model = TextModel::from_env(env);
    let request: VariationsRequest = parse_json(body)?;
    let (brief, language) = brief(
        request.product_description.as_deref(),
        request.target_audience.as_deref(),
        request.tone.as_deref(),
        request.language.as_deref(),
        text_model.as_ref(),
    )?;
    let copy_request = CopyRequest {
        brief,
        count: count("count", request.count)?,
        fields: Field::ALL.to_vec(),
        platform: platform(request.platform.as_deref())?,
        language,
    };
    let include_images = request.include_images.unwrap_or(false);
    let spec = images::spec(
        request.size.as_deref(),
        request.format.as_deref(),
        request.style.as_deref(),
    )?;
    let per_variation = if include_images { 2 } else { 1 };
    check_credits(
        db,
        caller,
        i64::from(copy_request.count) * per_variation,
        now,
    )?;
    let (copies, provider) = write_copy(env, text_model.as_ref(), &copy_request)?;
    let credits = i64::try_from(copies.len()).unwrap_or(i64::MAX) * per_variation;
    let model = CtrModel::fit(&ctr::history(db, now)?);
    let variations: Vec<Value> = copies
        .iter()
        .map(|copy| {
            let mut variation = variation_view(
                copy,
                &copy_request.fields,
                &model,
                &copy_request.brief.target_audience,
            );
            variation["image_url"] = Value::Null;
            variation
        })
        .collect();
    let mut stored = copy_request.view();
    stored["count"] = stored["variations"].take();
    if let Some(object) = stored.as_object_mut() {
        object.remove("variations");
        object.remove("types");
    }
    stored["include_images"] = json!(include_images);
    if include_images {
        stored["size"] = json!(format!("{}x{}", spec.width, spec.height));
        stored["format"] = json!(spec.format.as_str());
        stored["style"] = json!(spec.style);
    }
    let result = json!({"variations": variations});
    let status = if include_images {
        Status::Processing
    } else {
        Status::Completed
    };
    let generation = record(
        db,
        caller,
        &NewGeneration {
            organization_id: caller.organization_id(),
            mode: caller.mode(),
            kind: Kind::Variations,
            status,
            provider: &provider,
            request: &stored,
            result: Some(&result),
            credits,
        },
        now,
    )?;
    let code = if include_images { 202 } else { 200 };
    Ok(json_response(
        code,
        &view(&generation, remaining(db, caller, now)?),
    ))
}

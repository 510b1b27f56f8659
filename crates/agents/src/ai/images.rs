//! Generated images: `POST /ai/generate/image` answers a generation that
//! is `processing`; it is completed later, by the first
//! `GET /ai/generations/{id}` that finds it pending or by the scheduled
//! work's next tick ([`complete_pending`]), whichever comes first (the
//! finishing `UPDATE` is conditional, so it completes once). Completing
//! renders the banners ([`super::banner`]), stores each as an upload of
//! the account (served publicly at `/files/<file_id>`, usable as an ad's
//! `image_url`), and announces `generation.completed` to the account's
//! webhooks, in one transaction.

use chrono::{Datelike, TimeZone, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use adspin_core::body::parse_json;
use adspin_core::db::{Database, DbError, transaction};
use adspin_core::env::Env;
use adspin_core::time::UnixSeconds;

use super::banner::{self, Banner, ImageFormat};
use super::image_api::ImageApi;
use super::store::{self, Generation, Kind, NewGeneration, Status};
use super::{BUILTIN_PROVIDER, MAX_BRIEF_LENGTH};
use crate::AgentsError;
use crate::auth::Caller;
use crate::events;
use crate::scopes::Scope;
use crate::text;

/// Most images one request asks for.
pub const MAX_IMAGES: u32 = 4;
/// The size when the request names none.
pub const DEFAULT_SIZE: &str = "1080x1080";
/// Longest style name and headline.
const MAX_STYLE_LENGTH: usize = 50;
const MAX_HEADLINE_LENGTH: usize = 100;
/// Most pending generations one tick completes.
pub const PENDING_PER_TICK: i64 = 10;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageRequest {
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    style: Option<String>,
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    count: Option<u32>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    headline: Option<String>,
}

/// How banners are drawn: what a generation's `request` keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSpec {
    pub width: u32,
    pub height: u32,
    pub format: ImageFormat,
    pub style: String,
}

impl ImageSpec {
    fn view(&self) -> Value {
        json!({
            "size": format!("{}x{}", self.width, self.height),
            "format": self.format.as_str(),
            "style": self.style,
        })
    }

    /// The spec a stored request names (defaults for what it lacks).
    pub fn from_request(request: &Value) -> Self {
        let (width, height) = request["size"]
            .as_str()
            .and_then(banner::parse_size)
            .unwrap_or((1080, 1080));
        Self {
            width,
            height,
            format: request["format"]
                .as_str()
                .and_then(ImageFormat::parse)
                .unwrap_or(ImageFormat::Png),
            style: request["style"].as_str().unwrap_or_default().to_string(),
        }
    }
}

/// The size, format and style of a request, checked.
pub fn spec(
    size: Option<&str>,
    format: Option<&str>,
    style: Option<&str>,
) -> Result<ImageSpec, AgentsError> {
    let (width, height) = banner::parse_size(size.unwrap_or(DEFAULT_SIZE)).ok_or_else(|| {
        AgentsError::validation(
            "size",
            format!(
                "size is WIDTHxHEIGHT, each {} to {} pixels (1080x1080).",
                banner::MIN_SIDE,
                banner::MAX_SIDE
            ),
        )
    })?;
    let format = match format {
        None => ImageFormat::Png,
        Some(name) => ImageFormat::parse(name)
            .ok_or_else(|| AgentsError::validation("format", "format is png or jpeg."))?,
    };
    let style = match style {
        None => String::new(),
        Some(style) => text::checked("style", style, MAX_STYLE_LENGTH)?.to_string(),
    };
    Ok(ImageSpec {
        width,
        height,
        format,
        style,
    })
}

/// `POST /ai/generate/image`: `202` with the generation, `processing`.
pub fn generate_image(
    db: &impl Database,
    api: Option<&ImageApi>,
    caller: &Caller,
    body: &[u8],
    now: UnixSeconds,
) -> Result<(Generation, Option<i64>), AgentsError> {
    caller.require(Scope::ContentGenerate)?;
    caller.require_verified()?;
    let request: ImageRequest = parse_json(body)?;
    let prompt = text::checked(
        "prompt",
        request.prompt.as_deref().unwrap_or_default(),
        MAX_BRIEF_LENGTH,
    )?;
    let headline = request
        .headline
        .as_deref()
        .map(|h| text::checked("headline", h, MAX_HEADLINE_LENGTH))
        .transpose()?;
    let count = request.count.unwrap_or(1);
    if !(1..=MAX_IMAGES).contains(&count) {
        return Err(AgentsError::validation(
            "count",
            format!("count is 1 to {MAX_IMAGES}."),
        ));
    }
    let provider = match request.provider.as_deref().map(str::trim) {
        None | Some("auto") => api.map_or(BUILTIN_PROVIDER, |api| api.model.as_str()),
        Some("builtin") => BUILTIN_PROVIDER,
        Some(_) => {
            return Err(AgentsError::validation(
                "provider",
                "provider is auto (the configured image model, or the built-in renderer) or builtin.",
            ));
        }
    };
    let spec = spec(
        request.size.as_deref(),
        request.format.as_deref(),
        request.style.as_deref(),
    )?;
    let mut stored = spec.view();
    stored["prompt"] = json!(prompt);
    stored["headline"] = json!(headline);
    stored["count"] = json!(count);
    let credits = i64::from(count);
    super::check_credits(db, caller, credits, now)?;
    let generation = super::record(
        db,
        caller,
        &NewGeneration {
            organization_id: caller.organization_id(),
            mode: caller.mode(),
            kind: Kind::Image,
            status: Status::Processing,
            provider,
            request: &stored,
            result: None,
            credits,
        },
        now,
    )?;
    let remaining = super::remaining(db, caller, now)?;
    Ok((generation, remaining))
}

/// A headline for a banner drawn from a prompt alone: its first words.
fn headline_of(prompt: &str) -> String {
    let words: Vec<&str> = prompt
        .split([',', '.', ';'])
        .next()
        .unwrap_or(prompt)
        .split_whitespace()
        .take(7)
        .collect();
    words.join(" ")
}

/// An upload's id for a banner made at `now`, as `/v1/upload` names them.
fn file_id(format: ImageFormat, now: UnixSeconds) -> String {
    let date = Utc.timestamp_opt(now.get(), 0).single().unwrap_or_default();
    format!(
        "uploads/{:04}/{:02}/{}.{}",
        date.year(),
        date.month(),
        uuid::Uuid::new_v4().simple(),
        format.extension()
    )
}

/// A rendered banner, to store.
struct Rendered {
    file_id: String,
    bytes: Vec<u8>,
    format: ImageFormat,
    width: u32,
    height: u32,
}

impl Rendered {
    fn view(&self, base_url: &str) -> Value {
        json!({
            "url": format!("{}/files/{}", base_url.trim_end_matches('/'), self.file_id),
            "file_id": self.file_id,
            "width": self.width,
            "height": self.height,
            "format": self.format.as_str(),
        })
    }
}

fn render(
    spec: &ImageSpec,
    headline: &str,
    prompt: &str,
    variant: u32,
    now: UnixSeconds,
) -> Result<Rendered, AgentsError> {
    let bytes = banner::render(&Banner {
        width: spec.width,
        height: spec.height,
        headline,
        prompt,
        style: &spec.style,
        format: spec.format,
        variant,
    })
    .map_err(AgentsError::internal_because)?;
    Ok(Rendered {
        file_id: file_id(spec.format, now),
        bytes,
        format: spec.format,
        width: spec.width,
        height: spec.height,
    })
}

/// The images a pending generation needs, and its result once they are
/// stored; `Err(message)` when the image endpoint failed.
async fn draw<E: Env>(
    env: &E,
    generation: &Generation,
    base_url: &str,
    now: UnixSeconds,
) -> Result<Result<(Vec<Rendered>, Value), String>, AgentsError> {
    let request = &generation.request;
    let spec = ImageSpec::from_request(request);
    match generation.kind {
        Kind::Image => {
            let prompt = request["prompt"].as_str().unwrap_or_default();
            let count = request["count"]
                .as_u64()
                .unwrap_or(1)
                .min(u64::from(MAX_IMAGES)) as u32;
            let rendered = if generation.provider == BUILTIN_PROVIDER {
                let headline = request["headline"]
                    .as_str()
                    .map_or_else(|| headline_of(prompt), String::from);
                (0..count)
                    .map(|variant| render(&spec, &headline, prompt, variant, now))
                    .collect::<Result<Vec<_>, _>>()?
            } else {
                let Some(api) = ImageApi::from_env(env) else {
                    return Ok(Err("the image endpoint is no longer configured".into()));
                };
                let size = format!("{}x{}", spec.width, spec.height);
                match api
                    .generate(env.http(), env.clock(), prompt, &size, count)
                    .await
                {
                    Err(message) => return Ok(Err(message)),
                    Ok(images) => images
                        .into_iter()
                        .map(|image| Rendered {
                            file_id: file_id(image.format, now),
                            bytes: image.bytes,
                            format: image.format,
                            width: image.width,
                            height: image.height,
                        })
                        .collect(),
                }
            };
            let images: Vec<Value> = rendered.iter().map(|r| r.view(base_url)).collect();
            Ok(Ok((rendered, json!({"images": images}))))
        }
        Kind::Variations | Kind::Text => {
            // The copy is written at the request; each variation gets its
            // banner (from the built-in renderer: its headline is set on it).
            let mut result = generation.result.clone().unwrap_or_else(|| json!({}));
            let prompt = request["product_description"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let mut rendered = Vec::new();
            let mut images = Vec::new();
            if let Some(variations) = result["variations"].as_array_mut() {
                for (variant, variation) in variations.iter_mut().enumerate() {
                    let headline = variation["headline"]
                        .as_str()
                        .unwrap_or(&prompt)
                        .to_string();
                    let banner = render(&spec, &headline, &prompt, variant as u32, now)?;
                    let image = banner.view(base_url);
                    variation["image_url"] = image["url"].clone();
                    images.push(image);
                    rendered.push(banner);
                }
            }
            result["images"] = json!(images);
            Ok(Ok((rendered, result)))
        }
    }
}

/// Why a completion's transaction did not commit.
enum Completion {
    /// Another request completed the generation first.
    Lost,
    Failed(DbError),
}

impl From<DbError> for Completion {
    fn from(error: DbError) -> Self {
        Self::Failed(error)
    }
}

/// Completes a pending generation: renders, stores the banners as uploads
/// of its account, records the result and announces
/// `generation.completed`, in one transaction. Answers the generation as
/// it then is (completed by this call or an earlier one).
pub async fn complete<E: Env>(
    env: &E,
    db: &impl Database,
    generation: &Generation,
    base_url: &str,
    now: UnixSeconds,
) -> Result<Generation, AgentsError> {
    if generation.status != Status::Processing {
        return Ok(generation.clone());
    }
    let (rendered, result) = match draw(env, generation, base_url, now).await? {
        Ok(drawn) => drawn,
        Err(message) => {
            adspin_core::log::warn(&format!("generation {} failed: {message}", generation.id));
            fail(db, generation, now)?;
            return store::find(
                db,
                generation.organization_id,
                generation.mode,
                &generation.id,
            )?
            .ok_or_else(|| AgentsError::internal_because("a generation just failed is missing"));
        }
    };
    let outcome = transaction(db, || {
        for banner in &rendered {
            db.execute(
                "INSERT INTO uploads (file_id, organization_id, content_type, size_bytes, width, height, bytes, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                &[
                    banner.file_id.as_str().into(),
                    generation.organization_id.into(),
                    banner.format.content_type().into(),
                    i64::try_from(banner.bytes.len()).unwrap_or(i64::MAX).into(),
                    i64::from(banner.width).into(),
                    i64::from(banner.height).into(),
                    banner.bytes.clone().into(),
                    now.into(),
                ],
            )?;
        }
        if store::finish(
            db,
            &generation.id,
            Status::Completed,
            Some(&result),
            None,
            now,
        )? {
            events::emit(
                db,
                generation.organization_id,
                generation.mode,
                "generation.completed",
                &json!({"generation_id": generation.id, "type": generation.kind.as_str(), "status": "completed"}),
                now,
            )?;
            Ok(())
        } else {
            Err(Completion::Lost)
        }
    });
    match outcome {
        // Another request completed it first: its banners are kept, these
        // rolled back.
        Ok(()) | Err(Completion::Lost) => {}
        Err(Completion::Failed(error)) => return Err(error.into()),
    }
    store::find(
        db,
        generation.organization_id,
        generation.mode,
        &generation.id,
    )?
    .ok_or_else(|| AgentsError::internal_because("a generation just completed is missing"))
}

/// Fails a generation whose image endpoint failed: its credits are given
/// back, and `generation.completed` says `failed`.
fn fail(db: &impl Database, generation: &Generation, now: UnixSeconds) -> Result<(), AgentsError> {
    transaction(db, || {
        if store::fail(
            db,
            &generation.id,
            "The image provider failed to generate the images; no credits were used.",
            now,
        )? {
            events::emit(
                db,
                generation.organization_id,
                generation.mode,
                "generation.completed",
                &json!({"generation_id": generation.id, "type": generation.kind.as_str(), "status": "failed"}),
                now,
            )?;
        }
        Ok::<_, AgentsError>(())
    })
}

/// Completes up to [`PENDING_PER_TICK`] pending generations (the scheduled
/// work); returns how many it completed.
pub async fn complete_pending<E: Env>(
    env: &E,
    db: &E::Db,
    base_url: &str,
    now: UnixSeconds,
) -> Result<usize, AgentsError> {
    let mut completed = 0;
    for generation in store::pending(db, PENDING_PER_TICK)? {
        if complete(env, db, &generation, base_url, now).await?.status == Status::Completed {
            completed += 1;
        }
    }
    Ok(completed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prompt_alone_gives_a_short_headline() {
        assert_eq!(
            headline_of("Professional business dashboard on laptop, clean modern office"),
            "Professional business dashboard on laptop"
        );
    }

    #[test]
    fn generated_banners_are_named_like_uploads() {
        let id = file_id(ImageFormat::Jpeg, UnixSeconds::new(1_780_000_000));
        assert!(adspin_core::catalog::creative::is_file_id(&id), "{id}");
        assert!(id.ends_with(".jpg"));
    }
}

//! Images from an OpenAI-compatible image endpoint instead of the built-in
//! renderer: `POST {ai_image_api_base}/v1/images/generations {model,
//! prompt, n, size, response_format: "b64_json"}` with `authorization:
//! Bearer {ai_image_api_key}`, when `ai_image_model` names a model (the
//! base must be among the components' `allowed_outbound_hosts`: it is in
//! spin.toml through the same variable). Each image comes back base64 in
//! `data[].b64_json`; a PNG or JPEG whose header reads is kept as it is
//! (its own size and format), anything else fails the generation.

use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

use adspin_core::clock::{Clock, with_deadline};
use adspin_core::env::Env;
use adspin_core::outbound::{HttpClient, OutboundRequest};

use super::banner::ImageFormat;

/// Longest wait for the endpoint.
pub const TIMEOUT: Duration = Duration::from_secs(60);
/// Largest answer read.
const ANSWER_LIMIT: usize = 32 << 20;

/// The configured endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageApi {
    pub base: String,
    pub key: String,
    pub model: String,
}

/// An image the endpoint made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiImage {
    pub bytes: Vec<u8>,
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
}

impl ImageApi {
    /// The endpoint when `ai_image_model` is set.
    pub fn from_env(env: &impl Env) -> Option<Self> {
        let value = |name: &str| {
            env.variable(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        Some(Self {
            model: value("ai_image_model")?,
            base: value("ai_image_api_base")?,
            key: value("ai_image_api_key").unwrap_or_default(),
        })
    }

    /// `count` images of `prompt` at `size` (`WIDTHxHEIGHT`).
    pub async fn generate(
        &self,
        http: &impl HttpClient,
        clock: &impl Clock,
        prompt: &str,
        size: &str,
        count: u32,
    ) -> Result<Vec<ApiImage>, String> {
        let url = format!("{}/v1/images/generations", self.base.trim_end_matches('/'));
        let body = json!({
            "model": self.model, "prompt": prompt, "n": count, "size": size,
            "response_format": "b64_json",
        });
        let request = OutboundRequest::post_json(url, body.to_string().into_bytes())
            .with_header("authorization", format!("Bearer {}", self.key));
        let started = clock.monotonic();
        let response = with_deadline(clock, started + TIMEOUT, http.send(request, ANSWER_LIMIT))
            .await
            .ok_or_else(|| format!("no answer within {} seconds", TIMEOUT.as_secs()))?
            .map_err(|error| error.to_string())?;
        if !(200..300).contains(&response.status) {
            return Err(format!("the image endpoint answered {}", response.status));
        }
        let answer: Value = serde_json::from_slice(&response.body)
            .map_err(|_| "the image endpoint answered something other than JSON".to_string())?;
        let images: Vec<ApiImage> = answer["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item["b64_json"].as_str())
            .map(decode)
            .collect::<Result<_, _>>()?;
        if images.is_empty() {
            return Err("the image endpoint answered no images".into());
        }
        Ok(images)
    }
}

/// A base64 image, checked to be a PNG or JPEG with a readable header.
fn decode(text: &str) -> Result<ApiImage, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| "an image is not valid base64".to_string())?;
    let format = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        ImageFormat::Png
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        ImageFormat::Jpeg
    } else {
        return Err("an image is neither PNG nor JPEG".into());
    };
    let size =
        imagesize::blob_size(&bytes).map_err(|_| "an image's header does not read".to_string())?;
    Ok(ApiImage {
        width: u32::try_from(size.width).map_err(|_| "an image is too wide")?,
        height: u32::try_from(size.height).map_err(|_| "an image is too tall")?,
        bytes,
        format,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1×1 PNG.
    const PIXEL: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

    #[test]
    fn images_are_decoded_and_checked() {
        let image = decode(PIXEL).expect("png");
        assert_eq!(
            (image.format, image.width, image.height),
            (ImageFormat::Png, 1, 1)
        );
        assert!(decode("bm90IGFuIGltYWdl").is_err(), "not an image");
        assert!(decode("%%%").is_err(), "not base64");
    }
}

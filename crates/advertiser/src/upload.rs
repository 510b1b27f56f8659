//! `POST /v1/upload`: creative images, sent as `multipart/form-data` with a
//! `file` part. The format is read from the bytes (the file name and the
//! part's content type are not trusted): PNG, JPEG or WebP, at most 5 MB,
//! with a readable image header. The image is stored in SQLite and served
//! publicly at `/files/<file_id>`.
//!
//! Or sent as `application/json` `{"image_url": "https://..."}`: the
//! `image-fetch` component downloads it (this component reaches no host
//! but that one), and the bytes get the same checks. Its failures are the
//! documented `400`s: `invalid_image_url`, `image_fetch_failed`,
//! `too_many_redirects`, `file_too_large`.

use bytes::Bytes;
use chrono::{Datelike, TimeZone, Utc};
use serde_json::json;

use adspin_core::body::parse_json;
use adspin_core::db::Database;
use adspin_core::env::Env;
use adspin_core::image_fetch::{
    FETCH_URL, FailureCode, FetchFailure, FetchRequest, MAX_IMAGE_BYTES,
};
use adspin_core::outbound::{HttpClient, OutboundRequest};
use adspin_core::web::{Request, Response, header};

use super::ApiError;
use super::context::{Ctx, respond};
use crate::store;

/// Largest accepted image: 5 MB.
pub const MAX_UPLOAD_BYTES: usize = MAX_IMAGE_BYTES;
/// Widest and tallest accepted image, in pixels: whoever shows an ad
/// decodes it, so what it decodes to is bounded (4096² RGBA is 64 MiB).
pub const MAX_DIMENSION: u32 = 4096;

/// An image format the platform serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpeg,
    WebP,
}

impl ImageFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::WebP => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::WebP => "webp",
        }
    }
}

/// A checked image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
}

/// Identifies and checks an image from its bytes.
pub fn inspect(bytes: &[u8]) -> Result<Image, ApiError> {
    if bytes.is_empty() {
        return Err(invalid_file("The file is empty."));
    }
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(ApiError::invalid_request(
            "file_too_large",
            format!(
                "The file is {} bytes; the limit is {MAX_UPLOAD_BYTES} bytes (5 MB).",
                bytes.len()
            ),
        )
        .with_param("file"));
    }
    let kind = imagesize::image_type(bytes)
        .map_err(|_| invalid_file("The file is not an image we can read."))?;
    let format = match kind {
        imagesize::ImageType::Png => ImageFormat::Png,
        imagesize::ImageType::Jpeg => ImageFormat::Jpeg,
        imagesize::ImageType::Webp => ImageFormat::WebP,
        _ => {
            return Err(ApiError::invalid_request(
                "unsupported_mimetype",
                "Only PNG, JPEG and WebP images are accepted.",
            )
            .with_param("file"));
        }
    };
    let size = imagesize::blob_size(bytes)
        .map_err(|_| invalid_file("The image is damaged or truncated."))?;
    if !is_complete(format, bytes) {
        return Err(invalid_file("The image is damaged or truncated."));
    }
    let (width, height) = (
        u32::try_from(size.width).unwrap_or(0),
        u32::try_from(size.height).unwrap_or(0),
    );
    if width == 0 || height == 0 {
        return Err(invalid_file("The image has no pixels."));
    }
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(ApiError::invalid_request(
            "image_too_large",
            format!(
                "The image is {}×{} pixels; each side may be at most {MAX_DIMENSION}.",
                size.width, size.height
            ),
        )
        .with_param("file"));
    }
    if format == ImageFormat::Png {
        crate::png::check_data(bytes)
            .map_err(|error| invalid_file(&format!("The PNG image data is not valid: {error}.")))?;
    }
    Ok(Image {
        format,
        width,
        height,
    })
}

/// Whether the file ends the way its format ends: PNG with its `IEND`
/// chunk, JPEG with an end-of-image marker, WebP with as many bytes as its
/// RIFF header announces. Catches truncated uploads without decoding.
fn is_complete(format: ImageFormat, bytes: &[u8]) -> bool {
    const PNG_END: [u8; 12] = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];
    match format {
        ImageFormat::Png => bytes.ends_with(&PNG_END),
        // Some encoders leave padding after the end-of-image marker.
        ImageFormat::Jpeg => bytes[bytes.len().saturating_sub(64)..]
            .windows(2)
            .any(|w| w == [0xFF, 0xD9]),
        ImageFormat::WebP => bytes
            .get(4..8)
            .map(|size| u32::from_le_bytes([size[0], size[1], size[2], size[3]]) as usize + 8)
            .is_some_and(|announced| announced <= bytes.len()),
    }
}

fn invalid_file(message: &str) -> ApiError {
    ApiError::invalid_request("invalid_file", message).with_param("file")
}

fn no_file() -> ApiError {
    ApiError::invalid_value(
        "file",
        "Send the image as multipart/form-data with exactly one part named \"file\".",
    )
}

/// The bytes of the single `file` part of a `multipart/form-data` body.
pub fn file_part(content_type: &str, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| no_file())?;
    let stream = futures::stream::once(std::future::ready(Ok::<Bytes, std::convert::Infallible>(
        Bytes::copy_from_slice(body),
    )));
    let mut multipart = multer::Multipart::new(stream, boundary);
    futures::executor::block_on(async {
        let mut file: Option<Vec<u8>> = None;
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(_) => return Err(invalid_file("The multipart body is malformed.")),
            };
            if field.name() != Some("file") {
                continue;
            }
            if file.is_some() {
                return Err(no_file());
            }
            let bytes = field
                .bytes()
                .await
                .map_err(|_| invalid_file("The file part could not be read."))?;
            file = Some(bytes.to_vec());
        }
        file.ok_or_else(no_file)
    })
}

/// `uploads/<yyyy>/<mm>/<32 hex>.<ext>` for an upload made at `now`.
pub fn new_file_id(format: ImageFormat, now: i64) -> String {
    let date = Utc.timestamp_opt(now, 0).single().unwrap_or_default();
    format!(
        "uploads/{:04}/{:02}/{}.{}",
        date.year(),
        date.month(),
        uuid::Uuid::new_v4().simple(),
        format.extension()
    )
}

/// The JSON form of an upload.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadByUrl {
    #[serde(default)]
    image_url: Option<String>,
}

/// `POST /v1/upload`
pub async fn create_upload<D: Database>(
    ctx: &Ctx<'_, D>,
    request: &Request,
    env: &impl Env,
) -> Result<Response, ApiError> {
    let content_type = header(request, "content-type").unwrap_or_default();
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let bytes = match media_type.as_str() {
        "multipart/form-data" => file_part(content_type, request.body())?,
        "application/json" => {
            let asked: UploadByUrl = parse_json(request.body())?;
            let url = asked.image_url.ok_or_else(no_file)?;
            download(env, &url).await?
        }
        _ => return Err(no_file()),
    };
    let image = inspect(&bytes)?;
    let file_id = new_file_id(image.format, ctx.now.get());
    store::insert_upload(
        ctx.db,
        ctx.caller.organization_id,
        store::NewUpload {
            file_id: &file_id,
            content_type: image.format.content_type(),
            width: image.width,
            height: image.height,
            bytes,
        },
        ctx.now,
    )?;
    respond(201, &json!({ "file_id": file_id }))
}

/// Has the `image-fetch` component download `url` (service chaining).
async fn download(env: &impl Env, url: &str) -> Result<Vec<u8>, ApiError> {
    let asked = serde_json::to_vec(&FetchRequest {
        url: url.to_string(),
    })
    .map_err(ApiError::internal_because)?;
    let answer = env
        .http()
        .send(
            OutboundRequest::post_json(FETCH_URL, asked),
            MAX_IMAGE_BYTES,
        )
        .await
        .map_err(|error| ApiError::internal_because(format_args!("image-fetch: {error}")))?;
    if answer.status == 200 {
        return Ok(answer.body);
    }
    let failure: FetchFailure = serde_json::from_slice(&answer.body).map_err(|_| {
        ApiError::internal_because(format_args!("image-fetch answered {}", answer.status))
    })?;
    let code = match failure.code {
        FailureCode::InvalidImageUrl => "invalid_image_url",
        FailureCode::ImageFetchFailed => "image_fetch_failed",
        FailureCode::TooManyRedirects => "too_many_redirects",
        FailureCode::FileTooLarge => "file_too_large",
    };
    Err(ApiError::invalid_request(code, failure.message).with_param("image_url"))
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A valid 1×1 PNG.
    pub const PNG: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x64,
        0x60, 0xF8, 0x5F, 0x0F, 0x00, 0x02, 0x87, 0x01, 0x80, 0xEB, 0x47, 0xBA, 0x92, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];
    /// A GIF header (a format that is not accepted).
    pub const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

    fn multipart(parts: &[(&str, &[u8])]) -> (String, Vec<u8>) {
        let mut body = Vec::new();
        for (name, bytes) in parts {
            body.extend_from_slice(
                format!("--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"a.bin\"\r\nContent-Type: text/plain\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"--XyZ--\r\n");
        ("multipart/form-data; boundary=XyZ".to_string(), body)
    }

    #[test]
    fn png_bytes_are_recognised_whatever_the_declared_type() {
        let (content_type, body) = multipart(&[("file", PNG)]);
        let bytes = file_part(&content_type, &body).expect("file part");
        assert_eq!(
            inspect(&bytes).expect("png"),
            Image {
                format: ImageFormat::Png,
                width: 1,
                height: 1
            }
        );
    }

    #[test]
    fn other_formats_and_garbage_are_rejected_with_their_codes() {
        assert_eq!(
            inspect(GIF).expect_err("gif").code(),
            "unsupported_mimetype"
        );
        assert_eq!(
            inspect(b"hello, not an image").expect_err("text").code(),
            "invalid_file"
        );
        assert_eq!(
            inspect(&PNG[..20]).expect_err("truncated").code(),
            "invalid_file"
        );
        assert_eq!(
            inspect(&PNG[..40])
                .expect_err("truncated after the header")
                .code(),
            "invalid_file"
        );
        assert_eq!(inspect(b"").expect_err("empty").code(), "invalid_file");
        let mut huge = PNG.to_vec();
        huge.resize(MAX_UPLOAD_BYTES + 1, 0);
        assert_eq!(inspect(&huge).expect_err("huge").code(), "file_too_large");
    }

    /// A baseline JPEG's start, frame header and end, `width`×`height`.
    pub fn jpeg_header(width: u16, height: u16) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
        bytes.extend_from_slice(&height.to_be_bytes());
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
        bytes
    }

    /// An extended WebP (`VP8X`) declaring a `width`×`height` canvas.
    pub fn webp_header(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = b"RIFF\x16\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00".to_vec();
        bytes.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
        bytes.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
        bytes
    }

    #[test]
    fn images_larger_than_4096_a_side_are_refused_from_their_header() {
        use crate::png::tests::png;
        for (what, bytes) in [
            ("100000² PNG", png(100_000, 100_000, 8, 6, 0, &[0; 8])),
            (
                "(2³¹−1)² PNG",
                png(i32::MAX as u32, i32::MAX as u32, 1, 0, 0, &[0; 8]),
            ),
            ("4097×1 PNG", png(4097, 1, 8, 0, 0, &[0; 4098])),
            ("65535² JPEG", jpeg_header(65535, 65535)),
            ("16M² WebP", webp_header(1 << 24, 1 << 24)),
        ] {
            assert_eq!(
                inspect(&bytes).expect_err(what).code(),
                "image_too_large",
                "{what}"
            );
        }
        assert_eq!(inspect(&jpeg_header(4096, 4096)).map(|i| i.width), Ok(4096));
        assert_eq!(inspect(&webp_header(4096, 300)).map(|i| i.height), Ok(300));
        let side = png(4096, 1, 8, 0, 0, &[0; 4097]);
        assert_eq!(inspect(&side).map(|i| i.width), Ok(4096));
    }

    #[test]
    fn a_png_whose_data_inflates_past_its_size_is_refused() {
        let bomb = crate::png::tests::png(64, 64, 8, 6, 0, &vec![0; 256 * 1024 * 1024]);
        assert!(bomb.len() < MAX_UPLOAD_BYTES);
        assert_eq!(inspect(&bomb).expect_err("bomb").code(), "invalid_file");
    }

    #[test]
    fn the_file_part_must_be_present_and_single() {
        let (content_type, body) = multipart(&[("other", PNG)]);
        assert_eq!(
            file_part(&content_type, &body).expect_err("none").code(),
            "invalid_value"
        );
        let (content_type, body) = multipart(&[("file", PNG), ("file", PNG)]);
        assert_eq!(
            file_part(&content_type, &body).expect_err("two").code(),
            "invalid_value"
        );
        assert!(
            file_part("multipart/form-data", &body).is_err(),
            "no boundary"
        );
    }

    #[test]
    fn file_ids_are_dated_and_typed() {
        let id = new_file_id(ImageFormat::WebP, 1_780_000_000);
        assert!(
            id.starts_with("uploads/2026/05/") && id.ends_with(".webp"),
            "{id}"
        );
        assert!(adspin_core::catalog::creative::is_file_id(&id));
    }
}

//! The protocol between the Advertiser API and the `image-fetch`
//! component, which downloads an upload's `image_url` (it is the only
//! component that may reach arbitrary hosts). Both sides live here: the
//! Advertiser API sends a [`FetchRequest`] by service chaining and reads
//! the image bytes or a [`FetchFailure`]; `image-fetch` does the reverse.

use serde::{Deserialize, Serialize};

/// Where the Advertiser API asks for a download (service chaining).
pub const FETCH_URL: &str = "http://image-fetch.spin.internal/fetch";
/// Largest image downloaded (the upload limit, 5 MB).
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// Longest accepted `image_url`, in characters.
pub const MAX_URL_CHARS: usize = 2048;

/// Download this URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchRequest {
    pub url: String,
}

/// Why an image could not be downloaded: one of the upload error codes of
/// the Advertiser API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureCode {
    /// Not an absolute http(s) URL, a host that does not resolve, or one
    /// that resolves only to private, loopback, link-local or otherwise
    /// non-public addresses.
    InvalidImageUrl,
    /// A network error, a timeout or a non-success status.
    ImageFetchFailed,
    /// The URL answered with a redirect (redirects are not followed).
    TooManyRedirects,
    /// The image is larger than [`MAX_IMAGE_BYTES`].
    FileTooLarge,
}

/// The answer of a download that failed (status 422).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchFailure {
    pub code: FailureCode,
    pub message: String,
}

/// Checks an `image_url` before anything is sent: an absolute `http` or
/// `https` URL with a host, no user name or password, no whitespace or
/// control characters, at most [`MAX_URL_CHARS`] characters.
pub fn check_url(value: &str) -> Result<url::Url, &'static str> {
    if value.is_empty() {
        return Err("image_url is empty.");
    }
    if value.chars().count() > MAX_URL_CHARS
        || value.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("image_url must be at most 2048 characters, without spaces.");
    }
    let url = url::Url::parse(value).map_err(|_| "image_url is not an absolute URL.")?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("image_url must be an http or https URL.");
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("image_url has no host.");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("image_url must not carry a user name or password.");
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_absolute_web_urls_pass() {
        for good in [
            "https://cdn.example.com/a.png",
            "http://203.0.113.7:8080/img?x=1",
            "https://[2001:db8::1]/b.webp",
        ] {
            assert!(check_url(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "/relative.png",
            "ftp://example.com/a.png",
            "file:///etc/passwd",
            "https://user:secret@example.com/a.png",
            "https://example.com/a b.png",
            "https://example.com/a\r\n.png",
            "data:image/png;base64,AAAA",
        ] {
            assert!(check_url(bad).is_err(), "{bad:?}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
        assert!(check_url(&long).is_err());
    }

    #[test]
    fn failures_travel_as_their_api_codes() {
        let failure = FetchFailure {
            code: FailureCode::TooManyRedirects,
            message: "redirect".into(),
        };
        let text = serde_json::to_string(&failure).expect("json");
        assert_eq!(
            text,
            r#"{"code":"too_many_redirects","message":"redirect"}"#
        );
        assert_eq!(
            serde_json::from_str::<FetchFailure>(&text).expect("json"),
            failure
        );
    }
}

//! Publishers: the settings of an organization's chat supply (allowed
//! origins, rate limit, floor, pacing, headline and image limits, and
//! whether the whole chatbot is child-directed).

use adspin_core::api_error::ApiError;
use adspin_core::body::parse_json;
use adspin_core::catalog::fields;
use adspin_core::db::Database;
use adspin_core::ids::OrganizationId;
use adspin_core::time::UnixSeconds;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Outcome;
use crate::organizations::load_organization;
use crate::store;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublisherSettings {
    #[serde(default)]
    allowed_origins: Option<Vec<String>>,
    #[serde(default)]
    rate_limit_per_second: Option<i64>,
    #[serde(default)]
    floor_cpm_micros: Option<i64>,
    #[serde(default)]
    ad_offset: Option<i64>,
    #[serde(default)]
    max_frequency: Option<i64>,
    #[serde(default, deserialize_with = "fields::nullable")]
    max_headline_chars: Option<Option<i64>>,
    #[serde(default)]
    image_enabled: Option<bool>,
    #[serde(default)]
    child_directed: Option<bool>,
}

fn publisher_view(db: &impl Database, organization: OrganizationId) -> Result<Value, ApiError> {
    let settings = store::publisher_settings(db, organization)?;
    Ok(json!({
        "organization_id": organization.to_string(),
        "allowed_origins": settings.allowed_origins,
        "rate_limit_per_second": settings.rate_limit_per_second,
        "floor_cpm_micros": settings.floor_cpm_micros,
        "ad_offset": settings.ad_offset,
        "max_frequency": settings.max_frequency,
        "max_headline_chars": settings.max_headline_chars,
        "image_enabled": settings.image_enabled,
        "child_directed": settings.child_directed,
    }))
}

pub(crate) fn find_publisher(db: &impl Database, id: &str) -> Outcome {
    let (organization, _) = load_organization(db, id)?;
    Ok((200, publisher_view(db, organization)?))
}

/// Whether `origin` is what a browser sends as `Origin`:
/// `scheme://host[:port]`, http or https, nothing after the host (no path,
/// query, fragment or credentials); the host may start with `*.`.
fn is_origin(origin: &str) -> bool {
    let wildcard = origin.replacen("://*.", "://wildcard.", 1);
    !origin.ends_with('/')
        && url::Url::parse(&wildcard).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.username().is_empty()
                && u.password().is_none()
                && u.path() == "/"
                && u.query().is_none()
                && u.fragment().is_none()
        })
}

/// Sets a publisher's settings; fields left out keep their value.
pub(crate) fn set_publisher(
    db: &impl Database,
    id: &str,
    body: &[u8],
    now: UnixSeconds,
) -> Outcome {
    let settings: PublisherSettings = parse_json(body)?;
    let (organization, _) = load_organization(db, id)?;
    if let Some(origins) = &settings.allowed_origins {
        for (index, origin) in origins.iter().enumerate() {
            let param = format!("allowed_origins[{index}]");
            if origin != "*" && !is_origin(origin) {
                return Err(ApiError::invalid_value(
                    param,
                    "Origins are scheme://host[:port] (a leading *. is allowed), or *.",
                ));
            }
        }
    }
    let checks = [
        (
            "rate_limit_per_second",
            settings.rate_limit_per_second,
            1,
            100_000,
        ),
        (
            "floor_cpm_micros",
            settings.floor_cpm_micros,
            0,
            1_000_000_000,
        ),
        ("ad_offset", settings.ad_offset, 0, 1_000),
        ("max_frequency", settings.max_frequency, 0, 1_000),
        (
            "max_headline_chars",
            settings.max_headline_chars.flatten(),
            30,
            1_000,
        ),
    ];
    for (param, value, min, max) in checks {
        if let Some(value) = value
            && !(min..=max).contains(&value)
        {
            return Err(ApiError::invalid_value(
                param,
                format!("{param} must be between {min} and {max}."),
            ));
        }
    }
    store::update_publisher(
        db,
        organization,
        store::PublisherChange {
            allowed_origins: settings.allowed_origins,
            rate_limit_per_second: settings.rate_limit_per_second,
            floor_cpm_micros: settings.floor_cpm_micros,
            ad_offset: settings.ad_offset,
            max_frequency: settings.max_frequency,
            max_headline_chars: settings.max_headline_chars,
            image_enabled: settings.image_enabled,
            child_directed: settings.child_directed,
        },
        now,
    )?;
    Ok((200, publisher_view(db, organization)?))
}

#[cfg(test)]
mod tests {
    use super::is_origin;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        for good in [
            "https://chat.example.com",
            "http://localhost:3000",
            "https://*.example.com",
        ] {
            assert!(is_origin(good), "{good}");
        }
        for bad in [
            "https://chat.example.com/",
            "https://chat.example.com/app",
            "https://chat.example.com#frag",
            "https://chat.example.com?x=1",
            "https://user@chat.example.com",
            "ftp://chat.example.com",
            "chat.example.com",
            "",
        ] {
            assert!(!is_origin(bad), "{bad:?}");
        }
    }
}

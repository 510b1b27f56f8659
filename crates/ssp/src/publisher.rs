//! Publishers: `thrad-api-key` authentication, allowed browser origins,
//! per-key rate limits and per-chat pacing.
//!
//! Before the auction, one write transaction counts the request against
//! the key's per-second limit and against the chat's pacing counter.

use serde_json::Value;

use adspin_core::api_keys::{Environment, KeyStatus};
use adspin_core::db::{Database, DbError};
use adspin_core::ids::{ApiKeyId, OrganizationId};
use adspin_core::keys;
use adspin_core::rate_limit::{self, Limit, Usage};
use adspin_core::time::UnixSeconds;

use super::request::RequestConfig;
use super::{NoBidReason, SspError};
use crate::store::{self, Dsp};

/// Requests per second per key when the publisher sets no limit.
pub const DEFAULT_RATE_LIMIT_PER_SECOND: u32 = 100;
/// Lowest winning CPM when the publisher sets no floor: $1.00.
pub const DEFAULT_FLOOR_CPM_MICROS: i64 = 1_000_000;

/// An authenticated publisher key with its publisher's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publisher {
    pub organization_id: OrganizationId,
    pub key_id: ApiKeyId,
    pub environment: Environment,
    pub allowed_origins: Vec<String>,
    pub rate_limit_per_second: u32,
    pub floor_cpm_micros: i64,
    pub ad_offset: i64,
    pub max_frequency: i64,
    pub max_headline_chars: Option<i64>,
    pub image_enabled: bool,
    /// The whole supply is directed at children: every auction is
    /// restricted as for a minor (`crate::privacy`).
    pub child_directed: bool,
    /// The enabled DSPs its auctions call (the registry, read in the same
    /// statement as the key: one round trip fewer per auction).
    pub dsps: Vec<Dsp>,
}

/// The settings that apply to one request: the request's `config`
/// overriding the publisher's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffectiveConfig {
    pub ad_offset: i64,
    pub max_frequency: i64,
    pub max_headline_chars: Option<i64>,
    pub image_enabled: bool,
}

impl Publisher {
    pub fn effective(&self, config: &RequestConfig) -> EffectiveConfig {
        EffectiveConfig {
            ad_offset: config.ad_offset.unwrap_or(self.ad_offset),
            max_frequency: config.max_frequency.unwrap_or(self.max_frequency),
            max_headline_chars: config.max_headline_chars.or(self.max_headline_chars),
            image_enabled: config.image_enabled.unwrap_or(self.image_enabled),
        }
    }

    fn limit(&self) -> Limit {
        Limit {
            limit: self.rate_limit_per_second,
            window_seconds: 1,
        }
    }

    fn bucket(&self) -> String {
        format!("ssp:{}", self.key_id)
    }
}

/// Authenticates the `thrad-api-key` header value.
pub fn authenticate(
    db: &impl Database,
    key: Option<&str>,
    now: UnixSeconds,
) -> Result<Publisher, SspError> {
    let Some(key) = key.map(str::trim).filter(|k| !k.is_empty()) else {
        return Err(SspError::unauthorized("Missing thrad-api-key header"));
    };
    let invalid = || SspError::unauthorized("Invalid API key");
    if !key.starts_with(keys::PUBLISHER_PREFIX) {
        return Err(invalid());
    }
    let row = store::find_publisher_key(db, key)
        .map_err(SspError::from)?
        .ok_or_else(invalid)?;
    if !KeyStatus::of(row.revoked_at, row.expires_at, now).accepts() {
        return Err(invalid());
    }
    Ok(row.publisher)
}

/// Whether a browser origin may call with this key. Requests without an
/// `Origin` header come from servers and skip the check; the app's own
/// origin (`own_origin`: its public base URL, where the demo chat is
/// served) is always allowed, since only the app's own pages run there.
pub fn check_origin(
    publisher: &Publisher,
    origin: Option<&str>,
    own_origin: Option<&str>,
) -> Result<(), SspError> {
    let Some(origin) = origin else {
        return Ok(());
    };
    let normalize = |origin: &str| origin.trim().trim_end_matches('/').to_ascii_lowercase();
    let origin = normalize(origin);
    if own_origin.is_some_and(|own| normalize(own) == origin) {
        return Ok(());
    }
    let allowed = publisher.allowed_origins.iter().any(|entry| {
        let entry = entry.trim().trim_end_matches('/').to_ascii_lowercase();
        entry == "*" || entry == origin || wildcard_matches(&entry, &origin)
    });
    if allowed {
        Ok(())
    } else {
        Err(SspError::forbidden(format!(
            "Origin {origin} is not allowed for this API key"
        )))
    }
}

/// `https://*.example.com` matches `https://chat.example.com`.
fn wildcard_matches(entry: &str, origin: &str) -> bool {
    let Some((scheme, host_pattern)) = entry.split_once("://") else {
        return false;
    };
    let Some(suffix) = host_pattern.strip_prefix("*.") else {
        return false;
    };
    origin
        .strip_prefix(scheme)
        .and_then(|rest| rest.strip_prefix("://"))
        .and_then(|host| host.strip_suffix(suffix))
        .is_some_and(|sub| sub.ends_with('.') && sub.len() > 1)
}

/// The chat's pacing state after counting this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatPacing {
    /// Bid requests seen in this chat, this one included.
    pub requests: i64,
    /// `requests` at the time the last ad was served in this chat.
    pub last_ad_request: Option<i64>,
    pub ads_served: i64,
}

/// Counts a request against the key's rate limit only (for requests
/// rejected before their chat is known).
pub fn count_request(
    db: &impl Database,
    publisher: &Publisher,
    now: UnixSeconds,
) -> Result<Usage, DbError> {
    rate_limit::hit(db, &publisher.bucket(), publisher.limit(), now)
}

/// Counts a valid request against the key's rate limit, then (only when
/// it is within the limit) against the chat's pacing. Each count is one
/// atomic statement of its own: no transaction holds the write lock across
/// the two (on Spin every statement is a host call, on a remote database a
/// round trip), and nothing needs them to commit together.
pub fn admit(
    db: &impl Database,
    publisher: &Publisher,
    chat_id: &str,
    now: UnixSeconds,
) -> Result<(Usage, Option<ChatPacing>), DbError> {
    let usage = rate_limit::hit(db, &publisher.bucket(), publisher.limit(), now)?;
    if usage.exceeded() {
        return Ok((usage, None));
    }
    let pacing = store::count_chat_request(db, publisher.organization_id, chat_id, now)?;
    Ok((usage, pacing))
}

/// Why pacing holds the ad back, if it does: the reason code and the
/// message.
pub fn pacing_block(
    config: &EffectiveConfig,
    turn_number: i64,
    chat: &ChatPacing,
) -> Option<(NoBidReason, String)> {
    if config.ad_offset > 0 && turn_number < config.ad_offset {
        return Some((
            NoBidReason::PacingAdOffset,
            format!(
                "No bid: pacing holds ads until turn {} (this is turn {turn_number})",
                config.ad_offset
            ),
        ));
    }
    if config.max_frequency > 0
        && let Some(last) = chat.last_ad_request
        && chat.requests - last < config.max_frequency
    {
        return Some((
            NoBidReason::FrequencyCapped,
            format!(
                "No bid: pacing allows one ad per {} requests in a chat",
                config.max_frequency
            ),
        ));
    }
    None
}

/// The `X-RateLimit-*` headers of a response.
pub fn rate_limit_headers(usage: &Usage) -> [(&'static str, String); 3] {
    [
        ("x-ratelimit-limit", usage.limit.to_string()),
        ("x-ratelimit-remaining", usage.remaining().to_string()),
        ("x-ratelimit-reset", usage.resets_at.get().to_string()),
    ]
}

/// A publisher's settings as JSON (for the operator surface).
pub fn settings_view(publisher: &Publisher) -> Value {
    serde_json::json!({
        "organization_id": publisher.organization_id.to_string(),
        "allowed_origins": publisher.allowed_origins,
        "rate_limit_per_second": publisher.rate_limit_per_second,
        "floor_cpm_micros": publisher.floor_cpm_micros,
        "ad_offset": publisher.ad_offset,
        "max_frequency": publisher.max_frequency,
        "max_headline_chars": publisher.max_headline_chars,
        "image_enabled": publisher.image_enabled,
        "child_directed": publisher.child_directed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publisher(origins: &[&str]) -> Publisher {
        Publisher {
            organization_id: OrganizationId::new_random(),
            key_id: ApiKeyId::new_random(),
            environment: Environment::Production,
            allowed_origins: origins.iter().map(|o| o.to_string()).collect(),
            rate_limit_per_second: 100,
            floor_cpm_micros: DEFAULT_FLOOR_CPM_MICROS,
            ad_offset: 0,
            max_frequency: 0,
            max_headline_chars: None,
            image_enabled: true,
            child_directed: false,
            dsps: Vec::new(),
        }
    }

    #[test]
    fn server_requests_skip_the_origin_check() {
        assert!(check_origin(&publisher(&[]), None, None).is_ok());
    }

    #[test]
    fn the_app_s_own_pages_may_use_any_key() {
        let own = Some("http://127.0.0.1:3000");
        let p = publisher(&[]);
        assert!(check_origin(&p, Some("http://127.0.0.1:3000"), own).is_ok());
        assert!(check_origin(&p, Some("http://127.0.0.1:3001"), own).is_err());
        assert!(check_origin(&p, Some("http://127.0.0.1:3000"), None).is_err());
    }

    #[test]
    fn browser_origins_must_be_listed() {
        let p = publisher(&["https://chat.example.com", "https://*.acme.io"]);
        assert!(check_origin(&p, Some("https://chat.example.com"), None).is_ok());
        assert!(check_origin(&p, Some("HTTPS://CHAT.EXAMPLE.COM/"), None).is_ok());
        assert!(check_origin(&p, Some("https://app.acme.io"), None).is_ok());
        assert!(check_origin(&p, Some("https://acme.io"), None).is_err());
        assert!(check_origin(&p, Some("http://chat.example.com"), None).is_err());
        let error = check_origin(&p, Some("https://evil.example"), None).expect_err("not listed");
        assert_eq!(error.status(), 403);
    }

    #[test]
    fn pacing_holds_ads_before_the_offset_and_between_ads() {
        let config = EffectiveConfig {
            ad_offset: 3,
            max_frequency: 5,
            max_headline_chars: None,
            image_enabled: true,
        };
        let fresh = ChatPacing {
            requests: 1,
            last_ad_request: None,
            ads_served: 0,
        };
        assert!(pacing_block(&config, 2, &fresh).is_some());
        assert!(pacing_block(&config, 3, &fresh).is_none());
        let recent = ChatPacing {
            requests: 9,
            last_ad_request: Some(5),
            ads_served: 1,
        };
        assert!(pacing_block(&config, 9, &recent).is_some());
        let later = ChatPacing {
            requests: 10,
            last_ad_request: Some(5),
            ads_served: 1,
        };
        assert!(pacing_block(&config, 10, &later).is_none());
        let off = EffectiveConfig {
            ad_offset: 0,
            max_frequency: 0,
            ..config
        };
        assert!(pacing_block(&off, 0, &recent).is_none());
    }

    #[test]
    fn request_config_overrides_publisher_defaults() {
        let mut p = publisher(&[]);
        p.max_frequency = 4;
        p.image_enabled = false;
        let config = RequestConfig {
            max_frequency: Some(0),
            ..RequestConfig::default()
        };
        let effective = p.effective(&config);
        assert_eq!(effective.max_frequency, 0);
        assert!(!effective.image_enabled);
    }
}

//! The SSP's SQL: publisher keys with their settings, per-chat pacing,
//! and the registry of DSPs. Impressions, clicks and views are the
//! delivery ledger's (`adspin_core::delivery`).

use adspin_core::api_keys::Environment;
use adspin_core::db::{Database, DbError, FromRow, Json, Row};
use adspin_core::ids::OrganizationId;
use adspin_core::keys;
use adspin_core::time::UnixSeconds;

use crate::publisher::{
    ChatPacing, DEFAULT_FLOOR_CPM_MICROS, DEFAULT_RATE_LIMIT_PER_SECOND, Publisher,
};

/// A publisher key and its publisher's settings; a publisher without
/// settings (the `LEFT JOIN` found none) gets the defaults.
pub struct PublisherKey {
    pub publisher: Publisher,
    pub revoked_at: Option<UnixSeconds>,
    pub expires_at: Option<UnixSeconds>,
}

impl FromRow for PublisherKey {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        let origins: Option<Json<Vec<String>>> = row.get(5)?;
        let environment: Option<Environment> = row.get(2)?;
        let rate_limit: Option<u32> = row.get(6)?;
        let floor: Option<i64> = row.get(7)?;
        let ad_offset: Option<i64> = row.get(8)?;
        let max_frequency: Option<i64> = row.get(9)?;
        let image_enabled: Option<bool> = row.get(11)?;
        Ok(Self {
            publisher: Publisher {
                key_id: row.get(0)?,
                organization_id: row.get(1)?,
                environment: environment.unwrap_or(Environment::Staging),
                allowed_origins: origins.map(|Json(origins)| origins).unwrap_or_default(),
                rate_limit_per_second: rate_limit.unwrap_or(DEFAULT_RATE_LIMIT_PER_SECOND),
                floor_cpm_micros: floor.unwrap_or(DEFAULT_FLOOR_CPM_MICROS),
                ad_offset: ad_offset.unwrap_or(0),
                max_frequency: max_frequency.unwrap_or(0),
                max_headline_chars: row.get(10)?,
                image_enabled: image_enabled.unwrap_or(true),
                child_directed: row.get::<Option<bool>>(13)?.unwrap_or(false),
                dsps: row
                    .get::<Json<Vec<DspColumns>>>(12)?
                    .0
                    .into_iter()
                    .map(Dsp::from)
                    .collect(),
            },
            revoked_at: row.get(3)?,
            expires_at: row.get(4)?,
        })
    }
}

/// The publisher key whose secret is `key` (revoked and expired ones
/// included: the caller decides), its publisher's settings, and the
/// enabled DSPs, in one statement.
pub fn find_publisher_key(db: &impl Database, key: &str) -> Result<Option<PublisherKey>, DbError> {
    db.find(
        "SELECT k.id, k.organization_id, k.environment, k.revoked_at, k.expires_at,
                p.allowed_origins, p.rate_limit_per_second, p.floor_cpm_micros, p.ad_offset,
                p.max_frequency, p.max_headline_chars, p.image_enabled,
                (SELECT json_group_array(json_array(id, bid_url, render_url, auth_token, timeout_ms, protocol))
                 FROM (SELECT d.*, COALESCE(dp.protocol, 'json') AS protocol
                       FROM dsps d LEFT JOIN dsp_protocols dp ON dp.dsp_id = d.id
                       WHERE d.enabled = 1 ORDER BY d.id)),
                pp.child_directed
         FROM api_keys k LEFT JOIN publishers p ON p.organization_id = k.organization_id
              LEFT JOIN publisher_privacy pp ON pp.organization_id = k.organization_id
         WHERE k.key_hash = ?1 AND k.kind = 'publisher'",
        &[keys::hash_key(key).into()],
    )
}

impl FromRow for ChatPacing {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            requests: row.get(0)?,
            last_ad_request: row.get(1)?,
            ads_served: row.get(2)?,
        })
    }
}

/// Counts one request in the chat and returns its pacing state.
pub fn count_chat_request(
    db: &impl Database,
    publisher: OrganizationId,
    chat_id: &str,
    now: UnixSeconds,
) -> Result<Option<ChatPacing>, DbError> {
    db.find(
        "INSERT INTO chat_pacing (publisher_id, chat_id, requests, ads_served, updated_at) VALUES (?1, ?2, 1, 0, ?3)
         ON CONFLICT (publisher_id, chat_id) DO UPDATE SET requests = requests + 1, updated_at = excluded.updated_at
         RETURNING requests, last_ad_request, ads_served",
        &[publisher.into(), chat_id.into(), now.into()],
    )
}

/// A DSP the auction calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dsp {
    pub id: String,
    pub bid_url: String,
    pub render_url: Option<String>,
    pub auth_token: Option<String>,
    pub timeout_ms: u64,
    pub protocol: Protocol,
}

/// The bid protocol a DSP speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Thrad's JSON DSP protocol.
    Json,
    /// OpenRTB 2.6 with a Native 1.2 request (`crate::openrtb`).
    OpenRtb,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::OpenRtb => "openrtb",
        }
    }
}

/// A DSP as [`find_publisher_key`] reads it: `[id, bid_url, render_url,
/// auth_token, timeout_ms, protocol]`.
type DspColumns = (String, String, Option<String>, Option<String>, u64, String);

impl From<DspColumns> for Dsp {
    fn from((id, bid_url, render_url, auth_token, timeout_ms, protocol): DspColumns) -> Self {
        Self {
            id,
            bid_url,
            render_url,
            auth_token,
            timeout_ms,
            protocol: if protocol == "openrtb" {
                Protocol::OpenRtb
            } else {
                Protocol::Json
            },
        }
    }
}

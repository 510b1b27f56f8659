//! The SSP's side of the DSP protocol: the registry of DSPs it calls and
//! the bid request body it sends them.

use adspin_core::db::{Database, DbError};
use serde_json::{Value, json};

use adspin_core::dsp_protocol::Role;

use super::publisher::EffectiveConfig;
use super::request::BidRequest;

/// The bid request body for a DSP.
pub fn bid_request_body(
    request: &BidRequest,
    request_id: &str,
    ads_before: i64,
    config: &EffectiveConfig,
) -> Value {
    let messages: Vec<Value> = request
        .messages
        .iter()
        .map(|m| {
            let mut message = json!({
                "role": match m.role { Role::User => "user", Role::Assistant => "assistant" },
                "content": m.content,
            });
            if let Some(time) = m.timestamp {
                message["timestamp"] = Value::String(time.to_iso8601());
            }
            message
        })
        .collect();
    let mut body = json!({
        "userId": request.user_id,
        "request_type": "contextual",
        "chatId": request.chat_id,
        "nAdsBefore": ads_before,
        "messages": messages,
        "ad_formats": ["sponsored_message"],
        "production": request.production,
        "request_id": request_id,
        "config": {
            "max_headline_chars": config.max_headline_chars,
            "image_enabled": config.image_enabled,
        },
    });
    let geo = &request.geo;
    for (field, value) in [
        ("country_code", &geo.country),
        ("region", &geo.region),
        ("city", &geo.city),
        ("device", &geo.device),
        ("timezone", &geo.timezone),
    ] {
        if let Some(value) = value {
            body[field] = Value::String(value.clone());
        }
    }
    body
}

/// A DSP the auction calls.
#[derive(Debug, Clone)]
pub struct Dsp {
    pub id: String,
    pub bid_url: String,
    pub render_url: Option<String>,
    pub auth_token: Option<String>,
    pub timeout_ms: u64,
}

/// The enabled DSPs.
pub fn enabled(db: &impl Database) -> Result<Vec<Dsp>, DbError> {
    let rows = db.execute(
        "SELECT id, bid_url, render_url, auth_token, timeout_ms FROM dsps WHERE enabled = 1 ORDER BY id",
        &[],
    )?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(Dsp {
                id: row.text(0)?.to_string(),
                bid_url: row.text(1)?.to_string(),
                render_url: row.text(2).map(String::from),
                auth_token: row.text(3).map(String::from),
                timeout_ms: u64::try_from(row.integer(4)?).ok()?,
            })
        })
        .collect())
}

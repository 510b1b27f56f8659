//! The SSP's side of the DSP protocol: the bid request body it sends.

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

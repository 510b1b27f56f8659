//! The bid request body and headers, validated.
//!
//! A conversation has at least two messages that alternate between `user`
//! and `assistant` and end with a user message followed by the assistant's
//! reply. Message timestamps are ISO 8601 strings or Unix seconds.

use adspin_core::objects;
use serde::Deserialize;
use serde_json::Value;

use adspin_core::body::parse_json;
use adspin_core::time::UnixSeconds;

use super::SspError;
use crate::privacy::{PrivacySignals, RawPrivacy};
use adspin_core::dsp_protocol::{Message, Role, SPONSORED_MESSAGE, SPONSORED_POLL};

/// Bounds that keep one request's work small.
pub const MAX_MESSAGES: usize = 100;
pub const MAX_CONTENT_CHARS: usize = 20_000;
pub const MAX_ID_CHARS: usize = 200;
/// The range of the optional `tmax` (milliseconds): the SSP's own budget
/// (4.5 s) is the most.
pub const MIN_TMAX_MS: i64 = 100;
pub const MAX_TMAX_MS: i64 = 4_500;
/// `config.max_headline_chars` may not be lower than this.
pub const MIN_HEADLINE_CHARS: u32 = 30;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMessage {
    role: Role,
    content: String,
    #[serde(default)]
    timestamp: Option<Value>,
}

/// Per-request overrides of the publisher's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestConfig {
    /// Minimum turn before the first ad; `null` uses the publisher default.
    #[serde(default)]
    pub ad_offset: Option<i64>,
    /// Minimum requests between two ads in a chat; `null` uses the default.
    #[serde(default)]
    pub max_frequency: Option<i64>,
    #[serde(default)]
    pub max_headline_chars: Option<i64>,
    #[serde(default)]
    pub image_enabled: Option<bool>,
    #[serde(default)]
    pub restricted_click_area: Option<bool>,
    #[serde(default)]
    pub experiment_tag: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBidRequest {
    #[serde(rename = "userId")]
    user_id: String,
    #[serde(rename = "chatId")]
    chat_id: String,
    #[serde(deserialize_with = "objects::objects")]
    messages: Vec<RawMessage>,
    #[serde(default)]
    production: Option<bool>,
    #[serde(default)]
    turn_number: Option<i64>,
    #[serde(default, deserialize_with = "objects::optional_object")]
    config: Option<RequestConfig>,
    #[serde(default)]
    request_type: Option<String>,
    #[serde(default)]
    ad_formats: Option<Vec<String>>,
    #[serde(default)]
    user_metadata: Option<Value>,
    #[serde(default, deserialize_with = "objects::optional_object")]
    privacy: Option<RawPrivacy>,
    #[serde(default)]
    tmax: Option<i64>,
}

/// Where the end user is, from the `X-User-*` headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserGeo {
    pub country: Option<String>,
    pub device: Option<String>,
    pub timezone: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
}

/// A validated bid request.
#[derive(Debug, Clone, PartialEq)]
pub struct BidRequest {
    pub user_id: String,
    pub chat_id: String,
    pub messages: Vec<Message>,
    pub production: bool,
    /// The conversation turn (given, or derived from the message count).
    pub turn_number: i64,
    pub config: RequestConfig,
    pub geo: UserGeo,
    /// The privacy signals (body `privacy`, `Sec-GPC` and `DNT` headers).
    pub privacy: PrivacySignals,
    /// The most milliseconds the publisher waits for the answer (`tmax`),
    /// when it waits less than the SSP's own budget.
    pub tmax_ms: Option<u64>,
    /// The served formats the publisher accepts, in the order given
    /// (`sponsored_message` when it named none).
    pub ad_formats: Vec<&'static str>,
}

/// The served formats among `ad_formats` (unknown and coming-soon formats
/// such as `carousel` are ignored): `sponsored_message` when the field is
/// absent; `400` when it names no served format.
fn served_formats(ad_formats: Option<&[String]>) -> Result<Vec<&'static str>, SspError> {
    let Some(formats) = ad_formats else {
        return Ok(vec![SPONSORED_MESSAGE]);
    };
    let mut served = Vec::new();
    for format in formats {
        let known = match format.as_str() {
            SPONSORED_MESSAGE => SPONSORED_MESSAGE,
            SPONSORED_POLL => SPONSORED_POLL,
            _ => continue,
        };
        if !served.contains(&known) {
            served.push(known);
        }
    }
    if served.is_empty() {
        return Err(bad(
            "ad_formats must include \"sponsored_message\" or \"sponsored_poll\", the formats served",
        ));
    }
    Ok(served)
}

fn bad(message: impl Into<String>) -> SspError {
    SspError::bad_request(message)
}

impl BidRequest {
    /// Parses and validates the body; `header` reads request headers.
    pub fn parse<'a>(
        body: &[u8],
        header: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Self, SspError> {
        let raw: RawBidRequest = parse_json(body)?;
        check_id("userId", &raw.user_id)?;
        check_id("chatId", &raw.chat_id)?;
        if let Some(kind) = &raw.request_type
            && kind != "contextual"
        {
            return Err(bad(format!(
                "request_type {kind:?} is not supported: only \"contextual\" requests are served"
            )));
        }
        let ad_formats = served_formats(raw.ad_formats.as_deref())?;
        if let Some(metadata) = &raw.user_metadata
            && !metadata.is_object()
        {
            return Err(bad("user_metadata must be an object"));
        }
        let messages = check_messages(&raw.messages)?;
        if let Some(turn) = raw.turn_number
            && turn < 0
        {
            return Err(bad("turn_number must be >= 0"));
        }
        let config = raw.config.unwrap_or_default();
        check_config(&config)?;
        let geo = geo(&header)?;
        let privacy = PrivacySignals::parse(raw.privacy, &header)?;
        let tmax_ms = match raw.tmax {
            None => None,
            Some(tmax) if (MIN_TMAX_MS..=MAX_TMAX_MS).contains(&tmax) => u64::try_from(tmax).ok(),
            Some(_) => {
                return Err(bad(format!(
                    "tmax must be between {MIN_TMAX_MS} and {MAX_TMAX_MS} milliseconds"
                )));
            }
        };
        let derived_turn = i64::try_from(messages.len() / 2).unwrap_or(i64::MAX);
        Ok(Self {
            user_id: raw.user_id,
            chat_id: raw.chat_id,
            messages,
            production: raw.production.unwrap_or(true),
            turn_number: raw.turn_number.unwrap_or(derived_turn),
            config,
            geo,
            privacy,
            tmax_ms,
            ad_formats,
        })
    }

    /// The latest user message (the one the assistant just answered).
    pub fn latest_user_message(&self) -> &str {
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map_or("", |m| m.content.as_str())
    }
}

fn check_id(name: &str, value: &str) -> Result<(), SspError> {
    if value.trim().is_empty() || value.chars().count() > MAX_ID_CHARS {
        return Err(bad(format!(
            "{name} must be a non-empty string of at most {MAX_ID_CHARS} characters"
        )));
    }
    Ok(())
}

fn check_messages(raw: &[RawMessage]) -> Result<Vec<Message>, SspError> {
    if raw.len() < 2 {
        return Err(bad(
            "messages must contain at least 2 messages (user and assistant)",
        ));
    }
    if raw.len() > MAX_MESSAGES {
        return Err(bad(format!(
            "messages may contain at most {MAX_MESSAGES} messages"
        )));
    }
    for (index, pair) in raw.windows(2).enumerate() {
        if pair[0].role == pair[1].role {
            return Err(bad(format!(
                "messages must alternate between user and assistant: messages[{}] and messages[{}] have the same role",
                index,
                index + 1
            )));
        }
    }
    let last = raw.len() - 1;
    if raw[last - 1].role != Role::User || raw[last].role != Role::Assistant {
        return Err(bad(
            "messages must end with a user message followed by an assistant message",
        ));
    }
    raw.iter()
        .enumerate()
        .map(|(index, message)| {
            if message.content.chars().count() > MAX_CONTENT_CHARS {
                return Err(bad(format!(
                    "messages[{index}].content is longer than {MAX_CONTENT_CHARS} characters"
                )));
            }
            let timestamp = match &message.timestamp {
                None | Some(Value::Null) => None,
                Some(value) => Some(parse_timestamp(value).ok_or_else(|| {
                    bad(format!(
                        "messages[{index}].timestamp must be an ISO 8601 date-time or Unix seconds"
                    ))
                })?),
            };
            Ok(Message {
                role: message.role,
                content: message.content.clone(),
                timestamp,
            })
        })
        .collect()
}

/// ISO 8601 text, Unix seconds as a number, or Unix seconds as text.
fn parse_timestamp(value: &Value) -> Option<UnixSeconds> {
    let seconds = match value {
        Value::Number(number) => number.as_f64()?,
        Value::String(text) => match UnixSeconds::parse_iso8601(text) {
            Some(time) => return Some(time),
            None => text.trim().parse::<f64>().ok()?,
        },
        _ => return None,
    };
    (0.0..1e11)
        .contains(&seconds)
        .then(|| UnixSeconds::new(seconds as i64))
}

fn check_config(config: &RequestConfig) -> Result<(), SspError> {
    if config.ad_offset.is_some_and(|v| v < 0) {
        return Err(bad("config.ad_offset must be >= 0"));
    }
    if config.max_frequency.is_some_and(|v| v < 0) {
        return Err(bad("config.max_frequency must be >= 0"));
    }
    if config
        .max_headline_chars
        .is_some_and(|v| v < i64::from(MIN_HEADLINE_CHARS))
    {
        return Err(bad(format!(
            "config.max_headline_chars must be at least {MIN_HEADLINE_CHARS}"
        )));
    }
    if config
        .experiment_tag
        .as_ref()
        .is_some_and(|tag| tag.chars().count() > 100)
    {
        return Err(bad("config.experiment_tag must be at most 100 characters"));
    }
    Ok(())
}

/// `X-User-Country` needs `X-User-Device` and `X-User-Timezone`.
fn geo<'a>(header: &impl Fn(&str) -> Option<&'a str>) -> Result<UserGeo, SspError> {
    let value = |name: &str| {
        header(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(String::from)
    };
    let geo = UserGeo {
        country: value("x-user-country").map(|c| c.to_ascii_uppercase()),
        device: value("x-user-device").map(|d| d.to_ascii_lowercase()),
        timezone: value("x-user-timezone"),
        region: value("x-user-region"),
        city: value("x-user-city"),
    };
    if let Some(country) = &geo.country {
        if geo.device.is_none() || geo.timezone.is_none() {
            return Err(bad(
                "X-User-Country requires X-User-Device and X-User-Timezone",
            ));
        }
        if !adspin_core::catalog::targeting::is_country(country) {
            return Err(bad(
                "X-User-Country must be an ISO 3166-1 alpha-2 country code",
            ));
        }
    }
    if let Some(device) = &geo.device
        && device != "mobile"
        && device != "desktop"
    {
        return Err(bad("X-User-Device must be \"mobile\" or \"desktop\""));
    }
    Ok(geo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn no_headers(_: &str) -> Option<&'static str> {
        None
    }

    fn body(messages: Value) -> Vec<u8> {
        json!({"userId": "user_1", "chatId": "chat_1", "messages": messages, "turn_number": 4})
            .to_string()
            .into_bytes()
    }

    fn conversation() -> Value {
        json!([
            {"role": "user", "content": "Looking for running shoes", "timestamp": "2024-11-23T10:00:00Z"},
            {"role": "assistant", "content": "What's your budget?", "timestamp": 1732356015}
        ])
    }

    fn error(result: Result<BidRequest, SspError>) -> String {
        result.expect_err("invalid").to_string()
    }

    #[test]
    fn the_documented_example_is_valid() {
        let request = BidRequest::parse(&body(conversation()), no_headers).expect("valid");
        assert_eq!(request.turn_number, 4);
        assert!(request.production);
        assert_eq!(
            request.messages[0].timestamp,
            UnixSeconds::parse_iso8601("2024-11-23T10:00:00Z")
        );
        assert_eq!(
            request.messages[1].timestamp,
            Some(UnixSeconds::new(1_732_356_015))
        );
        assert_eq!(request.latest_user_message(), "Looking for running shoes");
    }

    #[test]
    fn conversations_must_alternate_and_end_user_then_assistant() {
        let one = json!([{"role": "user", "content": "hi"}]);
        assert!(error(BidRequest::parse(&body(one), no_headers)).contains("at least 2"));
        let same = json!([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]);
        assert!(error(BidRequest::parse(&body(same), no_headers)).contains("alternate"));
        let ends_with_user =
            json!([{"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}]);
        assert!(error(BidRequest::parse(&body(ends_with_user), no_headers)).contains("end with"));
        let bad_role =
            json!([{"role": "system", "content": "a"}, {"role": "assistant", "content": "b"}]);
        assert!(BidRequest::parse(&body(bad_role), no_headers).is_err());
    }

    #[test]
    fn ids_turns_and_timestamps_are_checked() {
        let mut value: Value = serde_json::from_slice(&body(conversation())).expect("json");
        value["userId"] = json!("");
        assert!(
            error(BidRequest::parse(value.to_string().as_bytes(), no_headers)).contains("userId")
        );
        let mut value: Value = serde_json::from_slice(&body(conversation())).expect("json");
        value["turn_number"] = json!(-1);
        assert!(
            error(BidRequest::parse(value.to_string().as_bytes(), no_headers))
                .contains("turn_number")
        );
        let bad_time = json!([{"role": "user", "content": "a", "timestamp": "yesterday"}, {"role": "assistant", "content": "b"}]);
        assert!(error(BidRequest::parse(&body(bad_time), no_headers)).contains("timestamp"));
        let missing_chat = json!({"userId": "u", "messages": conversation()}).to_string();
        assert!(BidRequest::parse(missing_chat.as_bytes(), no_headers).is_err());
    }

    #[test]
    fn the_turn_is_derived_when_not_given() {
        let raw = json!({"userId": "u", "chatId": "c", "messages": conversation()}).to_string();
        assert_eq!(
            BidRequest::parse(raw.as_bytes(), no_headers)
                .expect("valid")
                .turn_number,
            1
        );
    }

    #[test]
    fn tmax_is_optional_and_bounded() {
        let with = |tmax: Value| {
            let mut value: Value = serde_json::from_slice(&body(conversation())).expect("json");
            value["tmax"] = tmax;
            BidRequest::parse(value.to_string().as_bytes(), no_headers)
        };
        assert_eq!(with(json!(800)).expect("valid").tmax_ms, Some(800));
        assert_eq!(with(Value::Null).expect("valid").tmax_ms, None);
        for bad in [json!(99), json!(4_501), json!("800")] {
            assert!(with(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_country_header_needs_device_and_timezone() {
        let country = |name: &str| match name {
            "x-user-country" => Some("us"),
            _ => None,
        };
        assert!(error(BidRequest::parse(&body(conversation()), country)).contains("X-User-Device"));
        let full = |name: &str| match name {
            "x-user-country" => Some("us"),
            "x-user-device" => Some("Mobile"),
            "x-user-timezone" => Some("America/New_York"),
            _ => None,
        };
        let request = BidRequest::parse(&body(conversation()), full).expect("valid");
        assert_eq!(request.geo.country.as_deref(), Some("US"));
        assert_eq!(request.geo.device.as_deref(), Some("mobile"));
    }

    #[test]
    fn config_overrides_are_bounded() {
        let mut value: Value = serde_json::from_slice(&body(conversation())).expect("json");
        value["config"] = json!({"max_headline_chars": 29});
        assert!(
            error(BidRequest::parse(value.to_string().as_bytes(), no_headers))
                .contains("max_headline_chars")
        );
        value["config"] = json!({"max_headline_chars": 30, "image_enabled": false, "ad_offset": 0});
        let request = BidRequest::parse(value.to_string().as_bytes(), no_headers).expect("valid");
        assert_eq!(request.config.image_enabled, Some(false));
    }
}

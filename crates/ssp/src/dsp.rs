//! The SSP's side of the DSP protocol: the bid request body it sends.
//! Every DSP, the internal one included, gets the conversation redacted
//! ([`crate::redaction`]): personal data never leaves the SSP. The privacy
//! signals go along as `regs` (OpenRTB's names), and a restricted auction
//! ([`crate::privacy`]) sends no user id.

use std::cell::OnceCell;

use serde_json::{Value, json};

use adspin_core::dsp_protocol::{Message, Role};

use super::openrtb::Context;
use super::publisher::EffectiveConfig;
use super::redaction;
use super::request::BidRequest;

/// The conversation as every DSP of an auction is told it: redacted once
/// per auction, whatever the DSPs' protocols; what it is about
/// ([`Conversation::context`], for OpenRTB's `site`) is worked out on first
/// use, so an auction without OpenRTB DSPs never pays for it.
pub struct Conversation {
    messages: Vec<Message>,
    context: OnceCell<Context>,
}

impl Conversation {
    pub fn redacted(messages: &[Message]) -> Self {
        Self {
            messages: messages
                .iter()
                .map(|m| Message {
                    content: redaction::redact(&m.content).into_owned(),
                    ..m.clone()
                })
                .collect(),
            context: OnceCell::new(),
        }
    }

    /// The messages, redacted.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    pub fn context(&self) -> &Context {
        self.context.get_or_init(|| Context::of(&self.messages))
    }
}

/// A message's `role` as the protocols spell it.
pub fn role(message: &Message) -> &'static str {
    match message.role {
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

/// The bid request body for a DSP, built once per auction and sent to
/// every DSP, with the `conversation` redacted. `child_directed` is the
/// publisher's setting.
pub fn bid_request_body(
    request: &BidRequest,
    conversation: &Conversation,
    request_id: &str,
    ads_before: i64,
    config: &EffectiveConfig,
    child_directed: bool,
) -> Value {
    let messages: Vec<Value> = conversation
        .messages()
        .iter()
        .map(|m| {
            let mut message = json!({"role": role(m), "content": m.content});
            if let Some(time) = m.timestamp {
                message["timestamp"] = Value::String(time.to_iso8601());
            }
            message
        })
        .collect();
    let mut body = json!({
        "request_type": "contextual",
        "chatId": request.chat_id,
        "nAdsBefore": ads_before,
        "messages": messages,
        "ad_formats": request.ad_formats,
        "production": request.production,
        "request_id": request_id,
        "config": {
            "max_headline_chars": config.max_headline_chars,
            "image_enabled": config.image_enabled,
        },
        "regs": request.privacy.regs(child_directed),
    });
    if request.privacy.restriction(child_directed).is_none() {
        body["userId"] = Value::String(request.user_id.clone());
    }
    if request.privacy.opted_out() {
        body["dnt"] = json!(1);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn request(user: &str) -> BidRequest {
        let body = json!({"userId": "user_1", "chatId": "chat_1", "messages": [
            {"role": "user", "content": user},
            {"role": "assistant", "content": "Sure, I can help with that."}
        ]});
        BidRequest::parse(body.to_string().as_bytes(), |_| None).expect("valid")
    }

    /// The body every DSP gets for `request`, its conversation redacted as
    /// the auction does.
    fn body_for(request: &BidRequest, child_directed: bool) -> Value {
        let config = EffectiveConfig {
            ad_offset: 0,
            max_frequency: 0,
            max_headline_chars: None,
            image_enabled: true,
        };
        let conversation = Conversation::redacted(&request.messages);
        bid_request_body(
            request,
            &conversation,
            "api_req_1",
            0,
            &config,
            child_directed,
        )
    }

    #[test]
    fn dsps_get_the_conversation_with_personal_data_redacted() {
        let request = request(
            "Running shoes under $120 please, mail jane@example.com or call +1 415 555 0132, card 4111 1111 1111 1111",
        );
        let body = body_for(&request, false);
        assert_eq!(
            body["messages"][0]["content"],
            "Running shoes under $120 please, mail [email] or call [phone], card [card]"
        );
        assert_eq!(
            body["messages"][1]["content"],
            "Sure, I can help with that."
        );
        let text = body.to_string();
        for secret in ["jane@example.com", "555 0132", "4111"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert_eq!(body["userId"], "user_1");
        assert_eq!(body["regs"], json!({"coppa": 0}));
    }

    #[test]
    fn restricted_requests_carry_no_user_id_and_their_signals() {
        let mut request = request("Looking for a bike");
        let body = body_for(&request, true);
        assert!(body.get("userId").is_none(), "{body}");
        assert_eq!(body["regs"]["coppa"], 1);
        request.privacy =
            crate::privacy::PrivacySignals::parse(None, |name| (name == "sec-gpc").then_some("1"))
                .expect("valid");
        let body = body_for(&request, false);
        assert!(body.get("userId").is_none(), "{body}");
        assert_eq!(body["dnt"], 1);
        assert_eq!(body["regs"]["coppa"], 0);
    }
}

//! The internal DSP (`thrad_dsp`): bids with the platform's own campaigns.
//! It bids only with demand that can serve now, when an ad group's
//! `context_hints` fit the conversation, at the ad group's max bid as CPM.

pub mod bid;
pub mod demand;
pub mod relevance;

/// The DSP id of the internal DSP (the `dsp` of its winning bids).
pub const DSP_ID: &str = "thrad_dsp";

use serde::Deserialize;

use crate::ssp::request::{Message, Role};

/// The part of the SSP's bid request the internal DSP reads.
#[derive(Debug, Clone, Deserialize)]
pub struct BidRequestView {
    pub messages: Vec<MessageView>,
    #[serde(default)]
    pub country_code: Option<String>,
    #[serde(default)]
    pub config: ConfigView,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MessageView {
    pub role: Role,
    pub content: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConfigView {
    #[serde(default)]
    pub max_headline_chars: Option<i64>,
    #[serde(default)]
    pub image_enabled: Option<bool>,
}

impl BidRequestView {
    pub fn messages(&self) -> Vec<Message> {
        self.messages
            .iter()
            .map(|m| Message {
                role: m.role,
                content: m.content.clone(),
                timestamp: None,
            })
            .collect()
    }
}

/// The render call's body.
#[derive(Debug, Clone, Deserialize)]
pub struct RenderRequest {
    #[serde(rename = "bidId")]
    pub bid_id: String,
}

//! The JSON protocol between the SSP and its DSPs: the conversation the
//! SSP sends, the bid responses it accepts, and the render call to the
//! winner. Both sides of it live here: the SSP writes requests and reads
//! answers, the internal DSP reads requests and writes answers.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::money::Micros;
use crate::time::UnixSeconds;

/// Largest DSP response body read; anything longer is dropped.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// Longest accepted `bidId`.
pub const MAX_BID_ID_LENGTH: usize = 1024;

/// A creative as a DSP renders it (in a bid's `ad_data` or a render
/// response). Unknown fields make the whole creative invalid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenderedAd {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advertiser: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    pub headline: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cta_text: Option<String>,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_url: Option<String>,
    /// A sponsored poll's question and options (`ad_format`
    /// `sponsored_poll`); the headline repeats the question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<RenderedPoll>,
}

/// A sponsored poll as a DSP renders it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenderedPoll {
    pub question: String,
    /// 2 to 4 answers, in order; their ids are their positions.
    pub options: Vec<String>,
}

/// The ad formats served: chat cards and sponsored polls.
pub const SPONSORED_MESSAGE: &str = "sponsored_message";
pub const SPONSORED_POLL: &str = "sponsored_poll";

impl RenderedAd {
    /// The ad format: `sponsored_message` unless the creative says
    /// otherwise.
    pub fn format(&self) -> &str {
        self.ad_format.as_deref().unwrap_or(SPONSORED_MESSAGE)
    }

    /// Checks the fields beyond their types.
    pub fn validate(&self) -> Result<(), String> {
        match (self.format(), &self.poll) {
            (SPONSORED_MESSAGE, None) => {}
            (SPONSORED_MESSAGE, Some(_)) => {
                return Err("a sponsored_message has no poll".into());
            }
            (SPONSORED_POLL, None) => return Err("a sponsored_poll needs its poll".into()),
            (SPONSORED_POLL, Some(poll)) => {
                if poll.question.trim().is_empty() {
                    return Err("poll.question is empty".into());
                }
                if !(2..=4).contains(&poll.options.len())
                    || poll.options.iter().any(|o| o.trim().is_empty())
                {
                    return Err("poll.options are not 2 to 4 answers".into());
                }
            }
            (format, _) => return Err(format!("ad_format {format:?} is not served")),
        }
        if let Some(placement) = &self.placement
            && placement != "image"
            && placement != "text"
        {
            return Err(format!("placement {placement:?} is not image or text"));
        }
        if self.headline.trim().is_empty() {
            return Err("headline is empty".into());
        }
        for (name, url) in [
            ("url", Some(&self.url)),
            ("image_url", self.image_url.as_ref()),
            ("logo_url", self.logo_url.as_ref()),
            ("view_url", self.view_url.as_ref()),
        ] {
            if let Some(url) = url
                && !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
            {
                return Err(format!("{name} is not an http(s) URL"));
            }
        }
        Ok(())
    }

    /// Whether the creative fits a publisher's headline limit.
    pub fn fits(&self, max_headline_chars: Option<i64>) -> bool {
        max_headline_chars.is_none_or(|max| {
            i64::try_from(self.headline.chars().count()).unwrap_or(i64::MAX) <= max
        })
    }
}

/// A DSP's offer.
#[derive(Debug, Clone, PartialEq)]
pub struct DspBid {
    pub bid_id: String,
    pub price: Micros,
    pub ad_data: Option<RenderedAd>,
}

/// What a DSP answered.
#[derive(Debug, Clone, PartialEq)]
pub enum DspAnswer {
    Bid(Box<DspBid>),
    NoBid,
    /// Dropped, with the reason (logged, never sent to the publisher).
    Rejected(String),
}

/// Reads a bid response (`status`, `body`).
pub fn parse_bid_response(status: u16, body: &[u8]) -> DspAnswer {
    if status == 204 {
        return DspAnswer::NoBid;
    }
    if status != 200 {
        return DspAnswer::Rejected(format!("HTTP status {status}"));
    }
    if body.len() > MAX_RESPONSE_BYTES {
        return DspAnswer::Rejected("response body too large".into());
    }
    let Ok(Value::Object(root)) = serde_json::from_slice::<Value>(body) else {
        return DspAnswer::Rejected("response is not a JSON object".into());
    };
    let Some(data) = root.get("data") else {
        return DspAnswer::Rejected("response has no data".into());
    };
    let Value::Object(data) = data else {
        return DspAnswer::Rejected("data is not an object".into());
    };
    let price = match data.get("bid") {
        None | Some(Value::Null) => return DspAnswer::NoBid,
        Some(Value::Number(number)) => match round_price(&number.to_string()) {
            Some(price) => price,
            None => return DspAnswer::Rejected("bid is negative or too large".into()),
        },
        Some(_) => return DspAnswer::Rejected("bid is not a number".into()),
    };
    if price == Micros::ZERO {
        return DspAnswer::NoBid;
    }
    let bid_id = match data.get("bidId") {
        Some(Value::String(id)) if !id.trim().is_empty() && id.len() <= MAX_BID_ID_LENGTH => {
            id.clone()
        }
        _ => return DspAnswer::Rejected("bid without bidId".into()),
    };
    let ad_data = match data.get("ad_data") {
        None | Some(Value::Null) => None,
        Some(value) => match RenderedAd::deserialize(value) {
            Ok(ad) => match ad.validate() {
                Ok(()) => Some(ad),
                Err(reason) => return DspAnswer::Rejected(format!("invalid_ad_data: {reason}")),
            },
            Err(error) => return DspAnswer::Rejected(format!("invalid_ad_data: {error}")),
        },
    };
    DspAnswer::Bid(Box::new(DspBid {
        bid_id,
        price,
        ad_data,
    }))
}

/// The render request body for the winning bid.
pub fn render_request_body(bid_id: &str, price: Micros, production: bool) -> Value {
    json!({ "bidId": bid_id, "realizedPrice": price.to_dollars(), "production": production })
}

/// Reads a render response: `{"data": {...creative...}}`.
pub fn parse_render_response(status: u16, body: &[u8]) -> Result<RenderedAd, String> {
    if status != 200 {
        return Err(format!("render answered HTTP status {status}"));
    }
    if body.len() > MAX_RESPONSE_BYTES {
        return Err("render response too large".into());
    }
    #[derive(Deserialize)]
    struct Render {
        data: RenderedAd,
    }
    let render: Render =
        serde_json::from_slice(body).map_err(|e| format!("render response is invalid: {e}"))?;
    render.data.validate()?;
    Ok(render.data)
}

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

/// A message of the conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub content: String,
    pub timestamp: Option<UnixSeconds>,
}

/// Rounds a bid price (its JSON text, such as `"7.135"`) to whole cents
/// with banker's rounding, as micros. `None` when it is not a
/// non-negative decimal number, or is too large for micros (about
/// $9.2 trillion).
pub fn round_price(text: &str) -> Option<Micros> {
    let text = text.trim();
    if text.starts_with('-') {
        return None;
    }
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole
        .bytes()
        .chain(fraction.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // All digits, and where the decimal point falls after the exponent.
    let digits: Vec<u8> = whole
        .bytes()
        .chain(fraction.bytes())
        .map(|b| b - b'0')
        .collect();
    // Checked: an exponent near `i32::MAX` is no price.
    let point = i32::try_from(whole.len()).ok()?.checked_add(exponent)?;
    // Value = 0.d1d2d3... × 10^point. Cents keep `point + 2` digits.
    let keep = point.checked_add(2)?;
    if keep > 15 {
        return None;
    }
    let digit = |index: i32| -> u8 {
        usize::try_from(index)
            .ok()
            .and_then(|i| digits.get(i).copied())
            .unwrap_or(0)
    };
    let mut cents: i64 = 0;
    for index in 0..keep.max(0) {
        cents = cents * 10 + i64::from(digit(index));
    }
    // Banker's rounding on the discarded digits.
    let first_dropped = digit(keep);
    // Digits before the first one written are zeros: a large negative
    // exponent must not walk through them one by one.
    let rest = (keep + 1).max(0);
    let rest_nonzero = (rest..i32::try_from(digits.len()).ok()?.max(rest)).any(|i| digit(i) != 0);
    let round_up = match first_dropped {
        0..=4 => false,
        6..=9 => true,
        _ => rest_nonzero || cents % 2 == 1,
    };
    if round_up {
        cents += 1;
    }
    cents.checked_mul(10_000).map(Micros::new)
}

/// The part of the SSP's bid request the internal DSP reads.
#[derive(Debug, Clone, Deserialize)]
pub struct BidRequestView {
    pub messages: Vec<MessageView>,
    #[serde(default)]
    pub country_code: Option<String>,
    #[serde(default)]
    pub config: ConfigView,
    /// The formats the publisher accepts (`sponsored_message` when none
    /// are named).
    #[serde(default)]
    pub ad_formats: Vec<String>,
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
    /// Whether the publisher accepts sponsored polls.
    pub fn accepts_polls(&self) -> bool {
        self.ad_formats.iter().any(|f| f == SPONSORED_POLL)
    }

    /// Whether the publisher accepts chat cards (the default).
    pub fn accepts_messages(&self) -> bool {
        self.ad_formats.is_empty() || self.ad_formats.iter().any(|f| f == SPONSORED_MESSAGE)
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn bid(json: &str) -> DspAnswer {
        parse_bid_response(200, json.as_bytes())
    }

    #[test]
    fn a_bid_is_read_with_its_rounded_price() {
        let answer = bid(r#"{"data":{"bid":7.135,"bidId":"bid_1"},"requestId":"ignored"}"#);
        assert_eq!(
            answer,
            DspAnswer::Bid(Box::new(DspBid {
                bid_id: "bid_1".into(),
                price: Micros::new(7_140_000),
                ad_data: None
            }))
        );
    }

    #[test]
    fn the_three_no_bid_forms_are_no_bids() {
        assert_eq!(parse_bid_response(204, b""), DspAnswer::NoBid);
        assert_eq!(bid(r#"{"data":{}}"#), DspAnswer::NoBid);
        assert_eq!(bid(r#"{"data":{"bid":0}}"#), DspAnswer::NoBid);
    }

    #[test]
    fn malformed_bids_are_dropped_with_a_reason() {
        for (body, reason) in [
            ("not json", "JSON"),
            ("[1,2]", "JSON object"),
            (r#"{"nodata":1}"#, "no data"),
            (r#"{"data":{"bid":"7"}}"#, "not a number"),
            (r#"{"data":{"bid":-1,"bidId":"x"}}"#, "negative"),
            (r#"{"data":{"bid":2.5}}"#, "bidId"),
            (
                r#"{"data":{"bid":2.5,"bidId":"x","ad_data":{"headline":"h","description":"d"}}}"#,
                "invalid_ad_data",
            ),
            (
                r#"{"data":{"bid":2.5,"bidId":"x","ad_data":{"headline":"h","description":"d","url":"https://e.com","extra":1}}}"#,
                "invalid_ad_data",
            ),
        ] {
            match bid(body) {
                DspAnswer::Rejected(why) => assert!(why.contains(reason), "{body}: {why}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        assert!(matches!(
            parse_bid_response(500, b"{}"),
            DspAnswer::Rejected(_)
        ));
        let huge = vec![b' '; MAX_RESPONSE_BYTES + 1];
        assert!(matches!(
            parse_bid_response(200, &huge),
            DspAnswer::Rejected(_)
        ));
    }

    #[test]
    fn valid_ad_data_comes_with_the_bid() {
        let answer = bid(
            r#"{"data":{"bid":3,"bidId":"b","ad_data":{"ad_format":"sponsored_message","headline":"Shoes","description":"Light","url":"https://dsp.example/click/1","advertiser":"Nike"}}}"#,
        );
        let DspAnswer::Bid(bid) = answer else {
            panic!("a bid")
        };
        assert_eq!(
            bid.ad_data.expect("ad data").advertiser.as_deref(),
            Some("Nike")
        );
    }

    #[test]
    fn render_responses_are_strict() {
        let ok = br#"{"data":{"headline":"H","description":"D","url":"https://e.com/c"}}"#;
        assert_eq!(parse_render_response(200, ok).expect("valid").headline, "H");
        assert!(parse_render_response(404, b"{}").is_err());
        assert!(
            parse_render_response(200, br#"{"data":{"headline":"H","url":"https://e.com"}}"#)
                .is_err()
        );
        assert!(
            parse_render_response(
                200,
                br#"{"data":{"headline":"H","description":"D","url":"ftp://x"}}"#
            )
            .is_err()
        );
    }

    #[test]
    fn headlines_must_fit_the_publisher_limit() {
        let ad = RenderedAd {
            ad_format: None,
            placement: None,
            advertiser: None,
            domain: None,
            headline: "x".repeat(31),
            description: "d".into(),
            cta_text: None,
            url: "https://e.com".into(),
            image_url: None,
            logo_url: None,
            view_url: None,
            poll: None,
        };
        assert!(ad.fits(None));
        assert!(!ad.fits(Some(30)));
        assert!(ad.fits(Some(31)));
    }
}

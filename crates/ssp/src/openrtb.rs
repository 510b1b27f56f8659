//! The OpenRTB 2.6 + Native 1.2 DSP protocol (reference notes §3A), beside
//! Thrad's JSON protocol: the bid request ([`bid_request`]), the bid
//! response ([`parse_response`]) and the win, billing and loss notices
//! with their macros ([`expand`]).
//!
//! One `imp` (`id` "1") asks for a sponsored message: the image tag when
//! the publisher shows images, the text tag otherwise, with the native
//! assets of §3A. The conversation, redacted like every DSP's, goes in
//! `imp.ext.thrad.messages`; its categories, keywords and latest question
//! in `site` ([`context`]). A restricted auction (`crate::privacy`) sends
//! no user id, address or agent.

mod context;
mod countries;

use adspin_core::dsp_protocol::{DspBid, MAX_BID_ID_LENGTH, RenderedAd, round_price};
use adspin_core::money::Micros;
use serde_json::{Map, Value, json};

use crate::dsp::{self, Conversation};
use crate::publisher::EffectiveConfig;
use crate::request::BidRequest;
pub use context::Context;

/// The tag of an imp whose creative may carry a main image.
pub const IMAGE_TAG: &str = "sponsored_message_image_v1";
/// The tag of an imp whose creative is text with an icon.
pub const TEXT_TAG: &str = "sponsored_message_text_v1";
/// The protocol version header every request carries.
pub const VERSION_HEADER: (&str, &str) = ("x-openrtb-version", "2.6");

/// Native asset ids (§3A).
const TITLE: u64 = 1;
const DESCRIPTION: u64 = 2;
const SPONSORED_BY: u64 = 3;
const MAIN_IMAGE: u64 = 4;
const ICON: u64 = 5;
const CTA: u64 = 6;
const TITLE_LEN: i64 = 90;

/// The most bids of one response considered.
pub const MAX_BIDS: usize = 10;

/// OpenRTB loss codes the response itself decides.
pub const LOSS_INVALID_RESPONSE: u16 = 3;
pub const LOSS_MISSING_MARKUP: u16 = 7;
pub const LOSS_LOST_TO_HIGHER_BID: u16 = 102;

/// What the SSP knows of a request besides its body.
pub struct Facts<'a> {
    pub request_id: &'a str,
    pub request: &'a BidRequest,
    /// The request's conversation, redacted.
    pub conversation: &'a Conversation,
    pub config: &'a EffectiveConfig,
    pub ads_before: i64,
    pub publisher_id: &'a str,
    pub floor: Micros,
    /// A test request: a staging key or `production: false`.
    pub test: bool,
    pub child_directed: bool,
    /// The end user's address and agent (`None` when restricted).
    pub client_ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// The host of the page the chat runs on (its `Origin`).
    pub domain: Option<&'a str>,
    /// The page the chat runs on (its `Referer`).
    pub page: Option<&'a str>,
    /// The user's language, ISO 639-1 (the first of `Accept-Language`).
    pub language: Option<&'a str>,
}

/// The ISO 639-1 code of the first language of an `Accept-Language`
/// header (`fr-CH, fr;q=0.9` → `fr`).
pub fn language(accept_language: &str) -> Option<String> {
    let first = accept_language.split(',').next()?.split(';').next()?.trim();
    let primary = first.split('-').next()?;
    (primary.len() == 2 && primary.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| primary.to_ascii_lowercase())
}

impl Facts<'_> {
    /// The imp's tag.
    pub fn tag(&self) -> &'static str {
        if self.config.image_enabled {
            IMAGE_TAG
        } else {
            TEXT_TAG
        }
    }
}

/// The Native 1.2 request of a tag, as the JSON string `native.request`
/// carries.
fn native_request(tag: &str, max_headline_chars: Option<i64>) -> String {
    let title_len = max_headline_chars.map_or(TITLE_LEN, |max| max.clamp(1, TITLE_LEN));
    let mimes = json!(["image/jpeg", "image/png", "image/webp"]);
    let mut assets = vec![
        json!({"id": TITLE, "required": 1, "title": {"len": title_len}}),
        json!({"id": DESCRIPTION, "required": 1, "data": {"type": 2, "len": 200}}),
        json!({"id": SPONSORED_BY, "required": 0, "data": {"type": 1, "len": 50}}),
    ];
    if tag == IMAGE_TAG {
        assets.push(json!({"id": MAIN_IMAGE, "required": 0,
            "img": {"type": 3, "wmin": 400, "hmin": 400, "mimes": mimes}}));
        assets.push(json!({"id": ICON, "required": 0,
            "img": {"type": 1, "wmin": 100, "hmin": 100, "mimes": mimes}}));
    } else {
        assets.push(json!({"id": ICON, "required": 1,
            "img": {"type": 1, "wmin": 100, "hmin": 100, "mimes": mimes}}));
    }
    assets.push(json!({"id": CTA, "required": 0, "data": {"type": 12, "len": 15}}));
    json!({
        "ver": "1.2",
        "context": 1,
        "plcmttype": 1,
        "assets": assets,
        "eventtrackers": [{"event": 1, "methods": [1]}],
    })
    .to_string()
}

/// The BidRequest for one DSP, whose deadline leaves it `tmax_ms`.
pub fn bid_request(facts: &Facts<'_>, tmax_ms: u64) -> Value {
    let request = facts.request;
    let restricted = request.privacy.restriction(facts.child_directed).is_some();
    let messages: Vec<Value> = facts
        .conversation
        .messages()
        .iter()
        .map(|m| json!({"role": dsp::role(m), "content": m.content}))
        .collect();
    let tag = facts.tag();
    let mut site = json!({
        "id": facts.publisher_id,
        "publisher": {"id": facts.publisher_id},
        "privacypolicy": 1,
    });
    let context = facts.conversation.context();
    if !context.categories.is_empty() {
        site["cat"] = json!(context.categories);
        site["cattax"] = json!(context::CATTAX);
    }
    if !context.keywords.is_empty() {
        site["keywords"] = json!(context.keywords.join(","));
    }
    if let Some(search) = &context.search {
        site["search"] = json!(search);
    }
    if let Some(domain) = facts.domain {
        site["domain"] = json!(domain);
        site["publisher"]["domain"] = json!(domain);
    }
    if let Some(page) = facts.page.filter(|page| url::Url::parse(page).is_ok()) {
        site["page"] = json!(page);
    }
    let mut device = json!({"js": 1});
    if let Some(language) = facts.language {
        device["language"] = json!(language);
    }
    if let Some(ua) = facts.user_agent {
        device["ua"] = json!(ua);
    }
    if let Some(ip) = facts.client_ip {
        let field = if ip.contains(':') { "ipv6" } else { "ip" };
        device[field] = json!(ip);
    }
    if request.privacy.opted_out() {
        device["dnt"] = json!(1);
    }
    match request.geo.device.as_deref() {
        Some("mobile") => device["devicetype"] = json!(1),
        Some("desktop") => device["devicetype"] = json!(2),
        _ => {}
    }
    let mut geo = Map::new();
    if let Some(country) = request.geo.country.as_deref().and_then(countries::alpha3) {
        geo.insert("country".into(), json!(country));
    }
    if let Some(region) = &request.geo.region {
        geo.insert("region".into(), json!(region));
    }
    if let Some(city) = &request.geo.city {
        geo.insert("city".into(), json!(city));
    }
    if !geo.is_empty() {
        geo.insert("type".into(), json!(2));
        device["geo"] = Value::Object(geo);
    }
    let mut regs = request.privacy.regs(facts.child_directed);
    regs["gdpr"] = json!(0);
    let mut body = json!({
        "id": facts.request_id,
        "at": 1,
        "tmax": tmax_ms,
        "cur": ["USD"],
        "test": u8::from(facts.test),
        "imp": [{
            "id": "1",
            "tagid": tag,
            "secure": 1,
            "bidfloor": facts.floor.to_dollars(),
            "bidfloorcur": "USD",
            "native": {"ver": "1.2", "request": native_request(tag, facts.config.max_headline_chars)},
            "ext": {"thrad": {
                "chat_id": request.chat_id,
                "n_ads_before": facts.ads_before,
                "production": request.production,
                "messages": messages,
            }},
        }],
        "site": site,
        "device": device,
        "regs": regs,
        "source": {"tid": facts.request_id},
    });
    if !restricted {
        body["user"] = json!({"id": request.user_id});
    }
    body
}

/// A bid's notice URLs, before their macros are expanded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeUrls {
    pub nurl: Option<String>,
    pub burl: Option<String>,
    pub lurl: Option<String>,
}

/// One bid of a response, with what the macros need.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseBid {
    pub bid_id: String,
    pub seat: Option<String>,
    pub ad_id: Option<String>,
    pub price: Option<Micros>,
    pub urls: NoticeUrls,
}

/// A bid of the response that does not take part in the auction, and the
/// loss code its `lurl` is told.
#[derive(Debug, Clone, PartialEq)]
pub struct Dropped {
    pub bid: ResponseBid,
    pub loss: u16,
}

/// What an OpenRTB DSP answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    NoBid,
    /// Its highest valid bid (ties: the first), which enters the auction.
    Bid {
        bid: Box<DspBid>,
        notices: ResponseBid,
        /// Its other bids: lower valid ones (102) and invalid ones.
        dropped: Vec<Dropped>,
    },
    /// No usable bid; the invalid bids are still told why.
    Invalid {
        reason: String,
        dropped: Vec<Dropped>,
    },
}

fn text(value: Option<&Value>) -> Option<String> {
    match value {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn https(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| u.scheme() == "https")
}

/// Reads a BidResponse to the request `request_id` for an imp of `tag`.
pub fn parse_response(request_id: &str, tag: &str, status: u16, body: &[u8]) -> Answer {
    let invalid = |reason: &str| Answer::Invalid {
        reason: reason.into(),
        dropped: Vec::new(),
    };
    if status == 204 {
        return Answer::NoBid;
    }
    if status != 200 {
        return invalid(&format!("HTTP status {status}"));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Answer::NoBid;
    }
    let Ok(Value::Object(root)) = serde_json::from_slice::<Value>(body) else {
        return invalid("response is not a JSON object");
    };
    let seatbids = match root.get("seatbid") {
        None | Some(Value::Null) => return Answer::NoBid,
        Some(Value::Array(seatbids)) => seatbids,
        Some(_) => return invalid("seatbid is not an array"),
    };
    let mut bids = Vec::new();
    for seatbid in seatbids {
        let seat = text(seatbid.get("seat"));
        let Some(Value::Array(list)) = seatbid.get("bid") else {
            return invalid("a seatbid has no bid array");
        };
        for bid in list {
            bids.push((seat.clone(), bid));
        }
    }
    // A response's bids beyond the first few are ignored, notices and
    // all: one answer never makes the SSP send more than a few requests.
    bids.truncate(MAX_BIDS);
    if bids.is_empty() {
        return Answer::NoBid;
    }
    let mut dropped = Vec::new();
    // The whole response is invalid when it answers another request or
    // in another currency: every bid is told so.
    let response_error = if root.get("id").and_then(Value::as_str) != Some(request_id) {
        Some("the response id is not the request's")
    } else if !matches!(root.get("cur"), None | Some(Value::Null))
        && root.get("cur").and_then(Value::as_str) != Some("USD")
    {
        Some("the response currency is not USD")
    } else {
        None
    };
    let mut best: Option<(Box<DspBid>, ResponseBid)> = None;
    let mut first_reason: Option<String> = None;
    for (seat, bid) in bids {
        let notices = ResponseBid {
            bid_id: text(bid.get("id")).unwrap_or_default(),
            seat,
            ad_id: text(bid.get("adid")).or_else(|| text(bid.get("crid"))),
            price: bid
                .get("price")
                .and_then(|p| p.as_number())
                .and_then(|p| round_price(&p.to_string())),
            urls: NoticeUrls {
                nurl: text(bid.get("nurl")),
                burl: text(bid.get("burl")),
                lurl: text(bid.get("lurl")),
            },
        };
        let checked = match response_error {
            Some(reason) => Err((LOSS_INVALID_RESPONSE, reason.to_string())),
            None => check_bid(bid, &notices, tag),
        };
        match checked {
            Err((loss, reason)) => {
                first_reason.get_or_insert(reason);
                dropped.push(Dropped { bid: notices, loss });
            }
            Ok(offer) => match &best {
                Some((current, _)) if current.price >= offer.price => dropped.push(Dropped {
                    bid: notices,
                    loss: LOSS_LOST_TO_HIGHER_BID,
                }),
                _ => {
                    if let Some((_, previous)) = best.take() {
                        dropped.push(Dropped {
                            bid: previous,
                            loss: LOSS_LOST_TO_HIGHER_BID,
                        });
                    }
                    best = Some((Box::new(offer), notices));
                }
            },
        }
    }
    match best {
        Some((bid, notices)) => Answer::Bid {
            bid,
            notices,
            dropped,
        },
        None => {
            let reason = first_reason.unwrap_or_else(|| "no valid bid".into());
            Answer::Invalid { reason, dropped }
        }
    }
}

/// A bid's offer, or its loss code and why it is invalid.
fn check_bid(bid: &Value, notices: &ResponseBid, tag: &str) -> Result<DspBid, (u16, String)> {
    let bad = |reason: &str| (LOSS_INVALID_RESPONSE, reason.to_string());
    if notices.bid_id.is_empty() || notices.bid_id.len() > MAX_BID_ID_LENGTH {
        return Err(bad("a bid has no id"));
    }
    if bid.get("impid").and_then(Value::as_str) != Some("1") {
        return Err(bad("a bid's impid is not the imp's"));
    }
    let Some(price) = notices.price.filter(|p| *p > Micros::ZERO) else {
        return Err(bad("a bid has no valid price"));
    };
    let Some(adm) = text(bid.get("adm")) else {
        return Err((LOSS_MISSING_MARKUP, "a bid has no adm".into()));
    };
    let ad = native_ad(&adm, tag).map_err(|reason| bad(&reason))?;
    Ok(DspBid {
        bid_id: notices.bid_id.clone(),
        price,
        ad_data: Some(ad),
    })
}

/// Reads a Native 1.2 response (`adm`, with or without the `native`
/// wrapper) into a creative; every URL shown to the user must be HTTPS.
pub fn native_ad(adm: &str, tag: &str) -> Result<RenderedAd, String> {
    let root: Value =
        serde_json::from_str(adm).map_err(|_| "adm is not a native response".to_string())?;
    let native = root.get("native").unwrap_or(&root);
    let Some(assets) = native.get("assets").and_then(Value::as_array) else {
        return Err("the native response has no assets".into());
    };
    let asset = |id: u64| {
        assets
            .iter()
            .find(|a| a.get("id").and_then(Value::as_u64) == Some(id))
    };
    let data = |id: u64| {
        text(
            asset(id)
                .and_then(|a| a.get("data"))
                .and_then(|d| d.get("value")),
        )
    };
    let image = |id: u64| {
        text(
            asset(id)
                .and_then(|a| a.get("img"))
                .and_then(|i| i.get("url")),
        )
    };
    let headline = text(
        asset(TITLE)
            .and_then(|a| a.get("title"))
            .and_then(|t| t.get("text")),
    )
    .ok_or("the native response has no title")?;
    let description = data(DESCRIPTION).ok_or("the native response has no description")?;
    let url = text(native.get("link").and_then(|l| l.get("url")))
        .ok_or("the native response has no link")?;
    let main = image(MAIN_IMAGE);
    let icon = image(ICON);
    if tag == TEXT_TAG && main.is_some() {
        return Err("a text tag's creative has a main image".into());
    }
    let placement = match (&main, &icon) {
        (Some(_), _) => "image",
        (None, Some(_)) => "text",
        (None, None) => return Err("the native response has neither image nor icon".into()),
    };
    let view_url = native
        .get("eventtrackers")
        .and_then(Value::as_array)
        .and_then(|trackers| {
            trackers.iter().find(|t| {
                t.get("event").and_then(Value::as_u64) == Some(1)
                    && t.get("method").and_then(Value::as_u64) == Some(1)
            })
        })
        .and_then(|t| text(t.get("url")))
        .or_else(|| {
            native
                .get("imptrackers")
                .and_then(Value::as_array)
                .and_then(|list| list.first())
                .and_then(|url| text(Some(url)))
        });
    for candidate in [Some(&url), main.as_ref(), icon.as_ref(), view_url.as_ref()]
        .into_iter()
        .flatten()
    {
        if !https(candidate) {
            return Err("a creative URL is not HTTPS (the imp is secure)".into());
        }
    }
    let ad = RenderedAd {
        ad_format: Some("sponsored_message".into()),
        placement: Some(placement.into()),
        advertiser: data(SPONSORED_BY),
        domain: url::Url::parse(&url)
            .ok()
            .and_then(|u| u.host_str().map(String::from)),
        headline,
        description,
        cta_text: data(CTA),
        url,
        image_url: main,
        logo_url: icon,
        view_url,
        poll: None,
    };
    ad.validate()?;
    Ok(ad)
}

/// The values of the auction macros for one notice.
#[derive(Debug, Clone, Default)]
pub struct Macros<'a> {
    pub auction_id: &'a str,
    pub bid: Option<&'a ResponseBid>,
    /// The clearing price (the winner's bid: first price); `None` when
    /// nobody won.
    pub price: Option<Micros>,
    pub loss: Option<u16>,
}

/// Substitutes the OpenRTB auction macros in a notice URL. Prices are
/// CPM dollars; macros without a value become empty.
pub fn expand(url: &str, macros: &Macros<'_>) -> String {
    let price = macros
        .price
        .map(|p| format!("{:.2}", p.to_dollars()))
        .unwrap_or_default();
    let bid = macros.bid;
    let values = [
        ("${AUCTION_ID}", macros.auction_id.to_string()),
        (
            "${AUCTION_BID_ID}",
            bid.map(|b| b.bid_id.clone()).unwrap_or_default(),
        ),
        ("${AUCTION_IMP_ID}", "1".to_string()),
        (
            "${AUCTION_SEAT_ID}",
            bid.and_then(|b| b.seat.clone()).unwrap_or_default(),
        ),
        (
            "${AUCTION_AD_ID}",
            bid.and_then(|b| b.ad_id.clone()).unwrap_or_default(),
        ),
        ("${AUCTION_PRICE}", price.clone()),
        ("${AUCTION_CURRENCY}", "USD".to_string()),
        ("${AUCTION_MBR}", String::new()),
        (
            "${AUCTION_LOSS}",
            macros.loss.map(|l| l.to_string()).unwrap_or_default(),
        ),
        (
            "${AUCTION_MIN_TO_WIN}",
            if macros.loss.is_some_and(|l| l != 0) {
                price
            } else {
                String::new()
            },
        ),
    ];
    let mut out = url.to_string();
    for (name, value) in values {
        if out.contains(name) {
            let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            out = out.replace(name, &encoded);
        }
    }
    out
}

#[cfg(test)]
mod tests;

//! The internal DSP's answers: a bid with its pre-rendered creative
//! (`ad_data`, so the SSP needs no render call), and the render call for
//! callers that make one.
//!
//! The bid id is a signed token of the ad, the price and an expiry, so the
//! render call finds the bid for 60 seconds without storing anything: a
//! bid cache with no writes on the auction's hot path.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::advertiser::creative::{Creative, image_url};
use crate::ids::{AdGroupId, AdId, CampaignId, OrganizationId};
use crate::money::Micros;
use crate::ssp::dsp::RenderedAd;
use crate::ssp::serve::Demand;
use crate::ssp::tracking;
use crate::time::UnixSeconds;

use super::demand::ServingAd;

/// How long a bid can be rendered.
pub const BID_TTL_SECONDS: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct BidToken {
    /// The ad, its ad group, campaign and advertiser.
    a: String,
    g: String,
    c: String,
    o: String,
    /// The price, CPM micros.
    p: i64,
    /// Expiry, Unix seconds.
    e: i64,
}

/// The creative of an ad as the SSP protocol shows it. Without images the
/// placement is `text`.
pub fn rendered(ad: &ServingAd, files_base_url: &str, image_enabled: bool) -> Option<RenderedAd> {
    let Creative::ChatCard {
        title,
        body,
        target_url,
        file_id,
        cta_text,
    } = &ad.creative
    else {
        return None;
    };
    let image = file_id
        .as_ref()
        .filter(|_| image_enabled)
        .map(|id| image_url(files_base_url, id));
    let domain = url::Url::parse(target_url)
        .ok()
        .and_then(|u| u.host_str().map(String::from));
    Some(RenderedAd {
        ad_format: Some("sponsored_message".into()),
        placement: Some(if image.is_some() { "image" } else { "text" }.into()),
        advertiser: Some(ad.advertiser.clone()),
        domain,
        headline: title.clone(),
        description: body.clone(),
        cta_text: cta_text.clone(),
        url: target_url.clone(),
        image_url: image,
        logo_url: None,
        view_url: None,
    })
}

/// The bid response for an ad at `price`.
pub fn bid_response(
    ad: &ServingAd,
    price: Micros,
    ad_data: &RenderedAd,
    secret: &[u8],
    now: UnixSeconds,
) -> Value {
    let token = tracking::sign(
        &BidToken {
            a: ad.ad_id.to_string(),
            g: ad.ad_group_id.to_string(),
            c: ad.campaign_id.to_string(),
            o: ad.organization_id.to_string(),
            p: price.get(),
            e: now.get() + BID_TTL_SECONDS,
        },
        secret,
    );
    json!({
        "data": {
            "bid": price.to_dollars(),
            "bidId": format!("bid_{token}"),
            "ad_data": ad_data,
        }
    })
}

/// What a bid id stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redeemed {
    pub demand: Demand,
    pub price: Micros,
}

/// The ad and price of a bid id still within its TTL.
pub fn redeem(bid_id: &str, secret: &[u8], now: UnixSeconds) -> Option<Redeemed> {
    let token: BidToken = tracking::verify(bid_id.strip_prefix("bid_")?, secret)?;
    if token.e < now.get() {
        return None;
    }
    Some(Redeemed {
        demand: Demand {
            ad_id: AdId::parse(&token.a)?,
            ad_group_id: AdGroupId::parse(&token.g)?,
            campaign_id: CampaignId::parse(&token.c)?,
            organization_id: OrganizationId::parse(&token.o)?,
        },
        price: Micros::new(token.p),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ad(file: Option<&str>) -> ServingAd {
        ServingAd {
            ad_id: AdId::new_random(),
            ad_group_id: AdGroupId::new_random(),
            campaign_id: CampaignId::new_random(),
            organization_id: OrganizationId::new_random(),
            advertiser: "Nike".into(),
            creative: Creative::ChatCard {
                title: "Premium Running Shoes".into(),
                body: "Light".into(),
                target_url: "https://shop.example.com/shoes".into(),
                file_id: file.map(String::from),
                cta_text: Some("Shop Now".into()),
            },
        }
    }

    #[test]
    fn creatives_render_in_image_or_text_placement() {
        let with_image = rendered(
            &ad(Some("uploads/2026/01/0123456789abcdef0123456789abcdef.png")),
            "https://api.example.com",
            true,
        )
        .expect("chat card");
        assert_eq!(with_image.placement.as_deref(), Some("image"));
        assert_eq!(with_image.domain.as_deref(), Some("shop.example.com"));
        assert!(with_image.validate().is_ok());
        let text_only = rendered(
            &ad(Some("uploads/2026/01/0123456789abcdef0123456789abcdef.png")),
            "https://api.example.com",
            false,
        )
        .expect("chat card");
        assert_eq!(
            (text_only.placement.as_deref(), text_only.image_url),
            (Some("text"), None)
        );
    }

    #[test]
    fn bid_ids_redeem_until_they_expire() {
        let now = UnixSeconds::new(1_000_000);
        let serving = ad(None);
        let ad_data = rendered(&serving, "http://x", true).expect("rendered");
        let response = bid_response(&serving, Micros::new(5_000_000), &ad_data, b"s", now);
        let bid_id = response["data"]["bidId"].as_str().expect("bid id");
        let redeemed = redeem(bid_id, b"s", now.plus_seconds(60)).expect("valid for 60 s");
        assert_eq!(redeemed.demand.ad_id, serving.ad_id);
        assert_eq!(redeemed.demand.campaign_id, serving.campaign_id);
        assert_eq!(redeemed.price, Micros::new(5_000_000));
        assert_eq!(redeem(bid_id, b"s", now.plus_seconds(61)), None);
        assert_eq!(redeem(bid_id, b"other", now), None);
        assert_eq!(response["data"]["bid"], 5.0);
    }
}

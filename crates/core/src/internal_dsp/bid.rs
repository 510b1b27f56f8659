//! The internal DSP's answers as the DSP protocol shows them: the rendered
//! creative (`ad_data`, so the SSP needs no render call) and the bid.
//!
//! The bid id ([`internal_bid`]) names the ad and the price, so the render
//! call finds the bid without storing anything.

use serde_json::{Value, json};

use crate::catalog::creative::{Creative, image_url};
use crate::dsp_protocol::{RenderedAd, RenderedPoll, SPONSORED_POLL};

use super::demand::ServingAd;

/// The creative of an ad as the SSP protocol shows it. Without images the
/// placement is `text`.
pub fn rendered(ad: &ServingAd, files_base_url: &str, image_enabled: bool) -> Option<RenderedAd> {
    let (title, body, target_url, file_id, cta_text) = match &ad.creative {
        Creative::ChatCard {
            title,
            body,
            target_url,
            file_id,
            cta_text,
        } => (title, body, target_url, file_id, cta_text),
        Creative::Poll {
            question,
            options,
            target_url,
        } => return Some(rendered_poll(ad, question, options, target_url)),
    };
    let image = file_id
        .as_ref()
        .filter(|_| image_enabled)
        .map(|id| image_url(files_base_url, id));
    let domain = domain_of(target_url);
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
        poll: None,
    })
}

/// A sponsored poll: the question as headline, its answers, and the
/// click-through page.
fn rendered_poll(ad: &ServingAd, question: &str, options: &[String], target: &str) -> RenderedAd {
    RenderedAd {
        ad_format: Some(SPONSORED_POLL.into()),
        placement: Some("text".into()),
        advertiser: Some(ad.advertiser.clone()),
        domain: domain_of(target),
        headline: question.to_string(),
        description: String::new(),
        cta_text: None,
        url: target.to_string(),
        image_url: None,
        logo_url: None,
        view_url: None,
        poll: Some(RenderedPoll {
            question: question.to_string(),
            options: options.to_vec(),
        }),
    }
}

fn domain_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(String::from))
}

/// The bid as the DSP protocol's answer: `{"data": {"bid", "bidId", "ad_data"}}`.
pub fn response_body(bid: &super::Bid) -> Value {
    json!({
        "data": {
            "bid": bid.price.to_dollars(),
            "bidId": bid.bid_id,
            "ad_data": bid.ad_data,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AdGroupId, AdId, CampaignId, OrganizationId};
    use crate::internal_bid::{self, redeem};
    use crate::money::Micros;
    use crate::time::UnixSeconds;

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
        let demand = serving.demand();
        let price = Micros::new(5_000_000);
        let bid = super::super::Bid {
            price,
            bid_id: internal_bid::bid_id(&demand, price, b"s", now),
            ad_data,
            demand,
        };
        let response = response_body(&bid);
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

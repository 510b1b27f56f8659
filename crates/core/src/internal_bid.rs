//! The internal DSP's bid ids: a signed token of the ad, the price and an
//! expiry. The render call finds the bid for 60 seconds without storing
//! anything (a bid cache with no writes on the auction's hot path), and
//! the SSP learns from it which campaign to charge: it serves an internal
//! bid only when its id verifies.

use serde::{Deserialize, Serialize};

use crate::delivery::Demand;
use crate::ids::{AdGroupId, AdId, CampaignId, OrganizationId};
use crate::money::Micros;
use crate::signed;
use crate::time::UnixSeconds;

/// The DSP id of the internal DSP (the `dsp` of its winning bids).
pub const DSP_ID: &str = "thrad_dsp";

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

/// The bid id of `demand` at `price`, valid for [`BID_TTL_SECONDS`].
pub fn bid_id(demand: &Demand, price: Micros, secret: &[u8], now: UnixSeconds) -> String {
    let token = signed::sign(
        &BidToken {
            a: demand.ad_id.to_string(),
            g: demand.ad_group_id.to_string(),
            c: demand.campaign_id.to_string(),
            o: demand.organization_id.to_string(),
            p: price.get(),
            e: now.get() + BID_TTL_SECONDS,
        },
        secret,
    );
    format!("bid_{token}")
}

/// What a bid id stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redeemed {
    pub demand: Demand,
    pub price: Micros,
}

/// The ad and price of a bid id still within its TTL.
pub fn redeem(bid_id: &str, secret: &[u8], now: UnixSeconds) -> Option<Redeemed> {
    let token: BidToken = signed::verify(bid_id.strip_prefix("bid_")?, secret)?;
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

//! The internal DSP: bids with the platform's own campaigns. It bids only
//! with demand that can serve now, when an ad group's `context_hints` fit
//! the conversation, at the ad group's max bid as CPM, and its bid carries
//! the rendered creative (`ad_data`) so no render call follows.
//!
//! Two callers run the same function: the SSP, in process on its own
//! database connection (the default: an auction then costs one component
//! instance and one connection), and the `thrad-dsp` component, which
//! serves it as the DSP protocol's `POST /bid` for an SSP that reaches the
//! internal DSP over HTTP (docs/ARCHITECTURE.md).

pub mod bid;
pub mod demand;
pub mod relevance;
pub mod store;

use crate::catalog::creative::Creative;
use crate::db::{Database, DbError};
use crate::delivery;
use crate::dsp_protocol::{BidRequestView, RenderedAd};
use crate::internal_bid;
use crate::money::Micros;
use crate::time::UnixSeconds;

use relevance::Conversation;

/// The internal DSP's `bid_url` in the DSP registry (migration 3): the
/// `thrad-dsp` component by service chaining. While the registry names
/// this address, the SSP runs the internal DSP in process instead.
pub const CHAINED_BID_URL: &str = "http://thrad-dsp.spin.internal/bid";

/// A bid of the internal DSP.
#[derive(Debug, Clone, PartialEq)]
pub struct Bid {
    /// CPM, whole cents.
    pub price: Micros,
    /// Signed: names the ad and the price ([`internal_bid`]).
    pub bid_id: String,
    pub ad_data: RenderedAd,
    /// The campaign the impression is charged to.
    pub demand: delivery::Demand,
}

/// Which campaigns may bid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Demand {
    /// Live campaigns only: a production publisher key.
    Live,
    /// Sandbox campaigns too: a staging publisher key (never billed).
    WithSandbox,
}

/// The internal DSP's bid for a bid request, or `None` (no bid). Image
/// URLs start with `files_base_url`; the bid id is signed with `secret`.
pub fn bid(
    db: &impl Database,
    request: &BidRequestView,
    demand: Demand,
    files_base_url: &str,
    secret: &[u8],
    now: UnixSeconds,
) -> Result<Option<Bid>, DbError> {
    let conversation = Conversation::new(&request.messages());
    let mut candidates = demand::candidates(
        db,
        now,
        &conversation.words(),
        demand == Demand::WithSandbox,
    )?;
    // Only the formats the publisher accepts bid.
    candidates.retain_mut(|candidate| {
        candidate.ads.retain(|(_, creative)| match creative {
            Creative::ChatCard { .. } => request.accepts_messages(),
            Creative::Poll { .. } => request.accepts_polls(),
        });
        !candidate.ads.is_empty()
    });
    let Some(best) = demand::best(&candidates, &conversation, request.country_code.as_deref())
    else {
        return Ok(None);
    };
    let Some(ad) = demand::ad_for(best, request.config.max_headline_chars) else {
        return Ok(None);
    };
    let image_enabled = request.config.image_enabled.unwrap_or(true);
    let Some(ad_data) = bid::rendered(&ad, files_base_url, image_enabled) else {
        return Ok(None);
    };
    let charged = ad.demand();
    Ok(Some(Bid {
        price: best.max_bid,
        bid_id: internal_bid::bid_id(&charged, best.max_bid, secret, now),
        ad_data,
        demand: charged,
    }))
}

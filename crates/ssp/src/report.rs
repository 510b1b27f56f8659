//! What each DSP did in an auction: its answer, how long it took, and what
//! became of its bid. The auction keeps one [`Call`] per DSP; staging keys
//! get them back as the envelope's `data.debug` (like Prebid Server's
//! `ext.debug`, so a publisher integrating sees every DSP's part), and
//! OpenRTB DSPs are told the fate of their bids with the loss codes of
//! [`BidResult::loss_code`].

use std::time::Duration;

use adspin_core::money::Micros;
use serde_json::{Value, json};

/// How a DSP answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    Bid,
    NoBid,
    /// No answer before its deadline.
    TimedOut,
    /// The call failed or the DSP answered with an error status.
    Error,
    /// The answer broke the protocol.
    Invalid,
    /// Not called: its circuit breaker is open.
    Skipped,
}

impl CallStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Bid => "bid",
            Self::NoBid => "no_bid",
            Self::TimedOut => "timeout",
            Self::Error => "error",
            Self::Invalid => "invalid_response",
            Self::Skipped => "skipped",
        }
    }
}

/// What became of a valid bid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BidResult {
    Won,
    /// A higher (or equally high, chosen at random) bid won.
    LostToHigherBid,
    BelowFloor,
    /// Its creative broke the publisher's limits.
    CreativeRejected,
    /// Its creative could not be rendered.
    NotRendered,
    /// Its campaign could not pay for the impression.
    BudgetExhausted,
}

impl BidResult {
    pub fn code(self) -> &'static str {
        match self {
            Self::Won => "won",
            Self::LostToHigherBid => "lost_to_higher_bid",
            Self::BelowFloor => "below_floor",
            Self::CreativeRejected => "creative_rejected",
            Self::NotRendered => "not_rendered",
            Self::BudgetExhausted => "budget_exhausted",
        }
    }

    /// The OpenRTB 2.6 loss reason code (`${AUCTION_LOSS}`): 0 won, 100
    /// below the floor, 102 lost to a higher bid, 200 creative filtered,
    /// 1 internal error (render or budget failed on the SSP's side).
    pub fn loss_code(self) -> u16 {
        match self {
            Self::Won => 0,
            Self::LostToHigherBid => 102,
            Self::BelowFloor => 100,
            Self::CreativeRejected => 200,
            Self::NotRendered | Self::BudgetExhausted => 1,
        }
    }
}

/// One DSP's part in an auction.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub dsp: String,
    /// `json` or `openrtb`.
    pub protocol: &'static str,
    pub status: CallStatus,
    pub time: Duration,
    pub price: Option<Micros>,
    pub bid_id: Option<String>,
    /// Why a call failed or a bid was dropped.
    pub reason: Option<String>,
    /// What became of its bid (valid bids only).
    pub result: Option<BidResult>,
}

/// The envelope's `data.debug`: the floor and every DSP called.
pub fn debug_section(calls: &[Call], floor: Micros) -> Value {
    let dsps: Vec<Value> = calls
        .iter()
        .map(|call| {
            let mut entry = json!({
                "dsp": call.dsp,
                "protocol": call.protocol,
                "status": call.status.code(),
                "time_ms": u64::try_from(call.time.as_millis()).unwrap_or(u64::MAX),
            });
            if let Some(price) = call.price {
                entry["price"] = json!(price.to_dollars());
            }
            if let Some(bid_id) = &call.bid_id {
                entry["bid_id"] = json!(bid_id);
            }
            if let Some(result) = call.result {
                entry["result"] = json!(result.code());
            }
            if let Some(reason) = &call.reason {
                entry["reason"] = json!(reason);
            }
            entry
        })
        .collect();
    json!({ "floor": floor.to_dollars(), "dsps": dsps })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_debug_section_lists_each_dsp_with_its_status_time_and_bid_or_reason() {
        let calls = [
            Call {
                dsp: "acme".into(),
                protocol: "openrtb",
                status: CallStatus::Bid,
                time: Duration::from_micros(12_400),
                price: Some(Micros::new(3_500_000)),
                bid_id: Some("b1".into()),
                reason: None,
                result: Some(BidResult::Won),
            },
            Call {
                dsp: "slow".into(),
                protocol: "json",
                status: CallStatus::TimedOut,
                time: Duration::from_millis(300),
                price: None,
                bid_id: None,
                reason: Some("no answer before the deadline".into()),
                result: None,
            },
        ];
        assert_eq!(
            debug_section(&calls, Micros::new(1_000_000)),
            json!({"floor": 1.0, "dsps": [
                {"dsp": "acme", "protocol": "openrtb", "status": "bid", "time_ms": 12, "price": 3.5,
                 "bid_id": "b1", "result": "won"},
                {"dsp": "slow", "protocol": "json", "status": "timeout", "time_ms": 300,
                 "reason": "no answer before the deadline"}
            ]})
        );
    }

    #[test]
    fn loss_codes_are_openrtbs() {
        assert_eq!(BidResult::Won.loss_code(), 0);
        assert_eq!(BidResult::BelowFloor.loss_code(), 100);
        assert_eq!(BidResult::LostToHigherBid.loss_code(), 102);
        assert_eq!(BidResult::CreativeRejected.loss_code(), 200);
    }
}

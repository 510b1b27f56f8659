//! The notices OpenRTB DSPs get once an auction is over: the winning bid's
//! `nurl` (the win) and `burl` (the billable impression: adspin records
//! and charges the impression when it serves the ad, so both go then),
//! and every other bid's `lurl` with its loss code in `${AUCTION_LOSS}`.
//! Each URL is fetched once, macros expanded; nothing is retried.

use std::collections::HashSet;

use adspin_core::money::Micros;

use crate::openrtb::{self, Macros, ResponseBid};
use crate::report::{BidResult, Call};

/// An OpenRTB bid's notices, sent when the auction is over.
pub struct Notice {
    /// Its DSP's entry in the report.
    pub call: usize,
    pub bid: ResponseBid,
    /// Its loss code when the response decided it (a lower or invalid bid
    /// of the response); `None` for the bid that entered the auction,
    /// whose result the report holds.
    pub loss: Option<u16>,
}

/// What a notice tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Win,
    Billing,
    Loss,
}

/// A notice to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub kind: Kind,
    pub url: String,
}

/// The notices of an auction whose report is `report`, each URL once.
/// Bids whose fate the report does not know (an auction cut short by an
/// error) are told nothing.
pub fn outgoing(notices: &[Notice], report: &[Call], auction_id: &str) -> Vec<Outgoing> {
    let clearing: Option<Micros> = report
        .iter()
        .find(|call| call.result == Some(BidResult::Won))
        .and_then(|call| call.price);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for notice in notices {
        let loss = match notice.loss {
            Some(loss) => loss,
            None => match report.get(notice.call).and_then(|call| call.result) {
                Some(result) => result.loss_code(),
                None => continue,
            },
        };
        let urls = &notice.bid.urls;
        let mut push = |kind: Kind, url: &Option<String>, macros: Macros<'_>| {
            if let Some(url) = url {
                let url = openrtb::expand(url, &macros);
                if seen.insert(url.clone()) {
                    out.push(Outgoing { kind, url });
                }
            }
        };
        if loss == 0 {
            let macros = Macros {
                auction_id,
                bid: Some(&notice.bid),
                price: notice.bid.price,
                loss: None,
            };
            push(Kind::Win, &urls.nurl, macros.clone());
            push(Kind::Billing, &urls.burl, macros);
        } else {
            push(
                Kind::Loss,
                &urls.lurl,
                Macros {
                    auction_id,
                    bid: Some(&notice.bid),
                    price: clearing,
                    loss: Some(loss),
                },
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::openrtb::NoticeUrls;
    use crate::report::CallStatus;

    fn bid(id: &str, price: i64) -> ResponseBid {
        ResponseBid {
            bid_id: id.into(),
            seat: None,
            ad_id: None,
            price: Some(Micros::new(price)),
            urls: NoticeUrls {
                nurl: Some(format!("https://dsp/win/{id}?p=${{AUCTION_PRICE}}")),
                burl: Some(format!("https://dsp/bill/{id}?p=${{AUCTION_PRICE}}")),
                lurl: Some(format!(
                    "https://dsp/loss/{id}?r=${{AUCTION_LOSS}}&p=${{AUCTION_PRICE}}"
                )),
            },
        }
    }

    fn call(result: Option<BidResult>, price: i64) -> Call {
        Call {
            dsp: "d".into(),
            protocol: "openrtb",
            status: CallStatus::Bid,
            time: Duration::ZERO,
            price: Some(Micros::new(price)),
            bid_id: None,
            reason: None,
            result,
        }
    }

    #[test]
    fn the_winner_gets_win_and_billing_notices_and_every_loser_its_loss_code() {
        let report = [
            call(Some(BidResult::Won), 5_000_000),
            call(Some(BidResult::BelowFloor), 500_000),
            call(None, 0),
        ];
        let notices = [
            Notice {
                call: 0,
                bid: bid("w", 5_000_000),
                loss: None,
            },
            Notice {
                call: 0,
                bid: bid("w2", 4_000_000),
                loss: Some(102),
            },
            Notice {
                call: 1,
                bid: bid("f", 500_000),
                loss: None,
            },
            Notice {
                call: 1,
                bid: bid("f", 500_000),
                loss: None,
            },
            Notice {
                call: 2,
                bid: bid("x", 1),
                loss: None,
            },
        ];
        let urls: Vec<String> = outgoing(&notices, &report, "api_req_1")
            .into_iter()
            .map(|o| o.url)
            .collect();
        assert_eq!(
            urls,
            [
                "https://dsp/win/w?p=5.00",
                "https://dsp/bill/w?p=5.00",
                "https://dsp/loss/w2?r=102&p=5.00",
                "https://dsp/loss/f?r=100&p=5.00",
            ],
            "each URL once; an unsettled bid is told nothing"
        );
    }
}

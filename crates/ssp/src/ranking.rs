//! The auction's order: first price, a floor, ties broken at random.
//!
//! Bids are CPM prices in dollars with two decimals; extra decimals are
//! rounded half to even on the decimal digits as sent (7.125 → 7.12,
//! 7.135 → 7.14), then held as integer micros
//! ([`adspin_core::dsp_protocol::round_price`]).

use adspin_core::money::Micros;

/// A bid that entered the auction.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub dsp: String,
    pub bid_id: String,
    pub price: Micros,
}

/// Orders the bids at or above the floor from winner to last fallback:
/// highest price first, equal prices in random order (`pick(n)` returns an
/// index below `n`).
pub fn rank(bids: &[Candidate], floor: Micros, mut pick: impl FnMut(usize) -> usize) -> Vec<usize> {
    let mut eligible: Vec<usize> = (0..bids.len())
        .filter(|&i| bids[i].price >= floor && bids[i].price > Micros::ZERO)
        .collect();
    // Shuffle first (Fisher–Yates), then a stable sort by price keeps the
    // random order among equal prices.
    for i in (1..eligible.len()).rev() {
        let j = pick(i + 1).min(i);
        eligible.swap(i, j);
    }
    eligible.sort_by(|a, b| bids[*b].price.cmp(&bids[*a].price));
    eligible
}

#[cfg(test)]
mod tests {
    use super::*;
    use adspin_core::dsp_protocol::round_price;

    fn cents(text: &str) -> Option<i64> {
        round_price(text).map(|m| m.get() / 10_000)
    }

    #[test]
    fn prices_round_half_to_even_on_their_decimal_digits() {
        assert_eq!(cents("7.125"), Some(712));
        assert_eq!(cents("7.135"), Some(714));
        assert_eq!(cents("7.145"), Some(714));
        assert_eq!(cents("7.1451"), Some(715));
        assert_eq!(cents("5.5"), Some(550));
        assert_eq!(cents("5"), Some(500));
        assert_eq!(cents("0.004"), Some(0));
        assert_eq!(cents("0.005"), Some(0));
        assert_eq!(cents("0.015"), Some(2));
        assert_eq!(cents("1e1"), Some(1000));
        assert_eq!(cents("7.5e-1"), Some(75));
    }

    #[test]
    fn negative_and_malformed_prices_are_rejected() {
        for bad in ["-1", "abc", "", ".", "1.2.3", "1e99"] {
            assert_eq!(round_price(bad), None, "{bad}");
        }
    }

    fn bid(dsp: &str, dollars: i64) -> Candidate {
        Candidate {
            dsp: dsp.into(),
            bid_id: format!("{dsp}-bid"),
            price: Micros::from_dollars(dollars),
        }
    }

    #[test]
    fn the_highest_bid_at_or_above_the_floor_wins() {
        let bids = vec![bid("a", 2), bid("b", 7), bid("c", 1), bid("d", 5)];
        let order = rank(&bids, Micros::from_dollars(2), |_| 0);
        assert_eq!(order, [1, 3, 0]);
        assert!(rank(&bids, Micros::from_dollars(8), |_| 0).is_empty());
    }

    #[test]
    fn ties_are_broken_at_random() {
        let bids = vec![bid("a", 5), bid("b", 5), bid("c", 3)];
        let mut winners = std::collections::HashSet::new();
        for seed in 0..8usize {
            let mut state = seed;
            let order = rank(&bids, Micros::ZERO, |n| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 33) % n
            });
            assert_eq!(order[2], 2, "the lower bid stays last");
            winners.insert(order[0]);
        }
        assert_eq!(winners.len(), 2, "both tied bids win sometimes");
    }

    #[test]
    fn zero_bids_never_win() {
        let bids = vec![Candidate {
            dsp: "a".into(),
            bid_id: "x".into(),
            price: Micros::ZERO,
        }];
        assert!(rank(&bids, Micros::ZERO, |_| 0).is_empty());
    }
}

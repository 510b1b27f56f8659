//! Money as integer micros: 1 USD = 1,000,000 micros.
//!
//! Resource bodies carry micros; only insights rows (and the SSP's CPM
//! prices) use dollar floats, converted at the edge with [`Micros::to_dollars`].

use serde::{Deserialize, Serialize};

/// An amount of money in millionths of a currency unit.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Micros(i64);

impl Micros {
    pub const ZERO: Self = Self(0);
    /// Micros in one dollar.
    pub const PER_DOLLAR: i64 = 1_000_000;
    pub const PER_CENT: i64 = 10_000;

    pub const fn new(micros: i64) -> Self {
        Self(micros)
    }

    pub const fn from_dollars(dollars: i64) -> Self {
        Self(dollars * Self::PER_DOLLAR)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    /// The amount rounded down to whole cents (never more than it was).
    pub const fn floor_to_cents(self) -> Self {
        Self(self.0 - self.0.rem_euclid(Self::PER_CENT))
    }

    /// The amount in dollars, for the surfaces that report dollar floats.
    pub fn to_dollars(self) -> f64 {
        self.0 as f64 / Self::PER_DOLLAR as f64
    }

    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Self)
    }

    /// The cost of one impression bought at this CPM (price per thousand),
    /// rounded down to whole micros.
    pub const fn cpm_to_impression_cost(self) -> Self {
        Self(self.0 / 1000)
    }
}

impl std::fmt::Display for Micros {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} micros", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_and_micros_convert_both_ways() {
        assert_eq!(Micros::from_dollars(10), Micros::new(10_000_000));
        assert_eq!(Micros::new(700_000).to_dollars(), 0.7);
    }

    #[test]
    fn flooring_to_cents_never_rounds_up() {
        assert_eq!(
            Micros::new(1_235_000).floor_to_cents(),
            Micros::new(1_230_000)
        );
        assert_eq!(
            Micros::new(1_239_999).floor_to_cents(),
            Micros::new(1_230_000)
        );
        assert_eq!(Micros::new(5_000).floor_to_cents(), Micros::ZERO);
        assert_eq!(
            Micros::new(2_000_000).floor_to_cents(),
            Micros::new(2_000_000)
        );
    }

    #[test]
    fn an_impression_costs_a_thousandth_of_the_cpm() {
        assert_eq!(
            Micros::new(5_500_000).cpm_to_impression_cost(),
            Micros::new(5_500)
        );
        assert_eq!(Micros::new(1_999).cpm_to_impression_cost(), Micros::new(1));
    }

    #[test]
    fn arithmetic_reports_overflow() {
        assert_eq!(Micros::new(i64::MAX).checked_add(Micros::new(1)), None);
        assert_eq!(
            Micros::new(5).checked_sub(Micros::new(7)),
            Some(Micros::new(-2))
        );
    }

    #[test]
    fn micros_serialize_as_plain_integers() {
        let json = serde_json::to_string(&Micros::new(990_000)).expect("serialize");
        assert_eq!(json, "990000");
    }
}

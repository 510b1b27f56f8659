//! adspin's platform-free core.
//!
//! Everything here is plain Rust over `http` types and a small [`db`]
//! trait, so it is unit-tested natively; the Spin adapter crate
//! (`adspin-spin`) implements the platform side.

pub mod admin;
pub mod advertiser;
pub mod agents;
pub mod api_keys;
pub mod body;
pub mod currency;
pub mod dashboard;
pub mod db;
pub mod files;
pub mod health;
pub mod ids;
pub mod jwt;
pub mod keys;
pub mod log;
pub mod money;
pub mod pagination;
pub mod rate_limit;
pub mod s2s;
pub mod ssp;
pub mod thrad_dsp;
pub mod time;
pub mod web;

#[cfg(test)]
pub(crate) mod testing;

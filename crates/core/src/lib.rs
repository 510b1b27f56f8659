//! adspin's platform-free core: what more than one surface needs.
//!
//! Everything here is plain Rust over `http` types and small [`db`] and
//! [`kv`] traits, so it is unit-tested natively. The Spin adapter crate
//! (`adspin-spin`) implements the platform side; the surface crates
//! (advertiser, SSP, DSP, events, operator, platform, agents) build on
//! this crate and never on each other. `docs/ARCHITECTURE.md` draws it.

pub mod admin;
pub mod api_error;
pub mod api_keys;
pub mod body;
pub mod catalog;
pub mod clock;
pub mod currency;
pub mod db;
pub mod delivery;
pub mod dsp_health;
pub mod dsp_protocol;
pub mod env;
pub mod error;
pub mod ids;
pub mod image_fetch;
pub mod internal_bid;
pub mod internal_dsp;
pub mod jwt;
pub mod keys;
pub mod kv;
pub mod llm;
pub mod log;
pub mod money;
pub mod objects;
pub mod organizations;
pub mod outbound;
pub mod outbox;
pub mod pagination;
pub mod rate_limit;
pub mod routes;
pub mod session;
pub mod settings;
pub mod signed;
pub mod supply;
pub mod time;
pub mod web;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

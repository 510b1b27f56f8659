//! Logic and conventions shared by the adspin components.
//!
//! Everything here is plain Rust over `http` types and a small [`db`]
//! trait, so it is unit-tested natively; the only host calls live in
//! [`db::spin`].

pub mod advertiser;
pub mod agents;
pub mod body;
pub mod db;
pub mod health;
pub mod ids;
pub mod keys;
pub mod money;
pub mod pagination;
pub mod s2s;
pub mod ssp;
pub mod time;
pub mod web;

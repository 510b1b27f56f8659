//! The catalog: campaigns, ad groups, ads, their creatives and targeting,
//! as stored. Every surface that sells, serves or reports ads reads it.

pub mod creative;
pub mod fields;
pub mod hints;
pub mod store;
pub mod targeting;

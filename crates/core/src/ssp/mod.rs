//! The SSP surface: chat apps ask for an ad in a conversation; an auction
//! across DSPs answers within a deadline with the best ad or a clean
//! no-bid.

pub mod auction;
pub mod brand_safety;
pub mod dsp;
pub mod envelope;
pub mod publisher;
pub mod request;
pub mod serve;
pub mod tracking;

pub use envelope::{RequestContext, SspError, success};

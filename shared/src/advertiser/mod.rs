//! The Advertiser API surface (`/v1`): OpenAI Ads API conventions.

pub mod error;

pub use error::{ApiError, ErrorType};

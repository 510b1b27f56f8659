//! The Advertiser API surface (`/v1`): OpenAI Ads API conventions over the
//! campaign → ad group → ad tree.

pub mod ad_account;
pub mod ad_groups;
pub mod ads;
pub mod api;
pub mod auth;
pub mod campaigns;
pub mod canonical;
pub mod context;
pub mod creative;
pub mod error;
pub mod fields;
pub mod insights;
pub mod store;
pub mod targeting;
pub mod upload;

pub use error::{ApiError, ErrorType};

//! The server-to-server events surface: `POST /v1/api/collect` (events,
//! `204`) and `POST /v1/api/conversion` (conversions attributed to a click),
//! authenticated with partner tokens (`Authorization: Bearer pt_...`).

pub mod api;
pub mod auth;
pub mod collect;
pub mod conversion;
pub mod enrich;
pub mod error;
pub mod fields;
pub mod user_agent;

pub use error::{S2sError, ValidationIssue};

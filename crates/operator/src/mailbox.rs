//! The development mailbox: the emails the platform sent, newest first,
//! as the embedded default transport keeps them (verification codes,
//! checkout links). The operator reads them here; so do the tests.

use adspin_core::api_error::ApiError;
use adspin_core::db::Database;
use adspin_core::outbox;
use adspin_core::web::Query;
use serde_json::json;

use crate::Outcome;

/// Most emails one read returns.
pub const MAILBOX_LIMIT: u32 = 100;

/// `GET /admin/mailbox?to=&limit=`: emails to one address (or all).
pub(crate) fn read(db: &impl Database, query: &Query) -> Outcome {
    let limit = match query.get("limit") {
        None => 20,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|limit| (1..=MAILBOX_LIMIT).contains(limit))
            .ok_or_else(|| {
                ApiError::invalid_value("limit", "limit must be an integer from 1 to 100.")
            })?,
    };
    let to = query.get("to").map(|to| to.trim().to_lowercase());
    let data = outbox::mailbox(db, to.as_deref(), limit)?;
    Ok((
        200,
        json!({ "object": "list", "data": data, "count": data.len() }),
    ))
}

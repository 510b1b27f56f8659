//! What every `/v1` handler receives.

use std::cell::LazyCell;

use serde::Serialize;

use adspin_core::db::Database;
use adspin_core::pagination::{Cursor, PageRequest};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Response, json_response};

use super::ApiError;
use super::auth::Caller;
use adspin_core::catalog::store::ListError;

/// The request context of an authenticated `/v1` call.
pub struct Ctx<'a, D: Database> {
    pub db: &'a D,
    pub caller: Caller,
    pub now: UnixSeconds,
    /// Base of public file URLs (`https://api.example.com`), for image
    /// URLs: worked out on first use (only ads show image URLs, and under
    /// Spin a variable read is dear).
    pub files_base_url: LazyCell<String, &'a dyn Fn() -> String>,
}

/// A JSON response.
pub fn respond(status: u16, body: &impl Serialize) -> Result<Response, ApiError> {
    Ok(json_response(status, body))
}

/// Maps a failed list to its error (an unknown cursor is the client's).
pub fn list_error(page: &PageRequest, error: ListError) -> ApiError {
    match error {
        ListError::UnknownCursor => {
            let param = match page.cursor {
                Cursor::Before(_) => "before",
                _ => "after",
            };
            ApiError::invalid_value(
                param,
                format!("{param} is not the id of an item of this list."),
            )
        }
        ListError::Db(error) => error.into(),
    }
}

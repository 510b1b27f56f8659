//! Cursor pages: `{"data": [...], "pagination": {"next_cursor",
//! "has_more", "total"}}`.
//!
//! Rows are listed newest first by a per-table sequence number; a cursor is
//! the position after the last row of a page (base64url of
//! `{"seq": n}`), so a page never repeats or skips a row that existed
//! when the first page was read, however many rows are inserted meanwhile
//! (new rows sort before the cursor). `limit` is 1 to 100, 20 by default.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use adspin_core::web::Query;

use crate::AgentsError;

/// Page size without `limit`.
pub const DEFAULT_LIMIT: u32 = 20;
/// Largest `limit`.
pub const MAX_LIMIT: u32 = 100;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    /// Rows with a smaller sequence number than this come next.
    pub before_seq: Option<i64>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Position {
    seq: i64,
}

impl PageRequest {
    /// Reads `limit` and `cursor`; `422` naming the one that is wrong.
    pub fn from_query(query: &Query) -> Result<Self, AgentsError> {
        let limit = match query.get("limit") {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                .ok_or_else(|| {
                    AgentsError::validation("limit", "limit must be an integer from 1 to 100.")
                })?,
        };
        let before_seq = match query.get("cursor") {
            None | Some("") => None,
            Some(cursor) => Some(decode(cursor).ok_or_else(|| {
                AgentsError::validation(
                    "cursor",
                    "cursor must be the next_cursor of a previous page.",
                )
            })?),
        };
        Ok(Self { limit, before_seq })
    }

    /// How many rows to fetch: one more than the page, to learn whether
    /// more follow.
    pub fn rows_to_fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// The page of `rows` (fetched with [`Self::rows_to_fetch`], newest
    /// first).
    pub fn page<T>(
        &self,
        mut rows: Vec<T>,
        total: i64,
        seq_of: impl Fn(&T) -> i64,
        render: impl Fn(&T) -> Value,
    ) -> Value {
        let has_more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let next_cursor = rows
            .last()
            .filter(|_| has_more)
            .map(|last| encode(seq_of(last)));
        let data: Vec<Value> = rows.iter().map(render).collect();
        json!({
            "data": data,
            "pagination": {"next_cursor": next_cursor, "has_more": has_more, "total": total},
        })
    }
}

fn encode(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(json!({ "seq": seq }).to_string())
}

fn decode(cursor: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim_end_matches('=')).ok()?;
    let position: Position = serde_json::from_slice(&bytes).ok()?;
    Some(position.seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = encode(42);
        assert_eq!(decode(&cursor), Some(42));
        for bad in ["", "%%%", "eyJpZCI6ImNhbXBfOTk5In0", "bm90IGpzb24"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
        let error = PageRequest::from_query(&Query::parse("cursor=nope")).expect_err("bad");
        assert_eq!(error.status(), 422);
        let error = PageRequest::from_query(&Query::parse("limit=101")).expect_err("bad");
        assert_eq!(error.status(), 422);
    }

    #[test]
    fn a_page_says_whether_more_follow_and_where() {
        let request = PageRequest {
            limit: 2,
            before_seq: None,
        };
        let page = request.page(vec![5, 4, 3], 3, |n| *n, |n| json!(n));
        assert_eq!(page["data"], json!([5, 4]));
        assert_eq!(page["pagination"]["has_more"], true);
        assert_eq!(page["pagination"]["total"], 3);
        let next = page["pagination"]["next_cursor"].as_str().expect("cursor");
        assert_eq!(decode(next), Some(4));
        let last = request.page(vec![3], 3, |n| *n, |n| json!(n));
        assert_eq!(last["pagination"]["next_cursor"], Value::Null);
        assert_eq!(last["pagination"]["has_more"], false);
    }
}

//! Cursor pagination for `/v1` lists.
//!
//! Items are listed by an increasing per-row sequence number, so a cursor
//! (an item's public id) marks a fixed position: pages stay stable while
//! other requests insert rows. `before`/`after` echo a previous page's
//! `first_id`/`last_id`; they are mutually exclusive.

use serde::Serialize;

use crate::api_error::ApiError;
use crate::web::Query;

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 20;
/// Largest `limit` of the resource lists (campaigns, ad groups, ads).
pub const RESOURCE_MAX_LIMIT: u32 = 500;
/// Largest `limit` of the insights lists.
pub const INSIGHTS_MAX_LIMIT: u32 = 2000;

/// List order by creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

/// Where the page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    Start,
    /// Items that come after this id in list order.
    After(String),
    /// Items that come before this id in list order.
    Before(String),
}

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub order: Order,
    pub cursor: Cursor,
}

/// How storage must be scanned to serve a [`PageRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scan {
    /// Scan by ascending sequence number (else descending).
    pub ascending: bool,
    /// Compare rows to the cursor's sequence number with this operator.
    pub bound: Option<&'static str>,
    /// Rows to fetch: one more than the page, to learn `has_more`.
    pub fetch: u32,
    /// Reverse the fetched rows before returning them.
    pub reverse: bool,
}

impl PageRequest {
    /// Reads `limit`, `order`, `before` and `after` from the query.
    pub fn from_query(query: &Query, max_limit: u32) -> Result<Self, ApiError> {
        let limit = match query.get("limit") {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|limit| (1..=max_limit).contains(limit))
                .ok_or_else(|| {
                    ApiError::invalid_value(
                        "limit",
                        format!("limit must be an integer between 1 and {max_limit}."),
                    )
                })?,
        };
        let order = match query.get("order") {
            None | Some("desc") => Order::Desc,
            Some("asc") => Order::Asc,
            Some(_) => {
                return Err(ApiError::invalid_value(
                    "order",
                    "order must be 'asc' or 'desc'.",
                ));
            }
        };
        let cursor = match (query.get("before"), query.get("after")) {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid_value(
                    "before",
                    "before and after are mutually exclusive: send at most one.",
                ));
            }
            (Some(id), None) => Cursor::Before(non_empty("before", id)?),
            (None, Some(id)) => Cursor::After(non_empty("after", id)?),
            (None, None) => Cursor::Start,
        };
        Ok(Self {
            limit,
            order,
            cursor,
        })
    }

    /// The cursor id, if any.
    pub fn cursor_id(&self) -> Option<&str> {
        match &self.cursor {
            Cursor::Start => None,
            Cursor::After(id) | Cursor::Before(id) => Some(id),
        }
    }

    pub fn scan(&self) -> Scan {
        let listed_ascending = self.order == Order::Asc;
        let (ascending, bound, reverse) = match self.cursor {
            Cursor::Start => (listed_ascending, None, false),
            Cursor::After(_) => (
                listed_ascending,
                Some(if listed_ascending { ">" } else { "<" }),
                false,
            ),
            // The items nearest the cursor come first in a reversed scan.
            Cursor::Before(_) => (
                !listed_ascending,
                Some(if listed_ascending { "<" } else { ">" }),
                true,
            ),
        };
        Scan {
            ascending,
            bound,
            fetch: self.limit + 1,
            reverse,
        }
    }

    /// Builds the list object from the fetched rows (up to `limit + 1`).
    pub fn into_list<T>(&self, mut rows: Vec<T>, id_of: impl Fn(&T) -> String) -> List<T> {
        let has_more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        if self.scan().reverse {
            rows.reverse();
        }
        List {
            object: "list",
            count: rows.len(),
            first_id: rows.first().map(&id_of),
            last_id: rows.last().map(&id_of),
            has_more,
            data: rows,
        }
    }
}

fn non_empty(param: &str, id: &str) -> Result<String, ApiError> {
    if id.is_empty() {
        return Err(ApiError::invalid_value(
            param,
            format!("{param} must not be empty."),
        ));
    }
    Ok(id.to_string())
}

/// The `/v1` list object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct List<T> {
    pub object: &'static str,
    pub data: Vec<T>,
    pub count: usize,
    pub first_id: Option<String>,
    pub last_id: Option<String>,
    pub has_more: bool,
}

impl<T> List<T> {
    /// The same page with each item rendered by `render`.
    pub fn render<'a, U>(&'a self, render: impl Fn(&'a T) -> U) -> List<U> {
        List {
            object: self.object,
            data: self.data.iter().map(render).collect(),
            count: self.count,
            first_id: self.first_id.clone(),
            last_id: self.last_id.clone(),
            has_more: self.has_more,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(query: &str) -> Result<PageRequest, ApiError> {
        PageRequest::from_query(&Query::parse(query), RESOURCE_MAX_LIMIT)
    }

    #[test]
    fn defaults_are_twenty_items_newest_first() {
        let request = page("").expect("valid");
        assert_eq!(
            request,
            PageRequest {
                limit: 20,
                order: Order::Desc,
                cursor: Cursor::Start
            }
        );
    }

    #[test]
    fn limit_must_be_within_range() {
        assert_eq!(page("limit=1").expect("min").limit, 1);
        assert_eq!(page("limit=500").expect("max").limit, 500);
        for bad in ["limit=0", "limit=501", "limit=-1", "limit=abc", "limit="] {
            let error = page(bad).expect_err(bad);
            assert_eq!(
                (error.code(), error.param()),
                ("invalid_value", Some("limit")),
                "{bad}"
            );
        }
        let insights = PageRequest::from_query(&Query::parse("limit=2000"), INSIGHTS_MAX_LIMIT);
        assert_eq!(insights.expect("insights max").limit, 2000);
    }

    #[test]
    fn before_and_after_are_mutually_exclusive() {
        let error = page("before=a&after=b").expect_err("both cursors");
        assert_eq!(error.status(), 400);
        assert!(error.message().contains("mutually exclusive"));
        assert!(page("after=").is_err());
    }

    #[test]
    fn order_must_be_asc_or_desc() {
        assert_eq!(page("order=asc").expect("asc").order, Order::Asc);
        assert_eq!(page("order=up").expect_err("bad").param(), Some("order"));
    }

    #[test]
    fn scans_follow_the_cursor_direction() {
        let scan = |q: &str| page(q).expect("valid").scan();
        assert_eq!(
            scan("after=x"),
            Scan {
                ascending: false,
                bound: Some("<"),
                fetch: 21,
                reverse: false
            }
        );
        assert_eq!(
            scan("before=x"),
            Scan {
                ascending: true,
                bound: Some(">"),
                fetch: 21,
                reverse: true
            }
        );
        assert_eq!(scan("order=asc&after=x").bound, Some(">"));
        assert_eq!(
            scan("order=asc&before=x"),
            Scan {
                ascending: false,
                bound: Some("<"),
                fetch: 21,
                reverse: true
            }
        );
    }

    #[test]
    fn lists_report_ids_count_and_more() {
        let request = page("limit=2").expect("valid");
        let list = request.into_list(vec![5, 4, 3], |n| n.to_string());
        assert_eq!(list.data, [5, 4]);
        assert_eq!((list.count, list.has_more), (2, true));
        assert_eq!(
            (list.first_id.as_deref(), list.last_id.as_deref()),
            (Some("5"), Some("4"))
        );
        let backwards = page("limit=2&before=2")
            .expect("valid")
            .into_list(vec![3, 4], |n| n.to_string());
        assert_eq!(backwards.data, [4, 3]);
        assert!(!backwards.has_more);
        let empty = request.into_list(Vec::<i32>::new(), |n| n.to_string());
        assert_eq!((empty.first_id, empty.has_more), (None, false));
    }
}

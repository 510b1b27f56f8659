//! Dry runs: `?dry_run=true` (or the header `Dry-Run: true`) on a write
//! runs it with the same validation and authorization, inside a SQL
//! transaction that is always rolled back ([`Nested`] turns the
//! handler's own transactions into savepoints of it), and with outbound
//! requests held back ([`HeldBack`]): nothing is written, no event,
//! webhook delivery or email is queued, no request reaches Meta or Stripe.

use std::cell::{Cell, RefCell};

use serde_json::{Value, json};

use adspin_core::db::{Database, DbError, Row, SqlValue};
use adspin_core::outbound::{HttpClient, OutboundError, OutboundRequest, OutboundResponse};
use adspin_core::web::{Query, Request, header};

use crate::AgentsError;

/// The query parameter that asks for a dry run (the primary form).
pub const PARAMETER: &str = "dry_run";
/// The header that asks for one too.
pub const HEADER: &str = "dry-run";

/// Whether `request` asks for a dry run: `true`/`1` or `false`/`0` in the
/// query parameter or the header (`422` for another value, or for the two
/// disagreeing).
pub fn requested(request: &Request) -> Result<bool, AgentsError> {
    let flag = |field: &str, text: &str| match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(AgentsError::validation(
            field,
            format!("{field} must be true or false."),
        )),
    };
    let query = Query::from_request(request);
    // A write takes no other query parameter: one it does not know is an
    // error, as an unknown body field is.
    if let Some(unknown) = query.names().into_iter().find(|name| *name != PARAMETER) {
        return Err(AgentsError::validation(
            unknown,
            format!("{unknown} is not a parameter of this request (only dry_run is)."),
        ));
    }
    let by_parameter = query
        .get(PARAMETER)
        .map(|text| flag(PARAMETER, text))
        .transpose()?;
    let by_header = header(request, HEADER)
        .map(|text| flag("Dry-Run", text))
        .transpose()?;
    match (by_parameter, by_header) {
        (Some(a), Some(b)) if a != b => Err(AgentsError::validation(
            PARAMETER,
            "dry_run and the Dry-Run header disagree.",
        )),
        (a, b) => Ok(a.or(b).unwrap_or(false)),
    }
}

/// A connection inside a transaction the caller owns: the `BEGIN
/// IMMEDIATE`, `COMMIT` and `ROLLBACK` of [`adspin_core::db::transaction`]
/// become a savepoint, its release and a rollback to it, so a handler's
/// transactions nest in the dry run's.
pub struct Nested<'a, D> {
    db: &'a D,
    depth: Cell<u32>,
}

impl<'a, D: Database> Nested<'a, D> {
    pub fn new(db: &'a D) -> Self {
        Self {
            db,
            depth: Cell::new(0),
        }
    }
}

impl<D: Database> Database for Nested<'_, D> {
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        let depth = self.depth.get();
        match sql.trim() {
            "BEGIN IMMEDIATE" | "BEGIN" => {
                self.db
                    .execute(&format!("SAVEPOINT nested_{}", depth + 1), &[])?;
                self.depth.set(depth + 1);
                Ok(Vec::new())
            }
            "COMMIT" if depth > 0 => {
                self.db.execute(&format!("RELEASE nested_{depth}"), &[])?;
                self.depth.set(depth - 1);
                Ok(Vec::new())
            }
            "ROLLBACK" if depth > 0 => {
                self.db
                    .execute(&format!("ROLLBACK TO nested_{depth}"), &[])?;
                self.db.execute(&format!("RELEASE nested_{depth}"), &[])?;
                self.depth.set(depth - 1);
                Ok(Vec::new())
            }
            "COMMIT" | "ROLLBACK" => Err(DbError::Statement(format!(
                "{sql} outside a nested transaction"
            ))),
            _ => self.db.execute(sql, params),
        }
    }
}

/// An outbound client that sends nothing: each request is noted (the dry
/// run's answer lists them) and answered `200` with a placeholder object
/// (`{"id": "dry_run", ...}`), so the write carries on as if the remote
/// had accepted it.
#[derive(Debug, Default)]
pub struct HeldBack {
    requests: RefCell<Vec<(String, String)>>,
}

impl HeldBack {
    /// The requests held back, as `{"method", "url"}` (the URL without its
    /// query, which may carry an access token).
    pub fn requests(&self) -> Value {
        let requests = self.requests.borrow();
        Value::Array(
            requests
                .iter()
                .map(|(method, url)| json!({"method": method, "url": url}))
                .collect(),
        )
    }
}

impl HttpClient for HeldBack {
    async fn send(
        &self,
        request: OutboundRequest,
        _body_limit: usize,
    ) -> Result<OutboundResponse, OutboundError> {
        let url = request
            .url
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .to_string();
        self.requests
            .borrow_mut()
            .push((request.method.to_string(), url));
        Ok(OutboundResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: json!({"id": "dry_run", "success": true, "url": "https://dry-run.invalid/"})
                .to_string()
                .into_bytes(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use adspin_core::db::transaction;
    use adspin_core::testing::database;

    fn request(uri: &str, dry_run_header: Option<&str>) -> Request {
        let mut builder = http::Request::builder().method("POST").uri(uri);
        if let Some(value) = dry_run_header {
            builder = builder.header("dry-run", value);
        }
        builder.body(Vec::new()).expect("request")
    }

    #[test]
    fn the_parameter_and_the_header_ask_for_a_dry_run() {
        assert!(!requested(&request("/api/v1/campaigns", None)).expect("none"));
        assert!(requested(&request("/api/v1/campaigns?dry_run=true", None)).expect("query"));
        assert!(requested(&request("/api/v1/campaigns", Some("true"))).expect("header"));
        assert!(!requested(&request("/api/v1/campaigns?dry_run=0", None)).expect("false"));
        let bad = requested(&request("/api/v1/campaigns?dry_run=maybe", None)).expect_err("bad");
        assert_eq!((bad.status(), bad.code()), (422, "validation_error"));
        let split = requested(&request("/api/v1/campaigns?dry_run=true", Some("false")))
            .expect_err("disagree");
        assert_eq!(split.status(), 422);
    }

    #[test]
    fn nested_transactions_are_undone_with_the_outer_one() {
        let db = database();
        let rows = || {
            db.count("SELECT COUNT(*) FROM organizations", &[])
                .expect("count")
        };
        let before = rows();
        db.execute("BEGIN IMMEDIATE", &[]).expect("begin");
        let nested = Nested::new(&db);
        transaction(&nested, || {
            nested.execute(
                "INSERT INTO organizations (id, name, created_at, updated_at)
                 VALUES ('00000000-0000-4000-8000-000000000abc', 'n', 0, 0)",
                &[],
            )
        })
        .expect("committed inside");
        let failed: Result<(), DbError> = transaction(&nested, || {
            nested.execute(
                "INSERT INTO organizations (id, name, created_at, updated_at)
                 VALUES ('00000000-0000-4000-8000-000000000abd', 'n', 0, 0)",
                &[],
            )?;
            Err(DbError::Malformed("refused".into()))
        });
        assert!(failed.is_err());
        assert_eq!(rows(), before + 1, "the failed one is undone at once");
        db.execute("ROLLBACK", &[]).expect("rollback");
        assert_eq!(rows(), before, "the outer rollback undoes the rest");
    }
}

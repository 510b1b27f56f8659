//! The `fermyon:spin/sqlite@2.0.0` interface.
//!
//! The `default` database is `<state-dir>/sqlite_db.db`, as with `spin up`.
//! Each statement borrows a pooled SQLite connection and returns it when it
//! is done, except inside a transaction: from `BEGIN` until the guest
//! commits or rolls back, its connection stays with that guest connection,
//! so the transaction is private to it. A transaction still open when the
//! guest drops the connection is rolled back.
//!
//! A statement whose recent runs average under [`crate::db::QUICK`] runs
//! on the runtime thread when its connection is at hand (the guest's
//! transaction, or the shared connection free): that skips two thread
//! wake-ups per statement, which cost more than the statement, and serves
//! about a third more internal-DSP auctions on two cores (BENCHMARKS.md).
//! Every other statement runs in `spawn_blocking`, as under `spin up`, so a
//! slow query does not stall the async runtime.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use rusqlite::types::{Value as SqlValue, ValueRef};
use wasmtime::component::{HasData, Resource, ResourceTable};

use crate::bindings::fermyon::spin::sqlite::{
    Error, Host, HostConnection, QueryResult, RowResult, Value,
};
use crate::db::{Database, Lease};

/// File name Spin uses for its default database.
pub const FILE_NAME: &str = "sqlite_db.db";
/// Largest result the host buffers for a guest (as Spin: 128 MiB).
const MAX_RESULT_BYTES: usize = 128 * 1024 * 1024;
/// Most connections one instance may hold open at once.
const MAX_OPEN_CONNECTIONS: usize = 64;

/// An open guest connection: the resource behind `sqlite.connection`.
pub struct GuestConnection {
    db: Arc<Database>,
    /// The SQLite connection of an open transaction (rolled back if the
    /// guest drops the connection with the transaction still open).
    in_transaction: Option<Lease>,
}

/// Per-instance SQLite access.
pub struct SqliteAccess {
    pub default_db: Arc<Database>,
    pub allowed: Arc<HashSet<String>>,
    open_connections: usize,
    /// Added before every statement (`--sqlite-latency`), as if the
    /// database were a network round trip away.
    latency: Option<Duration>,
    /// Connections opened and statements run (for `--storage-trace`).
    pub opened: u32,
    pub statements: u32,
}

impl SqliteAccess {
    pub fn new(
        default_db: Arc<Database>,
        allowed: Arc<HashSet<String>>,
        latency: Option<Duration>,
    ) -> Self {
        Self {
            default_db,
            allowed,
            open_connections: 0,
            latency,
            opened: 0,
            statements: 0,
        }
    }
}

pub struct SqliteView<'a> {
    pub access: &'a mut SqliteAccess,
    pub table: &'a mut ResourceTable,
}

pub struct SqliteData;

impl HasData for SqliteData {
    type Data<'a> = SqliteView<'a>;
}

impl Host for SqliteView<'_> {}

impl HostConnection for SqliteView<'_> {
    async fn open(
        &mut self,
        database: String,
    ) -> wasmtime::Result<Result<Resource<GuestConnection>, Error>> {
        if !self.access.allowed.contains(&database) {
            return Ok(Err(Error::AccessDenied));
        }
        if database != crate::manifest::DEFAULT_LABEL {
            return Ok(Err(Error::NoSuchDatabase));
        }
        if self.access.open_connections >= MAX_OPEN_CONNECTIONS {
            return Ok(Err(Error::Io("too many connections opened".into())));
        }
        let db = self.access.default_db.clone();
        let resource = self.table.push(GuestConnection {
            db,
            in_transaction: None,
        })?;
        self.access.open_connections += 1;
        self.access.opened += 1;
        Ok(Ok(resource))
    }

    async fn execute(
        &mut self,
        connection: Resource<GuestConnection>,
        statement: String,
        parameters: Vec<Value>,
    ) -> wasmtime::Result<Result<QueryResult, Error>> {
        self.access.statements += 1;
        if let Some(latency) = self.access.latency {
            // Inside a transaction the connection stays held meanwhile, as
            // a remote database holds its locks across round trips.
            tokio::time::sleep(latency).await;
        }
        let guest = self.table.get_mut(&connection)?;
        let held = guest.in_transaction.take();
        let db = guest.db.clone();
        let quick = db.is_quick(&statement);
        let at_hand = if quick {
            held.or_else(|| db.try_checkout())
        } else {
            held
        };
        let (result, held) = match at_hand {
            Some(conn) if quick => run(&db, conn, &statement, parameters),
            held => {
                tokio::task::spawn_blocking(move || {
                    let conn = match held {
                        Some(conn) => conn,
                        None => match db.checkout() {
                            Ok(conn) => conn,
                            Err(e) => return (Err(Error::Io(format!("{e:#}"))), None),
                        },
                    };
                    run(&db, conn, &statement, parameters)
                })
                .await?
            }
        };
        let guest = self.table.get_mut(&connection)?;
        guest.in_transaction = held;
        Ok(result)
    }

    async fn drop(&mut self, connection: Resource<GuestConnection>) -> wasmtime::Result<()> {
        // Dropping the value rolls back and returns the connection of a
        // transaction left open.
        self.table.delete(connection)?;
        self.access.open_connections = self.access.open_connections.saturating_sub(1);
        Ok(())
    }
}

/// Runs one statement on `conn` and times it; gives `conn` back while it
/// holds an open transaction.
fn run(
    db: &Database,
    mut conn: Lease,
    statement: &str,
    parameters: Vec<Value>,
) -> (Result<QueryResult, Error>, Option<Lease>) {
    let started = Instant::now();
    let result = execute(&mut conn, statement, parameters);
    db.timed(statement, started.elapsed());
    let held = (!conn.is_autocommit()).then_some(conn);
    (result, held)
}

/// Runs one statement (like Spin, more than one statement is an error).
fn execute(
    conn: &mut rusqlite::Connection,
    statement: &str,
    parameters: Vec<Value>,
) -> Result<QueryResult, Error> {
    let io = |e: rusqlite::Error| Error::Io(e.to_string());
    let mut prepared = conn.prepare_cached(statement).map_err(io)?;
    let columns: Vec<String> = prepared
        .column_names()
        .into_iter()
        .map(String::from)
        .collect();
    let column_count = columns.len();
    let mut rows = prepared
        .query(rusqlite::params_from_iter(
            parameters.into_iter().map(to_sql),
        ))
        .map_err(io)?;
    let mut result_rows = Vec::new();
    let mut buffered = 0usize;
    while let Some(row) = rows.next().map_err(io)? {
        let mut values = Vec::with_capacity(column_count);
        for index in 0..column_count {
            let value = from_sql(row.get_ref(index).map_err(io)?);
            buffered += value_size(&value);
            values.push(value);
        }
        if buffered > MAX_RESULT_BYTES {
            return Err(Error::Io(format!(
                "query result exceeds limit of {MAX_RESULT_BYTES} bytes"
            )));
        }
        result_rows.push(RowResult { values });
    }
    Ok(QueryResult {
        columns,
        rows: result_rows,
    })
}

fn to_sql(value: Value) -> SqlValue {
    match value {
        Value::Integer(i) => SqlValue::Integer(i),
        Value::Real(r) => SqlValue::Real(r),
        Value::Text(t) => SqlValue::Text(t),
        Value::Blob(b) => SqlValue::Blob(b),
        Value::Null => SqlValue::Null,
    }
}

fn from_sql(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

fn value_size(value: &Value) -> usize {
    std::mem::size_of::<Value>()
        + match value {
            Value::Text(t) => t.len(),
            Value::Blob(b) => b.len(),
            _ => 0,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory() -> rusqlite::Connection {
        rusqlite::Connection::open_in_memory().expect("in-memory database")
    }

    #[test]
    fn values_round_trip_through_a_query() {
        let mut conn = memory();
        let params = vec![
            Value::Integer(-7),
            Value::Real(1.5),
            Value::Text("héllo".into()),
            Value::Blob(vec![0, 1, 2]),
            Value::Null,
        ];
        let result = execute(&mut conn, "SELECT ?, ?, ?, ?, ? AS last", params).expect("query");
        assert_eq!(result.columns.len(), 5);
        assert_eq!(result.columns[4], "last");
        let values = &result.rows[0].values;
        assert!(matches!(values[0], Value::Integer(-7)));
        assert!(matches!(values[1], Value::Real(r) if r == 1.5));
        assert!(matches!(&values[2], Value::Text(t) if t == "héllo"));
        assert!(matches!(&values[3], Value::Blob(b) if b == &[0, 1, 2]));
        assert!(matches!(values[4], Value::Null));
    }

    #[test]
    fn several_statements_in_one_execute_are_an_error() {
        let mut conn = memory();
        let err = execute(&mut conn, "SELECT 1; SELECT 2", vec![]).expect_err("two statements");
        assert!(matches!(err, Error::Io(_)));
    }

    #[test]
    fn sql_errors_are_reported_as_io_errors() {
        let mut conn = memory();
        let err = execute(&mut conn, "SELECT * FROM missing", vec![]).expect_err("no table");
        assert!(matches!(err, Error::Io(message) if message.contains("missing")));
    }
}

//! [`Database`] over Spin's `fermyon:spin/sqlite` interface (callable
//! only inside a component; it compiles natively so the workspace does).
//!
//! `spin up` opens a new SQLite connection for every `Connection::open`,
//! with SQLite's defaults. What the application sets per connection is in
//! [`CONNECTION_PRAGMAS`]; what holds for the database file (WAL) is set
//! once by the migrations.

use std::cell::Cell;

use spin_sdk::sqlite::{Connection, Error, Value};

use adspin_core::db::{Database, DbError, Row, SqlValue};

/// Settings SQLite keeps per connection, applied to every connection the
/// application writes through. In WAL mode (migration 6),
/// `synchronous = NORMAL` syncs the log at checkpoints instead of at every
/// commit: a crash of the process loses nothing, a power loss may lose the
/// last commits but never corrupts the database.
pub const CONNECTION_PRAGMAS: &[&str] = &["PRAGMA synchronous = NORMAL"];

pub struct SpinDb {
    connection: Connection,
    /// Whether [`CONNECTION_PRAGMAS`] ran on this connection.
    configured: Cell<bool>,
}

impl SpinDb {
    /// Opens the `default` database.
    pub fn open_default() -> Result<Self, DbError> {
        Connection::open_default()
            .map(|connection| Self {
                connection,
                configured: Cell::new(false),
            })
            .map_err(|e| DbError::Unavailable(format!("{e:?}")))
    }

    /// Applies [`CONNECTION_PRAGMAS`] before the connection's first write:
    /// a request that only reads never pays for them (each is a host call,
    /// and on a remote database a round trip).
    fn configure_for(&self, sql: &str) {
        if self.configured.get() || is_read(sql) {
            return;
        }
        self.configured.set(true);
        for pragma in CONNECTION_PRAGMAS {
            // A backend that refuses a setting (a remote libSQL server
            // manages its own durability) is used as it is.
            if let Err(error) = self.run(pragma, &[]) {
                adspin_core::log::warn(&format!("{pragma} refused: {error}"));
            }
        }
    }

    fn run(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        let params: Vec<Value> = params.iter().map(to_spin).collect();
        let result = self
            .connection
            .execute(sql, &params)
            .map_err(|error| match error {
                Error::Io(message) => DbError::from_sqlite_message(&message),
                other => DbError::Statement(format!("{other:?}")),
            })?;
        Ok(result
            .rows
            .into_iter()
            .map(|row| Row {
                values: row.values.into_iter().map(from_spin).collect(),
            })
            .collect())
    }
}

/// Whether a statement only reads (a `SELECT`).
fn is_read(sql: &str) -> bool {
    sql.trim_start()
        .get(..6)
        .is_some_and(|word| word.eq_ignore_ascii_case("select"))
}

impl Database for SpinDb {
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        self.configure_for(sql);
        self.run(sql, params)
    }
}

fn to_spin(value: &SqlValue) -> Value {
    match value {
        SqlValue::Integer(i) => Value::Integer(*i),
        SqlValue::Real(r) => Value::Real(*r),
        SqlValue::Text(t) => Value::Text(t.clone()),
        SqlValue::Blob(b) => Value::Blob(b.clone()),
        SqlValue::Null => Value::Null,
    }
}

fn from_spin(value: Value) -> SqlValue {
    match value {
        Value::Integer(i) => SqlValue::Integer(i),
        Value::Real(r) => SqlValue::Real(r),
        Value::Text(t) => SqlValue::Text(t),
        Value::Blob(b) => SqlValue::Blob(b),
        Value::Null => SqlValue::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::is_read;

    #[test]
    fn only_selects_count_as_reads() {
        assert!(is_read("SELECT 1"));
        assert!(is_read("  select id FROM t"));
        assert!(!is_read("INSERT INTO t VALUES (1)"));
        assert!(!is_read("BEGIN IMMEDIATE"));
        assert!(!is_read("UPDATE t SET x = 1"));
        assert!(!is_read("SEL"));
    }
}

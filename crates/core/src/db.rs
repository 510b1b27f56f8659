//! The SQL access components use: one small trait over a connection, so
//! the same statements run against Spin SQLite in a component and against
//! rusqlite in native tests.

/// A SQL value (the Spin SQLite value type).
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    Null,
}

impl From<i64> for SqlValue {
    fn from(value: i64) -> Self {
        Self::Integer(value)
    }
}

impl From<f64> for SqlValue {
    fn from(value: f64) -> Self {
        Self::Real(value)
    }
}

impl From<bool> for SqlValue {
    fn from(value: bool) -> Self {
        Self::Integer(i64::from(value))
    }
}

impl From<&str> for SqlValue {
    fn from(value: &str) -> Self {
        Self::Text(value.to_string())
    }
}

impl From<String> for SqlValue {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, Into::into)
    }
}

/// One result row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub values: Vec<SqlValue>,
}

impl Row {
    pub fn integer(&self, index: usize) -> Option<i64> {
        match self.values.get(index) {
            Some(SqlValue::Integer(i)) => Some(*i),
            _ => None,
        }
    }

    pub fn real(&self, index: usize) -> Option<f64> {
        match self.values.get(index) {
            Some(SqlValue::Real(r)) => Some(*r),
            Some(SqlValue::Integer(i)) => Some(*i as f64),
            _ => None,
        }
    }

    pub fn text(&self, index: usize) -> Option<&str> {
        match self.values.get(index) {
            Some(SqlValue::Text(t)) => Some(t),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database: {0}")]
    Unavailable(String),
    #[error("statement failed: {0}")]
    Statement(String),
}

impl DbError {
    /// True when a CHECK constraint mentioning `column` rejected a write.
    pub fn is_check_violation(&self, column: &str) -> bool {
        matches!(self, Self::Statement(message) if message.contains("CHECK constraint failed") && message.contains(column))
    }

    /// True when a UNIQUE or PRIMARY KEY constraint rejected a write.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, Self::Statement(message) if message.contains("UNIQUE constraint failed"))
    }
}

/// A connection that runs one statement at a time.
pub trait Database {
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError>;

    /// The first row, if any.
    fn query_row(&self, sql: &str, params: &[SqlValue]) -> Result<Option<Row>, DbError> {
        Ok(self.execute(sql, params)?.into_iter().next())
    }
}

impl<D: Database + ?Sized> Database for &D {
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        (**self).execute(sql, params)
    }
}

/// Runs `work` in a write transaction (`BEGIN IMMEDIATE`, so concurrent
/// writers queue up front instead of failing on a lock upgrade). The
/// transaction commits when `work` returns `Ok` and rolls back otherwise.
pub fn transaction<T, E: From<DbError>>(
    db: &impl Database,
    work: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    db.execute("BEGIN IMMEDIATE", &[])?;
    match work() {
        Ok(value) => {
            db.execute("COMMIT", &[])?;
            Ok(value)
        }
        Err(error) => {
            // A failed rollback leaves the transaction to be rolled back when
            // the connection closes; the original error is what matters.
            if let Err(rollback) = db.execute("ROLLBACK", &[]) {
                eprintln!("rollback failed: {rollback}");
            }
            Err(error)
        }
    }
}

#[cfg(any(test, feature = "native-db"))]
pub mod native {
    //! [`Database`] over rusqlite, for native tests of component SQL.

    use rusqlite::types::{Value, ValueRef};

    use super::{Database, DbError, Row, SqlValue};

    pub struct NativeDb {
        connection: rusqlite::Connection,
    }

    impl NativeDb {
        /// A fresh in-memory database with the given SQL files applied.
        pub fn with_schema(files: &[&str]) -> Result<Self, DbError> {
            let connection = rusqlite::Connection::open_in_memory()
                .map_err(|e| DbError::Unavailable(e.to_string()))?;
            for sql in files {
                connection
                    .execute_batch(sql)
                    .map_err(|e| DbError::Statement(e.to_string()))?;
            }
            Ok(Self { connection })
        }

        /// Applies an SQL file (such as a migration) to the database.
        pub fn apply(&self, sql: &str) -> Result<(), DbError> {
            self.connection
                .execute_batch(sql)
                .map_err(|e| DbError::Statement(e.to_string()))
        }
    }

    impl Database for NativeDb {
        fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
            let statement_error = |e: rusqlite::Error| DbError::Statement(e.to_string());
            let mut statement = self
                .connection
                .prepare_cached(sql)
                .map_err(statement_error)?;
            let columns = statement.column_count();
            let values = params.iter().map(|value| match value {
                SqlValue::Integer(i) => Value::Integer(*i),
                SqlValue::Real(r) => Value::Real(*r),
                SqlValue::Text(t) => Value::Text(t.clone()),
                SqlValue::Blob(b) => Value::Blob(b.clone()),
                SqlValue::Null => Value::Null,
            });
            let mut rows = statement
                .query(rusqlite::params_from_iter(values))
                .map_err(statement_error)?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(statement_error)? {
                let mut values = Vec::with_capacity(columns);
                for index in 0..columns {
                    values.push(match row.get_ref(index).map_err(statement_error)? {
                        ValueRef::Null => SqlValue::Null,
                        ValueRef::Integer(i) => SqlValue::Integer(i),
                        ValueRef::Real(r) => SqlValue::Real(r),
                        ValueRef::Text(t) => {
                            SqlValue::Text(String::from_utf8_lossy(t).into_owned())
                        }
                        ValueRef::Blob(b) => SqlValue::Blob(b.to_vec()),
                    });
                }
                out.push(Row { values });
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::native::NativeDb;
    use super::*;

    #[test]
    fn values_round_trip_and_rows_are_typed() {
        let db = NativeDb::with_schema(&[]).expect("db");
        let row = db
            .query_row(
                "SELECT ?, ?, ?, ?",
                &[
                    7i64.into(),
                    1.5f64.into(),
                    "text".into(),
                    SqlValue::from(None::<i64>),
                ],
            )
            .expect("query")
            .expect("one row");
        assert_eq!(row.integer(0), Some(7));
        assert_eq!(row.real(1), Some(1.5));
        assert_eq!(row.text(2), Some("text"));
        assert_eq!(row.values[3], SqlValue::Null);
    }

    #[test]
    fn transactions_commit_on_ok_and_roll_back_on_err() {
        let db = NativeDb::with_schema(&["CREATE TABLE t (k TEXT)"]).expect("db");
        transaction(&db, || db.execute("INSERT INTO t VALUES ('kept')", &[])).expect("commit");
        let failed: Result<(), DbError> = transaction(&db, || {
            db.execute("INSERT INTO t VALUES ('dropped')", &[])?;
            Err(DbError::Statement("boom".into()))
        });
        assert!(failed.is_err());
        let rows = db.execute("SELECT k FROM t", &[]).expect("select");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].text(0), Some("kept"));
    }

    #[test]
    fn unique_violations_are_recognised() {
        let db = NativeDb::with_schema(&["CREATE TABLE t (k TEXT PRIMARY KEY)"]).expect("db");
        db.execute("INSERT INTO t VALUES ('a')", &[])
            .expect("first insert");
        let error = db
            .execute("INSERT INTO t VALUES ('a')", &[])
            .expect_err("duplicate");
        assert!(error.is_unique_violation(), "{error}");
    }
}

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
                .map_err(|e| DbError::from_sqlite_message(&e.to_string()))?;
        }
        Ok(Self { connection })
    }

    /// Applies an SQL file (such as a migration) to the database.
    pub fn apply(&self, sql: &str) -> Result<(), DbError> {
        self.connection
            .execute_batch(sql)
            .map_err(|e| DbError::from_sqlite_message(&e.to_string()))
    }
}

impl Database for NativeDb {
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        let statement_error = |e: rusqlite::Error| DbError::from_sqlite_message(&e.to_string());
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
                    ValueRef::Text(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => SqlValue::Blob(b.to_vec()),
                });
            }
            out.push(Row { values });
        }
        Ok(out)
    }
}

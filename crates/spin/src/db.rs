//! [`Database`] over Spin's `fermyon:spin/sqlite` interface (callable
//! only inside a component; it compiles natively so the workspace does).

use spin_sdk::sqlite::{Connection, Error, Value};

use adspin_core::db::{Database, DbError, Row, SqlValue};

pub struct SpinDb {
    connection: Connection,
}

impl SpinDb {
    /// Opens the `default` database.
    pub fn open_default() -> Result<Self, DbError> {
        Connection::open_default()
            .map(|connection| Self { connection })
            .map_err(|e| DbError::Unavailable(format!("{e:?}")))
    }
}

impl Database for SpinDb {
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
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

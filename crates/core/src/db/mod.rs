//! The SQL boundary: one small trait over a connection, so the same
//! statements run against Spin SQLite in a component and against rusqlite
//! in native tests, and typed conversions on both sides of it.
//!
//! Values go in through `From` (ids, [`Micros`], [`UnixSeconds`], text
//! enums, [`Json`]) and come out through [`Row::get`], which fails with
//! [`DbError::Malformed`] instead of guessing. Entities decode with
//! [`FromRow`]. A rejected write is a [`DbError::Constraint`] with its
//! [`ConstraintKind`], classified once where the driver's error arrives.

mod value;

#[cfg(any(test, feature = "native-db"))]
pub mod native;

pub use value::{FromSql, Json, SqlValue};

use crate::money::Micros;
use crate::time::UnixSeconds;

/// One result row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub values: Vec<SqlValue>,
}

impl Row {
    /// Column `index` as `T`: a missing column, a `NULL` where `T` is not
    /// an `Option`, or a value of another type is [`DbError::Malformed`].
    pub fn get<T: FromSql>(&self, index: usize) -> Result<T, DbError> {
        let value = self.values.get(index).unwrap_or(&SqlValue::Null);
        T::from_sql(value).ok_or_else(|| {
            DbError::Malformed(format!(
                "column {index} holds {value:?}, not a {}",
                std::any::type_name::<T>()
            ))
        })
    }

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

/// A type read from a whole row, in the column order of its `SELECT`.
pub trait FromRow: Sized {
    fn from_row(row: &Row) -> Result<Self, DbError>;
}

/// Which constraint refused a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    /// `UNIQUE` or `PRIMARY KEY`.
    Unique,
    Check,
    ForeignKey,
    NotNull,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database: {0}")]
    Unavailable(String),
    #[error("statement failed: {0}")]
    Statement(String),
    /// A constraint refused the write; `detail` names what it checked
    /// (`api_keys.organization_id`, `spent_micros <= ...`).
    #[error("{kind:?} constraint failed: {detail}")]
    Constraint {
        kind: ConstraintKind,
        detail: String,
    },
    /// A column did not hold what the schema promises.
    #[error("malformed row: {0}")]
    Malformed(String),
}

impl DbError {
    /// Classifies an SQLite error message: constraint failures become
    /// [`DbError::Constraint`], anything else [`DbError::Statement`].
    /// Spin's SQLite interface reports errors as text, so this is where
    /// its messages get their structure.
    pub fn from_sqlite_message(message: &str) -> Self {
        const KINDS: [(&str, ConstraintKind); 4] = [
            ("UNIQUE constraint failed: ", ConstraintKind::Unique),
            ("CHECK constraint failed: ", ConstraintKind::Check),
            ("FOREIGN KEY constraint failed", ConstraintKind::ForeignKey),
            ("NOT NULL constraint failed: ", ConstraintKind::NotNull),
        ];
        for (marker, kind) in KINDS {
            if let Some(at) = message.find(marker) {
                let detail = message[at + marker.len()..]
                    .trim_end_matches(['"', ')'])
                    .trim()
                    .to_string();
                return Self::Constraint { kind, detail };
            }
        }
        Self::Statement(message.to_string())
    }

    /// True when a CHECK constraint mentioning `column` refused a write.
    pub fn is_check_violation(&self, column: &str) -> bool {
        matches!(self, Self::Constraint { kind: ConstraintKind::Check, detail } if detail.contains(column))
    }

    /// True when a UNIQUE or PRIMARY KEY constraint refused a write.
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            Self::Constraint {
                kind: ConstraintKind::Unique,
                ..
            }
        )
    }
}

/// A connection that runs one statement at a time.
pub trait Database {
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError>;

    /// The first row, if any.
    fn query_row(&self, sql: &str, params: &[SqlValue]) -> Result<Option<Row>, DbError> {
        Ok(self.execute(sql, params)?.into_iter().next())
    }

    /// The first row decoded as `T`, if any.
    fn find<T: FromRow>(&self, sql: &str, params: &[SqlValue]) -> Result<Option<T>, DbError> {
        self.query_row(sql, params)?
            .map(|row| T::from_row(&row))
            .transpose()
    }

    /// Every row decoded as `T`.
    fn list<T: FromRow>(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<T>, DbError> {
        self.execute(sql, params)?.iter().map(T::from_row).collect()
    }

    /// The row an `INSERT ... RETURNING` wrote, decoded as `T`; an error
    /// when the statement returned none.
    fn returning<T: FromRow>(&self, sql: &str, params: &[SqlValue]) -> Result<T, DbError> {
        self.find(sql, params)?
            .ok_or_else(|| DbError::Malformed("INSERT ... RETURNING returned no row".into()))
    }

    /// The integer id an `INSERT ... RETURNING id` wrote.
    fn insert_returning_id(&self, sql: &str, params: &[SqlValue]) -> Result<i64, DbError> {
        self.query_row(sql, params)?
            .and_then(|row| row.integer(0))
            .ok_or_else(|| DbError::Malformed("INSERT ... RETURNING returned no row".into()))
    }

    /// The integer in the first column of the first row (a `SELECT
    /// COUNT(*) ...`); 0 without a row.
    fn count(&self, sql: &str, params: &[SqlValue]) -> Result<i64, DbError> {
        Ok(self
            .query_row(sql, params)?
            .and_then(|row| row.integer(0))
            .unwrap_or(0))
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
                crate::log::warn(&format!("rollback failed: {rollback}"));
            }
            Err(error)
        }
    }
}

impl From<Micros> for SqlValue {
    fn from(value: Micros) -> Self {
        Self::Integer(value.get())
    }
}

impl FromSql for Micros {
    fn from_sql(value: &SqlValue) -> Option<Self> {
        i64::from_sql(value).map(Self::new)
    }
}

impl From<UnixSeconds> for SqlValue {
    fn from(value: UnixSeconds) -> Self {
        Self::Integer(value.get())
    }
}

impl FromSql for UnixSeconds {
    fn from_sql(value: &SqlValue) -> Option<Self> {
        i64::from_sql(value).map(Self::new)
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

    #[test]
    fn typed_values_round_trip_through_sql() {
        use crate::ids::CampaignId;
        let db = NativeDb::with_schema(&[]).expect("db");
        let id = CampaignId::new_random();
        let row = db
            .query_row(
                "SELECT ?, ?, ?, ?, ?",
                &[
                    id.into(),
                    Micros::new(1_500_000).into(),
                    UnixSeconds::new(1_700_000_000).into(),
                    Json(vec!["a", "b"]).into(),
                    None::<Micros>.into(),
                ],
            )
            .expect("query")
            .expect("one row");
        assert_eq!(row.get::<CampaignId>(0), Ok(id));
        assert_eq!(row.get::<Micros>(1), Ok(Micros::new(1_500_000)));
        assert_eq!(
            row.get::<UnixSeconds>(2),
            Ok(UnixSeconds::new(1_700_000_000))
        );
        assert_eq!(
            row.get::<Json<Vec<String>>>(3),
            Ok(Json(vec!["a".to_string(), "b".to_string()]))
        );
        assert_eq!(row.get::<Option<Micros>>(4), Ok(None));
    }

    #[test]
    fn a_column_of_another_type_is_malformed_not_a_default() {
        let db = NativeDb::with_schema(&[]).expect("db");
        let row = db
            .query_row("SELECT 'text', NULL, 'not-a-uuid'", &[])
            .expect("query")
            .expect("row");
        assert!(matches!(row.get::<i64>(0), Err(DbError::Malformed(_))));
        assert!(matches!(row.get::<i64>(1), Err(DbError::Malformed(_))));
        assert!(matches!(
            row.get::<crate::ids::AdId>(2),
            Err(DbError::Malformed(_))
        ));
        assert!(matches!(row.get::<String>(9), Err(DbError::Malformed(_))));
    }

    #[test]
    fn constraint_failures_are_classified() {
        let db = NativeDb::with_schema(&[
            "PRAGMA foreign_keys = ON",
            "CREATE TABLE p (id TEXT PRIMARY KEY)",
            "CREATE TABLE t (k TEXT UNIQUE, n INTEGER NOT NULL CHECK (n >= 0), p TEXT REFERENCES p(id))",
        ])
        .expect("db");
        db.execute("INSERT INTO t (k, n) VALUES ('a', 1)", &[])
            .expect("first");
        let kind = |sql: &str| match db.execute(sql, &[]) {
            Err(DbError::Constraint { kind, .. }) => Some(kind),
            other => panic!("{sql}: {other:?}"),
        };
        assert_eq!(
            kind("INSERT INTO t (k, n) VALUES ('a', 2)"),
            Some(ConstraintKind::Unique)
        );
        assert_eq!(
            kind("INSERT INTO t (k, n) VALUES ('b', -1)"),
            Some(ConstraintKind::Check)
        );
        assert_eq!(
            kind("INSERT INTO t (k) VALUES ('c')"),
            Some(ConstraintKind::NotNull)
        );
        assert_eq!(
            kind("INSERT INTO t (k, n, p) VALUES ('d', 1, 'missing')"),
            Some(ConstraintKind::ForeignKey)
        );
        let check = db.execute("UPDATE t SET n = -5", &[]).expect_err("check");
        assert!(check.is_check_violation("n >= 0"), "{check}");
        assert!(!check.is_unique_violation());
    }

    #[test]
    fn spin_error_messages_get_the_same_structure() {
        assert_eq!(
            DbError::from_sqlite_message(
                "CHECK constraint failed: spent_micros <= lifetime_spend_limit_micros"
            ),
            DbError::Constraint {
                kind: ConstraintKind::Check,
                detail: "spent_micros <= lifetime_spend_limit_micros".into()
            }
        );
        assert!(
            DbError::from_sqlite_message("UNIQUE constraint failed: api_keys.organization_id")
                .is_unique_violation()
        );
        assert_eq!(
            DbError::from_sqlite_message("no such table: x"),
            DbError::Statement("no such table: x".into())
        );
    }
}

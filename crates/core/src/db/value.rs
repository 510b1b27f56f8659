//! SQL values and the conversions into and out of them.

use serde::Serialize;
use serde::de::DeserializeOwned;

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

impl From<&String> for SqlValue {
    fn from(value: &String) -> Self {
        Self::Text(value.clone())
    }
}

impl From<String> for SqlValue {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<Vec<u8>> for SqlValue {
    fn from(value: Vec<u8>) -> Self {
        Self::Blob(value)
    }
}

impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, Into::into)
    }
}

/// A value that can be read from a column. `None` means the column holds
/// something else (the caller reports it as malformed).
pub trait FromSql: Sized {
    fn from_sql(value: &SqlValue) -> Option<Self>;
}

impl FromSql for i64 {
    fn from_sql(value: &SqlValue) -> Option<Self> {
        match value {
            SqlValue::Integer(i) => Some(*i),
            _ => None,
        }
    }
}

impl FromSql for u32 {
    fn from_sql(value: &SqlValue) -> Option<Self> {
        i64::from_sql(value).and_then(|i| u32::try_from(i).ok())
    }
}

impl FromSql for u64 {
    fn from_sql(value: &SqlValue) -> Option<Self> {
        i64::from_sql(value).and_then(|i| u64::try_from(i).ok())
    }
}

impl FromSql for f64 {
    fn from_sql(value: &SqlValue) -> Option<Self> {
        match value {
            SqlValue::Real(r) => Some(*r),
            SqlValue::Integer(i) => Some(*i as f64),
            _ => None,
        }
    }
}

impl FromSql for bool {
    fn from_sql(value: &SqlValue) -> Option<Self> {
        i64::from_sql(value).map(|i| i != 0)
    }
}

impl FromSql for String {
    fn from_sql(value: &SqlValue) -> Option<Self> {
        match value {
            SqlValue::Text(t) => Some(t.clone()),
            _ => None,
        }
    }
}

impl FromSql for Vec<u8> {
    fn from_sql(value: &SqlValue) -> Option<Self> {
        match value {
            SqlValue::Blob(b) => Some(b.clone()),
            _ => None,
        }
    }
}

/// `NULL` reads as `None`; anything else must read as `T`.
impl<T: FromSql> FromSql for Option<T> {
    fn from_sql(value: &SqlValue) -> Option<Self> {
        match value {
            SqlValue::Null => Some(None),
            other => T::from_sql(other).map(Some),
        }
    }
}

/// A value kept as JSON text in a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: Serialize> From<Json<T>> for SqlValue {
    fn from(Json(value): Json<T>) -> Self {
        Self::Text(serde_json::to_string(&value).unwrap_or_else(|_| "null".into()))
    }
}

impl<T: DeserializeOwned> FromSql for Json<T> {
    fn from_sql(value: &SqlValue) -> Option<Self> {
        match value {
            SqlValue::Text(text) => serde_json::from_str(text).ok().map(Json),
            _ => None,
        }
    }
}

/// Stores a text enum (with `as_str` and `parse`) as its text.
#[macro_export]
macro_rules! sql_text_enum {
    ($($name:ty),+ $(,)?) => {
        $(
            impl From<$name> for $crate::db::SqlValue {
                fn from(value: $name) -> Self {
                    Self::Text(value.as_str().to_string())
                }
            }

            impl $crate::db::FromSql for $name {
                fn from_sql(value: &$crate::db::SqlValue) -> Option<Self> {
                    match value {
                        $crate::db::SqlValue::Text(text) => <$name>::parse(text),
                        _ => None,
                    }
                }
            }
        )+
    };
}

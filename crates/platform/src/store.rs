//! The platform routes' SQL: the schema version and uploaded files.

use adspin_core::db::{Database, DbError, SqlValue};

/// The highest migration version applied (0 when none is).
pub fn schema_version(db: &impl Database) -> Result<i64, DbError> {
    let row = db.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        &[],
    )?;
    row.map_or(Ok(0), |row| row.get(0))
}

/// An uploaded file's content type and bytes.
pub fn find_upload(
    db: &impl Database,
    file_id: &str,
) -> Result<Option<(String, Vec<u8>)>, DbError> {
    let Some(row) = db.query_row(
        "SELECT content_type, bytes FROM uploads WHERE file_id = ?1",
        &[file_id.into()],
    )?
    else {
        return Ok(None);
    };
    // Moved out of the row: an image is served without copying it.
    let mut values = row.values.into_iter();
    match (values.next(), values.next()) {
        (Some(SqlValue::Text(content_type)), Some(SqlValue::Blob(bytes))) => {
            Ok(Some((content_type, bytes)))
        }
        other => Err(DbError::Malformed(format!("upload row {other:?}"))),
    }
}

//! `GET /healthz`: proves the path from HTTP through SQLite and back, and
//! reports the schema version the migrations reached.

use serde_json::json;

use adspin_core::db::{Database, DbError};
use adspin_core::error::{RequestInfo, SurfaceError, respond};

use crate::store::schema_version;
use adspin_core::web::{Response, json_response};

/// 200 `{"status":"ok","schema_version":N}`, or 503 when the database
/// cannot be read (the cause goes to the log, not the client).
pub fn healthz(db: Result<impl Database, DbError>) -> Response {
    match db.and_then(|db| schema_version(&db)) {
        Ok(version) => json_response(200, &json!({ "status": "ok", "schema_version": version })),
        Err(error) => respond(
            &RequestInfo::new("req_"),
            &Unavailable(format!("healthz: {error}")),
        ),
    }
}

/// `503 {"status": "unavailable"}`: the database cannot be read.
#[derive(Debug)]
pub struct Unavailable(String);

impl SurfaceError for Unavailable {
    fn status(&self) -> u16 {
        503
    }

    fn render(&self, _: &RequestInfo) -> Response {
        json_response(503, &json!({ "status": "unavailable" }))
    }

    fn cause(&self) -> Option<&str> {
        Some(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use adspin_core::db::native::NativeDb;

    const MIGRATIONS: &[&str] = &[include_str!("../../../migrations/0001_foundation.sql")];

    #[test]
    fn health_reports_the_applied_schema_version() {
        let db = NativeDb::with_schema(MIGRATIONS).expect("schema");
        let response = healthz(Ok(db));
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = serde_json::from_slice(response.body()).expect("json");
        assert_eq!(body, json!({"status": "ok", "schema_version": 1}));
    }

    #[test]
    fn migrations_can_be_applied_twice() {
        let twice = [MIGRATIONS[0], MIGRATIONS[0]];
        let db = NativeDb::with_schema(&twice).expect("idempotent migrations");
        assert_eq!(schema_version(&db).expect("version"), 1);
    }

    #[test]
    fn the_dev_seed_can_be_applied_twice() {
        let seed = include_str!("../../../seed/dev.sql");
        let db = NativeDb::with_schema(&[MIGRATIONS[0], seed, MIGRATIONS[0], seed])
            .expect("seeded twice");
        let row = db
            .query_row("SELECT COUNT(*) FROM organizations", &[])
            .expect("count")
            .expect("row");
        assert_eq!(row.integer(0), Some(1));
        let keys = db
            .query_row("SELECT COUNT(*) FROM api_keys", &[])
            .expect("count")
            .expect("row");
        assert_eq!(keys.integer(0), Some(4));
    }

    #[test]
    fn a_database_without_migrations_is_unavailable() {
        let db = NativeDb::with_schema(&[]).expect("empty db");
        assert_eq!(healthz(Ok(db)).status(), 503);
        assert_eq!(
            healthz(Err::<NativeDb, _>(DbError::Unavailable("x".into()))).status(),
            503
        );
    }
}

//! The application of this repository, started as the README starts it.

use adspin_e2e::{HostLaunch, artifacts};
use serde_json::json;

/// One schema version per migration file.
fn latest_schema_version() -> usize {
    std::fs::read_dir(artifacts().path("migrations"))
        .expect("migrations")
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
        .count()
}

#[test]
fn healthz_reports_the_schema_version_from_sqlite() {
    let app = HostLaunch::app().start();
    let response = app.get("/healthz");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(
        response.json(),
        json!({"status": "ok", "schema_version": latest_schema_version()})
    );
}

#[test]
fn healthz_answers_only_get() {
    let app = HostLaunch::app().start();
    let response = app.request("POST", "/healthz", &[], Some(b"{}"));
    assert_eq!(response.status, 405);
    assert_eq!(response.json()["error"]["code"], "method_not_allowed");
}

#[test]
fn unknown_paths_get_a_json_404() {
    let app = HostLaunch::app().start();
    let response = app.get("/no/such/path");
    assert_eq!(response.status, 404);
    assert_eq!(
        response.json(),
        json!({"error": {
            "message": "Unrecognized request URL (GET /no/such/path).",
            "type": "invalid_request_error",
            "param": null,
            "code": "unknown_url"
        }})
    );
}

#[test]
fn migrations_and_the_seed_can_be_applied_again_on_restart() {
    let app = HostLaunch::app().start();
    let app = app.restart();
    assert_eq!(
        app.get("/healthz").json()["schema_version"],
        latest_schema_version()
    );
}

#[test]
fn the_database_runs_in_wal_mode_after_the_migrations() {
    let app = HostLaunch::app().start();
    let mode: String = app
        .database()
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .expect("journal mode");
    assert_eq!(mode, "wal", "readers never wait for the writer");
}

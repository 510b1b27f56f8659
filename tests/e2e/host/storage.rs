//! Key-value and SQLite: persisted under the state directory, only for the
//! components that list them.

use serde_json::{Value, json};

use super::{launch, start};

fn put(app: &adspin_e2e::TestApp, path: &str, value: &str) -> Value {
    let response = app.request("PUT", path, &[], Some(value.as_bytes()));
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

fn sql(app: &adspin_e2e::TestApp, statements: &[&str]) -> adspin_e2e::TestResponse {
    app.post_json("/probe/sql", &[], &json!(statements))
}

#[test]
fn key_value_data_persists_across_requests_and_restarts() {
    let app = start();
    put(&app, "/probe/kv/colour", "blue");
    assert_eq!(app.get("/probe/kv/colour").json()["value"], "blue");
    put(&app, "/probe/kv/colour", "green");
    assert_eq!(app.get("/probe/kv").json()["keys"], json!(["colour"]));

    let app = app.restart();
    assert_eq!(app.get("/probe/kv/colour").json()["value"], "green");
    assert!(app.state_dir().join("sqlite_key_value.db").is_file());

    assert_eq!(
        app.request("DELETE", "/probe/kv/colour", &[], None).status,
        200
    );
    assert_eq!(app.get("/probe/kv/colour").json()["value"], Value::Null);
}

#[test]
fn a_component_without_the_store_is_denied_access() {
    let app = start();
    let response = app.get("/restricted/kv/anything");
    assert_eq!(response.status, 500);
    assert_eq!(response.json()["error"], "Error::AccessDenied");
}

#[test]
fn a_store_the_manifest_does_not_list_is_denied() {
    let app = start();
    let response = app.get("/probe/kv/x?store=other");
    assert_eq!(response.json()["error"], "Error::AccessDenied");
}

#[test]
fn key_value_flags_set_values_at_startup() {
    let app = launch().arg("--key-value").arg("seeded=yes").start();
    assert_eq!(app.get("/probe/kv/seeded").json()["value"], "yes");
}

#[test]
fn sqlite_statements_run_and_persist_across_restarts() {
    let app = start();
    let response = sql(
        &app,
        &[
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, score REAL, raw BLOB)",
            "INSERT INTO notes (body, score, raw) VALUES ('first', 1.5, x'0102')",
            "SELECT id, body, score, raw, NULL AS empty FROM notes",
        ],
    );
    assert_eq!(response.status, 200, "{}", response.text());
    let select = &response.json()["results"][2];
    assert_eq!(
        select["columns"],
        json!(["id", "body", "score", "raw", "empty"])
    );
    assert_eq!(select["rows"], json!([[1, "first", 1.5, [1, 2], null]]));

    let app = app.restart();
    let rows = sql(&app, &["SELECT body FROM notes"]).json();
    assert_eq!(rows["results"][0]["rows"], json!([["first"]]));
    assert!(app.state_dir().join("sqlite_db.db").is_file());
}

#[test]
fn sql_errors_reach_the_component_as_errors() {
    let app = start();
    let response = sql(&app, &["SELECT * FROM no_such_table"]);
    assert_eq!(response.status, 500);
    assert!(
        response.json()["error"]
            .as_str()
            .expect("error")
            .contains("no_such_table")
    );
}

#[test]
fn a_transaction_left_open_is_rolled_back_when_the_request_ends() {
    let app = start();
    sql(&app, &["CREATE TABLE t (x INTEGER)"]);
    let response = sql(&app, &["BEGIN", "INSERT INTO t VALUES (1)"]);
    assert_eq!(response.status, 200);
    let count = sql(&app, &["SELECT COUNT(*) FROM t"]).json();
    assert_eq!(count["results"][0]["rows"], json!([[0]]));
    let committed = sql(
        &app,
        &[
            "BEGIN",
            "INSERT INTO t VALUES (2)",
            "COMMIT",
            "SELECT COUNT(*) FROM t",
        ],
    );
    assert_eq!(committed.json()["results"][3]["rows"], json!([[1]]));
}

#[test]
fn a_transaction_is_private_to_its_connection_until_it_commits() {
    let app = start();
    sql(&app, &["CREATE TABLE t (x INTEGER)"]);
    let response = app.post_json(
        "/probe/sql?second=2",
        &[],
        &json!([
            "BEGIN",
            "INSERT INTO t VALUES (1)",
            "SELECT COUNT(*) FROM t"
        ]),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json()["results"][2]["rows"],
        json!([[0]]),
        "another connection does not see the uncommitted row"
    );
    let count = sql(&app, &["SELECT COUNT(*) FROM t"]).json();
    assert_eq!(count["results"][0]["rows"], json!([[0]]));
}

#[test]
fn a_component_without_the_database_is_denied_access() {
    let app = start();
    let response = app.post_json("/restricted/sql", &[], &json!(["SELECT 1"]));
    assert_eq!(response.json()["error"], "Error::AccessDenied");
}

#[test]
fn sqlite_flags_run_files_and_statements_before_serving() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("schema.sql");
    std::fs::write(
        &file,
        "CREATE TABLE IF NOT EXISTS seeded (v TEXT); INSERT INTO seeded VALUES ('from-file');",
    )
    .expect("write");
    let app = launch()
        .arg("--sqlite")
        .arg(format!("@{}", file.display()))
        .arg("--sqlite")
        .arg("INSERT INTO seeded VALUES ('from-flag')")
        .start();
    let rows = sql(&app, &["SELECT v FROM seeded ORDER BY rowid"]).json();
    assert_eq!(
        rows["results"][0]["rows"],
        json!([["from-file"], ["from-flag"]])
    );
}

#[test]
fn one_request_writes_key_value_and_sqlite_together() {
    let app = launch()
        .arg("--sqlite")
        .arg("CREATE TABLE hits (at INTEGER)")
        .start();
    assert_eq!(app.get("/probe/write").status, 200);
    assert_eq!(app.get("/probe/kv/last-hit").json()["value"], "1");
    let count = sql(&app, &["SELECT COUNT(*) FROM hits"]).json();
    assert_eq!(count["results"][0]["rows"], json!([[1]]));
}

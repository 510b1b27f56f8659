//! `--sqlite` startup statements, as `spin up` runs them: `@file.sql`
//! (optionally `@file.sql:label`) executes the whole file, anything else
//! is one statement against the `default` database. They run in order,
//! before the port is bound, every time the host starts.

use std::sync::Arc;

use anyhow::{Context, Result, bail, ensure};

use crate::db::Database;
use crate::manifest::DEFAULT_LABEL;

pub async fn apply(db: &Arc<Database>, statements: &[String]) -> Result<()> {
    for statement in statements {
        if let Some(spec) = statement.strip_prefix('@') {
            let (file, label) = parse_file_and_label(spec)?;
            ensure!(
                label == DEFAULT_LABEL,
                "--sqlite '@{spec}': database {label:?} is not defined (only \"default\")"
            );
            let sql = std::fs::read_to_string(file).with_context(|| {
                format!("could not read file '{file}' containing sql statements")
            })?;
            let file = file.to_string();
            db.run(move |conn| {
                conn.execute_batch(&sql).with_context(|| {
                    format!("failed to execute sql against database 'default' from file '{file}'")
                })
            })
            .await?;
        } else {
            let statement = statement.clone();
            db.run(move |conn| {
                let mut prepared = conn.prepare(&statement).with_context(|| {
                    format!("failed to execute following sql statement against default database: '{statement}'")
                })?;
                let mut rows = prepared.raw_query();
                while rows.next()?.is_some() {}
                Ok(())
            })
            .await?;
        }
    }
    Ok(())
}

fn parse_file_and_label(spec: &str) -> Result<(&str, &str)> {
    let spec = spec.trim();
    if spec.is_empty() {
        bail!("database configuration is empty in the '@{spec}' sqlite statement");
    }
    match spec.split_once(':') {
        Some((_, label)) if label.trim().is_empty() => {
            bail!("database label is empty in the '@{spec}' sqlite statement")
        }
        Some((file, _)) if file.trim().is_empty() => {
            bail!("file path is empty in the '@{spec}' sqlite statement")
        }
        Some((file, label)) => Ok((file.trim(), label.trim())),
        None => Ok((spec, DEFAULT_LABEL)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_specs_default_to_the_default_database() {
        assert_eq!(
            parse_file_and_label("m.sql").expect("ok"),
            ("m.sql", "default")
        );
        assert_eq!(
            parse_file_and_label("m.sql:other").expect("ok"),
            ("m.sql", "other")
        );
        assert!(parse_file_and_label("m.sql:").is_err());
        assert!(parse_file_and_label(":x").is_err());
        assert!(parse_file_and_label(" ").is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn statements_and_files_run_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Database::open(&dir.path().join("db.sqlite")).expect("open");
        let file = dir.path().join("schema.sql");
        std::fs::write(
            &file,
            "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);",
        )
        .expect("write");
        let statements = vec![
            format!("@{}", file.display()),
            "INSERT INTO t VALUES (2)".to_string(),
        ];
        apply(&db, &statements).await.expect("applied");
        let total: i64 = db
            .run(|conn| Ok(conn.query_row("SELECT SUM(x) FROM t", [], |r| r.get(0))?))
            .await
            .expect("sum");
        assert_eq!(total, 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_statement_is_reported_with_its_text() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Database::open(&dir.path().join("db.sqlite")).expect("open");
        let err = apply(&db, &["INSERT INTO missing VALUES (1)".to_string()])
            .await
            .expect_err("no table");
        assert!(
            format!("{err:#}").contains("INSERT INTO missing"),
            "{err:#}"
        );
    }
}

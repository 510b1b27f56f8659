//! A small pool of SQLite connections to one database file.
//!
//! Reusing connections saves reopening the file and re-reading the schema
//! on every request. Idle connections are reused most recent first: a
//! commit by any connection empties the page cache of every other one, so
//! the fewer connections serve requests, the more reads find their pages
//! cached. SQLite work runs in `block_in_place`, so it never stalls the
//! async runtime.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use rusqlite::Connection;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};

/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause between attempts to take a lock held by another connection.
const BUSY_RETRY: Duration = Duration::from_micros(50);

/// Waits for a lock another connection holds, in short steps: SQLite's own
/// busy handler sleeps in steps of up to 100 ms, which turns brief write
/// contention into long tail latency. Gives up after [`BUSY_TIMEOUT`].
fn wait_for_lock(attempts: i32) -> bool {
    let waited = BUSY_RETRY * u32::try_from(attempts).unwrap_or(u32::MAX);
    if waited >= BUSY_TIMEOUT {
        return false;
    }
    std::thread::sleep(BUSY_RETRY);
    true
}
/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 256;
/// How often the WAL is checkpointed into the database file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);
/// WAL frames (pages) past which a checkpoint starts the WAL over.
const WAL_RESTART_FRAMES: i64 = 4096;
/// The WAL file is truncated to this size when it starts over.
const WAL_SIZE_LIMIT: i64 = 64 << 20;
/// Idle connections kept open per database.
const MAX_IDLE: usize = 64;

/// A pool of connections to one SQLite file.
#[derive(Debug)]
pub struct Database {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Database {
    /// Opens (creating if needed) the database at `path` in WAL mode.
    pub fn open(path: &Path) -> Result<Arc<Self>> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create directory {}", parent.display()))?;
        }
        let db = Arc::new(Self {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        });
        let conn = db.connect()?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .with_context(|| format!("cannot enable WAL on {}", path.display()))?;
        db.checkin(conn);
        db.start_checkpointer()?;
        Ok(db)
    }

    fn connect(&self) -> Result<Connection> {
        let conn = Connection::open(&self.path)
            .with_context(|| format!("cannot open SQLite database {}", self.path.display()))?;
        conn.busy_handler(Some(wait_for_lock))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Requests never run checkpoints (and their fsync); the database's
        // checkpointer thread does.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // Like Spin: guests may not ATTACH other files of the host.
        conn.authorizer(Some(|ctx: AuthContext<'_>| match ctx.action {
            AuthAction::Attach { filename } if !matches!(filename, "" | ":memory:") => {
                Authorization::Deny
            }
            _ => Authorization::Allow,
        }));
        Ok(conn)
    }

    /// Checkpoints the WAL in the background for as long as the database
    /// is in use, so no request pays for a checkpoint's sync.
    /// With requests always reading, passive checkpoints alone would let
    /// the WAL grow without bound (and every read search a longer WAL), so
    /// a large WAL is also restarted (see [`checkpoint`]).
    fn start_checkpointer(self: &Arc<Self>) -> Result<()> {
        let conn = self.connect()?;
        let db = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while db.strong_count() > 0 {
                    std::thread::sleep(CHECKPOINT_INTERVAL);
                    if let Err(error) = checkpoint(&conn) {
                        eprintln!("SQLite checkpoint failed: {error}");
                    }
                }
            })
            .context("cannot start the SQLite checkpointer")?;
        Ok(())
    }

    /// Takes an idle connection (the most recently used, whose page cache
    /// is the most likely to be current) or opens a new one.
    pub fn checkout(&self) -> Result<Connection> {
        let idle = self
            .idle
            .lock()
            .map_err(|_| anyhow::anyhow!("pool lock poisoned"))?
            .pop();
        match idle {
            Some(conn) => Ok(conn),
            None => self.connect(),
        }
    }

    /// Returns a connection to the pool. A transaction the guest left open
    /// is rolled back first, so it can never leak into another request.
    pub fn checkin(&self, conn: Connection) {
        if !conn.is_autocommit() && conn.execute_batch("ROLLBACK").is_err() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push(conn);
        }
    }

    /// Runs `work` with a pooled connection, off the async runtime's
    /// scheduling (`block_in_place`, see `sqlite.rs`).
    pub async fn run<T, F>(self: &Arc<Self>, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        tokio::task::block_in_place(|| {
            let mut conn = self.checkout()?;
            let result = work(&mut conn);
            self.checkin(conn);
            result
        })
    }
}

/// One checkpoint: a passive one copies the WAL into the database without
/// holding up writers; when the WAL has grown past `WAL_RESTART_FRAMES`
/// anyway (readers kept older snapshots alive), a RESTART waits for those
/// readers so the next write starts the WAL over.
fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    let frames: i64 = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1))?;
    if frames > WAL_RESTART_FRAMES {
        conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_transaction_is_rolled_back_on_checkin() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Database::open(&dir.path().join("t.db")).expect("open");
        let conn = db.checkout().expect("checkout");
        conn.execute_batch("CREATE TABLE t (x INTEGER); BEGIN; INSERT INTO t VALUES (1);")
            .expect("statements");
        db.checkin(conn);
        let conn = db.checkout().expect("checkout again");
        assert!(conn.is_autocommit());
        let count: i64 = conn
            .query_row("SELECT COUNT(*) FROM t", [], |row| row.get(0))
            .expect("count");
        assert_eq!(count, 0);
    }

    #[test]
    fn attaching_another_file_is_denied() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Database::open(&dir.path().join("t.db")).expect("open");
        let conn = db.checkout().expect("checkout");
        let other = dir.path().join("other.db");
        let err = conn
            .execute(
                &format!("ATTACH DATABASE '{}' AS other", other.display()),
                [],
            )
            .expect_err("attach denied");
        assert!(err.to_string().contains("not authorized"), "{err}");
    }
}

//! The SQLite connections to one database file.
//!
//! Requests take turns on one shared connection. A commit by any
//! connection empties the page cache of every other one, so a single
//! connection keeps its pages cached across requests, and turns taken in
//! process are cheaper than SQLite's file-lock retries: with the SSP's
//! write-heavy auctions, one connection serves about a fifth more
//! auctions per second than a connection per concurrent request
//! (BENCHMARKS.md). Statements take microseconds and a guest holds the
//! connection from `BEGIN` to `COMMIT` only, so turns are short. When one
//! turn lasts longer than [`LONG_TURN`] (a long transaction, or a guest
//! reading on a second connection inside its own transaction), waiting
//! requests open extra connections instead, so nobody waits on another
//! request's slow transaction. Extra connections are closed when given
//! back.
//!
//! A request whose statement is known to be quick and finds the shared
//! connection free runs it right on its runtime thread
//! ([`Database::try_checkout`], [`Database::is_quick`]): handing each
//! statement to a blocking thread and back costs two thread wake-ups, more
//! than most statements take. Anything else (a statement not yet timed,
//! one whose recent runs average [`QUICK`] or more, or a connection in
//! use) runs on a blocking thread, so a slow query does not stall the
//! async runtime, and a quick one that hiccups once is not banished.

use std::cell::Cell;
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rusqlite::Connection;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};

/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause between attempts to take a lock held by another connection.
const BUSY_RETRY: Duration = Duration::from_micros(50);

thread_local! {
    /// When this thread's statement first found the database locked.
    static LOCKED_SINCE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Waits for a lock another connection holds, in short steps: SQLite's own
/// busy handler sleeps in steps of up to 100 ms, which turns brief write
/// contention into long tail latency. Gives up after [`BUSY_TIMEOUT`] of
/// real time (a sleep lasts longer than it asks for).
fn wait_for_lock(attempts: i32) -> bool {
    let now = Instant::now();
    let since = match LOCKED_SINCE.get() {
        Some(since) if attempts > 0 => since,
        _ => {
            LOCKED_SINCE.set(Some(now));
            now
        }
    };
    if now.duration_since(since) >= BUSY_TIMEOUT {
        return false;
    }
    std::thread::sleep(BUSY_RETRY);
    true
}

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 256;
/// How often the WAL is checkpointed into the database file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);
/// Longest a checkpoint waits for readers and writers in its way.
const CHECKPOINT_WAIT: Duration = Duration::from_millis(10);
/// WAL frames (pages) past which a checkpoint starts the WAL over.
const WAL_RESTART_FRAMES: i64 = 4096;
/// The WAL file is truncated to this size when it starts over.
const WAL_SIZE_LIMIT: i64 = 64 << 20;
/// A turn on the shared connection longer than this lets waiting requests
/// open extra connections.
const LONG_TURN: Duration = Duration::from_millis(10);
/// Most connections open at once per database; past it, requests wait for
/// one to be given back.
const MAX_OPEN: usize = 64;

/// A statement whose recent runs average less than this may run on a
/// runtime thread.
pub const QUICK: Duration = Duration::from_millis(1);
/// How much a statement's latest run moves its average (1 / this).
const AVERAGE_OVER: u32 = 4;
/// Most statement texts whose speed is remembered (dynamic SQL beyond it
/// keeps running on blocking threads).
const TIMED_STATEMENTS: usize = 4096;

/// Prepares a new connection beyond the settings every connection gets
/// (for example by registering a virtual table module).
pub type ConnectionSetup = fn(&Connection) -> rusqlite::Result<()>;

/// One SQLite file: its shared connection and any extra ones.
#[derive(Debug)]
pub struct Database {
    path: PathBuf,
    setup: Option<ConnectionSetup>,
    pool: Mutex<Pool>,
    returned: Condvar,
    speeds: Mutex<Speeds>,
}

/// What the database has learnt of its statements' speed: a moving
/// average of each one's runs.
#[derive(Debug, Default)]
struct Speeds {
    average: HashMap<Box<str>, Duration>,
}

#[derive(Debug, Default)]
struct Pool {
    /// The shared connection, when no request holds it.
    idle: Option<Connection>,
    /// When the current turn on the shared connection started.
    turn_started: Option<Instant>,
    /// Connections open, idle or lent.
    open: usize,
    /// Requests waiting for a connection to be given back.
    waiting: usize,
}

impl Pool {
    /// Starts a turn on the shared connection, if it is free.
    fn take_turn(&mut self) -> Option<Connection> {
        let conn = self.idle.take()?;
        self.turn_started = Some(Instant::now());
        Some(conn)
    }
}

/// A connection borrowed from the pool; dropping it gives it back.
#[derive(Debug)]
pub struct Lease {
    db: Arc<Database>,
    conn: Option<Connection>,
}

impl Deref for Lease {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a lease holds its connection until dropped")
    }
}

impl DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
            .as_mut()
            .expect("a lease holds its connection until dropped")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.db.checkin(conn);
        }
    }
}

impl Database {
    /// Opens (creating if needed) the database at `path` in WAL mode.
    pub fn open(path: &Path) -> Result<Arc<Self>> {
        Self::open_with(path, None)
    }

    /// Opens the database at `path` like [`Database::open`], running
    /// `setup` on every connection it opens.
    pub fn open_with(path: &Path, setup: Option<ConnectionSetup>) -> Result<Arc<Self>> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create directory {}", parent.display()))?;
        }
        let db = Arc::new(Self {
            path: path.to_path_buf(),
            setup,
            pool: Mutex::new(Pool::default()),
            returned: Condvar::new(),
            speeds: Mutex::new(Speeds::default()),
        });
        db.checkout()?
            .pragma_update(None, "journal_mode", "WAL")
            .with_context(|| format!("cannot enable WAL on {}", path.display()))?;
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
        // Foreign keys stay off, SQLite's default and Spin's: a guest sees
        // the same constraints on both runtimes.
        conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // Like Spin: guests may not ATTACH other files of the host.
        conn.authorizer(Some(|ctx: AuthContext<'_>| match ctx.action {
            AuthAction::Attach { filename } if !matches!(filename, "" | ":memory:") => {
                Authorization::Deny
            }
            _ => Authorization::Allow,
        }));
        if let Some(setup) = self.setup {
            setup(&conn)?;
        }
        Ok(conn)
    }

    /// Checkpoints the WAL in the background for as long as the database
    /// is in use, so no request pays for a checkpoint's sync.
    /// With requests always reading, passive checkpoints alone would let
    /// the WAL grow without bound (and every read search a longer WAL), so
    /// a large WAL is also restarted (see [`checkpoint`]).
    fn start_checkpointer(self: &Arc<Self>) -> Result<()> {
        let conn = self.connect()?;
        // A RESTART holds up new writers while it waits for readers, so it
        // waits only briefly and otherwise is tried again next time; a
        // short wait still lets it slip between the (short) reads of a busy
        // database, so the WAL cannot grow without bound.
        conn.busy_timeout(CHECKPOINT_WAIT)?;
        let db = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while db.strong_count() > 0 {
                    std::thread::sleep(CHECKPOINT_INTERVAL);
                    if let Err(error) = checkpoint(&conn) {
                        crate::log::warn(format_args!("SQLite checkpoint failed: {error}"));
                    }
                }
            })
            .context("cannot start the SQLite checkpointer")?;
        Ok(())
    }

    fn lock_pool(&self) -> Result<MutexGuard<'_, Pool>> {
        self.pool
            .lock()
            .map_err(|_| anyhow::anyhow!("pool lock poisoned"))
    }

    /// Lends the shared connection, waiting for its turn; opens an extra
    /// connection instead when the current turn has lasted longer than
    /// [`LONG_TURN`] and fewer than [`MAX_OPEN`] are open. Gives up after
    /// [`BUSY_TIMEOUT`].
    pub fn checkout(self: &Arc<Self>) -> Result<Lease> {
        let deadline = Instant::now() + BUSY_TIMEOUT;
        let mut pool = self.lock_pool()?;
        loop {
            if let Some(conn) = pool.take_turn() {
                return Ok(self.lease(conn));
            }
            let long_turn_at = pool.turn_started.map(|started| started + LONG_TURN);
            let now = Instant::now();
            if pool.open < MAX_OPEN && long_turn_at.is_none_or(|at| now >= at) {
                pool.open += 1;
                drop(pool);
                return match self.connect() {
                    Ok(conn) => Ok(self.lease(conn)),
                    Err(error) => {
                        self.lock_pool()?.open -= 1;
                        Err(error)
                    }
                };
            }
            anyhow::ensure!(now < deadline, "database is locked: no connection free");
            // Past the long-turn mark an extra connection would have been
            // opened above, so this waits a positive time.
            let until = match long_turn_at {
                Some(at) if pool.open < MAX_OPEN => at.min(deadline),
                _ => deadline,
            };
            pool.waiting += 1;
            let woken = self
                .returned
                .wait_timeout(pool, until.saturating_duration_since(now));
            pool = woken.map_err(|_| anyhow::anyhow!("pool lock poisoned"))?.0;
            pool.waiting -= 1;
        }
    }

    /// Lends the shared connection if it is free right now.
    pub fn try_checkout(self: &Arc<Self>) -> Option<Lease> {
        let conn = self.pool.lock().ok()?.take_turn()?;
        Some(self.lease(conn))
    }

    /// Whether `statement`'s recent runs average less than [`QUICK`].
    pub fn is_quick(&self, statement: &str) -> bool {
        self.speeds.lock().is_ok_and(|speeds| {
            speeds
                .average
                .get(statement)
                .is_some_and(|average| *average < QUICK)
        })
    }

    /// Records how long a run of `statement` took.
    pub fn timed(&self, statement: &str, took: Duration) {
        let Ok(mut speeds) = self.speeds.lock() else {
            return;
        };
        if let Some(average) = speeds.average.get_mut(statement) {
            *average = (*average * (AVERAGE_OVER - 1) + took) / AVERAGE_OVER;
        } else if speeds.average.len() < TIMED_STATEMENTS {
            speeds.average.insert(statement.into(), took);
        }
    }

    fn lease(self: &Arc<Self>, conn: Connection) -> Lease {
        Lease {
            db: self.clone(),
            conn: Some(conn),
        }
    }

    /// Takes back a lent connection: it becomes the shared connection
    /// unless another one already is, then it is closed. A transaction the
    /// guest left open is rolled back first, so it can never leak into
    /// another request; a connection that cannot roll back is closed.
    fn checkin(&self, conn: Connection) {
        let usable = conn.is_autocommit() || conn.execute_batch("ROLLBACK").is_ok();
        let Ok(mut pool) = self.pool.lock() else {
            return;
        };
        let closed = if usable && pool.idle.is_none() {
            pool.idle = Some(conn);
            None
        } else {
            pool.open -= 1;
            Some(conn)
        };
        let wake = pool.waiting > 0;
        drop(pool);
        if wake {
            self.returned.notify_one();
        }
        drop(closed);
    }

    /// Runs quick `work` (a few keyed statements) with a pooled
    /// connection: right here when the shared connection is free, else
    /// off the async runtime's scheduling (`block_in_place`) while it waits
    /// for one.
    pub async fn run<T, F>(self: &Arc<Self>, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        if let Some(mut conn) = self.try_checkout() {
            return work(&mut conn);
        }
        tokio::task::block_in_place(|| {
            let mut conn = self.checkout()?;
            work(&mut conn)
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
        drop(conn);
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

    #[test]
    fn a_statement_is_quick_while_its_recent_runs_average_under_the_limit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Database::open(&dir.path().join("t.db")).expect("open");
        let statement = "SELECT 1";
        assert!(
            !db.is_quick(statement),
            "a statement never run is not known quick"
        );
        db.timed(statement, QUICK / 10);
        assert!(db.is_quick(statement));
        db.timed(statement, QUICK * 10);
        assert!(
            !db.is_quick(statement),
            "a slow run moves it off the runtime thread"
        );
        for _ in 0..10 {
            db.timed(statement, QUICK / 10);
        }
        assert!(db.is_quick(statement), "quick runs bring it back");
        db.timed("SELECT 2", QUICK * 20);
        db.timed("SELECT 2", Duration::ZERO);
        assert!(
            !db.is_quick("SELECT 2"),
            "one quick run does not hide a slow one"
        );
    }

    #[test]
    fn the_shared_connection_is_at_hand_only_while_nobody_holds_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Database::open(&dir.path().join("t.db")).expect("open");
        let held = db.try_checkout().expect("free");
        assert!(db.try_checkout().is_none(), "in use");
        drop(held);
        assert!(db.try_checkout().is_some(), "given back");
        assert_eq!(open_connections(&db), 1);
    }

    fn open_connections(db: &Database) -> usize {
        db.pool.lock().expect("pool").open
    }

    #[test]
    fn requests_take_turns_on_one_connection() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Database::open(&dir.path().join("t.db")).expect("open");
        // A temporary table lives on its connection only.
        db.checkout()
            .expect("checkout")
            .execute_batch("CREATE TEMP TABLE mine (x INTEGER)")
            .expect("temp table");
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let db = db.clone();
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        let conn = db.checkout().expect("checkout");
                        conn.execute("INSERT INTO mine VALUES (1)", [])
                            .expect("the shared connection");
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("thread");
        }
        assert_eq!(open_connections(&db), 1);
        let rows: i64 = db
            .checkout()
            .expect("checkout")
            .query_row("SELECT COUNT(*) FROM mine", [], |row| row.get(0))
            .expect("count");
        assert_eq!(rows, 200);
    }

    #[test]
    fn a_long_turn_lets_others_open_an_extra_connection_closed_when_given_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Database::open(&dir.path().join("t.db")).expect("open");
        let writer = db.checkout().expect("checkout");
        writer
            .execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1); BEGIN; INSERT INTO t VALUES (2);")
            .expect("open transaction");
        // The same thread reads on a second connection while its own
        // transaction holds the first: it must not wait for itself.
        let reader = db.checkout().expect("an extra connection");
        let seen: i64 = reader
            .query_row("SELECT COUNT(*) FROM t", [], |row| row.get(0))
            .expect("read beside the transaction");
        assert_eq!(seen, 1, "the uncommitted row stays private");
        assert_eq!(open_connections(&db), 2);
        drop(reader);
        drop(writer);
        assert_eq!(open_connections(&db), 1);
    }
}

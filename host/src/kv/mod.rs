//! The key-value stores, persisted in SQLite, and what both key-value
//! interfaces share: `fermyon:spin/key-value@2.0.0` ([`spin`]) and the
//! standard `wasi:keyvalue@0.2.0-draft2` store, atomics and batch
//! interfaces ([`wasi`]) reach the same stores, as in Spin 4.
//!
//! Like `spin up`, the stores live in `<state-dir>/sqlite_key_value.db` in a
//! `spin_key_value(store, key, value)` table, so the state directory stays
//! readable by Spin itself. The statements are those of Spin's own SQLite
//! store (`crates/key-value-spin`, v4.0.2), so values, counters and the
//! order of results are the same. A component may open only the stores
//! its manifest lists.

mod spin;
mod wasi;

use std::collections::HashSet;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use anyhow::{Result, anyhow};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, named_params, params};
use wasmtime::component::{HasData, Resource, ResourceTable};

use crate::db::Database;

/// File name Spin uses for its default key-value store.
pub const FILE_NAME: &str = "sqlite_key_value.db";
/// Most stores one instance may hold open at once, through either
/// interface (Spin's store table).
const MAX_OPEN_STORES: usize = 256;
/// Most compare-and-swap handles one instance may hold at once.
const MAX_OPEN_CAS: usize = 256;
/// Largest result one read may return (Spin's `MAX_HOST_BUFFERED_BYTES`).
const MAX_RESULT_BYTES: usize = 128 << 20;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS spin_key_value (
    store TEXT NOT NULL,
    key   TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (store, key)
)";
const SELECT_VALUE: &str = "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2";
const UPSERT: &str = "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
     ON CONFLICT(store, key) DO UPDATE SET value = excluded.value";

/// The key-value backend shared by every component.
#[derive(Debug)]
pub struct KeyValue {
    db: Arc<Database>,
}

impl KeyValue {
    /// Opens (creating if needed) the stores' database at `path`.
    pub fn open(path: &Path) -> Result<Arc<Self>> {
        let db = Database::open_with(path, Some(rusqlite::vtab::array::load_module))?;
        db.checkout()?.execute_batch(CREATE_TABLE)?;
        Ok(Arc::new(Self { db }))
    }

    /// Sets a key directly (the `--key-value` startup flag).
    pub async fn set(&self, store: &str, key: &str, value: Vec<u8>) -> Result<()> {
        let (store, key) = (store.to_string(), key.to_string());
        self.db
            .run(move |conn| set(conn, &store, &key, &value))
            .await
    }
}

/// Fails when a result of `bytes` is more than a guest may be sent.
fn within_limit(bytes: usize) -> Result<()> {
    if bytes > MAX_RESULT_BYTES {
        return Err(anyhow!(
            "query result exceeds limit of {MAX_RESULT_BYTES} bytes"
        ));
    }
    Ok(())
}

/// The value of `key`, if any.
fn get(conn: &Connection, store: &str, key: &str) -> Result<Option<Vec<u8>>> {
    let value: Option<Vec<u8>> = conn
        .prepare_cached(SELECT_VALUE)?
        .query_row(params![store, key], |row| row.get(0))
        .optional()?;
    within_limit(size_of::<Option<Vec<u8>>>() + value.as_ref().map_or(0, Vec::len))?;
    Ok(value)
}

/// Sets `key`, creating or overwriting it.
fn set(conn: &Connection, store: &str, key: &str, value: &[u8]) -> Result<()> {
    conn.prepare_cached(UPSERT)?
        .execute(params![store, key, value])?;
    Ok(())
}

/// Deletes `key`; a missing key is no error.
fn delete(conn: &Connection, store: &str, key: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")?
        .execute(params![store, key])?;
    Ok(())
}

fn exists(conn: &Connection, store: &str, key: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2")?
        .exists(params![store, key])?)
}

/// Every key of the store, in the table's key order.
fn keys(conn: &Connection, store: &str) -> Result<Vec<String>> {
    let mut statement = conn.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1")?;
    let mut bytes = size_of::<Vec<String>>();
    let mut keys = Vec::new();
    for key in statement.query_map(params![store], |row| row.get::<_, String>(0))? {
        let key = key?;
        bytes += size_of::<String>() + key.len();
        within_limit(bytes)?;
        keys.push(key);
    }
    Ok(keys)
}

/// The keys as an SQL array (`rarray`), as Spin binds them.
fn key_array(keys: Vec<String>) -> Rc<Vec<Value>> {
    Rc::new(keys.into_iter().map(Value::from).collect())
}

/// The pairs of the `keys` that exist, in the order SQLite finds them;
/// missing keys are left out (Spin's SQLite store does the same).
fn get_many(
    conn: &Connection,
    store: &str,
    keys: Vec<String>,
) -> Result<Vec<(String, Option<Vec<u8>>)>> {
    let mut statement = conn.prepare_cached(
        "SELECT key, value FROM spin_key_value WHERE store = :store AND key IN rarray(:keys)",
    )?;
    let rows = statement.query_map(
        named_params! { ":store": store, ":keys": key_array(keys) },
        |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<Vec<u8>>>(1)?)),
    )?;
    let mut bytes = size_of::<Vec<String>>();
    let mut pairs = Vec::new();
    for pair in rows {
        let (key, value) = pair?;
        bytes +=
            size_of::<(String, Option<Vec<u8>>)>() + key.len() + value.as_ref().map_or(0, Vec::len);
        within_limit(bytes)?;
        pairs.push((key, value));
    }
    Ok(pairs)
}

/// Sets every pair in one transaction.
fn set_many(conn: &mut Connection, store: &str, pairs: Vec<(String, Vec<u8>)>) -> Result<()> {
    let transaction = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for (key, value) in pairs {
        set(&transaction, store, &key, &value)?;
    }
    transaction.commit()?;
    Ok(())
}

/// Deletes the `keys` that exist, in one statement.
fn delete_many(conn: &Connection, store: &str, keys: Vec<String>) -> Result<()> {
    conn.prepare_cached(
        "DELETE FROM spin_key_value WHERE store = :store AND key IN rarray(:keys)",
    )?
    .execute(named_params! { ":store": store, ":keys": key_array(keys) })?;
    Ok(())
}

/// Adds `delta` to the counter at `key` and returns its new value. A
/// counter is 8 little-endian bytes, as in Spin's SQLite store; a missing
/// key counts as 0. Like Spin, the sum wraps around at the ends of `i64`.
///
/// The read and the write are one `IMMEDIATE` transaction: it takes the
/// write lock first, so concurrent increments (on other connections too)
/// run one after another and none is lost.
fn increment(conn: &mut Connection, store: &str, key: &str, delta: i64) -> Result<i64> {
    let transaction = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current: Option<Vec<u8>> = transaction
        .prepare_cached(SELECT_VALUE)?
        .query_row(params![store, key], |row| row.get(0))
        .optional()?;
    let current = match current {
        None => 0,
        Some(bytes) => i64::from_le_bytes(bytes.as_slice().try_into().map_err(|_| {
            anyhow!(
                "cannot increment {key:?}: its value is {} bytes, not a counter (8 little-endian bytes)",
                bytes.len()
            )
        })?),
    };
    let new = current.wrapping_add(delta);
    set(&transaction, store, key, &new.to_le_bytes())?;
    transaction.commit()?;
    Ok(new)
}

/// Swaps in `value` when `key` still holds `seen`; true when it did. With
/// nothing seen (the key was missing, or never read) the value is set
/// unconditionally, as in Spin's SQLite store.
fn compare_and_swap(
    conn: &Connection,
    store: &str,
    key: &str,
    seen: Option<&[u8]>,
    value: &[u8],
) -> Result<bool> {
    let changed = match seen {
        Some(seen) => conn
            .prepare_cached(
                "UPDATE spin_key_value SET value = ?4 WHERE store = ?1 AND key = ?2 AND value = ?3",
            )?
            .execute(params![store, key, seen, value])?,
        None => conn
            .prepare_cached(UPSERT)?
            .execute(params![store, key, value])?,
    };
    Ok(changed == 1)
}

/// An open store: the resource behind `fermyon:spin/key-value.store` and
/// `wasi:keyvalue/store.bucket`.
pub struct OpenStore {
    label: Arc<str>,
}

/// A compare-and-swap in progress: the resource behind
/// `wasi:keyvalue/atomics.cas`.
pub struct Cas {
    label: Arc<str>,
    key: String,
    /// The value `current` last read (`None`: missing, or never read).
    seen: Option<Vec<u8>>,
}

/// Per-instance key-value access.
pub struct KeyValueAccess {
    pub backend: Arc<KeyValue>,
    pub allowed: Arc<HashSet<String>>,
    open_stores: usize,
    open_cas: usize,
    /// Calls made on stores (for `--storage-trace`).
    pub calls: u32,
}

impl KeyValueAccess {
    pub fn new(backend: Arc<KeyValue>, allowed: Arc<HashSet<String>>) -> Self {
        Self {
            backend,
            allowed,
            open_stores: 0,
            open_cas: 0,
            calls: 0,
        }
    }
}

/// The view the generated bindings operate on.
pub struct KeyValueView<'a> {
    pub access: &'a mut KeyValueAccess,
    pub table: &'a mut ResourceTable,
}

/// Marker connecting [`KeyValueView`] to the linker.
pub struct KeyValueData;

impl HasData for KeyValueData {
    type Data<'a> = KeyValueView<'a>;
}

/// Why a store could not be opened.
enum OpenError {
    /// The manifest does not list the store for this component.
    AccessDenied,
    /// The instance holds [`MAX_OPEN_STORES`] stores already.
    TableFull,
}

impl KeyValueView<'_> {
    /// Opens `label` if the component's manifest lists it.
    fn open_store(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<OpenStore>, OpenError>> {
        if !self.access.allowed.contains(&label) {
            return Ok(Err(OpenError::AccessDenied));
        }
        if self.access.open_stores >= MAX_OPEN_STORES {
            return Ok(Err(OpenError::TableFull));
        }
        let store = self.table.push(OpenStore {
            label: label.into(),
        })?;
        self.access.open_stores += 1;
        Ok(Ok(store))
    }

    fn close_store(&mut self, store: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        self.access.open_stores = self.access.open_stores.saturating_sub(1);
        Ok(())
    }

    fn label(&self, store: &Resource<OpenStore>) -> wasmtime::Result<Arc<str>> {
        Ok(self.table.get(store)?.label.clone())
    }

    /// Keeps a new compare-and-swap handle, unless the instance holds
    /// [`MAX_OPEN_CAS`] already.
    fn push_cas(&mut self, cas: Cas) -> wasmtime::Result<Option<Resource<Cas>>> {
        if self.access.open_cas >= MAX_OPEN_CAS {
            return Ok(None);
        }
        let cas = self.table.push(cas)?;
        self.access.open_cas += 1;
        Ok(Some(cas))
    }

    fn take_cas(&mut self, cas: Resource<Cas>) -> wasmtime::Result<Cas> {
        let cas = self.table.delete(cas)?;
        self.access.open_cas = self.access.open_cas.saturating_sub(1);
        Ok(cas)
    }

    /// Runs one store call on the stores' database and counts it; the
    /// future owns what it needs, so it is `Send`. A failure is its
    /// message, which both interfaces return as `other`.
    fn run<T, F>(&mut self, work: F) -> impl Future<Output = Result<T, String>> + Send + 'static
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        self.access.calls += 1;
        let db = self.access.backend.db.clone();
        async move { db.run(work).await.map_err(|e| format!("{e:#}")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Arc<KeyValue>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let kv = KeyValue::open(&dir.path().join(FILE_NAME)).expect("open");
        (dir, kv)
    }

    fn with<T>(kv: &KeyValue, work: impl FnOnce(&mut Connection) -> T) -> T {
        work(&mut kv.db.checkout().expect("checkout"))
    }

    #[test]
    fn an_increment_counts_a_missing_key_as_zero_and_stores_little_endian_bytes() {
        let (_dir, kv) = store();
        with(&kv, |conn| {
            assert_eq!(increment(conn, "default", "n", 5).expect("first"), 5);
            assert_eq!(increment(conn, "default", "n", -7).expect("second"), -2);
            let stored = get(conn, "default", "n").expect("get");
            assert_eq!(stored, Some((-2_i64).to_le_bytes().to_vec()));
        });
    }

    #[test]
    fn increments_on_separate_connections_are_never_lost() {
        let (dir, _kv) = store();
        let path = dir.path().join(FILE_NAME);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut conn = Connection::open(&path).expect("connection");
                    conn.busy_timeout(std::time::Duration::from_secs(5))
                        .expect("busy timeout");
                    for _ in 0..50 {
                        increment(&mut conn, "default", "hits", 1).expect("increment");
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("thread");
        }
        let mut conn = Connection::open(&path).expect("connection");
        assert_eq!(
            increment(&mut conn, "default", "hits", 0).expect("read"),
            200
        );
    }

    #[test]
    fn an_increment_of_a_value_that_is_not_a_counter_fails_and_changes_nothing() {
        let (_dir, kv) = store();
        with(&kv, |conn| {
            set(conn, "default", "word", b"seven").expect("set");
            let error = increment(conn, "default", "word", 1).expect_err("not a counter");
            assert!(error.to_string().contains("not a counter"), "{error}");
            assert_eq!(
                get(conn, "default", "word").expect("get"),
                Some(b"seven".to_vec())
            );
            assert!(conn.is_autocommit(), "the transaction was rolled back");
        });
    }

    #[test]
    fn an_increment_wraps_around_at_the_end_of_i64_as_spin_does() {
        let (_dir, kv) = store();
        with(&kv, |conn| {
            set(conn, "default", "n", &i64::MAX.to_le_bytes()).expect("set");
            assert_eq!(increment(conn, "default", "n", 1).expect("wrap"), i64::MIN);
        });
    }

    #[test]
    fn batch_reads_leave_out_missing_keys_and_batch_deletes_skip_them() {
        let (_dir, kv) = store();
        with(&kv, |conn| {
            set_many(
                conn,
                "default",
                vec![("b".into(), b"2".to_vec()), ("a".into(), b"1".to_vec())],
            )
            .expect("set many");
            set(conn, "other", "a", b"elsewhere").expect("another store");
            let pairs = get_many(conn, "default", vec!["b".into(), "zz".into(), "a".into()])
                .expect("get many");
            assert_eq!(
                pairs,
                vec![
                    ("a".to_string(), Some(b"1".to_vec())),
                    ("b".to_string(), Some(b"2".to_vec()))
                ]
            );
            delete_many(conn, "default", vec!["a".into(), "zz".into()]).expect("delete many");
            assert_eq!(keys(conn, "default").expect("keys"), ["b"]);
            assert_eq!(keys(conn, "other").expect("keys"), ["a"]);
        });
    }

    #[test]
    fn a_swap_succeeds_only_while_the_key_holds_what_was_seen() {
        let (_dir, kv) = store();
        with(&kv, |conn| {
            set(conn, "default", "k", b"old").expect("set");
            assert!(compare_and_swap(conn, "default", "k", Some(b"old"), b"new").expect("swap"));
            assert!(
                !compare_and_swap(conn, "default", "k", Some(b"old"), b"newer").expect("stale")
            );
            assert!(compare_and_swap(conn, "default", "fresh", None, b"v").expect("unseen"));
            assert_eq!(
                get(conn, "default", "k").expect("get"),
                Some(b"new".to_vec())
            );
        });
    }
}

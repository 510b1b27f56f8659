//! The key-value boundary: a store of byte values under string keys, for
//! shared state that needs no transaction with SQL rows (counters, attempt
//! counts, short-lived tokens). The Spin adapter implements it over
//! `wasi:keyvalue`; native tests over memory (`testing::MemoryKv`).
//!
//! Every operation is atomic on its own, and nothing more: there is no
//! transaction across keys or with the database. The store keeps no
//! expiry either (neither `wasi:keyvalue` nor Spin's stores offer one), so
//! a value that must stop counting after a while carries its own deadline,
//! and whoever finds it stale deletes it.

/// One key-value store, opened for the rest of a request.
pub trait KeyValue {
    /// The value at `key`, or `None` when the key is missing.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError>;

    /// Sets `key` to `value`, creating or overwriting it.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError>;

    /// Deletes `key`; a missing key is no error.
    fn delete(&self, key: &str) -> Result<(), KvError>;

    /// Adds `by` (which may be negative) to the counter at `key` and
    /// returns its new value, in one atomic step: concurrent increments
    /// from any number of requests are never lost. A missing key counts
    /// as 0.
    ///
    /// How a counter is stored is the backend's business (Spin's SQLite
    /// store keeps 8 little-endian bytes, its Redis store decimal text):
    /// read a counter with `increment(key, 0)`, never with [`get`], and
    /// never [`set`] or increment a key that holds anything but a counter.
    /// Keep counters far from the ends of `i64`: backends differ there
    /// too.
    ///
    /// [`get`]: KeyValue::get
    /// [`set`]: KeyValue::set
    fn increment(&self, key: &str, by: i64) -> Result<i64, KvError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    /// The store cannot be opened: this component's manifest does not
    /// list it, or the runtime has no such store.
    #[error("cannot open the key-value store: {0}")]
    Unavailable(String),
    /// The store refused or failed an operation.
    #[error("key-value operation failed: {0}")]
    Failed(String),
}

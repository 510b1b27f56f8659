//! [`KeyValue`] over the standard `wasi:keyvalue@0.2.0-draft2` interfaces
//! Spin 4 provides: the `default` store, and `wasi:keyvalue/atomics` for
//! increments. Spin SDK 5.2 generates these bindings but exposes them only
//! under its hidden `wit` module; this is the one place that uses them.

use adspin_core::kv::{KeyValue, KvError};
use spin_sdk::wit::wasi::keyvalue::{atomics, store};

/// An open key-value store.
pub struct SpinKv {
    bucket: store::Bucket,
}

impl SpinKv {
    /// Opens the `default` store: [`KvError::Unavailable`] when the
    /// component's manifest does not list it.
    pub fn open_default() -> Result<Self, KvError> {
        store::open("default")
            .map(|bucket| Self { bucket })
            .map_err(|error| KvError::Unavailable(describe(error)))
    }
}

fn describe(error: store::Error) -> String {
    match error {
        store::Error::NoSuchStore => "no-such-store".to_string(),
        store::Error::AccessDenied => "access-denied".to_string(),
        store::Error::Other(message) => message,
    }
}

fn failed(error: store::Error) -> KvError {
    KvError::Failed(describe(error))
}

impl KeyValue for SpinKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.bucket.get(key).map_err(failed)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.bucket.set(key, value).map_err(failed)
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.bucket.delete(key).map_err(failed)
    }

    fn increment(&self, key: &str, by: i64) -> Result<i64, KvError> {
        atomics::increment(&self.bucket, key, by).map_err(failed)
    }
}

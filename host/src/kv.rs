//! The `fermyon:spin/key-value@2.0.0` interface, persisted in SQLite.
//!
//! Like `spin up`, the stores live in `<state-dir>/sqlite_key_value.db` in a
//! `spin_key_value(store, key, value)` table, so the state directory stays
//! readable by Spin itself. A component may open only the stores its
//! manifest lists; any other label is `access-denied`.

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::Result;
use rusqlite::{OptionalExtension, params};
use wasmtime::component::{HasData, Resource, ResourceTable};

use crate::bindings::fermyon::spin::key_value::{Error, Host, HostStore};
use crate::db::Database;

/// File name Spin uses for its default key-value store.
pub const FILE_NAME: &str = "sqlite_key_value.db";
/// Most stores one instance may hold open at once.
const MAX_OPEN_STORES: usize = 256;

/// The key-value backend shared by every component.
#[derive(Debug)]
pub struct KeyValue {
    db: Arc<Database>,
}

impl KeyValue {
    pub fn open(db: Arc<Database>) -> Result<Arc<Self>> {
        db.checkout()?.execute_batch(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                store TEXT NOT NULL,
                key   TEXT NOT NULL,
                value BLOB NOT NULL,
                PRIMARY KEY (store, key)
            )",
        )?;
        Ok(Arc::new(Self { db }))
    }

    /// Sets a key directly (the `--key-value` startup flag).
    pub async fn set(&self, store: &str, key: &str, value: Vec<u8>) -> Result<()> {
        let (store, key) = (store.to_string(), key.to_string());
        self.db
            .run(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT(store, key) DO UPDATE SET value = excluded.value",
                )?
                .execute(params![store, key, value])?;
                Ok(())
            })
            .await
    }
}

/// An open store: the resource behind `key-value.store`.
pub struct OpenStore {
    label: Arc<str>,
}

/// Per-instance key-value access.
pub struct KeyValueAccess {
    pub backend: Arc<KeyValue>,
    pub allowed: Arc<HashSet<String>>,
    open_stores: usize,
    /// Calls made on stores (for `--storage-trace`).
    pub calls: u32,
}

impl KeyValueAccess {
    pub fn new(backend: Arc<KeyValue>, allowed: Arc<HashSet<String>>) -> Self {
        Self {
            backend,
            allowed,
            open_stores: 0,
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

impl KeyValueView<'_> {
    fn label(&self, store: &Resource<OpenStore>) -> wasmtime::Result<Arc<str>> {
        Ok(self.table.get(store)?.label.clone())
    }

    /// Runs `work` on the store's database; the future owns what it
    /// needs, so it is `Send`.
    fn run<T, F>(&self, work: F) -> impl Future<Output = Result<T, Error>> + Send + 'static
    where
        T: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let db = self.access.backend.db.clone();
        async move {
            db.run(move |conn| Ok(work(conn)?))
                .await
                .map_err(|e| Error::Other(format!("{e:#}")))
        }
    }
}

impl Host for KeyValueView<'_> {}

impl HostStore for KeyValueView<'_> {
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<OpenStore>, Error>> {
        if !self.access.allowed.contains(&label) {
            return Ok(Err(Error::AccessDenied));
        }
        if self.access.open_stores >= MAX_OPEN_STORES {
            return Ok(Err(Error::StoreTableFull));
        }
        let store = self.table.push(OpenStore {
            label: label.into(),
        })?;
        self.access.open_stores += 1;
        Ok(Ok(store))
    }

    async fn get(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        self.access.calls += 1;
        let label = self.label(&store)?;
        Ok(self
            .run(move |conn| {
                conn.prepare_cached(
                    "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
                )?
                .query_row(params![&*label, key], |row| row.get(0))
                .optional()
            })
            .await)
    }

    async fn set(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        self.access.calls += 1;
        let label = self.label(&store)?;
        Ok(self
            .run(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT(store, key) DO UPDATE SET value = excluded.value",
                )?
                .execute(params![&*label, key, value])
                .map(drop)
            })
            .await)
    }

    async fn delete(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), Error>> {
        self.access.calls += 1;
        let label = self.label(&store)?;
        Ok(self
            .run(move |conn| {
                conn.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                    .execute(params![&*label, key])
                    .map(drop)
            })
            .await)
    }

    async fn exists(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, Error>> {
        self.access.calls += 1;
        let label = self.label(&store)?;
        Ok(self
            .run(move |conn| {
                conn.prepare_cached("SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                    .exists(params![&*label, key])
            })
            .await)
    }

    async fn get_keys(
        &mut self,
        store: Resource<OpenStore>,
    ) -> wasmtime::Result<Result<Vec<String>, Error>> {
        self.access.calls += 1;
        let label = self.label(&store)?;
        Ok(self
            .run(move |conn| {
                let mut statement =
                    conn.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1")?;
                let keys = statement
                    .query_map(params![&*label], |row| row.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()?;
                Ok(keys)
            })
            .await)
    }

    async fn drop(&mut self, store: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        self.access.open_stores = self.access.open_stores.saturating_sub(1);
        Ok(())
    }
}

//! `wasi:keyvalue@0.2.0-draft2`: the store, atomics and batch interfaces
//! over the same stores as `fermyon:spin/key-value`, with Spin 4's
//! semantics (`crates/factor-key-value/src/host.rs`, v4.0.2): a store not
//! listed in the component's manifest is `access-denied`, a full store
//! table and paging through keys with a cursor are `other`, and the
//! compare-and-swap of [`super::compare_and_swap`].

use wasmtime::component::Resource;

use super::{Cas, KeyValueView, OpenError, OpenStore};
use crate::bindings::wasi::keyvalue::atomics::{self, CasError};
use crate::bindings::wasi::keyvalue::batch;
use crate::bindings::wasi::keyvalue::store::{self, Error, KeyResponse};

impl store::Host for KeyValueView<'_> {
    async fn open(
        &mut self,
        identifier: String,
    ) -> wasmtime::Result<Result<Resource<OpenStore>, Error>> {
        Ok(self.open_store(identifier)?.map_err(|error| match error {
            OpenError::AccessDenied => Error::AccessDenied,
            OpenError::TableFull => Error::Other("store table full".to_string()),
        }))
    }
}

impl store::HostBucket for KeyValueView<'_> {
    async fn get(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let label = self.label(&bucket)?;
        let work = self.run(move |conn| super::get(conn, &label, &key));
        Ok(work.await.map_err(Error::Other))
    }

    async fn set(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let label = self.label(&bucket)?;
        let work = self.run(move |conn| super::set(conn, &label, &key, &value));
        Ok(work.await.map_err(Error::Other))
    }

    async fn delete(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), Error>> {
        let label = self.label(&bucket)?;
        let work = self.run(move |conn| super::delete(conn, &label, &key));
        Ok(work.await.map_err(Error::Other))
    }

    async fn exists(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, Error>> {
        let label = self.label(&bucket)?;
        let work = self.run(move |conn| super::exists(conn, &label, &key));
        Ok(work.await.map_err(Error::Other))
    }

    /// Every key in one response: like Spin, no cursor is ever returned,
    /// and a call with one is an error.
    async fn list_keys(
        &mut self,
        bucket: Resource<OpenStore>,
        cursor: Option<String>,
    ) -> wasmtime::Result<Result<KeyResponse, Error>> {
        if cursor.is_some() {
            return Ok(Err(Error::Other(
                "list_keys: cursor not supported".to_string(),
            )));
        }
        let label = self.label(&bucket)?;
        let work = self.run(move |conn| super::keys(conn, &label));
        Ok(work
            .await
            .map(|keys| KeyResponse { keys, cursor: None })
            .map_err(Error::Other))
    }

    async fn drop(&mut self, bucket: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.close_store(bucket)
    }
}

impl batch::Host for KeyValueView<'_> {
    async fn get_many(
        &mut self,
        bucket: Resource<OpenStore>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<Vec<(String, Option<Vec<u8>>)>, Error>> {
        let label = self.label(&bucket)?;
        if keys.is_empty() {
            return Ok(Ok(Vec::new()));
        }
        let work = self.run(move |conn| super::get_many(conn, &label, keys));
        Ok(work.await.map_err(Error::Other))
    }

    async fn set_many(
        &mut self,
        bucket: Resource<OpenStore>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let label = self.label(&bucket)?;
        if key_values.is_empty() {
            return Ok(Ok(()));
        }
        let work = self.run(move |conn| super::set_many(conn, &label, key_values));
        Ok(work.await.map_err(Error::Other))
    }

    async fn delete_many(
        &mut self,
        bucket: Resource<OpenStore>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let label = self.label(&bucket)?;
        if keys.is_empty() {
            return Ok(Ok(()));
        }
        let work = self.run(move |conn| super::delete_many(conn, &label, keys));
        Ok(work.await.map_err(Error::Other))
    }
}

impl KeyValueView<'_> {
    /// A new compare-and-swap of `key`, having read its current value when
    /// `read` (as Spin hands out the handle of a failed swap).
    async fn new_cas(
        &mut self,
        label: std::sync::Arc<str>,
        key: String,
        read: bool,
    ) -> wasmtime::Result<Result<Resource<Cas>, Error>> {
        let mut cas = Cas {
            label,
            key,
            seen: None,
        };
        if read {
            let (label, key) = (cas.label.clone(), cas.key.clone());
            match self.run(move |conn| super::get(conn, &label, &key)).await {
                Ok(value) => cas.seen = value,
                Err(message) => return Ok(Err(Error::Other(message))),
            }
        }
        Ok(self
            .push_cas(cas)?
            .ok_or_else(|| Error::Other("too many compare_and_swaps opened".to_string())))
    }
}

impl atomics::HostCas for KeyValueView<'_> {
    async fn new(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<Resource<Cas>, Error>> {
        let label = self.label(&bucket)?;
        self.new_cas(label, key, false).await
    }

    /// Reads the key and remembers the value for [`atomics::Host::swap`].
    async fn current(
        &mut self,
        cas: Resource<Cas>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let (label, key) = {
            let cas = self.table.get(&cas)?;
            (cas.label.clone(), cas.key.clone())
        };
        let value = match self.run(move |conn| super::get(conn, &label, &key)).await {
            Ok(value) => value,
            Err(message) => return Ok(Err(Error::Other(message))),
        };
        self.table.get_mut(&cas)?.seen.clone_from(&value);
        Ok(Ok(value))
    }

    async fn drop(&mut self, cas: Resource<Cas>) -> wasmtime::Result<()> {
        self.take_cas(cas).map(drop)
    }
}

impl atomics::Host for KeyValueView<'_> {
    async fn increment(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, Error>> {
        let label = self.label(&bucket)?;
        let work = self.run(move |conn| super::increment(conn, &label, &key, delta));
        Ok(work.await.map_err(Error::Other))
    }

    /// Consumes the handle; when the key changed since `current`, the
    /// error carries a new handle that has read the latest value.
    async fn swap(
        &mut self,
        cas: Resource<Cas>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), CasError>> {
        let Cas { label, key, seen } = self.take_cas(cas)?;
        let (store, swapped_key) = (label.clone(), key.clone());
        let swapped = self
            .run(move |conn| {
                super::compare_and_swap(conn, &store, &swapped_key, seen.as_deref(), &value)
            })
            .await;
        Ok(match swapped {
            Ok(true) => Ok(()),
            Ok(false) => match self.new_cas(label, key, true).await? {
                Ok(retry) => Err(CasError::CasFailed(retry)),
                Err(error) => Err(CasError::StoreError(error)),
            },
            Err(message) => Err(CasError::StoreError(Error::Other(message))),
        })
    }
}

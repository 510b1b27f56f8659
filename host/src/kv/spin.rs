//! `fermyon:spin/key-value@2.0.0`: a store not listed in the component's
//! manifest is `access-denied`.

use wasmtime::component::Resource;

use super::{KeyValueView, OpenError, OpenStore};
use crate::bindings::fermyon::spin::key_value::{Error, Host, HostStore};

impl Host for KeyValueView<'_> {}

impl HostStore for KeyValueView<'_> {
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<OpenStore>, Error>> {
        Ok(self.open_store(label)?.map_err(|error| match error {
            OpenError::AccessDenied => Error::AccessDenied,
            OpenError::TableFull => Error::StoreTableFull,
        }))
    }

    async fn get(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let label = self.label(&store)?;
        let work = self.run(move |conn| super::get(conn, &label, &key));
        Ok(work.await.map_err(Error::Other))
    }

    async fn set(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let label = self.label(&store)?;
        let work = self.run(move |conn| super::set(conn, &label, &key, &value));
        Ok(work.await.map_err(Error::Other))
    }

    async fn delete(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), Error>> {
        let label = self.label(&store)?;
        let work = self.run(move |conn| super::delete(conn, &label, &key));
        Ok(work.await.map_err(Error::Other))
    }

    async fn exists(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, Error>> {
        let label = self.label(&store)?;
        let work = self.run(move |conn| super::exists(conn, &label, &key));
        Ok(work.await.map_err(Error::Other))
    }

    async fn get_keys(
        &mut self,
        store: Resource<OpenStore>,
    ) -> wasmtime::Result<Result<Vec<String>, Error>> {
        let label = self.label(&store)?;
        let work = self.run(move |conn| super::keys(conn, &label));
        Ok(work.await.map_err(Error::Other))
    }

    async fn drop(&mut self, store: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.close_store(store)
    }
}

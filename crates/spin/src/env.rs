//! [`Env`] over Spin: the `default` SQLite database, the `default`
//! key-value store, component variables, the WASI clocks and outbound
//! `wasi:http`, and Spin's LLM interface.
//!
//! Reading a variable is dear under `spin up`: Spin 4.0.2 resolves every
//! read through its environment-variable provider, which runs inside
//! `tokio::task::block_in_place` and so hands the runtime's worker to
//! another thread (measured with `bench/host.sh`: a request that reads
//! one variable serves about a third as many requests per second as one
//! that reads none, with a p99 ten times as long). A request therefore
//! reads each variable once: [`SpinEnv`] keeps what it read.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

use adspin_core::db::DbError;
use adspin_core::env::Env;
use adspin_core::kv::KvError;

use crate::clock::SpinClock;
use crate::db::SpinDb;
use crate::http::SpinHttp;
use crate::kv::SpinKv;
use crate::llm::SpinLlm;

/// The environment of one request in a Spin component. Stores are opened
/// on first use, so a component whose manifest lists none still runs.
#[derive(Default)]
pub struct SpinEnv {
    db: OnceCell<SpinDb>,
    kv: OnceCell<SpinKv>,
    clock: SpinClock,
    http: SpinHttp,
    llm: SpinLlm,
    /// The variables read so far in this request.
    variables: RefCell<HashMap<String, Option<String>>>,
}

impl Env for SpinEnv {
    type Db = SpinDb;
    type Kv = SpinKv;
    type Clock = SpinClock;
    type Http = SpinHttp;
    type Llm = SpinLlm;

    fn db(&self) -> Result<&SpinDb, DbError> {
        if let Some(db) = self.db.get() {
            return Ok(db);
        }
        let db = SpinDb::open_default()?;
        Ok(self.db.get_or_init(|| db))
    }

    fn kv(&self) -> Result<&SpinKv, KvError> {
        if let Some(kv) = self.kv.get() {
            return Ok(kv);
        }
        let kv = SpinKv::open_default()?;
        Ok(self.kv.get_or_init(|| kv))
    }

    fn variable(&self, name: &str) -> Option<String> {
        if let Some(value) = self.variables.borrow().get(name) {
            return value.clone();
        }
        let value = spin_sdk::variables::get(name).ok();
        self.variables
            .borrow_mut()
            .insert(name.to_owned(), value.clone());
        value
    }

    fn clock(&self) -> &SpinClock {
        &self.clock
    }

    fn http(&self) -> &SpinHttp {
        &self.http
    }

    fn llm(&self) -> &SpinLlm {
        &self.llm
    }
}

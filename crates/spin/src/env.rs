//! [`Env`] over Spin: the `default` SQLite database, component variables,
//! the WASI clocks and outbound `wasi:http`.

use std::cell::OnceCell;

use adspin_core::db::DbError;
use adspin_core::env::Env;

use crate::clock::SpinClock;
use crate::db::SpinDb;
use crate::http::SpinHttp;

/// The environment of one request in a Spin component.
#[derive(Default)]
pub struct SpinEnv {
    db: OnceCell<SpinDb>,
    clock: SpinClock,
    http: SpinHttp,
}

impl Env for SpinEnv {
    type Db = SpinDb;
    type Clock = SpinClock;
    type Http = SpinHttp;

    fn db(&self) -> Result<&SpinDb, DbError> {
        if let Some(db) = self.db.get() {
            return Ok(db);
        }
        let db = SpinDb::open_default()?;
        Ok(self.db.get_or_init(|| db))
    }

    fn variable(&self, name: &str) -> Option<String> {
        spin_sdk::variables::get(name).ok()
    }

    fn clock(&self) -> &SpinClock {
        &self.clock
    }

    fn http(&self) -> &SpinHttp {
        &self.http
    }
}

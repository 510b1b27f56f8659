//! What a surface's entry point is given besides the request: storage,
//! configuration, clocks, outbound HTTP and language models. The Spin adapter implements it
//! over Spin's host interfaces; native tests implement it over rusqlite,
//! memory, virtual time and fakes.

use crate::clock::Clock;
use crate::db::{Database, DbError};
use crate::kv::{KeyValue, KvError};
use crate::llm::Llm;
use crate::outbound::HttpClient;

/// The environment of one request.
pub trait Env {
    type Db: Database;
    type Kv: KeyValue;
    type Clock: Clock;
    type Http: HttpClient;
    type Llm: Llm;

    /// The `default` database, opened on first use and kept for the rest
    /// of the request.
    fn db(&self) -> Result<&Self::Db, DbError>;

    /// The `default` key-value store, opened on first use and kept for the
    /// rest of the request. [`KvError::Unavailable`] when the component's
    /// manifest does not list it (`key_value_stores`); nothing else of the
    /// environment depends on it.
    fn kv(&self) -> Result<&Self::Kv, KvError>;

    /// A configuration variable of the component; `None` when it is unset
    /// or not available to this component.
    fn variable(&self, name: &str) -> Option<String>;

    fn clock(&self) -> &Self::Clock;

    fn http(&self) -> &Self::Http;

    /// The language models of the runtime (used only where a model is
    /// configured).
    fn llm(&self) -> &Self::Llm;
}

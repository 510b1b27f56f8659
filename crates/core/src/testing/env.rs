//! [`TestEnv`]: an in-memory database, an in-memory key-value store
//! ([`MemoryKv`]), variables from a map, a [`VirtualClock`] that only moves
//! when every task waits on it, and [`FakeHttp`], whose answers take
//! virtual time. Deadlines are tested exactly and instantly: [`run`] drives
//! a future and, whenever it is stuck, jumps the clock to the next timer.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::clock::{Clock, Instant};
use crate::db::DbError;
use crate::db::native::NativeDb;
use crate::env::Env;
use crate::kv::{KeyValue, KvError};
use crate::llm::{Inference, InferenceParams, Llm, LlmError};
use crate::outbound::{HttpClient, OutboundError, OutboundRequest, OutboundResponse};
use crate::time::UnixSeconds;

/// Time that passes only when [`run`] finds nothing else to do.
#[derive(Debug)]
pub struct VirtualClock {
    /// Wall-clock time at monotonic zero.
    epoch: UnixSeconds,
    now: RefCell<Instant>,
    /// Deadlines someone waits for, and who to wake then.
    timers: RefCell<Vec<(Instant, Waker)>>,
}

impl VirtualClock {
    pub fn new(epoch: UnixSeconds) -> Self {
        Self {
            epoch,
            now: RefCell::new(Instant::from_nanos(0)),
            timers: RefCell::new(Vec::new()),
        }
    }

    /// Time since monotonic zero.
    pub fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.now.borrow().as_nanos())
    }

    /// Moves to the earliest pending deadline and wakes those waiting for
    /// it; false when nobody waits.
    fn advance(&self) -> bool {
        let due: Vec<Waker> = {
            let mut timers = self.timers.borrow_mut();
            let Some(next) = timers.iter().map(|(deadline, _)| *deadline).min() else {
                return false;
            };
            let mut now = self.now.borrow_mut();
            *now = (*now).max(next);
            let (due, later) = timers
                .drain(..)
                .partition(|(deadline, _)| *deadline <= next);
            *timers = later;
            due.into_iter().map(|(_, waker)| waker).collect()
        };
        due.into_iter().for_each(Waker::wake);
        true
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> UnixSeconds {
        let seconds = i64::try_from(self.elapsed().as_secs()).unwrap_or(i64::MAX);
        self.epoch.plus_seconds(seconds)
    }

    fn monotonic(&self) -> Instant {
        *self.now.borrow()
    }

    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> {
        VirtualSleep {
            clock: self,
            deadline,
        }
    }
}

struct VirtualSleep<'a> {
    clock: &'a VirtualClock,
    deadline: Instant,
}

impl Future for VirtualSleep<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        if self.clock.monotonic() >= self.deadline {
            return Poll::Ready(());
        }
        self.clock
            .timers
            .borrow_mut()
            .push((self.deadline, context.waker().clone()));
        Poll::Pending
    }
}

/// Drives `work` to completion on `clock`: polls it, and while it is
/// stuck moves the clock to the next deadline anyone waits for.
///
/// # Panics
/// When `work` waits with no deadline pending (it could never finish).
pub fn run<T>(clock: &VirtualClock, work: impl Future<Output = T>) -> T {
    let mut work = pin!(work);
    let waker = futures::task::noop_waker();
    let mut context = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(value) = work.as_mut().poll(&mut context) {
            return value;
        }
        assert!(
            clock.advance(),
            "the future waits for something that never happens"
        );
    }
}

/// How [`FakeHttp`] answers a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeReply {
    /// `status` and `body`, after `after` of virtual time.
    Answer {
        after: Duration,
        status: u16,
        body: Vec<u8>,
    },
    /// The connection fails at once.
    Fail,
    /// The runtime answers with this error at once (a refused or
    /// unresolvable destination).
    Error(OutboundError),
    /// No answer, ever.
    Hang,
}

impl FakeReply {
    /// A JSON answer after `after_ms` milliseconds.
    pub fn json(after_ms: u64, status: u16, body: &serde_json::Value) -> Self {
        Self::Answer {
            after: Duration::from_millis(after_ms),
            status,
            body: body.to_string().into_bytes(),
        }
    }
}

/// Outbound HTTP answered from a table of URLs, on virtual time; every
/// request sent is kept for the test to read.
#[derive(Debug)]
pub struct FakeHttp {
    clock: Rc<VirtualClock>,
    replies: RefCell<HashMap<String, FakeReply>>,
    sent: RefCell<Vec<OutboundRequest>>,
}

impl FakeHttp {
    /// Answers `url` with `reply` from now on (unknown URLs fail).
    pub fn reply(&self, url: &str, reply: FakeReply) {
        self.replies.borrow_mut().insert(url.to_string(), reply);
    }

    /// The requests sent so far, in order.
    pub fn sent(&self) -> Vec<OutboundRequest> {
        self.sent.borrow().clone()
    }
}

impl HttpClient for FakeHttp {
    async fn send(
        &self,
        request: OutboundRequest,
        body_limit: usize,
    ) -> Result<OutboundResponse, OutboundError> {
        let reply = self.replies.borrow().get(&request.url).cloned();
        self.sent.borrow_mut().push(request);
        match reply {
            None | Some(FakeReply::Fail) => Err(OutboundError::Failed("connection refused".into())),
            Some(FakeReply::Error(error)) => Err(error),
            Some(FakeReply::Hang) => std::future::pending().await,
            Some(FakeReply::Answer {
                after,
                status,
                body,
            }) => {
                let deadline = self.clock.monotonic() + after;
                self.clock.sleep_until(deadline).await;
                if body.len() > body_limit {
                    return Err(OutboundError::TooLarge(body_limit));
                }
                Ok(OutboundResponse {
                    status,
                    headers: Vec::new(),
                    body,
                })
            }
        }
    }
}

/// A key-value store in memory, deterministic (keys kept in order).
///
/// Counters are 8 little-endian bytes, as in the local host's and Spin's
/// SQLite store. Stricter than either where they differ from each other:
/// incrementing a value that is not a counter, or past the ends of `i64`,
/// is an error (Spin's SQLite store panics on the first and wraps on the
/// second; its Redis store refuses both).
#[derive(Debug, Default)]
pub struct MemoryKv {
    values: RefCell<BTreeMap<String, Vec<u8>>>,
    writes: std::cell::Cell<u32>,
}

impl MemoryKv {
    /// Every key, in order.
    pub fn keys(&self) -> Vec<String> {
        self.values.borrow().keys().cloned().collect()
    }

    /// Sets, deletes and increments made so far.
    pub fn writes(&self) -> u32 {
        self.writes.get()
    }

    fn wrote(&self) {
        self.writes.set(self.writes.get() + 1);
    }
}

impl KeyValue for MemoryKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self.values.borrow().get(key).cloned())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.wrote();
        self.values
            .borrow_mut()
            .insert(key.to_string(), value.to_vec());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.wrote();
        self.values.borrow_mut().remove(key);
        Ok(())
    }

    fn increment(&self, key: &str, by: i64) -> Result<i64, KvError> {
        self.wrote();
        let mut values = self.values.borrow_mut();
        let current = match values.get(key) {
            None => 0,
            Some(bytes) => {
                let bytes: [u8; 8] = bytes.as_slice().try_into().map_err(|_| {
                    KvError::Failed(format!(
                        "cannot increment {key:?}: its value is {} bytes, not a counter",
                        bytes.len()
                    ))
                })?;
                i64::from_le_bytes(bytes)
            }
        };
        let new = current
            .checked_add(by)
            .ok_or_else(|| KvError::Failed(format!("incrementing {key:?} by {by} overflows")))?;
        values.insert(key.to_string(), new.to_le_bytes().to_vec());
        Ok(new)
    }
}

/// Language models answering from a queue of replies (none left: a
/// runtime error); every prompt is kept for the test to read.
#[derive(Debug, Default)]
pub struct FakeLlm {
    replies: RefCell<VecDeque<Result<String, LlmError>>>,
    prompts: RefCell<Vec<(String, String)>>,
}

impl FakeLlm {
    /// Queues the next answer.
    pub fn reply(&self, reply: Result<String, LlmError>) {
        self.replies.borrow_mut().push_back(reply);
    }

    /// `(model, prompt)` of every call so far.
    pub fn prompts(&self) -> Vec<(String, String)> {
        self.prompts.borrow().clone()
    }
}

impl Llm for FakeLlm {
    fn infer(
        &self,
        model: &str,
        prompt: &str,
        _params: InferenceParams,
    ) -> Result<Inference, LlmError> {
        self.prompts
            .borrow_mut()
            .push((model.to_string(), prompt.to_string()));
        let reply = self
            .replies
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| Err(LlmError::Runtime("no model is configured".into())));
        reply.map(|text| Inference {
            text,
            prompt_tokens: 0,
            generated_tokens: 0,
        })
    }
}

/// An [`Env`] for native tests.
pub struct TestEnv {
    pub db: NativeDb,
    pub kv: MemoryKv,
    pub clock: Rc<VirtualClock>,
    pub http: FakeHttp,
    pub llm: FakeLlm,
    variables: HashMap<String, String>,
    /// Whether the component may open the key-value store.
    kv_listed: bool,
}

impl TestEnv {
    /// The whole schema, wall-clock time `epoch`, no variables.
    pub fn new(epoch: UnixSeconds) -> Self {
        let clock = Rc::new(VirtualClock::new(epoch));
        Self {
            db: super::database(),
            kv: MemoryKv::default(),
            http: FakeHttp {
                clock: Rc::clone(&clock),
                replies: RefCell::new(HashMap::new()),
                sent: RefCell::new(Vec::new()),
            },
            clock,
            llm: FakeLlm::default(),
            variables: HashMap::new(),
            kv_listed: true,
        }
    }

    /// As a component whose manifest lists no key-value store:
    /// [`Env::kv`] fails, everything else works.
    pub fn without_key_value(mut self) -> Self {
        self.kv_listed = false;
        self
    }

    /// Sets a variable.
    pub fn with_variable(mut self, name: &str, value: &str) -> Self {
        self.variables.insert(name.to_string(), value.to_string());
        self
    }
}

impl Env for TestEnv {
    type Db = NativeDb;
    type Kv = MemoryKv;
    type Clock = VirtualClock;
    type Http = FakeHttp;
    type Llm = FakeLlm;

    fn db(&self) -> Result<&NativeDb, DbError> {
        Ok(&self.db)
    }

    fn kv(&self) -> Result<&MemoryKv, KvError> {
        if self.kv_listed {
            Ok(&self.kv)
        } else {
            Err(KvError::Unavailable("access-denied".to_string()))
        }
    }

    fn variable(&self, name: &str) -> Option<String> {
        self.variables.get(name).cloned()
    }

    fn clock(&self) -> &VirtualClock {
        &self.clock
    }

    fn http(&self) -> &FakeHttp {
        &self.http
    }

    fn llm(&self) -> &FakeLlm {
        &self.llm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPOCH: UnixSeconds = UnixSeconds::new(1_700_000_000);

    #[test]
    fn values_are_set_read_overwritten_and_deleted() {
        let env = TestEnv::new(EPOCH);
        let kv = env.kv().expect("the store is listed");
        assert_eq!(kv.get("token"), Ok(None));
        kv.set("token", b"one").expect("set");
        kv.set("token", b"two").expect("overwrite");
        assert_eq!(kv.get("token"), Ok(Some(b"two".to_vec())));
        kv.delete("token").expect("delete");
        kv.delete("token")
            .expect("deleting a missing key is no error");
        assert_eq!(kv.get("token"), Ok(None));
    }

    #[test]
    fn a_counter_starts_at_zero_and_returns_each_new_value() {
        let env = TestEnv::new(EPOCH);
        let kv = env.kv().expect("kv");
        assert_eq!(kv.increment("attempts", 1), Ok(1));
        assert_eq!(kv.increment("attempts", 5), Ok(6));
        assert_eq!(kv.increment("attempts", -2), Ok(4));
        assert_eq!(kv.increment("attempts", 0), Ok(4));
        assert_eq!(kv.get("attempts"), Ok(Some(4_i64.to_le_bytes().to_vec())));
    }

    #[test]
    fn incrementing_a_value_that_is_not_a_counter_fails_and_keeps_it() {
        let env = TestEnv::new(EPOCH);
        let kv = env.kv().expect("kv");
        kv.set("name", b"ada").expect("set");
        assert!(matches!(kv.increment("name", 1), Err(KvError::Failed(_))));
        assert_eq!(kv.get("name"), Ok(Some(b"ada".to_vec())));
    }

    #[test]
    fn incrementing_past_the_end_of_i64_fails_and_keeps_the_counter() {
        let env = TestEnv::new(EPOCH);
        let kv = env.kv().expect("kv");
        assert_eq!(kv.increment("n", i64::MAX), Ok(i64::MAX));
        assert!(matches!(kv.increment("n", 1), Err(KvError::Failed(_))));
        assert_eq!(kv.increment("n", 0), Ok(i64::MAX));
    }

    #[test]
    fn keys_are_listed_in_order() {
        let env = TestEnv::new(EPOCH);
        let kv = env.kv().expect("kv");
        for key in ["b", "c", "a"] {
            kv.set(key, b"").expect("set");
        }
        assert_eq!(env.kv.keys(), ["a", "b", "c"]);
    }

    #[test]
    fn without_the_store_only_opening_it_fails() {
        let env = TestEnv::new(EPOCH).without_key_value();
        assert!(matches!(env.kv(), Err(KvError::Unavailable(_))));
        assert!(env.db().is_ok());
        assert_eq!(env.clock().now(), EPOCH);
    }
}

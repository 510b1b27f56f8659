//! Deadlines on the monotonic clock, as futures the Spin executor drives.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use futures::future::{self, Either};
use spin_executor::CancelOnDropToken;
use wasi::clocks::monotonic_clock;

/// Nanoseconds on the monotonic clock.
pub type Instant = u64;

pub fn now() -> Instant {
    monotonic_clock::now()
}

/// Milliseconds to nanoseconds.
pub const fn millis(ms: u64) -> u64 {
    ms * 1_000_000
}

/// A future that completes at its deadline.
struct Sleep {
    deadline: Instant,
    /// The executor's wake-up registration; dropping it cancels it.
    registration: Option<CancelOnDropToken>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        if monotonic_clock::now() >= self.deadline {
            self.registration = None;
            return Poll::Ready(());
        }
        // Replacing the registration cancels the previous one, so repeated
        // polls never pile up pollables.
        let pollable = monotonic_clock::subscribe_instant(self.deadline);
        self.registration =
            Some(spin_executor::push_waker_and_get_token(pollable, context.waker().clone()).into());
        Poll::Pending
    }
}

/// Completes at `deadline`.
pub fn sleep_until(deadline: Instant) -> impl Future<Output = ()> {
    Sleep {
        deadline,
        registration: None,
    }
}

/// Runs `work` until `deadline`; `None` when the deadline came first (the
/// work is dropped, which cancels its outgoing request).
pub async fn with_deadline<T>(deadline: Instant, work: impl Future<Output = T>) -> Option<T> {
    let work = pin!(work);
    let timer = pin!(sleep_until(deadline));
    match future::select(work, timer).await {
        Either::Left((value, _)) => Some(value),
        Either::Right(((), _)) => None,
    }
}

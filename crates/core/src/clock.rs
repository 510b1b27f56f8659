//! Clocks: the wall clock that timestamps records, and the monotonic clock
//! that deadlines are measured on. Behind a trait so the auction's
//! deadlines are unit-tested on virtual time.

use std::future::Future;
use std::ops::Add;
use std::pin::pin;
use std::time::Duration;

use futures::future::{self, Either};

use crate::time::UnixSeconds;

/// A point on a monotonic clock: nanoseconds from an arbitrary origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

impl Instant {
    pub const fn from_nanos(nanos: u64) -> Self {
        Self(nanos)
    }

    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Time from `earlier` to `self` (zero when `earlier` is later).
    pub fn saturating_duration_since(self, earlier: Self) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Instant {
    type Output = Self;

    fn add(self, duration: Duration) -> Self {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        Self(self.0.saturating_add(nanos))
    }
}

/// The clocks a request reads and waits on.
pub trait Clock {
    /// Wall-clock time.
    fn now(&self) -> UnixSeconds;

    /// Monotonic time, for durations and deadlines.
    fn monotonic(&self) -> Instant;

    /// Completes at `deadline` (at once when it has passed).
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()>;
}

/// Runs `work` until `deadline`: `None` when the deadline came first (the
/// work is dropped, which cancels an outgoing request it was making).
pub async fn with_deadline<T>(
    clock: &impl Clock,
    deadline: Instant,
    work: impl Future<Output = T>,
) -> Option<T> {
    let work = pin!(work);
    let timer = pin!(clock.sleep_until(deadline));
    match future::select(work, timer).await {
        Either::Left((value, _)) => Some(value),
        Either::Right(((), _)) => None,
    }
}

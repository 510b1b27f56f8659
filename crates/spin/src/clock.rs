//! [`Clock`] over WASI: `wasi:clocks` for time, and sleeps the Spin
//! executor wakes when their deadline comes.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use adspin_core::clock::{Clock, Instant};
use adspin_core::time::UnixSeconds;
use spin_executor::CancelOnDropToken;
use wasi::clocks::monotonic_clock;

/// The host's clocks.
#[derive(Debug, Default, Clone, Copy)]
pub struct SpinClock;

impl Clock for SpinClock {
    fn now(&self) -> UnixSeconds {
        UnixSeconds::now()
    }

    fn monotonic(&self) -> Instant {
        Instant::from_nanos(monotonic_clock::now())
    }

    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> {
        Sleep {
            deadline: deadline.as_nanos(),
            registration: None,
        }
    }
}

/// A future that completes at its deadline.
struct Sleep {
    deadline: u64,
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

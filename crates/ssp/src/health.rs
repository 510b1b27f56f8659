//! The auction's side of DSP health (`adspin_core::dsp_health`): before
//! the fan-out, whether each external DSP is called (its circuit breaker)
//! and its measured round trip; after it, what the call says about the
//! DSP. The in-process internal DSP has neither breaker nor round trip.
//! Without a key-value store every DSP is called, as before breakers.

use std::time::Duration;

use adspin_core::dsp_health::{self, Admission, Health, Outcome, Policy, State};
use adspin_core::kv::{KeyValue, KvError};
use adspin_core::time::UnixSeconds;

use crate::report::CallStatus;

/// A DSP's health as the auction found it, and its decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    pub health: Health,
    pub admission: Admission,
}

impl Gate {
    /// The DSP's measured round trip (zero until one is measured).
    pub fn round_trip(&self) -> Duration {
        Duration::from_millis(self.health.round_trip.map_or(0, |rtt| rtt.ms))
    }
}

/// Reads the DSP's health and decides whether the auction calls it.
pub fn gate(
    kv: &impl KeyValue,
    dsp: &str,
    policy: impl FnOnce() -> Policy,
    now: UnixSeconds,
) -> Result<Gate, KvError> {
    let health = dsp_health::read(kv, dsp)?;
    let admission = dsp_health::admit(kv, dsp, &health.breaker, policy, now)?;
    Ok(Gate { health, admission })
}

/// Records what a call of `status`, which took `time`, says about the DSP;
/// the breaker's new state when it changed.
pub fn record(
    kv: &impl KeyValue,
    dsp: &str,
    gate: &Gate,
    status: CallStatus,
    time: Duration,
    policy: impl FnOnce() -> Policy,
    now: UnixSeconds,
) -> Result<Option<State>, KvError> {
    let outcome = match status {
        CallStatus::Bid | CallStatus::NoBid => Outcome::Answered {
            ms: u64::try_from(time.as_millis()).unwrap_or(u64::MAX),
        },
        CallStatus::TimedOut | CallStatus::Error | CallStatus::Invalid => Outcome::Failed,
        CallStatus::Skipped => return Ok(None),
    };
    let change = dsp_health::record(kv, dsp, &gate.health, policy, gate.admission, outcome, now)?;
    Ok(change)
}

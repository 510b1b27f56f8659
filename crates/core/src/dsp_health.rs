//! The health of each external DSP, kept in the key-value store so every
//! instance of the SSP shares it: a circuit breaker, and the DSP's
//! measured network round trip.
//!
//! **Breaker.** A DSP's breaker opens after [`FAILURES_TO_OPEN`]
//! consecutive failed calls (timeouts, errors, invalid answers). An open
//! breaker skips the DSP for [`OPEN_SECONDS`] (both set by [`Policy`]);
//! then it is half-open: one
//! auction per period wins the probe (an atomic increment on the period's
//! probe key), calls the DSP, and closes the breaker if the DSP answers,
//! or opens it again for another period if not. Other auctions skip the
//! DSP meanwhile.
//!
//! **Round trip.** The fastest answer the DSP gave (a bid or a no-bid)
//! within [`RTT_WINDOW_SECONDS`] stands for its network round trip: its
//! processing time is never negative, so the minimum approaches the
//! network's share. The SSP tells an OpenRTB DSP `tmax` net of it.
//!
//! **Cost.** An auction reads one key per external DSP (its breaker and
//! round trip together: under `spin up` every key-value call is dear) and
//! writes nothing while its DSPs stay healthy: the entry is written on a
//! DSP's first failure, on opening, on probes, on the first success after
//! failures, and when the round trip falls to a new minimum or its window
//! renews. Concurrent instances may lose an update between them (a failure
//! counted as another instance resets the counter; a round trip written
//! from an entry read before another instance opened the breaker): the
//! breaker is a shared estimate, not a ledger.
//!
//! Keys: `dsp_health:<id>` (JSON: the [`Breaker`] and the [`RoundTrip`]),
//! `dsp_failures:<id>` (a counter), `dsp_probe:<id>:<opened_at>:<period>`
//! (a counter).

use serde::{Deserialize, Serialize};

use crate::kv::{KeyValue, KvError};
use crate::time::UnixSeconds;

/// Consecutive failures that open a breaker, by default.
pub const FAILURES_TO_OPEN: i64 = 5;
/// How long an open breaker skips its DSP before a probe, and how long
/// a half-open breaker waits between probes, by default.
pub const OPEN_SECONDS: i64 = 30;

/// When breakers open and for how long: the variables
/// `dsp_breaker_failures` and `dsp_breaker_open_seconds`, defaulting to
/// [`FAILURES_TO_OPEN`] and [`OPEN_SECONDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub failures_to_open: i64,
    pub open_seconds: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            failures_to_open: FAILURES_TO_OPEN,
            open_seconds: OPEN_SECONDS,
        }
    }
}

impl Policy {
    /// The policy the environment's variables set (invalid or missing
    /// values take the defaults).
    pub fn from_variables(variable: impl Fn(&str) -> Option<String>) -> Self {
        let read = |name: &str, default: i64| {
            variable(name)
                .and_then(|value| value.trim().parse::<i64>().ok())
                .filter(|value| (1..=86_400).contains(value))
                .unwrap_or(default)
        };
        Self {
            failures_to_open: read("dsp_breaker_failures", FAILURES_TO_OPEN),
            open_seconds: read("dsp_breaker_open_seconds", OPEN_SECONDS),
        }
    }
}
/// How long the fastest answer stands for the round trip.
pub const RTT_WINDOW_SECONDS: i64 = 300;

/// A DSP's breaker as stored: closed unless `opened_at` is set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breaker {
    /// When the breaker last opened (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<i64>,
    /// A closed breaker whose DSP failed since its last success (its
    /// failure counter is then not zero).
    #[serde(default)]
    pub failing: bool,
}

/// A breaker's state at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed,
    /// Skipping the DSP until `until`.
    Open {
        until: i64,
    },
    /// Past its open period: probes decide.
    HalfOpen,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open { .. } => "open",
            Self::HalfOpen => "half_open",
        }
    }
}

impl Breaker {
    pub fn state(&self, policy: Policy, now: UnixSeconds) -> State {
        match self.opened_at {
            None => State::Closed,
            Some(at) if now.get() < at + policy.open_seconds => State::Open {
                until: at + policy.open_seconds,
            },
            Some(_) => State::HalfOpen,
        }
    }
}

/// The measured round trip of a DSP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundTrip {
    pub ms: u64,
    /// When it was measured (Unix seconds).
    pub at: i64,
}

/// What an auction does with a DSP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Call it (breaker closed).
    Call,
    /// Call it as the probe of the `period`th period after the breaker
    /// opened at `opened_at`.
    Probe { opened_at: i64, period: i64 },
    /// Do not call it (breaker open, or another auction probes).
    Skip,
}

/// A DSP's health as an auction reads it (one key-value entry).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    #[serde(flatten)]
    pub breaker: Breaker,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_trip: Option<RoundTrip>,
}

fn health_key(dsp: &str) -> String {
    format!("dsp_health:{dsp}")
}

fn failures_key(dsp: &str) -> String {
    format!("dsp_failures:{dsp}")
}

/// The probe permit of a period of the breaker opened at `opened_at`.
fn probe_key(dsp: &str, opened_at: i64, period: i64) -> String {
    format!("dsp_probe:{dsp}:{opened_at}:{period}")
}

fn read_json<T: for<'de> Deserialize<'de>>(
    kv: &impl KeyValue,
    key: &str,
) -> Result<Option<T>, KvError> {
    // A value that does not parse (an older shape) reads as missing.
    Ok(kv
        .get(key)?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

fn write_json(kv: &impl KeyValue, key: &str, value: &impl Serialize) -> Result<(), KvError> {
    let bytes = serde_json::to_vec(value).map_err(|e| KvError::Failed(e.to_string()))?;
    kv.set(key, &bytes)
}

/// Reads a DSP's breaker and round trip (one key-value read).
pub fn read(kv: &impl KeyValue, dsp: &str) -> Result<Health, KvError> {
    Ok(read_json(kv, &health_key(dsp))?.unwrap_or_default())
}

/// Decides whether an auction calls the DSP whose breaker is `breaker`.
/// The policy is asked for only when the breaker has opened: a healthy
/// DSP costs no read of it.
pub fn admit(
    kv: &impl KeyValue,
    dsp: &str,
    breaker: &Breaker,
    policy: impl FnOnce() -> Policy,
    now: UnixSeconds,
) -> Result<Admission, KvError> {
    if breaker.opened_at.is_none() {
        return Ok(Admission::Call);
    }
    let policy = policy();
    let state = breaker.state(policy, now);
    let (State::HalfOpen, Some(opened_at)) = (state, breaker.opened_at) else {
        return Ok(match state {
            State::Closed => Admission::Call,
            _ => Admission::Skip,
        });
    };
    let period = (now.get() - opened_at) / policy.open_seconds;
    if kv.increment(&probe_key(dsp, opened_at, period), 1)? != 1 {
        return Ok(Admission::Skip);
    }
    // The previous period's permit (its probe never reported) is stale.
    kv.delete(&probe_key(dsp, opened_at, period - 1))?;
    Ok(Admission::Probe { opened_at, period })
}

/// What a call told of its DSP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A bid or a no-bid, after `ms` milliseconds.
    Answered { ms: u64 },
    /// A timeout, an error or an invalid answer.
    Failed,
}

/// Records the outcome of a call the auction made as `admission` on the
/// DSP whose health it read as `health`: the breaker and the round trip
/// (the fastest answer of its window) are written together, and only
/// when either changed. Returns the breaker's new state when it changed.
/// The policy is asked for only when a call failed or probed.
pub fn record(
    kv: &impl KeyValue,
    dsp: &str,
    health: &Health,
    policy: impl FnOnce() -> Policy,
    admission: Admission,
    outcome: Outcome,
    now: UnixSeconds,
) -> Result<Option<State>, KvError> {
    let opened = Breaker {
        opened_at: Some(now.get()),
        failing: false,
    };
    let (breaker, change) = match (admission, outcome) {
        (Admission::Skip, _) => return Ok(None),
        (Admission::Call, Outcome::Answered { .. }) => {
            if health.breaker.failing {
                kv.delete(&failures_key(dsp))?;
            }
            (Breaker::default(), None)
        }
        (Admission::Probe { opened_at, period }, Outcome::Answered { .. }) => {
            kv.delete(&failures_key(dsp))?;
            kv.delete(&probe_key(dsp, opened_at, period))?;
            (Breaker::default(), Some(State::Closed))
        }
        (Admission::Probe { opened_at, period }, Outcome::Failed) => {
            kv.delete(&probe_key(dsp, opened_at, period))?;
            (opened, Some(opened.state(policy(), now)))
        }
        (Admission::Call, Outcome::Failed) => {
            let policy = policy();
            let failures = kv.increment(&failures_key(dsp), 1)?;
            if failures >= policy.failures_to_open {
                kv.delete(&failures_key(dsp))?;
                (opened, Some(opened.state(policy, now)))
            } else {
                let failing = Breaker {
                    opened_at: None,
                    failing: true,
                };
                (failing, None)
            }
        }
    };
    let round_trip = match outcome {
        Outcome::Answered { ms }
            if health
                .round_trip
                .is_none_or(|kept| ms < kept.ms || now.get() - kept.at >= RTT_WINDOW_SECONDS) =>
        {
            Some(RoundTrip { ms, at: now.get() })
        }
        _ => health.round_trip,
    };
    let updated = Health {
        breaker,
        round_trip,
    };
    if updated != *health {
        write_json(kv, &health_key(dsp), &updated)?;
    }
    Ok(change)
}

/// The consecutive failures counted for a DSP (for the operator).
pub fn failures(kv: &impl KeyValue, dsp: &str) -> Result<i64, KvError> {
    Ok(kv
        .get(&failures_key(dsp))?
        .map_or(0, |bytes| crate::rate_limit::kv::counter_value(&bytes)))
}

/// Forgets a DSP's health (when it is removed from the registry).
pub fn forget(kv: &impl KeyValue, dsp: &str) -> Result<(), KvError> {
    kv.delete(&health_key(dsp))?;
    kv.delete(&failures_key(dsp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemoryKv;

    const T0: i64 = 1_776_000_000;

    fn at(seconds: i64) -> UnixSeconds {
        UnixSeconds::new(T0 + seconds)
    }

    const POLICY: Policy = Policy {
        failures_to_open: FAILURES_TO_OPEN,
        open_seconds: OPEN_SECONDS,
    };

    #[test]
    fn a_healthy_dsp_costs_no_read_of_the_policy() {
        let kv = MemoryKv::default();
        let unread = || -> Policy { panic!("the policy was read for a healthy DSP") };
        let closed = Breaker::default();
        let admission = admit(&kv, "acme", &closed, unread, at(0)).expect("admit");
        assert_eq!(admission, Admission::Call);
        let healthy = Health::default();
        let answered = Outcome::Answered { ms: 50 };
        let change =
            record(&kv, "acme", &healthy, unread, admission, answered, at(0)).expect("record");
        assert_eq!(change, None);
    }

    /// One call at `now` that `answered` (in 50 ms) or not, as an auction
    /// makes it.
    fn call(kv: &MemoryKv, now: UnixSeconds, answered: bool) -> Admission {
        let outcome = if answered {
            Outcome::Answered { ms: 50 }
        } else {
            Outcome::Failed
        };
        call_with(kv, now, outcome)
    }

    /// One call at `now` with its `outcome`, as an auction makes it.
    fn call_with(kv: &MemoryKv, now: UnixSeconds, outcome: Outcome) -> Admission {
        let health = read(kv, "acme").expect("read");
        let admission = admit(kv, "acme", &health.breaker, || POLICY, now).expect("admit");
        record(kv, "acme", &health, || POLICY, admission, outcome, now).expect("record");
        admission
    }

    /// A healthy DSP's answer after `ms`.
    fn answer(kv: &MemoryKv, ms: u64, now: UnixSeconds) {
        assert_eq!(
            call_with(kv, now, Outcome::Answered { ms }),
            Admission::Call
        );
    }

    fn state(kv: &MemoryKv, now: UnixSeconds) -> State {
        read(kv, "acme").expect("read").breaker.state(POLICY, now)
    }

    #[test]
    fn the_policy_comes_from_variables_with_defaults() {
        let policy = Policy::from_variables(|name| match name {
            "dsp_breaker_failures" => Some("3".into()),
            "dsp_breaker_open_seconds" => Some("nope".into()),
            _ => None,
        });
        assert_eq!(
            policy,
            Policy {
                failures_to_open: 3,
                open_seconds: OPEN_SECONDS
            }
        );
    }

    #[test]
    fn a_healthy_dsp_costs_no_write() {
        let kv = MemoryKv::default();
        // The first answer is the round trip kept; then nothing changes.
        call(&kv, at(0), true);
        let written = kv.writes();
        for n in 1..10 {
            assert_eq!(call(&kv, at(n), true), Admission::Call);
        }
        assert_eq!(kv.writes(), written);
        assert_eq!(kv.keys(), ["dsp_health:acme"], "no breaker state");
    }

    #[test]
    fn repeated_failures_open_the_breaker_and_a_success_in_between_resets_them() {
        let kv = MemoryKv::default();
        for n in 0..FAILURES_TO_OPEN - 1 {
            call(&kv, at(n), false);
        }
        assert_eq!(
            failures(&kv, "acme").expect("failures"),
            FAILURES_TO_OPEN - 1
        );
        call(&kv, at(5), true);
        assert_eq!(failures(&kv, "acme").expect("failures"), 0);
        assert_eq!(state(&kv, at(5)), State::Closed);
        for n in 0..FAILURES_TO_OPEN {
            assert_eq!(call(&kv, at(10 + n), false), Admission::Call);
        }
        assert_eq!(
            state(&kv, at(15)),
            State::Open {
                until: T0 + 14 + OPEN_SECONDS
            }
        );
        assert_eq!(call(&kv, at(16), true), Admission::Skip, "open: skipped");
    }

    #[test]
    fn a_half_open_breaker_lets_one_probe_through_and_closes_on_its_success() {
        let kv = MemoryKv::default();
        for _ in 0..FAILURES_TO_OPEN {
            call(&kv, at(0), false);
        }
        let later = at(OPEN_SECONDS);
        assert_eq!(state(&kv, later), State::HalfOpen);
        // Two auctions at once: one probes, the other skips.
        let health = read(&kv, "acme").expect("read");
        let first = admit(&kv, "acme", &health.breaker, || POLICY, later).expect("admit");
        let second = admit(&kv, "acme", &health.breaker, || POLICY, later).expect("admit");
        assert_eq!(
            first,
            Admission::Probe {
                opened_at: T0,
                period: 1
            }
        );
        assert_eq!(second, Admission::Skip);
        // The probe fails: open again for a period.
        record(
            &kv,
            "acme",
            &health,
            || POLICY,
            first,
            Outcome::Failed,
            later,
        )
        .expect("record");
        assert!(matches!(state(&kv, later), State::Open { .. }));
        let again = at(2 * OPEN_SECONDS);
        assert_eq!(
            call(&kv, again, true),
            Admission::Probe {
                opened_at: T0 + OPEN_SECONDS,
                period: 1
            }
        );
        assert_eq!(state(&kv, again), State::Closed);
        assert_eq!(call(&kv, again, true), Admission::Call);
        let keys = kv.keys();
        assert_eq!(keys, ["dsp_health:acme"], "no probe or counter left");
    }

    #[test]
    fn breaker_and_round_trip_share_one_entry() {
        let kv = MemoryKv::default();
        answer(&kv, 35, at(0));
        for n in 0..FAILURES_TO_OPEN {
            call(&kv, at(n), false);
        }
        let health = read(&kv, "acme").expect("read");
        assert_eq!(health.breaker.opened_at, Some(T0 + FAILURES_TO_OPEN - 1));
        assert_eq!(health.round_trip, Some(RoundTrip { ms: 35, at: T0 }));
        assert_eq!(kv.keys(), ["dsp_health:acme"]);
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(
                &kv.get("dsp_health:acme").expect("get").expect("set")
            )
            .expect("json"),
            serde_json::json!({"opened_at": T0 + FAILURES_TO_OPEN - 1, "failing": false,
                               "round_trip": {"ms": 35, "at": T0}})
        );
    }

    #[test]
    fn the_round_trip_is_the_fastest_answer_of_its_window() {
        let kv = MemoryKv::default();
        let kept = |kv: &MemoryKv| read(kv, "acme").expect("read").round_trip.expect("kept");
        answer(&kv, 80, at(0));
        assert_eq!(kept(&kv).ms, 80);
        answer(&kv, 120, at(1));
        assert_eq!(kept(&kv).ms, 80);
        answer(&kv, 40, at(2));
        assert_eq!(kept(&kv), RoundTrip { ms: 40, at: T0 + 2 });
        answer(&kv, 90, at(2 + RTT_WINDOW_SECONDS));
        assert_eq!(kept(&kv).ms, 90, "an old minimum ages out");
    }
}

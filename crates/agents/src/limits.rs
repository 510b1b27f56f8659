//! Request limits of the agents API and their headers.
//!
//! Every response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
//! `X-RateLimit-Reset` (Unix seconds) of the limit the request was counted
//! in; a `429` adds `Retry-After` (seconds). The endpoints that need no key
//! (registration, verification, login) are counted per client address;
//! some also count per email. Counters are fixed windows on the key-value
//! store ([`adspin_core::rate_limit::kv`]): one atomic increment per
//! window, exact across instances sharing the store (Redis in
//! deployments).

use std::net::IpAddr;

use adspin_core::kv::KeyValue;
use adspin_core::rate_limit::{self, Limit};
use adspin_core::time::UnixSeconds;
use adspin_core::web::Response;

pub use adspin_core::rate_limit::Usage;

use crate::AgentsError;

/// Requests without a key, per client address.
pub const ANONYMOUS: Limit = Limit {
    limit: 60,
    window_seconds: 60,
};

/// Payment provider events (Stripe's webhooks), per client address.
pub const PROVIDER_EVENTS: Limit = Limit {
    limit: 1_000,
    window_seconds: 60,
};

/// Accounts registered per client address.
pub const REGISTRATIONS: Limit = Limit {
    limit: 20,
    window_seconds: 3_600,
};

/// Failed logins per email before logins for it wait for the window.
pub const LOGIN_FAILURES_PER_EMAIL: Limit = Limit {
    limit: 10,
    window_seconds: 900,
};

/// Failed logins per client address, whatever the email.
pub const LOGIN_FAILURES_PER_ADDRESS: Limit = Limit {
    limit: 50,
    window_seconds: 900,
};

/// Verification codes sent again per email.
pub const RESENDS_PER_EMAIL: Limit = Limit {
    limit: 5,
    window_seconds: 3_600,
};

/// Requests a minute and a day an account may make (its plan's, from the
/// specification's table: [`crate::plans`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PlanLimits {
    pub per_minute: u32,
    pub per_day: u32,
}

impl PlanLimits {
    /// The limits times `multiplier` (a deployment's
    /// `agents_rate_limit_multiplier`).
    pub fn scaled(self, multiplier: u32) -> Self {
        Self {
            per_minute: self.per_minute.saturating_mul(multiplier),
            per_day: self.per_day.saturating_mul(multiplier),
        }
    }
}

/// Counts an authenticated request in the account's minute and day
/// windows; the usage reported (and refused, when exceeded) is the window
/// that is exceeded, else the one with less room left.
pub fn count_account(
    kv: &impl KeyValue,
    organization_id: adspin_core::ids::OrganizationId,
    plan: PlanLimits,
    now: UnixSeconds,
) -> Result<Usage, AgentsError> {
    Ok(AccountCount::new(kv, organization_id, plan, now, 1)?.of(0))
}

/// `requests` requests of an account counted at once (a batch's items, one
/// increment per window), each seeing the windows as if it had come alone
/// in its turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountCount {
    minute: Usage,
    day: Usage,
    requests: u32,
}

impl AccountCount {
    pub fn new(
        kv: &impl KeyValue,
        organization_id: adspin_core::ids::OrganizationId,
        plan: PlanLimits,
        now: UnixSeconds,
        requests: u32,
    ) -> Result<Self, AgentsError> {
        let minute = rate_limit::kv::hit_many(
            kv,
            &format!("agents:account:{organization_id}:minute"),
            Limit {
                limit: plan.per_minute,
                window_seconds: 60,
            },
            now,
            requests,
        )?;
        let day = rate_limit::kv::hit_many(
            kv,
            &format!("agents:account:{organization_id}:day"),
            Limit {
                limit: plan.per_day,
                window_seconds: 86_400,
            },
            now,
            requests,
        )?;
        Ok(Self {
            minute,
            day,
            requests,
        })
    }

    /// The usage request `index` (from 0) saw: the window it exceeded,
    /// else the one with less room left.
    pub fn of(&self, index: u32) -> Usage {
        let later = self.requests.saturating_sub(index.saturating_add(1));
        let at = |usage: Usage| Usage {
            used: usage.used.saturating_sub(later),
            ..usage
        };
        let (minute, day) = (at(self.minute), at(self.day));
        match (minute.exceeded(), day.exceeded()) {
            (_, true) => day,
            (true, false) => minute,
            (false, false) if day.remaining() < minute.remaining() => day,
            (false, false) => minute,
        }
    }
}

/// The counter name of a client address (clients the runtime reports no
/// address for share one).
pub fn address_bucket(kind: &str, client: Option<IpAddr>) -> String {
    match client {
        Some(ip) => format!("agents:{kind}:ip:{ip}"),
        None => format!("agents:{kind}:ip:unknown"),
    }
}

/// The counter name of an email.
pub fn email_bucket(kind: &str, email: &str) -> String {
    format!("agents:{kind}:email:{email}")
}

/// Counts a request in `limit`'s window of its client address (the
/// counter `kind`).
pub fn count_address(
    kv: &impl KeyValue,
    kind: &str,
    limit: Limit,
    client: Option<IpAddr>,
    now: UnixSeconds,
) -> Result<Usage, AgentsError> {
    Ok(rate_limit::kv::hit(
        kv,
        &address_bucket(kind, client),
        limit,
        now,
    )?)
}

/// Counts a request that presents no key.
pub fn count_anonymous(
    kv: &impl KeyValue,
    client: Option<IpAddr>,
    now: UnixSeconds,
) -> Result<Usage, AgentsError> {
    count_address(kv, "requests", ANONYMOUS, client, now)
}

/// Counts a payment provider's event (signed, so not a client's request).
pub fn count_provider_events(
    kv: &impl KeyValue,
    client: Option<IpAddr>,
    now: UnixSeconds,
) -> Result<Usage, AgentsError> {
    count_address(kv, "provider-events", PROVIDER_EVENTS, client, now)
}

/// `429 rate_limited` with `Retry-After` until `usage`'s window resets.
pub fn too_many_requests(usage: &Usage, now: UnixSeconds) -> AgentsError {
    let retry_after = usage.retry_after(now);
    AgentsError::new(
        429,
        "rate_limited",
        format!(
            "Too many requests: the limit is {} per window. Retry in {retry_after} seconds.",
            usage.limit
        ),
    )
    .with_details(serde_json::json!({
        "limit": usage.limit,
        "reset": usage.resets_at.get(),
    }))
    .with_retry_after(retry_after)
}

/// Sets the `X-RateLimit-*` headers of `usage`.
pub fn add_headers(response: &mut Response, usage: &Usage) {
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", http::HeaderValue::from(usage.limit));
    headers.insert(
        "x-ratelimit-remaining",
        http::HeaderValue::from(usage.remaining()),
    );
    headers.insert(
        "x-ratelimit-reset",
        http::HeaderValue::from(usage.resets_at.get()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use adspin_core::testing::MemoryKv;

    #[test]
    fn the_sixty_first_anonymous_request_of_a_minute_is_refused() {
        let kv = MemoryKv::default();
        let client = Some("203.0.113.9".parse().expect("ip"));
        let now = UnixSeconds::new(1_800_000_030);
        for _ in 0..60 {
            assert!(!count_anonymous(&kv, client, now).expect("count").exceeded());
        }
        let usage = count_anonymous(&kv, client, now).expect("count");
        assert!(usage.exceeded());
        let error = too_many_requests(&usage, now);
        let response = error.to_response("req_1");
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "30");
        let other = Some("203.0.113.10".parse().expect("ip"));
        assert!(!count_anonymous(&kv, other, now).expect("count").exceeded());
    }

    #[test]
    fn a_batch_counts_every_item_and_refuses_those_past_the_limit_in_turn() {
        let kv = MemoryKv::default();
        let account = adspin_core::ids::OrganizationId::new_random();
        let plan = PlanLimits {
            per_minute: 10,
            per_day: 500,
        };
        let now = UnixSeconds::new(1_800_000_030);
        for _ in 0..4 {
            count_account(&kv, account, plan, now).expect("count");
        }
        let batch = AccountCount::new(&kv, account, plan, now, 8).expect("count");
        let refused: Vec<bool> = (0..8).map(|i| batch.of(i).exceeded()).collect();
        assert_eq!(
            refused,
            [false, false, false, false, false, false, true, true]
        );
        assert_eq!(batch.of(0).used, 5);
        assert_eq!(batch.of(7).used, 12);
        // The counter holds every item: the next request is the 13th.
        assert_eq!(
            count_account(&kv, account, plan, now).expect("count").used,
            13
        );
    }

    #[test]
    fn an_account_is_held_to_its_minute_and_its_day() {
        let kv = MemoryKv::default();
        let account = adspin_core::ids::OrganizationId::new_random();
        let plan = PlanLimits {
            per_minute: 3,
            per_day: 4,
        };
        let minute = UnixSeconds::new(1_800_000_000);
        for _ in 0..3 {
            let usage = count_account(&kv, account, plan, minute).expect("count");
            assert!(!usage.exceeded());
        }
        let usage = count_account(&kv, account, plan, minute).expect("count");
        assert!(usage.exceeded());
        assert_eq!(usage.limit, 3, "the minute is the exceeded window");
        let next_minute = minute.plus_seconds(60);
        let usage = count_account(&kv, account, plan, next_minute).expect("count");
        assert!(usage.exceeded(), "the fifth request of the day");
        assert_eq!(usage.limit, 4);
        assert!(usage.retry_after(next_minute) > 60);
    }

    #[test]
    fn a_deployment_can_multiply_the_plan_limits() {
        let free = crate::plans::FREE.limits;
        assert_eq!(free.scaled(1), free);
        assert_eq!(
            free.scaled(3),
            PlanLimits {
                per_minute: 30,
                per_day: 1_500
            }
        );
        assert_eq!(free.scaled(u32::MAX).per_day, u32::MAX);
    }

    #[test]
    fn headers_say_the_limit_what_is_left_and_when_it_resets() {
        let mut response = Response::new(Vec::new());
        let usage = Usage {
            limit: 60,
            used: 15,
            resets_at: UnixSeconds::new(1_721_052_600),
        };
        add_headers(&mut response, &usage);
        assert_eq!(response.headers()["x-ratelimit-limit"], "60");
        assert_eq!(response.headers()["x-ratelimit-remaining"], "45");
        assert_eq!(response.headers()["x-ratelimit-reset"], "1721052600");
    }
}

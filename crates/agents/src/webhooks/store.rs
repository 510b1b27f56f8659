//! Webhooks' SQL: endpoints, deliveries and their attempts.

use std::collections::HashMap;

use adspin_core::db::{Database, DbError, FromRow, Json, Row};
use adspin_core::ids::OrganizationId;
use adspin_core::time::UnixSeconds;

use crate::pages::PageRequest;

use crate::store::Mode;

/// A webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
}

impl FromRow for Webhook {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        let Json(events) = row.get(2)?;
        Ok(Self {
            id: row.get(0)?,
            url: row.get(1)?,
            events,
            secret: row.get(3)?,
            active: row.get(4)?,
            disabled_reason: row.get(5)?,
            created_at: row.get(6)?,
            updated_at: row.get(7)?,
        })
    }
}

const WEBHOOK_COLUMNS: &str =
    "id, url, events, secret, active, disabled_reason, created_at, updated_at";

pub fn insert_webhook(
    db: &impl Database,
    organization_id: OrganizationId,
    mode: Mode,
    url: &str,
    events: &[String],
    secret: &str,
    now: UnixSeconds,
) -> Result<Webhook, DbError> {
    db.returning(
        &format!(
            "INSERT INTO agent_webhooks (organization_id, mode, url, events, secret, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) RETURNING {WEBHOOK_COLUMNS}"
        ),
        &[
            organization_id.into(),
            mode.into(),
            url.into(),
            Json(events).into(),
            secret.into(),
            now.into(),
        ],
    )
}

pub fn find_webhook(
    db: &impl Database,
    organization_id: OrganizationId,
    mode: Mode,
    id: i64,
) -> Result<Option<Webhook>, DbError> {
    db.find(
        &format!(
            "SELECT {WEBHOOK_COLUMNS} FROM agent_webhooks WHERE organization_id = ?1 AND mode = ?2 AND id = ?3"
        ),
        &[organization_id.into(), mode.into(), id.into()],
    )
}

/// A page of webhooks, newest first (`limit + 1` rows).
pub fn list_webhooks(
    db: &impl Database,
    organization_id: OrganizationId,
    mode: Mode,
    page: &PageRequest,
) -> Result<Vec<Webhook>, DbError> {
    db.list(
        &format!(
            "SELECT {WEBHOOK_COLUMNS} FROM agent_webhooks
             WHERE organization_id = ?1 AND mode = ?2 AND (?3 IS NULL OR id < ?3)
             ORDER BY id DESC LIMIT ?4"
        ),
        &[
            organization_id.into(),
            mode.into(),
            page.before_seq.into(),
            page.rows_to_fetch().into(),
        ],
    )
}

pub fn count_webhooks(
    db: &impl Database,
    organization_id: OrganizationId,
    mode: Mode,
) -> Result<i64, DbError> {
    db.count(
        "SELECT COUNT(*) FROM agent_webhooks WHERE organization_id = ?1 AND mode = ?2",
        &[organization_id.into(), mode.into()],
    )
}

/// Replaces an endpoint's URL, events and state. Re-activating clears the
/// reason it was disabled.
pub fn update_webhook(
    db: &impl Database,
    webhook: &Webhook,
    now: UnixSeconds,
) -> Result<Webhook, DbError> {
    db.find(
        &format!(
            "UPDATE agent_webhooks SET url = ?2, events = ?3, active = ?4,
                 disabled_reason = CASE WHEN ?4 THEN NULL ELSE disabled_reason END, updated_at = ?5
             WHERE id = ?1 RETURNING {WEBHOOK_COLUMNS}"
        ),
        &[
            webhook.id.into(),
            webhook.url.as_str().into(),
            Json(&webhook.events).into(),
            webhook.active.into(),
            now.into(),
        ],
    )?
    .ok_or_else(|| DbError::Malformed("UPDATE ... RETURNING returned no row".into()))
}

/// Deletes an endpoint with its deliveries and their log.
pub fn delete_webhook(db: &impl Database, id: i64) -> Result<(), DbError> {
    db.execute(
        "DELETE FROM agent_webhook_attempts WHERE delivery_seq IN
             (SELECT seq FROM agent_webhook_deliveries WHERE webhook_id = ?1)",
        &[id.into()],
    )?;
    db.execute(
        "DELETE FROM agent_webhook_deliveries WHERE webhook_id = ?1",
        &[id.into()],
    )?;
    db.execute("DELETE FROM agent_webhooks WHERE id = ?1", &[id.into()])?;
    Ok(())
}

/// Stops deliveries to an endpoint: it is disabled, and what was still
/// waiting for it fails.
pub fn disable_webhook(
    db: &impl Database,
    id: i64,
    reason: &str,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_webhooks SET active = 0, disabled_reason = ?2, updated_at = ?3 WHERE id = ?1",
        &[id.into(), reason.into(), now.into()],
    )?;
    db.execute(
        "UPDATE agent_webhook_deliveries SET status = 'failed', lease_until = NULL,
             last_error = COALESCE(last_error, ?2)
         WHERE webhook_id = ?1 AND status = 'pending'",
        &[id.into(), reason.into()],
    )?;
    Ok(())
}

/// A delivery as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub seq: i64,
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: UnixSeconds,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<UnixSeconds>,
    pub created_at: UnixSeconds,
}

impl FromRow for DeliveryRecord {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            seq: row.get(0)?,
            id: row.get(1)?,
            event_id: row.get(2)?,
            event_type: row.get(3)?,
            status: row.get(4)?,
            attempts: row.get(5)?,
            next_attempt_at: row.get(6)?,
            last_status: row.get(7)?,
            last_error: row.get(8)?,
            delivered_at: row.get(9)?,
            created_at: row.get(10)?,
        })
    }
}

const DELIVERY_COLUMNS: &str = "d.seq, d.id, e.id, e.type, d.status, d.attempts, d.next_attempt_at, \
     d.last_status, d.last_error, d.delivered_at, d.created_at";

/// A page of an endpoint's deliveries, newest first (`limit + 1` rows).
pub fn list_deliveries(
    db: &impl Database,
    webhook_id: i64,
    page: &PageRequest,
) -> Result<Vec<DeliveryRecord>, DbError> {
    db.list(
        &format!(
            "SELECT {DELIVERY_COLUMNS} FROM agent_webhook_deliveries d JOIN agent_events e ON e.seq = d.event_seq
             WHERE d.webhook_id = ?1 AND (?2 IS NULL OR d.seq < ?2) ORDER BY d.seq DESC LIMIT ?3"
        ),
        &[
            webhook_id.into(),
            page.before_seq.into(),
            page.rows_to_fetch().into(),
        ],
    )
}

pub fn count_deliveries(db: &impl Database, webhook_id: i64) -> Result<i64, DbError> {
    db.count(
        "SELECT COUNT(*) FROM agent_webhook_deliveries WHERE webhook_id = ?1",
        &[webhook_id.into()],
    )
}

pub fn find_delivery(
    db: &impl Database,
    webhook_id: i64,
    id: &str,
) -> Result<Option<DeliveryRecord>, DbError> {
    db.find(
        &format!(
            "SELECT {DELIVERY_COLUMNS} FROM agent_webhook_deliveries d JOIN agent_events e ON e.seq = d.event_seq
             WHERE d.webhook_id = ?1 AND d.id = ?2"
        ),
        &[webhook_id.into(), id.into()],
    )
}

/// An attempt of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub delivery_seq: i64,
    pub attempted_at: UnixSeconds,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

impl FromRow for Attempt {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            delivery_seq: row.get(0)?,
            attempted_at: row.get(1)?,
            status_code: row.get(2)?,
            error: row.get(3)?,
            duration_ms: row.get(4)?,
        })
    }
}

/// The attempts of the deliveries `delivery_seqs`, in one statement, by
/// delivery, oldest first.
pub fn attempts_of(
    db: &impl Database,
    delivery_seqs: &[i64],
) -> Result<HashMap<i64, Vec<Attempt>>, DbError> {
    let attempts: Vec<Attempt> = db.list(
        "SELECT delivery_seq, attempted_at, status_code, error, duration_ms FROM agent_webhook_attempts
         WHERE delivery_seq IN (SELECT value FROM json_each(?1)) ORDER BY delivery_seq, seq",
        &[Json(delivery_seqs).into()],
    )?;
    let mut by_delivery: HashMap<i64, Vec<Attempt>> = HashMap::new();
    for attempt in attempts {
        by_delivery
            .entry(attempt.delivery_seq)
            .or_default()
            .push(attempt);
    }
    Ok(by_delivery)
}

/// Queues a delivery again, due now (it keeps its id, so receivers can
/// still de-duplicate it).
pub fn redeliver(db: &impl Database, seq: i64, now: UnixSeconds) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_webhook_deliveries SET status = 'pending', next_attempt_at = ?2, lease_until = NULL
         WHERE seq = ?1",
        &[seq.into(), now.into()],
    )?;
    Ok(())
}

/// A due delivery with what sending it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub seq: i64,
    pub id: String,
    pub attempts: i64,
    pub webhook_id: i64,
    pub url: String,
    pub secret: String,
    pub event_id: String,
    pub event_type: String,
    pub event_data: String,
    pub event_created_at: UnixSeconds,
}

impl FromRow for Due {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            seq: row.get(0)?,
            id: row.get(1)?,
            attempts: row.get(2)?,
            webhook_id: row.get(3)?,
            url: row.get(4)?,
            secret: row.get(5)?,
            event_id: row.get(6)?,
            event_type: row.get(7)?,
            event_data: row.get(8)?,
            event_created_at: row.get(9)?,
        })
    }
}

/// Leases up to `limit` due deliveries of active endpoints until
/// `lease_until`, oldest first: workers running at once never send the
/// same delivery twice in one lease.
pub fn claim_due(
    db: &impl Database,
    now: UnixSeconds,
    lease_until: UnixSeconds,
    limit: u32,
) -> Result<Vec<Due>, DbError> {
    let claimed: Vec<i64> = db
        .execute(
            "UPDATE agent_webhook_deliveries SET lease_until = ?2
             WHERE seq IN (
                 SELECT d.seq FROM agent_webhook_deliveries d JOIN agent_webhooks w ON w.id = d.webhook_id
                 WHERE d.status = 'pending' AND d.next_attempt_at <= ?1 AND w.active = 1
                   AND (d.lease_until IS NULL OR d.lease_until <= ?1)
                 ORDER BY d.next_attempt_at, d.seq LIMIT ?3)
             RETURNING seq",
            &[now.into(), lease_until.into(), i64::from(limit).into()],
        )?
        .iter()
        .filter_map(|row| row.integer(0))
        .collect();
    let mut due = Vec::with_capacity(claimed.len());
    for seq in claimed {
        if let Some(delivery) = db.find(
            "SELECT d.seq, d.id, d.attempts, w.id, w.url, w.secret, e.id, e.type, e.data, e.created_at
             FROM agent_webhook_deliveries d JOIN agent_webhooks w ON w.id = d.webhook_id
             JOIN agent_events e ON e.seq = d.event_seq WHERE d.seq = ?1",
            &[seq.into()],
        )? {
            due.push(delivery);
        }
    }
    due.sort_by_key(|delivery: &Due| delivery.seq);
    Ok(due)
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Try again at this time.
    Retry(UnixSeconds),
    /// No more attempts.
    Failed,
}

/// Logs an attempt and moves the delivery on.
pub fn record_attempt(
    db: &impl Database,
    seq: i64,
    status_code: Option<u16>,
    error: Option<&str>,
    duration_ms: i64,
    outcome: &Outcome,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO agent_webhook_attempts (delivery_seq, attempted_at, status_code, error, duration_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            seq.into(),
            now.into(),
            status_code.map(i64::from).into(),
            error.into(),
            duration_ms.into(),
        ],
    )?;
    let (status, next, delivered_at) = match outcome {
        Outcome::Delivered => ("delivered", now, Some(now)),
        Outcome::Retry(at) => ("pending", *at, None),
        Outcome::Failed => ("failed", now, None),
    };
    db.execute(
        "UPDATE agent_webhook_deliveries SET status = ?2, attempts = attempts + 1, next_attempt_at = ?3,
             lease_until = NULL, last_status = ?4, last_error = ?5, delivered_at = ?6
         WHERE seq = ?1",
        &[
            seq.into(),
            status.into(),
            next.into(),
            status_code.map(i64::from).into(),
            error.into(),
            delivered_at.into(),
        ],
    )?;
    Ok(())
}

//! Events: what happened to an account, announced to its webhooks.
//!
//! [`emit`] records the event and queues one delivery for each active
//! webhook of the account (and mode) that subscribed to its type, in the
//! caller's transaction: an event is announced exactly when its change is
//! committed.

use serde_json::Value;

use adspin_core::db::{Database, DbError, Json};
use adspin_core::ids::OrganizationId;
use adspin_core::time::UnixSeconds;

use crate::store::Mode;

/// The event types a webhook may subscribe to: the specification's table,
/// plus `campaign.updated` and `ad.paused`, which its examples subscribe to.
pub const TYPES: [&str; 13] = [
    "account.verified",
    "billing.payment_completed",
    "billing.payment_failed",
    "campaign.created",
    "campaign.updated",
    "campaign.launched",
    "campaign.paused",
    "ad.optimized",
    "ad.paused",
    "budget.reallocated",
    "generation.completed",
    "alert.spend",
    "alert.performance",
];

/// Records an event and queues its deliveries; returns the event's id.
pub fn emit(
    db: &impl Database,
    organization_id: OrganizationId,
    mode: Mode,
    kind: &str,
    data: &Value,
    now: UnixSeconds,
) -> Result<String, DbError> {
    let id = format!("evt_{}", uuid::Uuid::new_v4().simple());
    db.execute(
        "INSERT INTO agent_events (id, organization_id, mode, type, data, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[
            id.as_str().into(),
            organization_id.into(),
            mode.into(),
            kind.into(),
            Json(data).into(),
            now.into(),
        ],
    )?;
    db.execute(
        "INSERT INTO agent_webhook_deliveries (id, webhook_id, event_seq, status, next_attempt_at, created_at)
         SELECT 'msg_' || lower(hex(randomblob(16))), w.id, e.seq, 'pending', ?2, ?2
         FROM agent_webhooks w JOIN agent_events e ON e.id = ?1
         WHERE w.organization_id = e.organization_id AND w.mode = e.mode AND w.active = 1
           AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE json_each.value = e.type)",
        &[id.as_str().into(), now.into()],
    )?;
    Ok(id)
}

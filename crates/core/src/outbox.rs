//! The email outbox: every email the platform sends is a row written in
//! the same transaction as the change that sends it (a verification code,
//! a checkout link), so none is lost or sent for a change that did not
//! happen.
//!
//! The scheduled work delivers pending rows through the configured
//! transport (the development mailbox, or an HTTP email API) and retries
//! failures. The operator reads every row, delivered or not, through
//! `GET /admin/mailbox` (so do the tests, for verification codes).

use serde::Serialize;

use crate::db::{Database, DbError, FromRow, Row};
use crate::time::UnixSeconds;

/// An email to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email<'a> {
    pub to: &'a str,
    /// What it is (`verification_code`, ...), for the operator and tests.
    pub kind: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

/// An email as the outbox holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredEmail {
    pub id: i64,
    pub to: String,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub delivered_at: Option<i64>,
    /// `mailbox` or `http`, once delivered.
    pub transport: Option<String>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

impl FromRow for StoredEmail {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: row.get(0)?,
            to: row.get(1)?,
            kind: row.get(2)?,
            subject: row.get(3)?,
            body: row.get(4)?,
            created_at: row.get(5)?,
            status: row.get(6)?,
            delivered_at: row.get(7)?,
            transport: row.get(8)?,
            attempts: row.get(9)?,
            last_error: row.get(10)?,
        })
    }
}

const COLUMNS: &str = "id, to_address, kind, subject, body, created_at, status, delivered_at, \
     transport, attempts, last_error";

/// Queues `email`, due now (one statement: call it inside the transaction
/// of the change it announces).
pub fn enqueue(db: &impl Database, email: &Email<'_>, now: UnixSeconds) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO email_outbox (to_address, kind, subject, body, created_at, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        &[
            email.to.into(),
            email.kind.into(),
            email.subject.into(),
            email.body.into(),
            now.into(),
        ],
    )?;
    Ok(())
}

/// The newest `limit` emails sent to `to` (all addresses when `None`),
/// newest first, whatever their delivery status.
pub fn mailbox(
    db: &impl Database,
    to: Option<&str>,
    limit: u32,
) -> Result<Vec<StoredEmail>, DbError> {
    db.list(
        &format!(
            "SELECT {COLUMNS} FROM email_outbox WHERE ?1 IS NULL OR to_address = ?1
             ORDER BY id DESC LIMIT ?2"
        ),
        &[to.into(), i64::from(limit).into()],
    )
}

/// Leases up to `limit` due emails until `lease_until`, oldest first, so
/// workers running at once never send one twice.
pub fn claim_due(
    db: &impl Database,
    now: UnixSeconds,
    lease_until: UnixSeconds,
    limit: u32,
) -> Result<Vec<StoredEmail>, DbError> {
    let mut claimed: Vec<StoredEmail> = db.list(
        &format!(
            "UPDATE email_outbox SET lease_until = ?2
             WHERE id IN (SELECT id FROM email_outbox
                 WHERE status = 'pending' AND next_attempt_at <= ?1
                   AND (lease_until IS NULL OR lease_until <= ?1)
                 ORDER BY next_attempt_at, id LIMIT ?3)
             RETURNING {COLUMNS}"
        ),
        &[now.into(), lease_until.into(), i64::from(limit).into()],
    )?;
    claimed.sort_by_key(|email| email.id);
    Ok(claimed)
}

/// Marks an email delivered by `transport`.
pub fn delivered(
    db: &impl Database,
    id: i64,
    transport: &str,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE email_outbox SET status = 'delivered', delivered_at = ?2, transport = ?3,
             attempts = attempts + 1, lease_until = NULL, last_error = NULL
         WHERE id = ?1",
        &[id.into(), now.into(), transport.into()],
    )?;
    Ok(())
}

/// Records a failed attempt: retried at `retry_at`, or failed for good
/// when `None`.
pub fn attempt_failed(
    db: &impl Database,
    id: i64,
    error: &str,
    retry_at: Option<UnixSeconds>,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE email_outbox SET status = CASE WHEN ?3 IS NULL THEN 'failed' ELSE 'pending' END,
             attempts = attempts + 1, next_attempt_at = COALESCE(?3, ?4), lease_until = NULL,
             last_error = ?2
         WHERE id = ?1",
        &[id.into(), error.into(), retry_at.into(), now.into()],
    )?;
    Ok(())
}

#[cfg(all(test, feature = "native-db"))]
mod tests {
    use super::*;
    use crate::testing::database;

    fn queue(db: &impl Database, to: &str, subject: &str, now: UnixSeconds) {
        let email = Email {
            to,
            kind: "test",
            subject,
            body: "hello",
        };
        enqueue(db, &email, now).expect("queued");
    }

    #[test]
    fn queued_emails_are_in_the_mailbox_newest_first() {
        let db = database();
        let now = UnixSeconds::new(1_780_000_000);
        for (to, subject) in [
            ("a@example.com", "one"),
            ("b@example.com", "two"),
            ("a@example.com", "three"),
        ] {
            queue(&db, to, subject, now);
        }
        let mail = mailbox(&db, Some("a@example.com"), 10).expect("mailbox");
        let subjects: Vec<&str> = mail.iter().map(|m| m.subject.as_str()).collect();
        assert_eq!(subjects, ["three", "one"]);
        assert_eq!(mail[0].status, "pending");
        assert_eq!(mailbox(&db, None, 2).expect("all").len(), 2);
    }

    #[test]
    fn due_emails_are_claimed_once_and_retried_when_they_fail() {
        let db = database();
        let now = UnixSeconds::new(1_780_000_000);
        queue(&db, "a@example.com", "one", now);
        queue(&db, "b@example.com", "two", now.plus_seconds(60));
        let lease = now.plus_seconds(60);
        let first = claim_due(&db, now, lease, 10).expect("claim");
        assert_eq!(first.len(), 1, "the second is not due yet");
        assert!(
            claim_due(&db, now, lease, 10).expect("claim").is_empty(),
            "leased"
        );
        attempt_failed(&db, first[0].id, "503", Some(now.plus_seconds(120)), now).expect("failed");
        let later = now.plus_seconds(120);
        let due = claim_due(&db, later, later.plus_seconds(60), 10).expect("claim");
        assert_eq!(due.len(), 2);
        delivered(&db, due[0].id, "http", later).expect("delivered");
        attempt_failed(&db, due[1].id, "400", None, later).expect("given up");
        let mail = mailbox(&db, None, 10).expect("mailbox");
        let states: Vec<(&str, i64)> = mail
            .iter()
            .map(|m| (m.status.as_str(), m.attempts))
            .collect();
        assert_eq!(states, [("failed", 1), ("delivered", 2)]);
        assert_eq!(mail[1].transport.as_deref(), Some("http"));
    }
}

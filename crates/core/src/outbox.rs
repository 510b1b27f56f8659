//! The email outbox: every email the platform sends is a row written in
//! the same transaction as the change that sends it (a verification code,
//! a checkout link), so none is lost or sent for a change that did not
//! happen.
//!
//! Delivery: the embedded default transport is the development mailbox.
//! A message is delivered when it is stored, and the operator reads it
//! through `GET /admin/mailbox` (so do the tests, for verification codes).

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
    pub delivered_at: Option<i64>,
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
            delivered_at: row.get(6)?,
        })
    }
}

/// Queues `email` (one statement: call it inside the transaction of the
/// change it announces). The development mailbox delivers on storage.
pub fn enqueue(db: &impl Database, email: &Email<'_>, now: UnixSeconds) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO email_outbox (to_address, kind, subject, body, created_at, delivered_at)
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
/// newest first.
pub fn mailbox(
    db: &impl Database,
    to: Option<&str>,
    limit: u32,
) -> Result<Vec<StoredEmail>, DbError> {
    db.list(
        "SELECT id, to_address, kind, subject, body, created_at, delivered_at
         FROM email_outbox WHERE ?1 IS NULL OR to_address = ?1
         ORDER BY id DESC LIMIT ?2",
        &[to.into(), i64::from(limit).into()],
    )
}

#[cfg(all(test, feature = "native-db"))]
mod tests {
    use super::*;
    use crate::testing::database;

    #[test]
    fn queued_emails_are_in_the_mailbox_newest_first() {
        let db = database();
        let now = UnixSeconds::new(1_780_000_000);
        for (to, subject) in [
            ("a@example.com", "one"),
            ("b@example.com", "two"),
            ("a@example.com", "three"),
        ] {
            let email = Email {
                to,
                kind: "test",
                subject,
                body: "hello",
            };
            enqueue(&db, &email, now).expect("queued");
        }
        let mail = mailbox(&db, Some("a@example.com"), 10).expect("mailbox");
        let subjects: Vec<&str> = mail.iter().map(|m| m.subject.as_str()).collect();
        assert_eq!(subjects, ["three", "one"]);
        assert_eq!(mail[0].delivered_at, Some(now.get()));
        assert_eq!(mailbox(&db, None, 2).expect("all").len(), 2);
    }
}

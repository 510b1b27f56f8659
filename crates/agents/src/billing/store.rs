//! Billing's SQL: subscriptions, checkout sessions and invoices.

use adspin_core::db::{Database, DbError, FromRow, Row};
use adspin_core::ids::OrganizationId;
use adspin_core::time::UnixSeconds;

use crate::pages::PageRequest;

use crate::store::Mode;

/// Who takes the payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// No payment (the free plan).
    None,
    /// The embedded demo provider: the checkout page's button pays.
    Demo,
    /// Stripe Checkout.
    Stripe,
}

adspin_core::sql_text_enum!(Provider);

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Demo => "demo",
            Self::Stripe => "stripe",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "none" => Some(Self::None),
            "demo" => Some(Self::Demo),
            "stripe" => Some(Self::Stripe),
            _ => None,
        }
    }
}

/// A subscription row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: i64,
    pub plan_id: i64,
    pub provider: Provider,
    pub provider_reference: Option<String>,
    pub current_period_start: UnixSeconds,
    pub current_period_end: Option<UnixSeconds>,
    pub cancel_at_period_end: bool,
    pub created_at: UnixSeconds,
}

impl FromRow for Subscription {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: row.get(0)?,
            plan_id: row.get(1)?,
            provider: row.get(2)?,
            provider_reference: row.get(3)?,
            current_period_start: row.get(4)?,
            current_period_end: row.get(5)?,
            cancel_at_period_end: row.get(6)?,
            created_at: row.get(7)?,
        })
    }
}

const SUBSCRIPTION_COLUMNS: &str = "id, plan_id, provider, provider_reference, current_period_start, \
     current_period_end, cancel_at_period_end, created_at";

/// The account's subscription in `mode` that is in force at `now`.
pub fn current_subscription(
    db: &impl Database,
    organization_id: OrganizationId,
    mode: Mode,
    now: UnixSeconds,
) -> Result<Option<Subscription>, DbError> {
    db.find(
        &format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM agent_subscriptions
             WHERE organization_id = ?1 AND mode = ?2 AND status = 'active'
               AND (current_period_end IS NULL OR current_period_end > ?3)"
        ),
        &[organization_id.into(), mode.into(), now.into()],
    )
}

/// A subscription about to start.
pub struct NewSubscription<'a> {
    pub organization_id: OrganizationId,
    pub mode: Mode,
    pub plan_id: i64,
    pub provider: Provider,
    pub provider_reference: Option<&'a str>,
    pub period_end: Option<UnixSeconds>,
}

/// Starts a subscription; the one it replaces stops being current. Call
/// inside a transaction.
pub fn start_subscription(
    db: &impl Database,
    subscription: &NewSubscription<'_>,
    now: UnixSeconds,
) -> Result<Subscription, DbError> {
    db.execute(
        "UPDATE agent_subscriptions SET status = 'replaced', updated_at = ?3
         WHERE organization_id = ?1 AND mode = ?2 AND status = 'active'",
        &[
            subscription.organization_id.into(),
            subscription.mode.into(),
            now.into(),
        ],
    )?;
    db.find(
        &format!(
            "INSERT INTO agent_subscriptions (organization_id, mode, plan_id, status, provider,
                 provider_reference, current_period_start, current_period_end, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'active', ?4, ?5, ?6, ?7, ?6, ?6) RETURNING {SUBSCRIPTION_COLUMNS}"
        ),
        &[
            subscription.organization_id.into(),
            subscription.mode.into(),
            subscription.plan_id.into(),
            subscription.provider.into(),
            subscription.provider_reference.into(),
            now.into(),
            subscription.period_end.into(),
        ],
    )?
    .ok_or_else(|| DbError::Malformed("INSERT ... RETURNING returned no row".into()))
}

/// Keeps a paid subscription until its period ends, then lets it lapse.
pub fn cancel_at_period_end(
    db: &impl Database,
    id: i64,
    now: UnixSeconds,
) -> Result<Option<Subscription>, DbError> {
    db.find(
        &format!(
            "UPDATE agent_subscriptions
             SET cancel_at_period_end = 1, canceled_at = COALESCE(canceled_at, ?2), updated_at = ?2
             WHERE id = ?1 RETURNING {SUBSCRIPTION_COLUMNS}"
        ),
        &[id.into(), now.into()],
    )
}

/// Checkout states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutStatus {
    Pending,
    Completed,
    Failed,
}

adspin_core::sql_text_enum!(CheckoutStatus);

impl CheckoutStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "completed" => Some(Self::Completed),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// A checkout session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub token_hash: String,
    pub organization_id: OrganizationId,
    pub mode: Mode,
    pub user_id: i64,
    pub plan_id: i64,
    pub provider: Provider,
    pub provider_session_id: Option<String>,
    pub provider_url: Option<String>,
    pub status: CheckoutStatus,
    pub subscription_id: Option<i64>,
    pub expires_at: UnixSeconds,
}

impl FromRow for Checkout {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            token_hash: row.get(0)?,
            organization_id: row.get(1)?,
            mode: row.get(2)?,
            user_id: row.get(3)?,
            plan_id: row.get(4)?,
            provider: row.get(5)?,
            provider_session_id: row.get(6)?,
            provider_url: row.get(7)?,
            status: row.get(8)?,
            subscription_id: row.get(9)?,
            expires_at: row.get(10)?,
        })
    }
}

const CHECKOUT_COLUMNS: &str = "token_hash, organization_id, mode, user_id, plan_id, provider, \
     provider_session_id, provider_url, status, subscription_id, expires_at";

/// Stores a pending checkout.
pub fn insert_checkout(
    db: &impl Database,
    checkout: &Checkout,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO agent_checkouts (token_hash, organization_id, mode, user_id, plan_id, provider,
             provider_session_id, provider_url, status, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', ?9, ?10)",
        &[
            checkout.token_hash.as_str().into(),
            checkout.organization_id.into(),
            checkout.mode.into(),
            checkout.user_id.into(),
            checkout.plan_id.into(),
            checkout.provider.into(),
            checkout.provider_session_id.as_deref().into(),
            checkout.provider_url.as_deref().into(),
            checkout.expires_at.into(),
            now.into(),
        ],
    )?;
    Ok(())
}

pub fn find_checkout(db: &impl Database, token_hash: &str) -> Result<Option<Checkout>, DbError> {
    db.find(
        &format!("SELECT {CHECKOUT_COLUMNS} FROM agent_checkouts WHERE token_hash = ?1"),
        &[token_hash.into()],
    )
}

pub fn find_checkout_by_session(
    db: &impl Database,
    session_id: &str,
) -> Result<Option<Checkout>, DbError> {
    db.find(
        &format!("SELECT {CHECKOUT_COLUMNS} FROM agent_checkouts WHERE provider_session_id = ?1"),
        &[session_id.into()],
    )
}

/// Moves a pending checkout to `status`; `false` when it was no longer
/// pending (another request got there first), so each checkout ends once.
pub fn finish_checkout(
    db: &impl Database,
    token_hash: &str,
    status: CheckoutStatus,
    subscription_id: Option<i64>,
    now: UnixSeconds,
) -> Result<bool, DbError> {
    let rows = db.execute(
        "UPDATE agent_checkouts SET status = ?2, subscription_id = ?3, completed_at = ?4
         WHERE token_hash = ?1 AND status = 'pending' RETURNING 1",
        &[
            token_hash.into(),
            status.into(),
            subscription_id.into(),
            now.into(),
        ],
    )?;
    Ok(!rows.is_empty())
}

/// An invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub seq: i64,
    pub id: String,
    pub plan_id: i64,
    pub amount_cents: i64,
    pub currency: String,
    pub status: String,
    pub provider: Provider,
    pub period_start: UnixSeconds,
    pub period_end: UnixSeconds,
    pub created_at: UnixSeconds,
}

impl FromRow for Invoice {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            seq: row.get(0)?,
            id: row.get(1)?,
            plan_id: row.get(2)?,
            amount_cents: row.get(3)?,
            currency: row.get(4)?,
            status: row.get(5)?,
            provider: row.get(6)?,
            period_start: row.get(7)?,
            period_end: row.get(8)?,
            created_at: row.get(9)?,
        })
    }
}

/// A paid invoice about to be recorded.
pub struct NewInvoice<'a> {
    pub organization_id: OrganizationId,
    pub mode: Mode,
    pub subscription_id: i64,
    pub plan_id: i64,
    pub amount_cents: i64,
    pub currency: &'a str,
    pub provider: Provider,
    pub provider_reference: Option<&'a str>,
    pub period_start: UnixSeconds,
    pub period_end: UnixSeconds,
}

/// Records a paid invoice; returns its id.
pub fn insert_invoice(
    db: &impl Database,
    invoice: &NewInvoice<'_>,
    now: UnixSeconds,
) -> Result<String, DbError> {
    let id = format!("inv_{}", uuid::Uuid::new_v4().simple());
    db.execute(
        "INSERT INTO agent_invoices (id, organization_id, mode, subscription_id, plan_id, amount_cents,
             currency, status, provider, provider_reference, period_start, period_end, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'paid', ?8, ?9, ?10, ?11, ?12)",
        &[
            id.as_str().into(),
            invoice.organization_id.into(),
            invoice.mode.into(),
            invoice.subscription_id.into(),
            invoice.plan_id.into(),
            invoice.amount_cents.into(),
            invoice.currency.into(),
            invoice.provider.into(),
            invoice.provider_reference.into(),
            invoice.period_start.into(),
            invoice.period_end.into(),
            now.into(),
        ],
    )?;
    Ok(id)
}

/// A page of invoices, newest first (`limit + 1` rows).
pub fn list_invoices(
    db: &impl Database,
    organization_id: OrganizationId,
    mode: Mode,
    page: &PageRequest,
) -> Result<Vec<Invoice>, DbError> {
    db.list(
        "SELECT seq, id, plan_id, amount_cents, currency, status, provider, period_start, period_end, created_at
         FROM agent_invoices WHERE organization_id = ?1 AND mode = ?2 AND (?3 IS NULL OR seq < ?3)
         ORDER BY seq DESC LIMIT ?4",
        &[
            organization_id.into(),
            mode.into(),
            page.before_seq.into(),
            page.rows_to_fetch().into(),
        ],
    )
}

pub fn count_invoices(
    db: &impl Database,
    organization_id: OrganizationId,
    mode: Mode,
) -> Result<i64, DbError> {
    db.count(
        "SELECT COUNT(*) FROM agent_invoices WHERE organization_id = ?1 AND mode = ?2",
        &[organization_id.into(), mode.into()],
    )
}

/// Ends the cancelled subscriptions whose period is over; returns how many.
pub fn end_cancelled(db: &impl Database, now: UnixSeconds) -> Result<u32, DbError> {
    let rows = db.execute(
        "UPDATE agent_subscriptions SET status = 'ended', updated_at = ?1
         WHERE status = 'active' AND cancel_at_period_end = 1 AND current_period_end <= ?1
         RETURNING id",
        &[now.into()],
    )?;
    Ok(u32::try_from(rows.len()).unwrap_or(u32::MAX))
}

/// A demo subscription whose month is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewal {
    pub id: i64,
    pub organization_id: OrganizationId,
    pub mode: Mode,
    pub plan_id: i64,
    pub current_period_end: Option<UnixSeconds>,
}

impl FromRow for Renewal {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: row.get(0)?,
            organization_id: row.get(1)?,
            mode: row.get(2)?,
            plan_id: row.get(3)?,
            current_period_end: row.get(4)?,
        })
    }
}

pub fn renewals_due(
    db: &impl Database,
    now: UnixSeconds,
    limit: u32,
) -> Result<Vec<Renewal>, DbError> {
    db.list(
        "SELECT id, organization_id, mode, plan_id, current_period_end FROM agent_subscriptions
         WHERE status = 'active' AND provider = 'demo' AND cancel_at_period_end = 0
           AND current_period_end <= ?1
         ORDER BY current_period_end LIMIT ?2",
        &[now.into(), i64::from(limit).into()],
    )
}

/// Moves a subscription's period on from `start`; `false` when another
/// pass already did.
pub fn extend_period(
    db: &impl Database,
    id: i64,
    start: UnixSeconds,
    end: UnixSeconds,
    now: UnixSeconds,
) -> Result<bool, DbError> {
    let rows = db.execute(
        "UPDATE agent_subscriptions SET current_period_start = ?2, current_period_end = ?3, updated_at = ?4
         WHERE id = ?1 AND status = 'active' AND current_period_end = ?2 RETURNING id",
        &[id.into(), start.into(), end.into(), now.into()],
    )?;
    Ok(!rows.is_empty())
}

/// A provider's subscription `reference` that is still current, with its
/// account: where Stripe's renewal events land.
pub fn find_by_reference(
    db: &impl Database,
    provider: Provider,
    reference: &str,
) -> Result<Option<Renewal>, DbError> {
    db.find(
        "SELECT id, organization_id, mode, plan_id, current_period_end FROM agent_subscriptions
         WHERE provider = ?1 AND provider_reference = ?2 AND status = 'active'",
        &[provider.into(), reference.into()],
    )
}

/// Whether a provider's invoice was already recorded.
pub fn invoice_recorded(
    db: &impl Database,
    provider: Provider,
    reference: &str,
) -> Result<bool, DbError> {
    Ok(db
        .query_row(
            "SELECT 1 FROM agent_invoices WHERE provider = ?1 AND provider_reference = ?2",
            &[provider.into(), reference.into()],
        )?
        .is_some())
}

/// Ends a provider's subscription at once (the provider deleted it).
pub fn end_by_reference(
    db: &impl Database,
    provider: Provider,
    reference: &str,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE agent_subscriptions SET status = 'ended', updated_at = ?3
         WHERE provider = ?1 AND provider_reference = ?2 AND status = 'active'",
        &[provider.into(), reference.into(), now.into()],
    )?;
    Ok(())
}

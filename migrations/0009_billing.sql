-- adspin schema, migration 9: agents API billing: subscriptions, checkout
-- sessions and invoices.

-- An account's subscriptions; at most one is current per mode (live or
-- the test sandbox). A paid plan runs by the month; `cancel_at_period_end`
-- keeps it until `current_period_end`. Plans are the catalog in
-- crates/agents/src/plans.rs, by id.
CREATE TABLE IF NOT EXISTS agent_subscriptions (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id      TEXT    NOT NULL REFERENCES organizations(id),
    mode                 TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    plan_id              INTEGER NOT NULL,
    status               TEXT    NOT NULL CHECK (status IN ('active', 'replaced', 'ended')),
    provider             TEXT    NOT NULL CHECK (provider IN ('none', 'demo', 'stripe')),
    provider_reference   TEXT,                    -- Stripe's subscription id
    current_period_start INTEGER NOT NULL,
    current_period_end   INTEGER,                 -- NULL for the free plan
    cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
    canceled_at          INTEGER,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS agent_subscriptions_current
    ON agent_subscriptions (organization_id, mode) WHERE status = 'active';

-- A payment link: created by POST /billing/subscribe for a paid plan,
-- emailed, valid 24 hours. Only the token's hash is stored.
CREATE TABLE IF NOT EXISTS agent_checkouts (
    token_hash          TEXT    PRIMARY KEY,      -- SHA-256 of the token
    organization_id     TEXT    NOT NULL REFERENCES organizations(id),
    mode                TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    user_id             INTEGER NOT NULL REFERENCES agent_users(id),
    plan_id             INTEGER NOT NULL,
    provider            TEXT    NOT NULL CHECK (provider IN ('demo', 'stripe')),
    provider_session_id TEXT,                     -- Stripe's Checkout Session id
    provider_url        TEXT,                     -- where the checkout link sends the payer
    status              TEXT    NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
    subscription_id     INTEGER REFERENCES agent_subscriptions(id),
    expires_at          INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    completed_at        INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS agent_checkouts_by_session
    ON agent_checkouts (provider_session_id) WHERE provider_session_id IS NOT NULL;

-- What an account paid: one invoice per paid period.
CREATE TABLE IF NOT EXISTS agent_invoices (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,      -- inv_...
    organization_id TEXT    NOT NULL REFERENCES organizations(id),
    mode            TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    subscription_id INTEGER NOT NULL REFERENCES agent_subscriptions(id),
    plan_id         INTEGER NOT NULL,
    amount_cents    INTEGER NOT NULL CHECK (amount_cents >= 0),
    currency        TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('paid')),
    provider        TEXT    NOT NULL,
    provider_reference TEXT,                      -- Stripe's invoice or session id
    period_start    INTEGER NOT NULL,
    period_end      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_invoices_by_organization
    ON agent_invoices (organization_id, mode, seq);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (9, '0009_billing', unixepoch());

-- adspin schema, migration 10: agents API events and webhooks, with a
-- durable delivery outbox.

-- Webhook endpoints. `id` is the integer id of the specification's
-- examples. The signing secret is kept as issued: every delivery is
-- signed with it (it is shown to the account once).
CREATE TABLE IF NOT EXISTS agent_webhooks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id TEXT    NOT NULL REFERENCES organizations(id),
    mode            TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    url             TEXT    NOT NULL,
    events          TEXT    NOT NULL,             -- JSON array of event types
    secret          TEXT    NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT,                         -- why deliveries stopped (410 Gone, ...)
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_webhooks_by_organization ON agent_webhooks (organization_id, mode, id);

-- Everything that happened to an account that webhooks can announce.
CREATE TABLE IF NOT EXISTS agent_events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,      -- evt_...
    organization_id TEXT    NOT NULL REFERENCES organizations(id),
    mode            TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    type            TEXT    NOT NULL,
    data            TEXT    NOT NULL,             -- JSON object
    created_at      INTEGER NOT NULL
);

-- One event to one endpoint: written in the transaction of the event,
-- sent by the scheduled work, retried with backoff. `id` (msg_...) is the
-- stable webhook-id receivers de-duplicate by.
CREATE TABLE IF NOT EXISTS agent_webhook_deliveries (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    webhook_id      INTEGER NOT NULL REFERENCES agent_webhooks(id) ON DELETE CASCADE,
    event_seq       INTEGER NOT NULL REFERENCES agent_events(seq),
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,                      -- a worker is sending it until then
    last_status     INTEGER,                      -- HTTP status of the last attempt
    last_error      TEXT,
    delivered_at    INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_webhook_deliveries_due
    ON agent_webhook_deliveries (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS agent_webhook_deliveries_by_webhook
    ON agent_webhook_deliveries (webhook_id, seq);

-- Every attempt of a delivery: the delivery log.
CREATE TABLE IF NOT EXISTS agent_webhook_attempts (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_seq INTEGER NOT NULL REFERENCES agent_webhook_deliveries(seq) ON DELETE CASCADE,
    attempted_at INTEGER NOT NULL,
    status_code  INTEGER,                         -- NULL when no answer came
    error        TEXT,
    duration_ms  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_webhook_attempts_by_delivery ON agent_webhook_attempts (delivery_seq, seq);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (10, '0010_webhooks', unixepoch());

-- adspin schema, migration 8: agents API accounts, their keys and
-- business profiles, and the email outbox.
--
-- An agents API account is an advertiser organization (the same row /v1
-- serves) with one user who signs in with an email and a password.

-- The person behind an agents API account. `id` is the integer user id
-- of the specification's examples.
CREATE TABLE IF NOT EXISTS agent_users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id TEXT    NOT NULL UNIQUE REFERENCES organizations(id),
    email           TEXT    NOT NULL UNIQUE,     -- trimmed and lower-cased
    password_hash   TEXT    NOT NULL,            -- Argon2id, PHC string
    first_name      TEXT    NOT NULL,
    last_name       TEXT    NOT NULL,
    enabled         INTEGER NOT NULL DEFAULT 0,  -- 1 once the email is verified
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    verified_at     INTEGER
);

-- The one verification code a user may currently submit.
CREATE TABLE IF NOT EXISTS agent_verification_codes (
    user_id    INTEGER PRIMARY KEY REFERENCES agent_users(id),
    code_hash  TEXT    NOT NULL,                 -- SHA-256 of salt:code
    salt       TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,       -- wrong submissions so far
    created_at INTEGER NOT NULL
);

-- Agents API keys (aa_live_..., aa_test_...), stored as SHA-256 hashes.
-- `mode` test is the sandbox: its data is invisible to live keys.
CREATE TABLE IF NOT EXISTS agent_keys (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT, -- list order and cursor position
    id              TEXT    NOT NULL UNIQUE,     -- public id of the key record (key_...)
    organization_id TEXT    NOT NULL REFERENCES organizations(id),
    user_id         INTEGER NOT NULL REFERENCES agent_users(id),
    mode            TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    kind            TEXT    NOT NULL DEFAULT 'key' CHECK (kind IN ('key', 'oauth')), -- oauth: an OAuth access token
    key_hash        TEXT    NOT NULL UNIQUE,
    key_prefix      TEXT    NOT NULL,            -- first characters, safe to display
    name            TEXT,
    scopes          TEXT    NOT NULL,            -- JSON array of scope names
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER,                     -- set when a rotation starts its grace window
    revoked_at      INTEGER
);
CREATE INDEX IF NOT EXISTS agent_keys_by_organization ON agent_keys (organization_id, seq);

-- An account's business profile (one per account), required before
-- campaigns. `id` is the integer id of the specification's examples.
CREATE TABLE IF NOT EXISTS agent_businesses (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id TEXT    NOT NULL UNIQUE REFERENCES organizations(id),
    name            TEXT    NOT NULL,
    website         TEXT,
    industry        TEXT,
    country         TEXT,                        -- ISO 3166-1 alpha-2
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- Every email the platform sends, written in the transaction that decides
-- to send it and delivered from here by the scheduled work (to the
-- development mailbox, which the operator reads, or an HTTP email API).
CREATE TABLE IF NOT EXISTS email_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    to_address      TEXT    NOT NULL,
    kind            TEXT    NOT NULL,            -- verification_code, ...
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    delivered_at    INTEGER,
    transport       TEXT,                        -- mailbox or http, once delivered
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    lease_until     INTEGER,                     -- a worker is sending it until then
    last_error      TEXT
);
CREATE INDEX IF NOT EXISTS email_outbox_by_address ON email_outbox (to_address, id);
CREATE INDEX IF NOT EXISTS email_outbox_due ON email_outbox (status, next_attempt_at);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (8, '0008_agents', unixepoch());

-- adspin schema, migration 1: organizations and API keys.
--
-- Applied at every start (`spin up --sqlite @migrations/0001_foundation.sql`),
-- so every statement must be safe to run again: CREATE ... IF NOT EXISTS
-- and INSERT OR IGNORE only. A later change to a table is a new migration
-- file with the next version number.

CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
);

-- An advertiser or publisher organization; for advertisers it is also the
-- ad account of the /v1 API.
CREATE TABLE IF NOT EXISTS organizations (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT, -- creation order, for stable paging
    id            TEXT    NOT NULL UNIQUE,       -- public UUID
    name          TEXT    NOT NULL,
    url           TEXT,
    timezone      TEXT    NOT NULL DEFAULT 'UTC',
    currency_code TEXT    NOT NULL DEFAULT 'USD',
    created_at    INTEGER NOT NULL,              -- Unix seconds
    updated_at    INTEGER NOT NULL
);

-- API keys of every surface, stored as SHA-256 hashes of the secret.
--   advertiser: /v1 Bearer keys (ak_...), one active per organization
--   publisher:  SSP thrad-api-key (pk_...), environment staging|production
--   partner:    S2S event tokens (pt_...)
CREATE TABLE IF NOT EXISTS api_keys (
    id              TEXT    PRIMARY KEY,         -- public UUID of the key record
    organization_id TEXT    NOT NULL REFERENCES organizations(id),
    kind            TEXT    NOT NULL CHECK (kind IN ('advertiser', 'publisher', 'partner')),
    environment     TEXT    CHECK (environment IN ('staging', 'production')),
    key_hash        TEXT    NOT NULL UNIQUE,
    key_prefix      TEXT    NOT NULL,            -- first characters, safe to display
    label           TEXT,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER,                     -- set when a rotation starts its grace window
    revoked_at      INTEGER
);
CREATE INDEX IF NOT EXISTS api_keys_by_organization ON api_keys (organization_id, kind);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (1, '0001_foundation', unixepoch());

-- adspin schema, migration 14: the agents API's platform connections
-- (Facebook and Instagram through Meta) and the ids of what a launch
-- created on a platform.

-- A connection: pending while its emailed setup link waits, then
-- connected. The setup token and the OAuth state are kept as SHA-256
-- hashes; the access token is sealed (ChaCha20-Poly1305) with a key
-- derived from the deployment's tracking secret.
CREATE TABLE IF NOT EXISTS agent_platform_connections (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  TEXT    NOT NULL REFERENCES organizations(id),
    mode             TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    platform         TEXT    NOT NULL CHECK (platform IN ('facebook', 'instagram')),
    provider         TEXT    NOT NULL CHECK (provider IN ('meta', 'demo')),
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'connected', 'failed', 'disconnected')),
    setup_token_hash TEXT    NOT NULL UNIQUE,
    setup_used_at    INTEGER,
    state_hash       TEXT    UNIQUE,
    expires_at       INTEGER NOT NULL,                 -- the setup link's end
    failure          TEXT,
    sealed_token     TEXT,
    token_expires_at INTEGER,
    ad_account_id    TEXT,                             -- act_...
    ad_account_name  TEXT,
    page_id          TEXT,
    connected_at     INTEGER,
    synced_at        INTEGER,                          -- the last insights sync
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_platform_connections_by_organization
    ON agent_platform_connections (organization_id, mode, platform, id);

-- What a launch created on a platform, by the local object it stands for.
CREATE TABLE IF NOT EXISTS agent_platform_objects (
    kind       TEXT    NOT NULL CHECK (kind IN ('campaign', 'ad_set', 'creative', 'ad')),
    local_id   INTEGER NOT NULL,
    platform   TEXT    NOT NULL,
    remote_id  TEXT    NOT NULL,
    connection INTEGER NOT NULL REFERENCES agent_platform_connections(id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (kind, local_id, platform)
) WITHOUT ROWID;

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (14, '0014_platforms', unixepoch());

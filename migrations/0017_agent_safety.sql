-- adspin schema, migration 17: agent safety in the agents API. The audit
-- log of every write, the account's confirmation threshold, the
-- confirmation tokens of spend-raising requests and per-key spend caps.
-- Tables beside the existing ones (rather than new columns) so that the
-- file stays safe to apply at every start: SQLite has no
-- `ADD COLUMN IF NOT EXISTS`.

-- One row per agents API write that was applied or refused by a safety
-- check (dry runs write nothing, not even here). `via` is the route
-- (`PATCH /api/v1/campaigns/cmp_1`) or the MCP tool (`mcp:update_campaign`).
CREATE TABLE IF NOT EXISTS agent_audit_log (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT, -- list order and cursor position
    id              TEXT    NOT NULL UNIQUE,     -- aud_...
    organization_id TEXT    NOT NULL REFERENCES organizations(id),
    mode            TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    key_id          TEXT    NOT NULL,            -- the key's public id (key_...), never its secret
    via             TEXT    NOT NULL,
    resource        TEXT,                        -- campaign, ad_set, ad, rule, key, webhook, ...
    resource_id     TEXT,
    outcome         TEXT    NOT NULL CHECK (outcome IN ('applied', 'confirmation_required', 'spend_cap_exceeded')),
    status          INTEGER NOT NULL,            -- the HTTP status answered
    before          TEXT,                        -- JSON: the resource before the write (null: none)
    after           TEXT,                        -- JSON: the resource after it (null: none, or refused)
    created_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_audit_log_by_account ON agent_audit_log (organization_id, mode, seq);

-- The added daily spend above which a write needs a confirmation token.
-- An account without a row has the documented default.
CREATE TABLE IF NOT EXISTS agent_safety_settings (
    organization_id               TEXT    PRIMARY KEY REFERENCES organizations(id),
    confirmation_threshold_micros INTEGER NOT NULL CHECK (confirmation_threshold_micros >= 0),
    updated_at                    INTEGER NOT NULL
) WITHOUT ROWID;

-- Confirmation tokens: single use, bound to the account, the key and the
-- exact request (SHA-256 of method, path and body), stored hashed.
CREATE TABLE IF NOT EXISTS agent_confirmations (
    token_hash      TEXT    PRIMARY KEY,         -- SHA-256 of the token
    organization_id TEXT    NOT NULL REFERENCES organizations(id),
    key_seq         INTEGER NOT NULL REFERENCES agent_keys(seq),
    request_hash    TEXT    NOT NULL,
    summary         TEXT    NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER,
    created_at      INTEGER NOT NULL
) WITHOUT ROWID;

-- The most committed daily spend (USD micros) a key may bring its
-- account's mode to. A key without a row has no cap.
CREATE TABLE IF NOT EXISTS agent_key_spend_caps (
    key_seq      INTEGER PRIMARY KEY REFERENCES agent_keys(seq),
    daily_micros INTEGER NOT NULL CHECK (daily_micros > 0)
);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (17, '0017_agent_safety', unixepoch());

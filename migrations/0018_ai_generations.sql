-- adspin schema, migration 18: the agents API's AI content generations
-- (text, images, variations). A generation's row is also its account's use
-- of the plan's monthly AI credits: the credits of every generation of a
-- UTC month are summed, and a new one is written only while the sum stays
-- within the plan (one conditional INSERT, so concurrent requests cannot
-- overspend). Generated images are stored as uploads (served at /files/...).

CREATE TABLE IF NOT EXISTS agent_generations (
    id              TEXT    PRIMARY KEY,                 -- gen_<32 hex>
    organization_id TEXT    NOT NULL REFERENCES organizations(id),
    mode            TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    kind            TEXT    NOT NULL CHECK (kind IN ('text', 'image', 'variations')),
    status          TEXT    NOT NULL CHECK (status IN ('processing', 'completed', 'failed')),
    provider        TEXT    NOT NULL,                    -- builtin, or the model that answered
    request         TEXT    NOT NULL,                    -- JSON: the request as understood
    result          TEXT,                                -- JSON: what was generated
    error           TEXT,                                -- why a generation failed
    credits         INTEGER NOT NULL CHECK (credits >= 0),
    month           INTEGER NOT NULL,                    -- Unix seconds at the start of the UTC month counted
    created_at      INTEGER NOT NULL,
    completed_at    INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS agent_generations_by_month ON agent_generations (organization_id, month);
CREATE INDEX IF NOT EXISTS agent_generations_pending ON agent_generations (created_at) WHERE status = 'processing';

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (18, '0018_ai_generations', unixepoch());

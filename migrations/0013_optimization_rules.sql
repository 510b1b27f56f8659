-- adspin schema, migration 13: the agents API's optimization rules and
-- every action they took.

CREATE TABLE IF NOT EXISTS agent_rules (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id    TEXT    NOT NULL REFERENCES organizations(id),
    mode               TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    campaign           INTEGER REFERENCES agent_campaigns(id), -- NULL: every campaign of the account
    name               TEXT    NOT NULL,
    condition          TEXT    NOT NULL,                        -- JSON: metric, operator, value, timeframe_hours
    action             TEXT    NOT NULL,                        -- JSON: type and its settings
    active             INTEGER NOT NULL DEFAULT 1,
    next_evaluation_at INTEGER NOT NULL,
    last_evaluated_at  INTEGER,
    triggered          TEXT    NOT NULL DEFAULT '[]',           -- JSON: campaigns whose notify condition holds
    deleted_at         INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_rules_by_organization ON agent_rules (organization_id, mode, id);
CREATE INDEX IF NOT EXISTS agent_rules_due ON agent_rules (next_evaluation_at) WHERE deleted_at IS NULL AND active = 1;

CREATE TABLE IF NOT EXISTS agent_rule_actions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    rule       INTEGER NOT NULL REFERENCES agent_rules(id),
    campaign   INTEGER NOT NULL,
    target     TEXT    NOT NULL, -- ad:<id>, ad_set:<id>, campaign:<id>
    action     TEXT    NOT NULL,
    value      REAL    NOT NULL, -- the metric's value that met the condition
    details    TEXT    NOT NULL, -- JSON
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_rule_actions_by_rule ON agent_rule_actions (rule, id);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (13, '0013_optimization_rules', unixepoch());

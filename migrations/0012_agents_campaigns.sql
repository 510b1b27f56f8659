-- adspin schema, migration 12: the agents API's campaigns, ad sets and ads.
--
-- They are the shared campaign tree (campaigns, ad_groups, ads), the rows
-- /v1 serves and the internal DSP bids with; these tables add what only
-- the agents API shows. `id` is the integer id of the specification's
-- examples. A deleted campaign, ad set or ad keeps its rows (spend and
-- insights still name them) with `deleted_at` set; its shared row is
-- archived or paused and never serves again.

CREATE TABLE IF NOT EXISTS agent_campaigns (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id          TEXT    NOT NULL UNIQUE REFERENCES campaigns(id),
    organization_id      TEXT    NOT NULL REFERENCES organizations(id),
    mode                 TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    objective            TEXT    NOT NULL,
    status               TEXT    NOT NULL CHECK (status IN ('draft', 'active', 'paused', 'completed')),
    platforms            TEXT    NOT NULL,             -- JSON array: chat, facebook, instagram
    budget_type          TEXT    NOT NULL CHECK (budget_type IN ('daily', 'lifetime')),
    budget_micros        INTEGER NOT NULL CHECK (budget_micros > 0),
    currency             TEXT    NOT NULL,
    start_date           TEXT,                         -- YYYY-MM-DD, UTC
    end_date             TEXT,                         -- YYYY-MM-DD, UTC, inclusive
    optimization         TEXT    NOT NULL,             -- JSON object
    details              TEXT    NOT NULL,             -- JSON: product_description, message, target_url, ...
    facebook_campaign_id TEXT,
    launched_at          INTEGER,
    deleted_at           INTEGER,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_campaigns_by_organization ON agent_campaigns (organization_id, mode, id);

CREATE TABLE IF NOT EXISTS agent_ad_sets (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    ad_group_id     TEXT    NOT NULL UNIQUE REFERENCES ad_groups(id),
    campaign        INTEGER NOT NULL REFERENCES agent_campaigns(id),
    organization_id TEXT    NOT NULL REFERENCES organizations(id),
    targeting       TEXT    NOT NULL,                  -- JSON object
    deleted_at      INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_ad_sets_by_campaign ON agent_ad_sets (campaign, id);

CREATE TABLE IF NOT EXISTS agent_ads (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    ad_id           TEXT    NOT NULL UNIQUE REFERENCES ads(id),
    ad_set          INTEGER NOT NULL REFERENCES agent_ad_sets(id),
    organization_id TEXT    NOT NULL REFERENCES organizations(id),
    creative        TEXT    NOT NULL,                  -- JSON: the agents API's creative as given
    generation_id   TEXT,
    deleted_at      INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_ads_by_ad_set ON agent_ads (ad_set, id);

-- A campaign's daily budget on the chat network (the agents API's daily
-- budgets): the internal DSP bids for it only while the day's spend (UTC)
-- leaves room for one more impression.
CREATE TABLE IF NOT EXISTS campaign_daily_budgets (
    campaign_id        TEXT    PRIMARY KEY REFERENCES campaigns(id),
    daily_limit_micros INTEGER NOT NULL CHECK (daily_limit_micros > 0)
) WITHOUT ROWID;

-- Campaigns that serve only on staging publisher keys (never billed): the
-- agents API's sandbox (`aa_test_` keys) campaigns.
CREATE TABLE IF NOT EXISTS sandbox_campaigns (
    campaign_id TEXT PRIMARY KEY REFERENCES campaigns(id)
) WITHOUT ROWID;

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (12, '0012_agents_campaigns', unixepoch());

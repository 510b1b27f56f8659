-- adspin schema, migration 5: server-to-server events and conversions, the
-- daily rollups insights read for whole days, and delivery reports of other
-- supplies. Safe to apply at every start.

-- S2S collect events (`POST /v1/api/collect`), as received and enriched.
CREATE TABLE IF NOT EXISTS events (
    seq             INTEGER PRIMARY KEY,
    organization_id TEXT    NOT NULL REFERENCES organizations(id), -- the partner token's organization
    api_key_id      TEXT    NOT NULL,
    tag_id          TEXT    NOT NULL, -- given, or derived: site:<host>
    event_name      TEXT    NOT NULL,
    event_id        TEXT,             -- dedupe key within (organization, tag_id)
    occurred_at     INTEGER NOT NULL, -- `timestamp`, or when it was received
    received_at     INTEGER NOT NULL,
    click_id        TEXT,
    data            TEXT    NOT NULL  -- JSON: every field, params with the server stamps, enrichment
);
CREATE UNIQUE INDEX IF NOT EXISTS events_dedupe ON events (organization_id, tag_id, event_id)
    WHERE event_id IS NOT NULL;

-- S2S conversions (`POST /v1/api/conversion`), each tied to a click and
-- through it to the ad, ad group, campaign and organization.
CREATE TABLE IF NOT EXISTS conversions (
    seq                  INTEGER PRIMARY KEY,
    id                   TEXT    NOT NULL UNIQUE,
    organization_id      TEXT    NOT NULL REFERENCES organizations(id),
    api_key_id           TEXT    NOT NULL,
    click_id             TEXT    NOT NULL REFERENCES clicks(id),
    campaign_id          TEXT    NOT NULL,
    ad_group_id          TEXT    NOT NULL,
    ad_id                TEXT    NOT NULL,
    event_type           TEXT    NOT NULL,
    dedupe_key           TEXT,             -- Idempotency-Key, else event_id, else order_id
    order_id             TEXT,
    conversion_time      INTEGER NOT NULL,
    value_micros         INTEGER NOT NULL CHECK (value_micros >= 0),
    currency             TEXT    NOT NULL,
    counted_value_micros INTEGER NOT NULL, -- the value added to insights: 0 unless in the account's currency
    attributed           INTEGER NOT NULL, -- 1 when inside the click-to-conversion window
    data                 TEXT    NOT NULL, -- JSON: the optional fields and params.extra
    created_at           INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS conversions_dedupe
    ON conversions (organization_id, click_id, event_type, dedupe_key) WHERE dedupe_key IS NOT NULL;

-- Daily counts (UTC days), kept with the hourly ones in every event's own
-- statement: insights over whole days read these, so a 30-day query sums
-- thirty rows per ad and supply rather than 720.
CREATE TABLE IF NOT EXISTS rollups_daily (
    organization_id         TEXT    NOT NULL,
    day                     INTEGER NOT NULL, -- Unix seconds at 00:00 UTC
    campaign_id             TEXT    NOT NULL,
    ad_group_id             TEXT    NOT NULL,
    ad_id                   TEXT    NOT NULL,
    supply                  TEXT    NOT NULL,
    impressions             INTEGER NOT NULL DEFAULT 0,
    views                   INTEGER NOT NULL DEFAULT 0,
    clicks                  INTEGER NOT NULL DEFAULT 0,
    conversions             INTEGER NOT NULL DEFAULT 0,
    conversion_value_micros INTEGER NOT NULL DEFAULT 0,
    spend_micros            INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, day, campaign_id, ad_group_id, ad_id, supply)
) WITHOUT ROWID;

INSERT OR IGNORE INTO rollups_daily (organization_id, day, campaign_id, ad_group_id, ad_id, supply, impressions,
                                     views, clicks, conversions, conversion_value_micros, spend_micros)
SELECT organization_id, hour - hour % 86400, campaign_id, ad_group_id, ad_id, supply, SUM(impressions), SUM(views),
       SUM(clicks), SUM(conversions), SUM(conversion_value_micros), SUM(spend_micros)
FROM rollups_hourly
-- Once only: from then on the rollup triggers (migration 7) keep both tables
-- in step.
WHERE NOT EXISTS (SELECT 1 FROM schema_migrations WHERE version = 5)
GROUP BY organization_id, hour - hour % 86400, campaign_id, ad_group_id, ad_id, supply;

-- Delivery of the platform's ads on other supplies (ChatGPT, through the
-- OpenAI Ads API), imported hour by hour by the operator. A report states
-- an hour's totals; a later report of the same hour replaces it, and the
-- rollups move by the difference.
CREATE TABLE IF NOT EXISTS supply_reports (
    organization_id         TEXT    NOT NULL REFERENCES organizations(id),
    hour                    INTEGER NOT NULL CHECK (hour % 3600 = 0),
    campaign_id             TEXT    NOT NULL,
    ad_group_id             TEXT    NOT NULL,
    ad_id                   TEXT    NOT NULL,
    supply                  TEXT    NOT NULL CHECK (supply <> 'thrad'),
    impressions             INTEGER NOT NULL CHECK (impressions >= 0),
    views                   INTEGER NOT NULL CHECK (views >= 0),
    clicks                  INTEGER NOT NULL CHECK (clicks >= 0),
    conversions             INTEGER NOT NULL CHECK (conversions >= 0),
    conversion_value_micros INTEGER NOT NULL CHECK (conversion_value_micros >= 0),
    spend_micros            INTEGER NOT NULL CHECK (spend_micros >= 0),
    updated_at              INTEGER NOT NULL,
    PRIMARY KEY (organization_id, hour, campaign_id, ad_group_id, ad_id, supply)
) WITHOUT ROWID;

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (5, '0005_events', unixepoch());

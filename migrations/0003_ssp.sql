-- adspin schema, migration 3: the SSP (publishers, DSPs, pacing,
-- impressions, clicks) and the hourly rollups insights read. Safe to apply
-- at every start.

-- Publisher settings; a publisher without a row uses the defaults.
CREATE TABLE IF NOT EXISTS publishers (
    organization_id       TEXT    PRIMARY KEY REFERENCES organizations(id),
    allowed_origins       TEXT    NOT NULL DEFAULT '[]', -- JSON array of browser origins
    rate_limit_per_second INTEGER NOT NULL DEFAULT 100 CHECK (rate_limit_per_second > 0),
    floor_cpm_micros      INTEGER NOT NULL DEFAULT 1000000 CHECK (floor_cpm_micros >= 0),
    ad_offset             INTEGER NOT NULL DEFAULT 0 CHECK (ad_offset >= 0),
    max_frequency         INTEGER NOT NULL DEFAULT 0 CHECK (max_frequency >= 0),
    max_headline_chars    INTEGER CHECK (max_headline_chars >= 30),
    image_enabled         INTEGER NOT NULL DEFAULT 1,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);

-- The DSPs the auction calls. The internal DSP is reached by Spin service
-- chaining; external DSPs by outbound HTTP.
CREATE TABLE IF NOT EXISTS dsps (
    id         TEXT    PRIMARY KEY,                 -- the `dsp` of a winning bid, e.g. 'thrad_dsp'
    name       TEXT    NOT NULL,
    bid_url    TEXT    NOT NULL,
    render_url TEXT,
    auth_token TEXT,                                -- sent as Authorization: Bearer (a credential of the DSP's)
    enabled    INTEGER NOT NULL DEFAULT 1,
    timeout_ms INTEGER NOT NULL DEFAULT 3000 CHECK (timeout_ms BETWEEN 10 AND 10000),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT OR IGNORE INTO dsps (id, name, bid_url, render_url, enabled, timeout_ms, created_at, updated_at)
VALUES ('thrad_dsp', 'Thrad DSP (platform campaigns)', 'http://thrad-dsp.spin.internal/bid',
        'http://thrad-dsp.spin.internal/render-ad', 1, 3000, unixepoch(), unixepoch());

-- Requests and ads per chat, for pacing (ad_offset, max_frequency).
CREATE TABLE IF NOT EXISTS chat_pacing (
    publisher_id    TEXT    NOT NULL,
    chat_id         TEXT    NOT NULL,
    requests        INTEGER NOT NULL,
    last_ad_request INTEGER,          -- `requests` when the last ad was served
    ads_served      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (publisher_id, chat_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS impressions (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    request_id       TEXT    NOT NULL,
    publisher_id     TEXT    NOT NULL,
    environment      TEXT    NOT NULL CHECK (environment IN ('staging', 'production')),
    billable         INTEGER NOT NULL,
    dsp_id           TEXT    NOT NULL,
    bid_id           TEXT    NOT NULL,
    organization_id  TEXT,            -- the advertiser, for platform demand
    campaign_id      TEXT,
    ad_group_id      TEXT,
    ad_id            TEXT,
    price_cpm_micros INTEGER NOT NULL,
    cost_micros      INTEGER NOT NULL,
    landing_url      TEXT    NOT NULL,
    chat_id          TEXT    NOT NULL,
    chat_request     INTEGER NOT NULL, -- the chat's request count when it was served
    country          TEXT,
    created_at       INTEGER NOT NULL,
    viewed_at        INTEGER
);

CREATE TABLE IF NOT EXISTS clicks (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT    NOT NULL UNIQUE, -- the click_id advertisers report conversions with
    impression_id TEXT    NOT NULL REFERENCES impressions(id),
    created_at    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS clicks_by_impression ON clicks (impression_id, created_at);

-- Hourly counts per ad and supply, written in the same transaction as each
-- event; insights read only these.
CREATE TABLE IF NOT EXISTS rollups_hourly (
    organization_id         TEXT    NOT NULL,
    hour                    INTEGER NOT NULL, -- Unix seconds at the start of the hour (UTC)
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
    PRIMARY KEY (organization_id, hour, campaign_id, ad_group_id, ad_id, supply)
) WITHOUT ROWID;

-- What an event changes elsewhere happens in the event's own statement, so
-- one INSERT is one atomic write: a billable impression of platform demand
-- charges its campaign (the campaigns CHECK refuses a charge past the
-- budget, which aborts the INSERT), moves the chat's pacing, and every
-- event is counted in the rollups (migration 7).
CREATE TRIGGER IF NOT EXISTS impression_charges_campaign AFTER INSERT ON impressions
WHEN NEW.campaign_id IS NOT NULL AND NEW.cost_micros > 0
BEGIN
    UPDATE campaigns SET spent_micros = spent_micros + NEW.cost_micros WHERE id = NEW.campaign_id;
END;

CREATE TRIGGER IF NOT EXISTS impression_paces_chat AFTER INSERT ON impressions
BEGIN
    UPDATE chat_pacing SET last_ad_request = NEW.chat_request, ads_served = ads_served + 1, updated_at = NEW.created_at
    WHERE publisher_id = NEW.publisher_id AND chat_id = NEW.chat_id;
END;

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (3, '0003_ssp', unixepoch());

-- adspin schema, migration 2: the Advertiser API's campaign tree, billing,
-- uploads, idempotency and rate limits. Safe to apply at every start.

-- The default payment method of an organization ("card on file"), set by
-- an operator. Campaign creation charges its deposit to it.
CREATE TABLE IF NOT EXISTS billing_profiles (
    organization_id TEXT    PRIMARY KEY REFERENCES organizations(id),
    payment_method  TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- Money movements, in micros. A campaign's $10 deposit is one 'deposit' row.
CREATE TABLE IF NOT EXISTS ledger_entries (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    organization_id TEXT    NOT NULL REFERENCES organizations(id),
    campaign_id     TEXT,
    kind            TEXT    NOT NULL CHECK (kind IN ('deposit')),
    amount_micros   INTEGER NOT NULL,
    payment_method  TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_entries_by_organization ON ledger_entries (organization_id, seq);

CREATE TABLE IF NOT EXISTS campaigns (
    seq                         INTEGER PRIMARY KEY AUTOINCREMENT,
    id                          TEXT    NOT NULL UNIQUE,
    organization_id             TEXT    NOT NULL REFERENCES organizations(id),
    name                        TEXT    NOT NULL,
    description                 TEXT,
    status                      TEXT    NOT NULL CHECK (status IN ('active', 'paused', 'archived')),
    review_status               TEXT    NOT NULL CHECK (review_status IN ('in_review', 'approved', 'rejected')),
    start_time                  INTEGER NOT NULL,
    end_time                    INTEGER,
    lifetime_spend_limit_micros INTEGER NOT NULL CHECK (lifetime_spend_limit_micros >= 990000),
    spent_micros                INTEGER NOT NULL DEFAULT 0 CHECK (spent_micros >= 0),
    recurring_frequency         TEXT    NOT NULL,
    pricing_model               TEXT    NOT NULL,
    target_countries            TEXT    NOT NULL DEFAULT '[]', -- JSON array of ISO 3166-1 alpha-2 codes
    created_at                  INTEGER NOT NULL,
    updated_at                  INTEGER NOT NULL,
    CHECK (spent_micros <= lifetime_spend_limit_micros)
);
CREATE INDEX IF NOT EXISTS campaigns_by_organization ON campaigns (organization_id, seq);

CREATE TABLE IF NOT EXISTS ad_groups (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    organization_id TEXT    NOT NULL REFERENCES organizations(id),
    campaign_id     TEXT    NOT NULL REFERENCES campaigns(id),
    name            TEXT    NOT NULL,
    description     TEXT,
    context_hints   TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
    status          TEXT    NOT NULL CHECK (status IN ('active', 'paused')),
    max_bid_micros  INTEGER CHECK (max_bid_micros BETWEEN 1 AND 100000000),
    creative_type   TEXT    CHECK (creative_type IN ('chat_card', 'poll')), -- fixed by the first ad
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ad_groups_by_campaign ON ad_groups (campaign_id, seq);

CREATE TABLE IF NOT EXISTS ads (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    organization_id TEXT    NOT NULL REFERENCES organizations(id),
    campaign_id     TEXT    NOT NULL REFERENCES campaigns(id),
    ad_group_id     TEXT    NOT NULL REFERENCES ad_groups(id),
    name            TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('active', 'paused')),
    creative        TEXT    NOT NULL, -- JSON object, shape by creative type
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ads_by_ad_group ON ads (ad_group_id, seq);

-- The words of each context hint of each ad group, so the internal DSP finds
-- the ad groups with a hint fully present in a conversation without
-- scanning them all.
CREATE TABLE IF NOT EXISTS ad_group_hint_words (
    word        TEXT    NOT NULL, -- lowercase, singular (see shared::thrad_dsp::relevance::words)
    ad_group_id TEXT    NOT NULL REFERENCES ad_groups(id),
    hint        INTEGER NOT NULL, -- position of the hint in context_hints
    hint_words  INTEGER NOT NULL, -- how many distinct words the hint has
    PRIMARY KEY (word, ad_group_id, hint)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ad_group_hint_words_by_group ON ad_group_hint_words (ad_group_id);

-- Uploaded creative images, served publicly at /files/<file_id>.
CREATE TABLE IF NOT EXISTS uploads (
    file_id         TEXT    PRIMARY KEY, -- uploads/<yyyy>/<mm>/<32 hex>.<ext>
    organization_id TEXT    NOT NULL REFERENCES organizations(id),
    content_type    TEXT    NOT NULL,
    size_bytes      INTEGER NOT NULL,
    width           INTEGER NOT NULL,
    height          INTEGER NOT NULL,
    bytes           BLOB    NOT NULL,
    created_at      INTEGER NOT NULL
);

-- Responses of POST /v1/campaigns by Idempotency-Key, kept forever.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    organization_id TEXT    NOT NULL REFERENCES organizations(id),
    idempotency_key TEXT    NOT NULL,
    request_hash    TEXT    NOT NULL,
    response_status INTEGER NOT NULL,
    response_body   TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (organization_id, idempotency_key)
);

-- One active Advertiser API key per organization; a key being rotated out
-- (expires_at set) or revoked no longer counts.
CREATE UNIQUE INDEX IF NOT EXISTS one_active_advertiser_key ON api_keys (organization_id)
    WHERE kind = 'advertiser' AND revoked_at IS NULL AND expires_at IS NULL;

-- Fixed-window request counters (one row per bucket and window).
CREATE TABLE IF NOT EXISTS rate_limit_windows (
    bucket       TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
) WITHOUT ROWID;

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (2, '0002_advertiser', unixepoch());

-- adspin schema, migration 15: privacy settings of a publisher's supply.
-- A table beside `publishers` (rather than a new column) so that the file
-- stays safe to apply at every start, like the others: SQLite has no
-- `ADD COLUMN IF NOT EXISTS`. A publisher without a row is not
-- child-directed.

CREATE TABLE IF NOT EXISTS publisher_privacy (
    organization_id TEXT    PRIMARY KEY REFERENCES organizations(id),
    -- The whole chatbot is directed at children: every auction is treated
    -- as COPPA (contextual internal demand only, no user id).
    child_directed  INTEGER NOT NULL DEFAULT 0 CHECK (child_directed IN (0, 1)),
    updated_at      INTEGER NOT NULL
) WITHOUT ROWID;

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (15, '0015_privacy', unixepoch());

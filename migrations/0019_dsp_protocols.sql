-- adspin schema, migration 19: the protocol each DSP speaks. A table
-- beside `dsps` (rather than a new column) so that the file stays safe to
-- apply at every start, like the others: SQLite has no `ADD COLUMN IF NOT
-- EXISTS`. A DSP without a row speaks Thrad's JSON DSP protocol.

CREATE TABLE IF NOT EXISTS dsp_protocols (
    dsp_id     TEXT    PRIMARY KEY REFERENCES dsps(id) ON DELETE CASCADE,
    -- 'json': Thrad's JSON DSP protocol; 'openrtb': OpenRTB 2.6 with a
    -- Native 1.2 request (docs/API-DESIGN.md, "What OpenRTB DSPs receive").
    protocol   TEXT    NOT NULL CHECK (protocol IN ('json', 'openrtb')),
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (19, '0019_dsp_protocols', unixepoch());

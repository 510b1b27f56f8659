-- adspin schema, migration 16: sponsored poll votes.
--
-- One vote per impression that showed the poll (the vote link's token
-- names it); `poll_id` is the ad for the platform's own demand, else a
-- digest of the DSP and the poll, so a poll's results add up across
-- impressions.

CREATE TABLE IF NOT EXISTS poll_votes (
    impression_id TEXT    PRIMARY KEY,
    poll_id       TEXT    NOT NULL,
    option_id     INTEGER NOT NULL CHECK (option_id >= 0),
    created_at    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS poll_votes_by_poll ON poll_votes (poll_id, option_id);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (16, '0016_poll_votes', unixepoch());

-- adspin schema, migration 4: one anchor word per context hint, so the
-- internal DSP looks up each hint once (by its anchor) and checks its
-- other words with an index seek, instead of grouping every word hit.
-- Safe to apply at every start.

-- The anchor of each hint: its longest word (longer words are rarer, so
-- fewer hints are looked at per conversation), ties broken alphabetically.
-- Any word of a hint would give the same matches.
CREATE TABLE IF NOT EXISTS ad_group_hint_anchors (
    word        TEXT    NOT NULL,
    ad_group_id TEXT    NOT NULL REFERENCES ad_groups(id),
    hint        INTEGER NOT NULL, -- position of the hint in context_hints
    PRIMARY KEY (word, ad_group_id, hint)
) WITHOUT ROWID;

-- The words of one hint, for the "every other word is present" check.
CREATE INDEX IF NOT EXISTS ad_group_hint_words_by_hint ON ad_group_hint_words (ad_group_id, hint, word);
DROP INDEX IF EXISTS ad_group_hint_words_by_group;

INSERT OR IGNORE INTO ad_group_hint_anchors (word, ad_group_id, hint)
SELECT (SELECT w.word FROM ad_group_hint_words w
        WHERE w.ad_group_id = h.ad_group_id AND w.hint = h.hint
        ORDER BY length(w.word) DESC, w.word LIMIT 1),
       h.ad_group_id, h.hint
FROM ad_group_hint_words h
GROUP BY h.ad_group_id, h.hint;

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (4, '0004_hint_anchors', unixepoch());

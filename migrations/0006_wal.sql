-- adspin schema, migration 6: write-ahead logging.
--
-- `spin up` opens a new SQLite connection for every request, with SQLite's
-- defaults: a rollback journal, under which a writer locks out every reader
-- and each commit syncs the journal and the database. In WAL mode readers
-- never wait for the writer, and the writer never waits for readers. The
-- journal mode is kept in the database file, so setting it once here holds
-- for every later connection (a libSQL server already runs in WAL mode).
-- Applied at every start like the other migrations: it is a no-op once set.

PRAGMA journal_mode = WAL;

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (6, '0006_wal', unixepoch());

//! Fixed-window request counters in SQLite.
//!
//! One `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` per hit counts the
//! request and reads the new total in a single atomic statement, so the
//! limit holds however many instances count at once.

use crate::db::{Database, DbError};
use crate::time::UnixSeconds;

/// A limit: at most `limit` requests per `window_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub limit: u32,
    pub window_seconds: i64,
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub limit: u32,
    /// Requests in the current window, this one included.
    pub used: u32,
    /// When the current window ends.
    pub resets_at: UnixSeconds,
}

impl Usage {
    pub fn exceeded(&self) -> bool {
        self.used > self.limit
    }

    pub fn remaining(&self) -> u32 {
        self.limit.saturating_sub(self.used)
    }

    /// Seconds until the window resets (at least 1).
    pub fn retry_after(&self, now: UnixSeconds) -> i64 {
        (self.resets_at.get() - now.get()).max(1)
    }
}

/// Counts one request in `bucket` and reports the window's usage.
pub fn hit(
    db: &impl Database,
    bucket: &str,
    limit: Limit,
    now: UnixSeconds,
) -> Result<Usage, DbError> {
    let window_start = now.get() - now.get().rem_euclid(limit.window_seconds);
    let row = db.query_row(
        "INSERT INTO rate_limit_windows (bucket, window_start, count) VALUES (?1, ?2, 1)
         ON CONFLICT (bucket, window_start) DO UPDATE SET count = count + 1
         RETURNING count",
        &[bucket.into(), window_start.into()],
    )?;
    let used = row.and_then(|r| r.integer(0)).unwrap_or(1);
    if used == 1 {
        // First hit of a window: forget the bucket's windows before the
        // previous one. The previous window stays: requests that read the
        // clock just before the boundary may still be counting in it, and
        // deleting it under them would restart its count.
        db.execute(
            "DELETE FROM rate_limit_windows WHERE bucket = ?1 AND window_start < ?2",
            &[bucket.into(), (window_start - limit.window_seconds).into()],
        )?;
    }
    Ok(Usage {
        limit: limit.limit,
        used: u32::try_from(used).unwrap_or(u32::MAX),
        resets_at: UnixSeconds::new(window_start + limit.window_seconds),
    })
}

/// The window's usage of `bucket` without counting a request: how many
/// were counted so far (0 when none).
pub fn peek(
    db: &impl Database,
    bucket: &str,
    limit: Limit,
    now: UnixSeconds,
) -> Result<Usage, DbError> {
    let window_start = now.get() - now.get().rem_euclid(limit.window_seconds);
    let row = db.query_row(
        "SELECT count FROM rate_limit_windows WHERE bucket = ?1 AND window_start = ?2",
        &[bucket.into(), window_start.into()],
    )?;
    let used = row.and_then(|r| r.integer(0)).unwrap_or(0);
    Ok(Usage {
        limit: limit.limit,
        used: u32::try_from(used).unwrap_or(u32::MAX),
        resets_at: UnixSeconds::new(window_start + limit.window_seconds),
    })
}

/// Fixed-window counters on the key-value store: one atomic
/// `increment` counts a request and reads the window's total, however many
/// instances count at once.
///
/// A window's counter is the key `<bucket>:<window start>`. The store
/// keeps no expiry, so the first hit of a window (its count is 1) deletes
/// the counters that can no longer be counted in: the window before the
/// previous one, and the last two windows of the bucket's previous burst
/// of activity (`<bucket>:last` remembers its window). The previous
/// window stays, as in SQL: requests that read the clock just before the
/// boundary may still be counting in it.
pub mod kv {
    use super::{Limit, Usage};
    use crate::kv::{KeyValue, KvError};
    use crate::time::UnixSeconds;

    fn window_start(limit: Limit, now: UnixSeconds) -> i64 {
        now.get() - now.get().rem_euclid(limit.window_seconds)
    }

    fn counter(bucket: &str, start: i64) -> String {
        format!("{bucket}:{start}")
    }

    /// Counts one request in `bucket` and reports the window's usage.
    pub fn hit(
        store: &impl KeyValue,
        bucket: &str,
        limit: Limit,
        now: UnixSeconds,
    ) -> Result<Usage, KvError> {
        hit_many(store, bucket, limit, now, 1)
    }

    /// Counts `requests` requests in `bucket` with one increment (a
    /// batch's items) and reports the window's usage after all of them.
    pub fn hit_many(
        store: &impl KeyValue,
        bucket: &str,
        limit: Limit,
        now: UnixSeconds,
        requests: u32,
    ) -> Result<Usage, KvError> {
        let start = window_start(limit, now);
        let requests = i64::from(requests);
        let used = store.increment(&counter(bucket, start), requests)?;
        if used == requests {
            forget_stale(store, bucket, limit, start)?;
        }
        Ok(usage(limit, start, used))
    }

    /// The window's usage without counting a request (and without creating
    /// its counter: `increment(key, 0)` would leave a key behind for every
    /// bucket ever peeked at).
    pub fn peek(
        store: &impl KeyValue,
        bucket: &str,
        limit: Limit,
        now: UnixSeconds,
    ) -> Result<Usage, KvError> {
        let start = window_start(limit, now);
        let used = store
            .get(&counter(bucket, start))?
            .map_or(0, |bytes| counter_value(&bytes));
        Ok(usage(limit, start, used))
    }

    /// A counter's stored value, in either form Spin's stores write it:
    /// decimal text (Redis) or 8 little-endian bytes (SQLite).
    pub(crate) fn counter_value(bytes: &[u8]) -> i64 {
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|text| text.trim().parse::<i64>().ok())
            .or_else(|| <[u8; 8]>::try_from(bytes).ok().map(i64::from_le_bytes))
            .unwrap_or(0)
    }

    fn usage(limit: Limit, start: i64, used: i64) -> Usage {
        Usage {
            limit: limit.limit,
            used: u32::try_from(used.max(0)).unwrap_or(u32::MAX),
            resets_at: UnixSeconds::new(start + limit.window_seconds),
        }
    }

    fn forget_stale(
        store: &impl KeyValue,
        bucket: &str,
        limit: Limit,
        start: i64,
    ) -> Result<(), KvError> {
        let window = limit.window_seconds;
        store.delete(&counter(bucket, start - 2 * window))?;
        let last_key = format!("{bucket}:last");
        let last = store
            .get(&last_key)?
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| text.parse::<i64>().ok());
        if let Some(last) = last
            && last < start - window
        {
            store.delete(&counter(bucket, last))?;
            store.delete(&counter(bucket, last - window))?;
        }
        store.set(&last_key, start.to_string().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::native::NativeDb;

    const SCHEMA: &str =
        "CREATE TABLE rate_limit_windows (bucket TEXT NOT NULL, window_start INTEGER NOT NULL,
        count INTEGER NOT NULL, PRIMARY KEY (bucket, window_start)) WITHOUT ROWID";
    const HOURLY: Limit = Limit {
        limit: 3,
        window_seconds: 3600,
    };

    #[test]
    fn requests_past_the_limit_are_reported_as_exceeded() {
        let db = NativeDb::with_schema(&[SCHEMA]).expect("db");
        let now = UnixSeconds::new(7_200 + 10);
        let usages: Vec<Usage> = (0..4)
            .map(|_| hit(&db, "key", HOURLY, now).expect("hit"))
            .collect();
        assert_eq!(
            usages.iter().map(|u| u.used).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        assert!(!usages[2].exceeded());
        assert!(usages[3].exceeded());
        assert_eq!(usages[3].remaining(), 0);
        assert_eq!(usages[0].resets_at, UnixSeconds::new(10_800));
        assert_eq!(usages[0].retry_after(now), 3_590);
    }

    #[test]
    fn key_value_windows_count_like_sql_and_leave_no_stale_counters() {
        use crate::testing::MemoryKv;
        let store = MemoryKv::default();
        let minute = Limit {
            limit: 2,
            window_seconds: 60,
        };
        let now = UnixSeconds::new(6_000);
        let usages: Vec<u32> = (0..3)
            .map(|_| kv::hit(&store, "b", minute, now).expect("hit").used)
            .collect();
        assert_eq!(usages, [1, 2, 3]);
        assert!(kv::hit(&store, "b", minute, now).expect("hit").exceeded());
        assert_eq!(kv::peek(&store, "b", minute, now).expect("peek").used, 4);
        assert_eq!(
            kv::peek(&store, "b", minute, now).expect("peek").resets_at,
            UnixSeconds::new(6_060)
        );
        // Two more minutes of activity, then an idle hour: the first hit
        // after it leaves only the current and the last counters behind.
        kv::hit(&store, "b", minute, now.plus_seconds(60)).expect("hit");
        kv::hit(&store, "b", minute, now.plus_seconds(120)).expect("hit");
        assert_eq!(
            kv::peek(&store, "b", minute, now).expect("peek").used,
            0,
            "w-2 forgotten"
        );
        kv::hit(&store, "b", minute, now.plus_seconds(3_600)).expect("hit");
        let keys = store.keys();
        assert_eq!(keys, ["b:9600", "b:last"], "{keys:?}");
    }

    #[test]
    fn peeking_counts_nothing() {
        let db = NativeDb::with_schema(&[SCHEMA]).expect("db");
        let now = UnixSeconds::new(100);
        assert_eq!(peek(&db, "key", HOURLY, now).expect("peek").used, 0);
        hit(&db, "key", HOURLY, now).expect("hit");
        let usage = peek(&db, "key", HOURLY, now).expect("peek");
        assert_eq!((usage.used, usage.resets_at), (1, UnixSeconds::new(3_600)));
        assert_eq!(peek(&db, "key", HOURLY, now).expect("peek").used, 1);
    }

    #[test]
    fn buckets_are_counted_separately_and_windows_reset() {
        let db = NativeDb::with_schema(&[SCHEMA]).expect("db");
        let now = UnixSeconds::new(100);
        hit(&db, "a", HOURLY, now).expect("hit");
        assert_eq!(hit(&db, "b", HOURLY, now).expect("hit").used, 1);
        let next_window = UnixSeconds::new(3_700);
        assert_eq!(hit(&db, "a", HOURLY, next_window).expect("hit").used, 1);
        assert_eq!(
            hit(&db, "a", HOURLY, UnixSeconds::new(7_300))
                .expect("hit")
                .used,
            1
        );
        let rows = db
            .query_row(
                "SELECT MIN(window_start), COUNT(*) FROM rate_limit_windows WHERE bucket = 'a'",
                &[],
            )
            .expect("count")
            .expect("row");
        assert_eq!(
            (rows.integer(0), rows.integer(1)),
            (Some(3_600), Some(2)),
            "windows before the previous one are cleaned up"
        );
    }

    #[test]
    fn a_window_keeps_counting_after_the_next_one_starts() {
        // Under load, a request that read the clock just before a window
        // ended can count after another request opened the next window.
        let db = NativeDb::with_schema(&[SCHEMA]).expect("db");
        let second = Limit {
            limit: 2,
            window_seconds: 1,
        };
        let early = UnixSeconds::new(1_000);
        assert_eq!(hit(&db, "k", second, early).expect("hit").used, 1);
        assert_eq!(hit(&db, "k", second, early).expect("hit").used, 2);
        let next = UnixSeconds::new(1_001);
        assert_eq!(hit(&db, "k", second, next).expect("hit").used, 1);
        let late = hit(&db, "k", second, early).expect("a straggler of the first window");
        assert_eq!(late.used, 3, "the first window's count goes on");
        assert!(late.exceeded());
    }
}

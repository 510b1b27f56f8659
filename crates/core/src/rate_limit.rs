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

/// Counts one request in two buckets at once (a minute and a day, say) in
/// one statement, and reports both windows' usage in the given order.
pub fn hit_both(
    db: &impl Database,
    first: (&str, Limit),
    second: (&str, Limit),
    now: UnixSeconds,
) -> Result<[Usage; 2], DbError> {
    let start = |limit: Limit| now.get() - now.get().rem_euclid(limit.window_seconds);
    let rows = db.execute(
        "INSERT INTO rate_limit_windows (bucket, window_start, count) VALUES (?1, ?2, 1), (?3, ?4, 1)
         ON CONFLICT (bucket, window_start) DO UPDATE SET count = count + 1
         RETURNING bucket, count",
        &[
            first.0.into(),
            start(first.1).into(),
            second.0.into(),
            start(second.1).into(),
        ],
    )?;
    let count_of = |bucket: &str| {
        rows.iter()
            .find(|row| row.text(0) == Some(bucket))
            .and_then(|row| row.integer(1))
            .unwrap_or(1)
    };
    let mut usages = [first, second].map(|(bucket, limit)| Usage {
        limit: limit.limit,
        used: u32::try_from(count_of(bucket)).unwrap_or(u32::MAX),
        resets_at: UnixSeconds::new(start(limit) + limit.window_seconds),
    });
    for ((bucket, limit), usage) in [first, second].iter().zip(usages.iter_mut()) {
        if usage.used == 1 {
            // As in `hit`: the first hit of a window forgets the windows
            // before the previous one.
            db.execute(
                "DELETE FROM rate_limit_windows WHERE bucket = ?1 AND window_start < ?2",
                &[
                    (*bucket).into(),
                    (start(*limit) - limit.window_seconds).into(),
                ],
            )?;
        }
    }
    Ok(usages)
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
    fn two_buckets_are_counted_in_one_statement_like_two_hits() {
        let db = NativeDb::with_schema(&[SCHEMA]).expect("db");
        let minute = Limit {
            limit: 2,
            window_seconds: 60,
        };
        let now = UnixSeconds::new(7_210);
        for expected in 1..=3 {
            let [a, b] = hit_both(&db, ("m", minute), ("h", HOURLY), now).expect("hit");
            assert_eq!((a.used, b.used), (expected, expected));
            assert_eq!(a.resets_at, UnixSeconds::new(7_260));
            assert_eq!(b.resets_at, UnixSeconds::new(10_800));
        }
        let [a, b] =
            hit_both(&db, ("m", minute), ("h", HOURLY), now.plus_seconds(60)).expect("hit");
        assert_eq!((a.used, b.used), (1, 4), "a new minute, the same hour");
        assert!(b.exceeded() && !a.exceeded());
        assert_eq!(
            hit(&db, "h", HOURLY, now).expect("hit").used,
            5,
            "the same counters as hit"
        );
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

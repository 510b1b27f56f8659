//! Insights against a recount of raw events: random event streams through
//! the real write paths (impressions, views, clicks, conversions, supply
//! reports and their restatements), then every rollup row, and the rows
//! insights serve, must equal what a scan of the raw tables says.

use std::collections::BTreeMap;

use serde_json::json;

use adspin_advertiser::insights::params::{self, Level};
use adspin_advertiser::store::insights::{Scope, rows};
use adspin_core::db::Database;
use adspin_core::db::native::NativeDb;
use adspin_core::delivery::{self as serve, Demand};
use adspin_core::ids::ApiKeyId;
use adspin_core::money::Micros;
use adspin_core::testing;
use adspin_core::time::UnixSeconds;
use adspin_core::web::Query;
use adspin_events::auth::Partner;
use adspin_events::conversion::{self, Conversion};

/// A small deterministic generator (xorshift64*), so failures replay.
struct Random(u64);

impl Random {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Two weeks ending at this hour.
const END: i64 = 1_776_250_800;
const START: i64 = END - 14 * 86_400;

type Totals = BTreeMap<(String, i64, String, String, String, String), [i64; 6]>;

fn rollups(db: &NativeDb, table: &str, time: &str) -> Totals {
    db.execute(
        &format!(
            "SELECT organization_id, {time}, campaign_id, ad_group_id, ad_id, supply, impressions, views, clicks,
                    conversions, conversion_value_micros, spend_micros FROM {table}"
        ),
        &[],
    )
    .expect("rollups")
    .iter()
    .map(|row| {
        let text = |i: usize| row.text(i).unwrap_or_default().to_string();
        let int = |i: usize| row.integer(i).unwrap_or_default();
        (
            (text(0), int(1), text(2), text(3), text(4), text(5)),
            [int(6), int(7), int(8), int(9), int(10), int(11)],
        )
    })
    .filter(|(_, counts)| counts.iter().any(|c| *c != 0))
    .collect()
}

/// The same totals, recounted from the raw events with buckets of `size`.
fn recount(db: &NativeDb, size: i64) -> Totals {
    let key_columns = "organization_id, campaign_id, ad_group_id, ad_id";
    let queries = [
        // (time column, SQL with the six counts)
        format!(
            "SELECT {key_columns}, 'thrad', created_at, 1, 0, 0, 0, 0, cost_micros FROM impressions
             WHERE billable = 1 AND campaign_id IS NOT NULL"
        ),
        format!(
            "SELECT {key_columns}, 'thrad', viewed_at, 0, 1, 0, 0, 0, 0 FROM impressions
             WHERE billable = 1 AND campaign_id IS NOT NULL AND viewed_at IS NOT NULL"
        ),
        "SELECT i.organization_id, i.campaign_id, i.ad_group_id, i.ad_id, 'thrad', c.created_at, 0, 0, 1, 0, 0, 0
         FROM clicks c JOIN impressions i ON i.id = c.impression_id
         WHERE i.billable = 1 AND i.campaign_id IS NOT NULL"
            .to_string(),
        "SELECT v.organization_id, v.campaign_id, v.ad_group_id, v.ad_id, 'thrad', v.conversion_time, 0, 0, 0, 1,
                v.counted_value_micros, 0
         FROM conversions v JOIN clicks c ON c.id = v.click_id JOIN impressions i ON i.id = c.impression_id
         WHERE v.attributed = 1 AND i.billable = 1"
            .to_string(),
        format!(
            "SELECT {key_columns}, supply, hour, impressions, views, clicks, conversions, conversion_value_micros,
                    spend_micros FROM supply_reports"
        ),
    ];
    let mut totals = Totals::new();
    for sql in queries {
        for row in db.execute(&sql, &[]).expect("raw events").iter() {
            let text = |i: usize| row.text(i).unwrap_or_default().to_string();
            let time = row.integer(5).unwrap_or_default();
            let key = (
                text(0),
                time - time.rem_euclid(size),
                text(1),
                text(2),
                text(3),
                text(4),
            );
            let counts = totals.entry(key).or_default();
            for (index, count) in counts.iter_mut().enumerate() {
                *count += row.integer(6 + index).unwrap_or_default();
            }
        }
    }
    totals.retain(|_, counts| counts.iter().any(|c| *c != 0));
    totals
}

struct World {
    db: NativeDb,
    ads: Vec<Demand>,
}

/// A random stream of every kind of event over two weeks.
fn random_world(seed: u64) -> World {
    let mut random = Random(seed);
    let db = testing::database();
    let organizations = [testing::organization(&db), testing::organization(&db)];
    let ads: Vec<Demand> = (0..6)
        .map(|i| testing::live_ad(&db, organizations[i % 2]))
        .collect();
    let at =
        |random: &mut Random| UnixSeconds::new(START + random.below((END - START) as u64) as i64);
    let mut impressions = Vec::new();
    for _ in 0..300 {
        let demand = (random.below(10) > 0).then(|| *random.pick(&ads));
        let billable = random.below(5) > 0;
        let price = Micros::new(1_000_000 + random.below(5) as i64 * 250_000);
        let when = at(&mut random);
        let id = testing::impression(&db, demand, billable, price, when);
        impressions.push((id, demand, when));
    }
    let mut clicks = Vec::new();
    for _ in 0..200 {
        let (id, demand, served) = random.pick(&impressions).clone();
        let later = UnixSeconds::new(served.get() + random.below(7_200) as i64);
        if random.below(3) == 0 {
            serve::record_view(&db, &id, later).expect("view");
        } else {
            let click = testing::click(&db, &id, later);
            clicks.push((click, demand, later));
        }
    }
    let attributable: Vec<_> = clicks
        .iter()
        .filter(|(_, demand, _)| demand.is_some())
        .collect();
    for n in 0..120 {
        let (click, demand, clicked) = (*random.pick(&attributable)).clone();
        let Some(demand) = demand else { continue };
        let partner = Partner {
            organization_id: demand.organization_id,
            key_id: ApiKeyId::new_random(),
            label: None,
        };
        let reported = Conversion {
            click_id: click,
            conversion_time: UnixSeconds::new(
                clicked.get() + random.below(40 * 86_400) as i64 - 600,
            ),
            value_micros: random.below(100_000_000) as i64,
            currency: (*random.pick(&["USD", "USD", "EUR"])).to_string(),
            event_type: "purchase_completed".into(),
            order_id: None,
            dedupe_key: (random.below(2) == 0).then(|| format!("order-{}", n % 40)),
            data: json!({}),
        };
        conversion::record(&db, &partner, &reported, 30, UnixSeconds::new(END))
            .expect("conversion");
    }
    for _ in 0..4 {
        for organization in organizations {
            let mut rows = Vec::new();
            for _ in 0..10 {
                let ad = random.pick(&ads);
                if ad.organization_id != organization {
                    continue;
                }
                let hour = START + random.below(14 * 24) as i64 * 3_600;
                rows.push(json!({"ad_id": ad.ad_id.to_string(), "hour": hour,
                    "impressions": random.below(1000), "clicks": random.below(30),
                    "views": random.below(500), "conversions": random.below(5),
                    "conversion_value_micros": random.below(50_000_000),
                    "spend_micros": random.below(5_000_000)}));
            }
            if rows.is_empty() {
                continue;
            }
            let body = json!({"supply": "chatgpt", "rows": rows}).to_string();
            adspin_operator::supply::import(
                &db,
                &organization.to_string(),
                body.as_bytes(),
                UnixSeconds::new(END),
            )
            .expect("import");
        }
    }
    World { db, ads }
}

#[test]
fn rollups_equal_a_recount_of_raw_events() {
    for seed in [7, 42, 1_234_567, 0x5eed] {
        let world = random_world(seed);
        assert_eq!(
            rollups(&world.db, "rollups_hourly", "hour"),
            recount(&world.db, 3_600),
            "hourly, seed {seed}"
        );
        assert_eq!(
            rollups(&world.db, "rollups_daily", "day"),
            recount(&world.db, 86_400),
            "daily, seed {seed}"
        );
    }
}

#[test]
fn insights_rows_add_up_to_the_recount() {
    let world = random_world(99);
    let raw = recount(&world.db, 3_600);
    for ad in &world.ads {
        // One campaign's daily rows over a window with partial first and
        // last days, by supply: their sum is the recount of that window.
        let window = (START + 5 * 3_600, END - 7 * 3_600);
        let mut expected: BTreeMap<String, [i64; 6]> = BTreeMap::new();
        for ((org, hour, campaign, _, _, supply), counts) in &raw {
            if *org == ad.organization_id.to_string()
                && *campaign == ad.campaign_id.to_string()
                && (window.0..window.1).contains(hour)
            {
                let total = expected.entry(supply.clone()).or_default();
                for (t, c) in total.iter_mut().zip(counts) {
                    *t += c;
                }
            }
        }
        let query = Query::parse(&format!(
            "segments[]=supply&limit=2000&fields[]=impressions&fields[]=views&fields[]=clicks&fields[]=conversions&time_ranges[]={}",
            json!({"type": "time_range", "start_time": window.0, "end_time": window.1})
        ));
        let request = params::parse(&query, Level::Campaign, UnixSeconds::new(END)).expect("valid");
        let scope = Scope {
            organization: ad.organization_id,
            level: Level::Campaign,
            id: Some(ad.campaign_id.to_string()),
        };
        let mut served: BTreeMap<String, [i64; 6]> = BTreeMap::new();
        for row in rows(&world.db, &scope, &request, None).expect("rows") {
            let total = served.entry(row.key.supply.clone()).or_default();
            let counts = [
                row.impressions,
                row.views,
                row.clicks,
                row.conversions,
                row.conversion_value_micros,
                row.spend_micros,
            ];
            for (t, c) in total.iter_mut().zip(counts) {
                *t += c;
            }
        }
        expected.retain(|_, counts| counts.iter().any(|c| *c != 0));
        served.retain(|_, counts| counts.iter().any(|c| *c != 0));
        assert_eq!(served, expected, "campaign {}", ad.campaign_id);
    }
}

#[test]
fn migration_5_backfills_daily_rollups_once() {
    let db = NativeDb::with_schema(&testing::MIGRATIONS[..4]).expect("schema before 5");
    db.execute(
        "INSERT INTO rollups_hourly (organization_id, hour, campaign_id, ad_group_id, ad_id, supply, impressions)
         VALUES ('o', 90000, 'c', 'g', 'a', 'thrad', 3), ('o', 93600, 'c', 'g', 'a', 'thrad', 4)",
        &[],
    )
    .expect("hourly rows");
    let daily = |db: &NativeDb| {
        db.query_row("SELECT COUNT(*), SUM(impressions) FROM rollups_daily", &[])
            .expect("daily")
            .map(|row| (row.integer(0), row.integer(1)))
    };
    db.apply(testing::MIGRATIONS[4]).expect("migration 5");
    assert_eq!(daily(&db), Some((Some(1), Some(7))));
    db.execute("DELETE FROM rollups_daily", &[]).expect("clear");
    db.apply(testing::MIGRATIONS[4])
        .expect("migration 5 again, as at every start");
    assert_eq!(daily(&db), Some((Some(0), None)), "not backfilled again");
}

#[test]
fn migration_7_replaces_the_counting_triggers_of_an_older_database() {
    let db = testing::database();
    // The triggers a database migrated before 7 still has (one of them).
    db.apply(
        "CREATE TRIGGER impression_counts AFTER INSERT ON impressions
         WHEN NEW.billable = 1 AND NEW.campaign_id IS NOT NULL
         BEGIN
             INSERT INTO rollups_hourly (organization_id, hour, campaign_id, ad_group_id, ad_id, supply, impressions)
             VALUES (NEW.organization_id, NEW.created_at - NEW.created_at % 3600, NEW.campaign_id,
                     NEW.ad_group_id, NEW.ad_id, 'thrad', 1)
             ON CONFLICT DO UPDATE SET impressions = impressions + 1;
         END;",
    )
    .expect("an old trigger");
    db.apply(testing::MIGRATIONS[6])
        .expect("migration 7 at the next start");
    let organization = testing::organization(&db);
    let demand = testing::live_ad(&db, organization);
    testing::impression(
        &db,
        Some(demand),
        true,
        Micros::new(2_000_000),
        UnixSeconds::new(END),
    );
    let impressions = |table: &str| {
        db.query_row(&format!("SELECT SUM(impressions) FROM {table}"), &[])
            .expect("sum")
            .and_then(|row| row.integer(0))
    };
    assert_eq!(impressions("rollups_hourly"), Some(1), "counted once");
    assert_eq!(impressions("rollups_daily"), Some(1));
}

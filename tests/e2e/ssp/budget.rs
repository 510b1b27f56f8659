//! Spend: a served impression costs its CPM price / 1000, charged
//! atomically, never past the campaign's lifetime budget.

use serde_json::Value;

use super::{bid_request, conversation, envelope, live_campaign, start};

#[test]
fn concurrent_auctions_never_overspend_a_budget() {
    let app = start();
    // $1.00 budget at a $100 CPM: each impression costs $0.10, so ten fit.
    let campaign = live_campaign(&app, "running shoes", 100_000_000, 1_000_000);
    let sibling = app.sibling();
    let served: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|thread| {
                let instance = if thread % 2 == 0 { &app } else { &sibling };
                scope.spawn(move || {
                    (0..8)
                        .filter(|i| {
                            let body = conversation(&format!("chat_{thread}_{i}"), "running shoes");
                            envelope(&bid_request(instance, &body), 200, "success") != Value::Null
                        })
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).sum()
    });
    assert_eq!(served, 10, "exactly the impressions the budget pays for");
    let db = app.database();
    let (spent, limit): (i64, i64) = db
        .query_row(
            "SELECT spent_micros, lifetime_spend_limit_micros FROM campaigns WHERE id = ?1",
            [&campaign],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("campaign");
    assert_eq!((spent, limit), (1_000_000, 1_000_000));
    let billed: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM impressions WHERE campaign_id = ?1 AND cost_micros = 100000",
            [&campaign],
            |row| row.get(0),
        )
        .expect("impressions");
    assert_eq!(billed, 10);
    let rollup_spend: i64 = db
        .query_row("SELECT SUM(spend_micros) FROM rollups_hourly", [], |row| {
            row.get(0)
        })
        .expect("rollups");
    assert_eq!(rollup_spend, 1_000_000, "rollups match the charges");
}

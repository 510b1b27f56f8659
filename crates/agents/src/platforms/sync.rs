//! Facebook and Instagram delivery, synced from the Graph API's insights
//! by the scheduled work: each connected Meta account at most once an
//! hour, the last 7 days of each ad launched there, by day and publisher
//! platform, stored as another supply's report of the day's first hour
//! (`facebook`, `instagram`). Analytics and `/v1` insights then show them
//! beside the chat network; a later sync of a day replaces the earlier one.

use serde::Serialize;
use serde_json::Value;

use adspin_core::db::{Database, DbError, FromRow, Row};
use adspin_core::ids::{AdGroupId, AdId, CampaignId, OrganizationId};
use adspin_core::outbound::HttpClient;
use adspin_core::supply::{self, SupplyReportRow};
use adspin_core::time::UnixSeconds;

use super::meta::{self, MetaConfig};
use super::seal;
use super::store::{self, Connection};

/// How often a connection is synced, in seconds.
pub const SYNC_INTERVAL_SECONDS: i64 = 3_600;
/// Most connections synced by one tick.
pub const CONNECTIONS_PER_TICK: i64 = 10;
/// Action types counted as conversions.
const CONVERSION_ACTIONS: [&str; 4] = [
    "offsite_conversion.fb_pixel_purchase",
    "purchase",
    "lead",
    "complete_registration",
];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub connections: u32,
    pub rows: u32,
    pub failed: u32,
}

struct LaunchedAd {
    remote: String,
    organization: OrganizationId,
    campaign: CampaignId,
    ad_group: AdGroupId,
    ad: AdId,
}

impl FromRow for LaunchedAd {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            remote: row.get(0)?,
            organization: row.get(1)?,
            campaign: row.get(2)?,
            ad_group: row.get(3)?,
            ad: row.get(4)?,
        })
    }
}

/// Claims the connections due for a sync.
fn claim_due(db: &impl Database, now: UnixSeconds) -> Result<Vec<Connection>, DbError> {
    let due: Vec<Connection> = db.list(
        &format!(
            "SELECT {} FROM agent_platform_connections
             WHERE status = 'connected' AND provider = 'meta' AND (synced_at IS NULL OR synced_at <= ?1)
             ORDER BY synced_at LIMIT ?2",
            store::COLUMNS
        ),
        &[(now.get() - SYNC_INTERVAL_SECONDS).into(), CONNECTIONS_PER_TICK.into()],
    )?;
    let mut claimed = Vec::new();
    for connection in due {
        // Another tick may have claimed it meanwhile.
        let won = db.execute(
            "UPDATE agent_platform_connections SET synced_at = ?1
             WHERE id = ?2 AND (synced_at IS NULL OR synced_at <= ?3) RETURNING id",
            &[
                now.into(),
                connection.id.into(),
                (now.get() - SYNC_INTERVAL_SECONDS).into(),
            ],
        )?;
        if !won.is_empty() {
            claimed.push(connection);
        }
    }
    Ok(claimed)
}

fn number(value: &Value) -> f64 {
    match value {
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::String(s) => s.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Syncs the due connections; a connection whose calls fail is retried at
/// the next interval.
pub async fn sync_due(
    db: &impl Database,
    http: &impl HttpClient,
    config: Option<&MetaConfig>,
    secret: &[u8],
    now: UnixSeconds,
) -> Result<Report, DbError> {
    let mut report = Report::default();
    let Some(config) = config else {
        return Ok(report);
    };
    for connection in claim_due(db, now)? {
        report.connections += 1;
        let Some(token) = connection
            .sealed_token
            .as_deref()
            .and_then(|s| seal::open(secret, s))
        else {
            report.failed += 1;
            continue;
        };
        let ads: Vec<LaunchedAd> = db.list(
            "SELECT o.remote_id, x.organization_id, x.campaign_id, x.ad_group_id, x.id
             FROM agent_platform_objects o JOIN agent_ads d ON d.id = o.local_id JOIN ads x ON x.id = d.ad_id
             WHERE o.kind = 'ad' AND o.connection = ?1",
            &[connection.id.into()],
        )?;
        for ad in ads {
            let rows = match meta::insights(http, config, &token, &ad.remote).await {
                Ok(rows) => rows,
                Err(error) => {
                    adspin_core::log::warn(&format!(
                        "agents: insights of Meta ad {} failed: {error}",
                        ad.remote
                    ));
                    report.failed += 1;
                    continue;
                }
            };
            for row in rows {
                let Some(day) = row["date_start"]
                    .as_str()
                    .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|t| t.and_utc().timestamp())
                else {
                    continue;
                };
                let platform = match row["publisher_platform"].as_str() {
                    Some("instagram") => "instagram",
                    _ => "facebook",
                };
                let conversions: f64 = row["actions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|a| {
                        a["action_type"]
                            .as_str()
                            .is_some_and(|t| CONVERSION_ACTIONS.contains(&t))
                    })
                    .map(|a| number(&a["value"]))
                    .sum();
                supply::upsert_supply_report(
                    db,
                    ad.organization,
                    &SupplyReportRow {
                        hour: day,
                        campaign_id: ad.campaign,
                        ad_group_id: ad.ad_group,
                        ad_id: ad.ad,
                        supply: platform,
                        impressions: number(&row["impressions"]) as i64,
                        views: 0,
                        clicks: number(&row["clicks"]) as i64,
                        conversions: conversions as i64,
                        conversion_value_micros: 0,
                        spend_micros: (number(&row["spend"]) * 1_000_000.0).round() as i64,
                    },
                    now,
                )?;
                report.rows += 1;
            }
        }
    }
    Ok(report)
}

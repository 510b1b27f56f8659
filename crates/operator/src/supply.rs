//! `PUT /admin/organizations/{id}/supply-reports`: the hourly delivery of
//! the organization's ads on another supply (ChatGPT, through the OpenAI
//! Ads API), as that supply reports it. Each row states an hour's totals
//! for one ad; importing the same hour again replaces it (reports get
//! restated), and insights move by the difference.

use adspin_core::objects;
use serde::Deserialize;
use serde_json::json;

use crate::Outcome;
use crate::organizations::load_organization;
use crate::store;
use adspin_core::api_error::ApiError;
use adspin_core::body::parse_json;
use adspin_core::db::{Database, transaction};
use adspin_core::delivery::SUPPLY as OWN_SUPPLY;
use adspin_core::ids::AdId;
use adspin_core::time::UnixSeconds;

/// Most rows one import may carry.
pub const MAX_ROWS: usize = 1000;
/// Earliest hour a report may state (2020-01-01).
const EARLIEST_HOUR: i64 = 1_577_836_800;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Import {
    supply: String,
    #[serde(deserialize_with = "objects::objects")]
    rows: Vec<ReportRow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportRow {
    ad_id: String,
    /// Unix seconds at the start of the hour (UTC).
    hour: i64,
    #[serde(default)]
    impressions: i64,
    #[serde(default)]
    views: i64,
    #[serde(default)]
    clicks: i64,
    #[serde(default)]
    conversions: i64,
    #[serde(default)]
    conversion_value_micros: i64,
    #[serde(default)]
    spend_micros: i64,
}

pub fn import(db: &impl Database, id: &str, body: &[u8], now: UnixSeconds) -> Outcome {
    let request: Import = parse_json(body)?;
    let (organization, _) = load_organization(db, id)?;
    let valid_supply = (2..=32).contains(&request.supply.len())
        && request
            .supply
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && request.supply != OWN_SUPPLY;
    if !valid_supply {
        return Err(ApiError::invalid_value(
            "supply",
            format!(
                "supply is 2 to 32 lowercase letters, digits or underscores, such as chatgpt; \
                 '{OWN_SUPPLY}' is counted from the platform's own events"
            ),
        ));
    }
    if request.rows.is_empty() || request.rows.len() > MAX_ROWS {
        return Err(ApiError::invalid_value(
            "rows",
            format!("An import carries 1 to {MAX_ROWS} rows."),
        ));
    }
    for (index, row) in request.rows.iter().enumerate() {
        check_row(index, row, now)?;
    }
    transaction(db, || {
        for (index, row) in request.rows.iter().enumerate() {
            let no_such_ad = || {
                ApiError::invalid_value(
                    format!("rows[{index}].ad_id"),
                    "No such ad in this organization.",
                )
            };
            let ad = AdId::parse(&row.ad_id).ok_or_else(no_such_ad)?;
            let (campaign_id, ad_group_id) =
                store::find_ad_parents(db, organization, ad)?.ok_or_else(no_such_ad)?;
            store::upsert_supply_report(
                db,
                organization,
                &store::SupplyReportRow {
                    hour: row.hour,
                    campaign_id,
                    ad_group_id,
                    ad_id: ad,
                    supply: &request.supply,
                    impressions: row.impressions,
                    views: row.views,
                    clicks: row.clicks,
                    conversions: row.conversions,
                    conversion_value_micros: row.conversion_value_micros,
                    spend_micros: row.spend_micros,
                },
                now,
            )?;
        }
        Ok::<_, ApiError>(())
    })?;
    Ok((
        200,
        json!({
            "object": "supply_report_import",
            "organization_id": organization.to_string(),
            "supply": request.supply,
            "count": request.rows.len(),
        }),
    ))
}

fn check_row(index: usize, row: &ReportRow, now: UnixSeconds) -> Result<(), ApiError> {
    let param = |field: &str| format!("rows[{index}].{field}");
    if row.hour % 3600 != 0 || row.hour < EARLIEST_HOUR || row.hour > now.get() {
        return Err(ApiError::invalid_value(
            param("hour"),
            "hour is the Unix time of the start of a past hour (a multiple of 3600).",
        ));
    }
    let counts = [
        ("impressions", row.impressions),
        ("views", row.views),
        ("clicks", row.clicks),
        ("conversions", row.conversions),
        ("conversion_value_micros", row.conversion_value_micros),
        ("spend_micros", row.spend_micros),
    ];
    for (field, value) in counts {
        if value < 0 {
            return Err(ApiError::invalid_value(
                param(field),
                format!("{field} cannot be negative."),
            ));
        }
    }
    Ok(())
}

//! `GET /v1/ad_account/insights`, `/v1/campaigns/{id}/insights`,
//! `/v1/ad_groups/{id}/insights` and `/v1/ads/{id}/insights`: delivery and
//! results per time bucket, read from the hourly and daily rollups that
//! every event updates in its own statement.
//!
//! Rows combine every supply (the platform's own and others imported from
//! their reports) unless a `supply` filter narrows them or
//! `segments[]=supply` splits them. Money is in dollars and `ctr` is a
//! fraction; times are Unix seconds, buckets are UTC.

pub mod params;

use chrono::{TimeZone, Utc};
use serde_json::{Map, Value};

use self::params::{Granularity, InsightsRequest, Level, Metric};
use super::ApiError;
use super::context::{Ctx, respond};
use crate::store::insights::{InsightsRow, Scope, bucket_bounds, cursor_key, rows};
use crate::store::{self, OwnedTable};
use adspin_core::db::Database;
use adspin_core::ids::{AdGroupId, AdId, CampaignId};
use adspin_core::money::Micros;
use adspin_core::web::{Query, Response};

/// Serves the insights of `scope`: the account (`id` none) or the
/// campaign, ad group or ad `id` of the caller's organization.
pub fn insights<D: Database>(
    ctx: &Ctx<'_, D>,
    level: Level,
    id: Option<&str>,
    query: &Query,
) -> Result<Response, ApiError> {
    let scope = Scope {
        organization: ctx.caller.organization_id,
        level,
        id: id.map(|id| owned(ctx, level, id)).transpose()?,
    };
    let request = params::parse(query, level, ctx.now)?;
    let cursor = cursor_key(&request.page.cursor).map_err(|param| {
        ApiError::invalid_value(param, format!("{param} is not the id of an insights row."))
    })?;
    let fetched = rows(ctx.db, &scope, &request, cursor.as_ref())?;
    let list = request.page.into_list(fetched, |row| row.key.id());
    respond(200, &list.render(|row| render(row, &request, &scope)))
}

/// The id of a campaign, ad group or ad of the caller's organization
/// (another organization's id reads as not found).
fn owned<D: Database>(ctx: &Ctx<'_, D>, level: Level, id: &str) -> Result<String, ApiError> {
    let (table, resource, valid) = match level {
        Level::Campaign => (
            OwnedTable::Campaigns,
            "campaign",
            CampaignId::parse(id).is_some(),
        ),
        Level::AdGroup => (
            OwnedTable::AdGroups,
            "ad_group",
            AdGroupId::parse(id).is_some(),
        ),
        _ => (OwnedTable::Ads, "ad", AdId::parse(id).is_some()),
    };
    if valid && store::owns(ctx.db, ctx.caller.organization_id, table, id)? {
        Ok(id.to_string())
    } else {
        Err(ApiError::not_found(resource, id))
    }
}

fn readable_time(granularity: Granularity, start: i64) -> Option<String> {
    let time = Utc.timestamp_opt(start, 0).single()?;
    match granularity {
        Granularity::Hourly => Some(time.format("%Y-%m-%dT%H:00:00Z").to_string()),
        Granularity::Daily => Some(time.format("%Y-%m-%d").to_string()),
        Granularity::Monthly => Some(time.format("%Y-%m").to_string()),
        Granularity::None => None,
    }
}

fn dollars(micros: i64) -> f64 {
    Micros::new(micros).to_dollars()
}

fn ratio(numerator: f64, denominator: i64) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator / denominator as f64
    }
}

fn metric_value(row: &InsightsRow, metric: Metric) -> Value {
    match metric {
        Metric::Impressions => row.impressions.into(),
        Metric::Views => row.views.into(),
        Metric::Clicks => row.clicks.into(),
        Metric::Conversions => row.conversions.into(),
        Metric::ConversionValue => dollars(row.conversion_value_micros).into(),
        Metric::Spend => dollars(row.spend_micros).into(),
        Metric::Ctr => ratio(row.clicks as f64, row.impressions).into(),
        Metric::Cpc => ratio(dollars(row.spend_micros), row.clicks).into(),
        Metric::Cpm => ratio(dollars(row.spend_micros) * 1000.0, row.impressions).into(),
    }
}

fn render(row: &InsightsRow, request: &InsightsRequest, scope: &Scope) -> Value {
    let window = usize::try_from(row.key.window)
        .ok()
        .and_then(|index| request.windows.get(index).copied())
        .unwrap_or(request.windows[0]);
    let (start, end) = bucket_bounds(request.granularity, row.key.bucket, window);
    let mut object = Map::new();
    object.insert("id".into(), row.key.id().into());
    object.insert("start_time".into(), start.into());
    object.insert("end_time".into(), end.into());
    if let Some(readable) = readable_time(request.granularity, start) {
        object.insert("readable_time".into(), readable.into());
    }
    object.insert("timezone".into(), "UTC".into());
    object.insert("aggregation_level".into(), request.level.as_str().into());
    object.insert(
        "ad_account_id".into(),
        scope.organization.to_string().into(),
    );
    if request.level >= Level::Campaign {
        object.insert("campaign_id".into(), row.key.campaign_id.clone().into());
    }
    if request.level >= Level::AdGroup {
        object.insert("ad_group_id".into(), row.key.ad_group_id.clone().into());
    }
    if request.level >= Level::Ad {
        object.insert("ad_id".into(), row.key.ad_id.clone().into());
    }
    object.insert("supply".into(), row.key.supply.clone().into());
    for metric in &request.metrics {
        object.insert(metric.name().into(), metric_value(row, *metric));
    }
    Value::Object(object)
}

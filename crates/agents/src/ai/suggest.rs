//! `POST /ai/optimize/suggest`: what to change in a campaign, read from its
//! delivery over the last [`WINDOW_DAYS`] days (the rollups the analytics
//! read), each suggestion with a ready-to-apply API call.
//!
//! - `new_message`: the campaign's CTR is below 80% of the platform's
//!   (the base rate of [`super::ctr`]); `high` below half of it. The
//!   action generates fresh copy (`POST /ai/generate/text`).
//! - `new_image`: an ad is fatigued: its CTR over the last
//!   [`RECENT_DAYS`] days fell below 70% of its CTR before (at least
//!   [`MIN_FATIGUE_IMPRESSIONS`] impressions in each); `high` below half.
//!   The action generates a new banner (`POST /ai/generate/image`).
//! - `increase_budget`: an ad set wins: its CTR is at least 1.3 times the
//!   campaign's, among two or more ad sets with delivery; `high` at twice.
//!   The action raises the budget by 20% (`PATCH /campaigns/{id}`).
//! - `pause_ad`: an ad's CTR is below half the campaign's while another ad
//!   of the campaign serves (`PATCH .../ads/{id}` to `paused`), `medium`.
//!
//! CTRs are judged only with at least [`MIN_IMPRESSIONS`] impressions.
//! `strategies` keeps only the named types; `similar_audience` is accepted
//! but never suggested (the platform keeps no audience data to find
//! lookalikes in). Suggestions use no AI credits.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use adspin_core::body::parse_json;
use adspin_core::db::{Database, DbError, FromRow, Row};
use adspin_core::ids::{AdGroupId, AdId};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Response, json_response};

use super::ctr::{self, CtrModel};
use crate::AgentsError;
use crate::auth::Caller;
use crate::campaigns::{self, metrics, store as campaign_store, store::Campaign};
use crate::scopes::Scope;

/// Days of delivery read.
pub const WINDOW_DAYS: i64 = 14;
/// The recent days a fatigued ad is judged on.
pub const RECENT_DAYS: i64 = 3;
/// Fewest impressions a CTR is judged on.
pub const MIN_IMPRESSIONS: i64 = 500;
/// Fewest impressions of each period for fatigue.
pub const MIN_FATIGUE_IMPRESSIONS: i64 = 300;
/// How much an `increase_budget` suggestion raises the budget.
pub const BUDGET_RAISE: f64 = 1.2;

/// The kinds of suggestion.
pub const TYPES: [&str; 5] = [
    "new_message",
    "new_image",
    "increase_budget",
    "pause_ad",
    "similar_audience",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuggestRequest {
    #[serde(default, deserialize_with = "id_text")]
    campaign_id: Option<String>,
    #[serde(default)]
    strategies: Option<Vec<String>>,
}

/// A campaign id as an integer or a string.
fn id_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(serde::de::Error::custom("campaign_id is a campaign id")),
    }
}

/// Delivery counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub impressions: i64,
    pub clicks: i64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.impressions += other.impressions;
        self.clicks += other.clicks;
    }

    /// CTR in percent, when there are enough impressions to judge it.
    fn ctr(self, min_impressions: i64) -> Option<f64> {
        (self.impressions >= min_impressions.max(1))
            .then(|| self.clicks as f64 * 100.0 / self.impressions as f64)
    }
}

/// One ad's delivery, before and during the recent days.
#[derive(Debug, Clone, PartialEq)]
pub struct AdPerformance {
    pub ad_set: i64,
    pub ad: i64,
    pub headline: String,
    pub earlier: Counts,
    pub recent: Counts,
}

/// What the rules judge.
#[derive(Debug, Clone, PartialEq)]
pub struct Performance {
    pub campaign: i64,
    /// The platform's CTR, in percent.
    pub platform_ctr: f64,
    pub budget_dollars: f64,
    pub ads: Vec<AdPerformance>,
    /// Each ad set's name, by id.
    pub ad_sets: BTreeMap<i64, String>,
    /// The request for fresh copy (`POST /ai/generate/text`).
    pub text_request: Value,
}

/// Impact of a suggestion.
fn impact(high: bool) -> &'static str {
    if high { "high" } else { "medium" }
}

/// The suggestions for `performance`, most impactful first.
pub fn suggestions(performance: &Performance) -> Vec<Value> {
    let mut out = Vec::new();
    let mut campaign = Counts::default();
    let mut by_ad_set: BTreeMap<i64, Counts> = BTreeMap::new();
    for ad in &performance.ads {
        let mut total = ad.earlier;
        total.add(ad.recent);
        campaign.add(total);
        by_ad_set.entry(ad.ad_set).or_default().add(total);
    }
    let base = performance.platform_ctr;
    let campaign_path = format!("/api/v1/campaigns/{}", performance.campaign);
    let campaign_ctr = campaign.ctr(MIN_IMPRESSIONS);

    if let Some(ctr) = campaign_ctr.filter(|ctr| *ctr < 0.8 * base) {
        out.push(json!({
            "type": "new_message",
            "impact": impact(ctr < 0.5 * base),
            "description": format!(
                "The campaign's CTR is {ctr:.2}%, below the platform's {base:.2}%: try new copy."
            ),
            "target": {"campaign_id": performance.campaign},
            "action": {"method": "POST", "path": "/api/v1/ai/generate/text", "body": performance.text_request},
        }));
    }
    for ad in &performance.ads {
        let (Some(before), Some(now)) = (
            ad.earlier.ctr(MIN_FATIGUE_IMPRESSIONS),
            ad.recent.ctr(MIN_FATIGUE_IMPRESSIONS),
        ) else {
            continue;
        };
        if before > 0.0 && now < 0.7 * before {
            out.push(json!({
                "type": "new_image",
                "impact": impact(now < 0.5 * before),
                "description": format!(
                    "Ad {} is wearing out: its CTR fell from {before:.2}% to {now:.2}% over the last {RECENT_DAYS} days; give it a new image.",
                    ad.ad
                ),
                "target": {"ad_set_id": ad.ad_set, "ad_id": ad.ad},
                "action": {"method": "POST", "path": "/api/v1/ai/generate/image", "body": {
                    "prompt": ad.headline, "headline": ad.headline, "size": "1080x1080", "count": 1,
                }},
            }));
        }
    }
    let judged: Vec<(i64, f64)> = by_ad_set
        .iter()
        .filter_map(|(id, counts)| counts.ctr(MIN_IMPRESSIONS).map(|ctr| (*id, ctr)))
        .collect();
    if let (Some(campaign_ctr), true) = (campaign_ctr, judged.len() >= 2) {
        let best = judged.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((ad_set, ctr)) =
            best.filter(|(_, ctr)| campaign_ctr > 0.0 && *ctr >= 1.3 * campaign_ctr)
        {
            let amount = (performance.budget_dollars * BUDGET_RAISE * 100.0).round() / 100.0;
            let name = performance
                .ad_sets
                .get(&ad_set)
                .cloned()
                .unwrap_or_default();
            out.push(json!({
                "type": "increase_budget",
                "impact": impact(ctr >= 2.0 * campaign_ctr),
                "description": format!(
                    "Ad set {name:?} wins with a {ctr:.2}% CTR against the campaign's {campaign_ctr:.2}%: raise the budget by 20% to ${amount:.2}."
                ),
                "target": {"campaign_id": performance.campaign, "ad_set_id": ad_set},
                "action": {"method": "PATCH", "path": campaign_path, "body": {"budget": {"amount": amount}}},
            }));
        }
    }
    if let Some(campaign_ctr) = campaign_ctr.filter(|_| performance.ads.len() >= 2) {
        for ad in &performance.ads {
            let mut total = ad.earlier;
            total.add(ad.recent);
            if let Some(ctr) = total
                .ctr(2 * MIN_IMPRESSIONS)
                .filter(|ctr| *ctr < 0.5 * campaign_ctr)
            {
                out.push(json!({
                    "type": "pause_ad",
                    "impact": "medium",
                    "description": format!(
                        "Ad {} has a {ctr:.2}% CTR, under half the campaign's {campaign_ctr:.2}%: pause it.",
                        ad.ad
                    ),
                    "target": {"ad_set_id": ad.ad_set, "ad_id": ad.ad},
                    "action": {"method": "PATCH", "path": format!("{campaign_path}/ad-sets/{}/ads/{}", ad.ad_set, ad.ad), "body": {"status": "paused"}},
                }));
            }
        }
    }
    let rank = |s: &Value| match s["impact"].as_str() {
        Some("high") => 0,
        Some("medium") => 1,
        _ => 2,
    };
    out.sort_by_key(rank);
    out
}

/// One ad's delivery in one period.
struct AdRow {
    ad_group_id: AdGroupId,
    ad_id: AdId,
    recent: bool,
    counts: Counts,
}

impl FromRow for AdRow {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            ad_group_id: row.get(0)?,
            ad_id: row.get(1)?,
            recent: row.get(2)?,
            counts: Counts {
                impressions: row.get(3)?,
                clicks: row.get(4)?,
            },
        })
    }
}

/// The campaign's delivery by ad and period, and what the rules need
/// besides.
fn performance(
    db: &impl Database,
    caller: &Caller,
    campaign: &Campaign,
    now: UnixSeconds,
) -> Result<Performance, AgentsError> {
    let organization = caller.organization_id();
    let today = now.get() - now.get().rem_euclid(86_400);
    let rows: Vec<AdRow> = db.list(
        "SELECT ad_group_id, ad_id, day >= ?3, COALESCE(SUM(impressions), 0), COALESCE(SUM(clicks), 0)
         FROM rollups_daily
         WHERE organization_id = ?1 AND campaign_id = ?2 AND day >= ?4
         GROUP BY 1, 2, 3",
        &[
            organization.into(),
            campaign.campaign_id.into(),
            UnixSeconds::new(today - (RECENT_DAYS - 1) * 86_400).into(),
            UnixSeconds::new(today - (WINDOW_DAYS - 1) * 86_400).into(),
        ],
    )?;
    let mut ads = Vec::new();
    let mut ad_sets = BTreeMap::new();
    let mut interests: Vec<String> = Vec::new();
    for ad_set in campaign_store::ad_sets(db, organization, campaign.id)? {
        ad_sets.insert(ad_set.id, ad_set.name.clone());
        if let Some(list) = ad_set.targeting.get("interests").and_then(Value::as_array) {
            interests.extend(list.iter().filter_map(Value::as_str).map(String::from));
        }
        for ad in campaign_store::ads(db, organization, ad_set.id)? {
            let mut earlier = Counts::default();
            let mut recent = Counts::default();
            for row in rows
                .iter()
                .filter(|r| r.ad_id == ad.ad_id && r.ad_group_id == ad_set.ad_group_id)
            {
                if row.recent {
                    recent.add(row.counts);
                } else {
                    earlier.add(row.counts);
                }
            }
            ads.push(AdPerformance {
                ad_set: ad_set.id,
                ad: ad.id,
                headline: ad.creative["headline"]
                    .as_str()
                    .unwrap_or(&campaign.name)
                    .to_string(),
                earlier,
                recent,
            });
        }
    }
    interests.dedup();
    let details = &campaign.details;
    let audience = details
        .audience_description
        .clone()
        .filter(|a| !a.trim().is_empty())
        .or_else(|| {
            (!interests.is_empty())
                .then(|| format!("People interested in {}", interests.join(", ")))
        })
        .unwrap_or_else(|| "Our customers".to_string());
    let platform = campaign
        .platforms
        .iter()
        .find(|p| ["facebook", "instagram", "chat"].contains(&p.as_str()))
        .cloned()
        .unwrap_or_else(|| "chat".to_string());
    let text_request = json!({
        "product_description": details.product_description.clone().filter(|p| !p.trim().is_empty()).unwrap_or_else(|| campaign.name.clone()),
        "target_audience": audience,
        "variations": 3,
        "platform": platform,
    });
    let platform_ctr = CtrModel::fit(&ctr::history(db, now)?).base_percent();
    Ok(Performance {
        campaign: campaign.id,
        platform_ctr,
        budget_dollars: campaign.budget.amount.to_dollars(),
        ads,
        ad_sets,
        text_request,
    })
}

/// `POST /ai/optimize/suggest {campaign_id, strategies?}`: `200
/// {campaign_id, metrics, suggestions}`.
pub fn suggest(
    db: &impl Database,
    caller: &Caller,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::ContentGenerate)?;
    caller.require(Scope::AnalyticsRead)?;
    let request: SuggestRequest = parse_json(body)?;
    let id = request
        .campaign_id
        .ok_or_else(|| AgentsError::validation("campaign_id", "campaign_id is required."))?;
    let unknown = request
        .strategies
        .iter()
        .flatten()
        .find(|s| !TYPES.contains(&s.as_str()));
    if let Some(unknown) = unknown {
        return Err(AgentsError::validation(
            "strategies",
            format!("{unknown:?} is not a strategy: use {}.", TYPES.join(", ")),
        ));
    }
    let campaign = campaigns::owned(db, caller, &id)?;
    let performance = performance(db, caller, &campaign, now)?;
    let mut found = suggestions(&performance);
    if let Some(strategies) = &request.strategies {
        found.retain(|s| strategies.iter().any(|wanted| s["type"] == wanted.as_str()));
    }
    let totals = campaign_store::totals(db, caller.organization_id(), campaign.campaign_id)?;
    Ok(json_response(
        200,
        &json!({
            "campaign_id": campaign.id,
            "generated_at": now.to_iso8601(),
            "window_days": WINDOW_DAYS,
            "platform_ctr": (performance.platform_ctr * 100.0).round() / 100.0,
            "metrics": metrics(&totals),
            "suggestions": found,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ad(ad_set: i64, ad: i64, earlier: (i64, i64), recent: (i64, i64)) -> AdPerformance {
        AdPerformance {
            ad_set,
            ad,
            headline: format!("Ad {ad}"),
            earlier: Counts {
                impressions: earlier.0,
                clicks: earlier.1,
            },
            recent: Counts {
                impressions: recent.0,
                clicks: recent.1,
            },
        }
    }

    fn performance(ads: Vec<AdPerformance>) -> Performance {
        Performance {
            campaign: 7,
            platform_ctr: 1.5,
            budget_dollars: 75.0,
            ads,
            ad_sets: BTreeMap::from([(1, "US".to_string()), (2, "EU".to_string())]),
            text_request: json!({"product_description": "Tool"}),
        }
    }

    fn types(found: &[Value]) -> Vec<(&str, &str)> {
        found
            .iter()
            .map(|s| {
                (
                    s["type"].as_str().unwrap_or_default(),
                    s["impact"].as_str().unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn a_low_ctr_asks_for_a_new_message() {
        let found = suggestions(&performance(vec![ad(1, 10, (2_000, 10), (1_000, 5))]));
        assert_eq!(types(&found), [("new_message", "high")]);
        assert_eq!(found[0]["action"]["path"], "/api/v1/ai/generate/text");
        assert_eq!(found[0]["action"]["body"]["product_description"], "Tool");
    }

    #[test]
    fn a_fading_ad_asks_for_a_new_image() {
        // 3% before, 1% recently: fatigue, while the campaign stays above the platform.
        let found = suggestions(&performance(vec![ad(1, 10, (4_000, 120), (1_000, 10))]));
        assert_eq!(types(&found), [("new_image", "high")]);
        assert_eq!(found[0]["target"]["ad_id"], 10);
    }

    #[test]
    fn a_winning_ad_set_gets_more_budget_and_a_losing_ad_is_paused() {
        let found = suggestions(&performance(vec![
            ad(1, 10, (2_000, 100), (1_000, 50)),
            ad(2, 20, (2_000, 10), (1_000, 5)),
        ]));
        assert_eq!(
            types(&found),
            [("increase_budget", "medium"), ("pause_ad", "medium")]
        );
        assert_eq!(found[0]["action"]["body"]["budget"]["amount"], 90.0);
        assert_eq!(found[0]["target"]["ad_set_id"], 1);
        assert_eq!(found[1]["target"]["ad_id"], 20);
        assert_eq!(
            found[1]["action"]["path"],
            "/api/v1/campaigns/7/ad-sets/2/ads/20"
        );
    }

    #[test]
    fn too_little_delivery_suggests_nothing() {
        assert!(suggestions(&performance(vec![ad(1, 10, (100, 0), (50, 0))])).is_empty());
        assert!(suggestions(&performance(vec![])).is_empty());
    }
}

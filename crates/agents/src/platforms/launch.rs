//! Launching to Facebook and Instagram, and keeping Meta in step: a
//! campaign becomes a Meta campaign (campaign budget), each ad set an ad
//! set (countries and ages; the platforms the campaign names as
//! `publisher_platforms`), each ad a creative (published as the connected
//! Page) and an ad. Pausing, resuming, budget changes and deletion are
//! sent to Meta before they change here, so the two never disagree; a
//! Graph error is this API's `502 platform_error` with Graph's own error
//! object in `details`. A launch that fails half way deletes what it
//! created.

use serde_json::{Value, json};

use adspin_core::db::Database;
use adspin_core::outbound::HttpClient;
use adspin_core::time::UnixSeconds;

use super::meta::{self, GraphError, MetaConfig};
use super::seal;
use super::store::{self, Connection};
use crate::AgentsError;
use crate::auth::Caller;
use crate::campaigns::model::{BudgetType, Objective};
use crate::campaigns::store::{Ad, AdSet, Campaign};

/// The Meta platforms a campaign names.
pub fn meta_platforms(platforms: &[String]) -> Vec<String> {
    platforms
        .iter()
        .filter(|p| super::PLATFORMS.contains(&p.as_str()))
        .cloned()
        .collect()
}

/// A connection ready to use: its token opened.
pub struct MetaAccount {
    pub connection: Connection,
    token: String,
    config: Option<MetaConfig>,
}

impl MetaAccount {
    fn is_demo(&self) -> bool {
        self.connection.provider == "demo"
    }

    fn ad_account(&self) -> &str {
        self.connection.ad_account_id.as_deref().unwrap_or_default()
    }
}

/// The account's Meta connection for `platforms` (Facebook and Instagram
/// share one): `409 platform_not_connected` naming the first platform
/// without one.
pub fn account_for(
    db: &impl Database,
    caller: &Caller,
    platforms: &[String],
    config: Option<&MetaConfig>,
    secret: &[u8],
) -> Result<Option<MetaAccount>, AgentsError> {
    let wanted = meta_platforms(platforms);
    let Some(first) = wanted.first() else {
        return Ok(None);
    };
    let connections = store::connected(db, caller.organization_id(), caller.mode())?;
    let not_connected = |platform: &str| {
        AgentsError::new(
            409,
            "platform_not_connected",
            format!("Connect {platform} first: POST /platforms/{platform}/connect."),
        )
        .with_details(json!({"platform": platform}))
    };
    let connection = wanted
        .iter()
        .find_map(|p| connections.iter().rev().find(|c| &c.platform == p))
        .cloned()
        .ok_or_else(|| not_connected(first))?;
    let usable = connection.provider == "demo" || config.is_some();
    let token = connection
        .sealed_token
        .as_deref()
        .and_then(|sealed| seal::open(secret, sealed))
        .filter(|_| usable)
        .ok_or_else(|| not_connected(first))?;
    Ok(Some(MetaAccount {
        connection,
        token,
        config: config.cloned(),
    }))
}

/// `502 platform_error` with Graph's error.
pub fn platform_error(error: GraphError) -> AgentsError {
    let details = match &error {
        GraphError::Refused { status, error, .. } => {
            json!({"platform": "meta", "status": status, "graph_error": error})
        }
        other => json!({"platform": "meta", "reason": other.to_string()}),
    };
    AgentsError::new(
        502,
        "platform_error",
        format!("Meta refused the change: {error}"),
    )
    .with_details(details)
}

/// What a launch created on Meta, by local object.
#[derive(Debug, Default)]
pub struct Created {
    pub campaign: String,
    pub ad_sets: Vec<(i64, String)>,
    pub creatives: Vec<(i64, String)>,
    pub ads: Vec<(i64, String)>,
}

fn optimization_goal(objective: Objective) -> &'static str {
    match objective {
        Objective::Awareness => "REACH",
        Objective::Traffic => "LINK_CLICKS",
        Objective::Engagement => "POST_ENGAGEMENT",
        Objective::Leads => "LEAD_GENERATION",
        Objective::Conversions => "OFFSITE_CONVERSIONS",
        Objective::AppInstalls => "APP_INSTALLS",
    }
}

fn cents(micros: i64) -> String {
    (micros / 10_000).to_string()
}

fn date_time(date: Option<chrono::NaiveDate>, end: bool) -> Option<String> {
    let date = if end { date?.succ_opt()? } else { date? };
    Some(format!("{date}T00:00:00+0000"))
}

/// Creates the campaign, its ad sets, creatives and ads on Meta.
pub async fn create(
    http: &impl HttpClient,
    account: &MetaAccount,
    campaign: &Campaign,
    tree: &[(AdSet, Vec<Ad>)],
) -> Result<Created, AgentsError> {
    if account.is_demo() {
        return Ok(Created {
            campaign: format!("demo_campaign_{}", campaign.id),
            ad_sets: tree
                .iter()
                .map(|(s, _)| (s.id, format!("demo_ad_set_{}", s.id)))
                .collect(),
            creatives: tree
                .iter()
                .flat_map(|(_, ads)| {
                    ads.iter()
                        .map(|a| (a.id, format!("demo_creative_{}", a.id)))
                })
                .collect(),
            ads: tree
                .iter()
                .flat_map(|(_, ads)| ads.iter().map(|a| (a.id, format!("demo_ad_{}", a.id))))
                .collect(),
        });
    }
    let mut created = Created::default();
    match create_on_graph(http, account, campaign, tree, &mut created).await {
        Ok(()) => Ok(created),
        Err(error) => {
            // Nothing half made stays on Meta: deleting the campaign deletes
            // what hangs under it.
            if let Some(config) = &account.config
                && !created.campaign.is_empty()
            {
                let _ = meta::delete(http, config, &account.token, &created.campaign).await;
            }
            Err(platform_error(error))
        }
    }
}

async fn create_on_graph(
    http: &impl HttpClient,
    account: &MetaAccount,
    campaign: &Campaign,
    tree: &[(AdSet, Vec<Ad>)],
    created: &mut Created,
) -> Result<(), GraphError> {
    let Some(config) = &account.config else {
        return Err(GraphError::Unreachable("no Meta app is configured".into()));
    };
    let token = &account.token;
    let ad_account = account.ad_account();
    let budget_field = match campaign.budget.kind {
        BudgetType::Daily => "daily_budget",
        BudgetType::Lifetime => "lifetime_budget",
    };
    created.campaign = meta::create(
        http,
        config,
        token,
        ad_account,
        "campaigns",
        &[
            ("name", campaign.name.clone()),
            ("objective", campaign.objective.meta_objective().into()),
            ("status", "ACTIVE".into()),
            ("buying_type", "AUCTION".into()),
            ("special_ad_categories", "[]".into()),
            (budget_field, cents(campaign.budget.amount.get())),
            ("bid_strategy", "LOWEST_COST_WITHOUT_CAP".into()),
        ],
    )
    .await?;
    let publishers = meta_platforms(&campaign.platforms);
    for (ad_set, ads) in tree {
        let countries: Vec<String> = ad_set.targeting["locations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l["value"].as_str().map(String::from))
            .collect();
        let mut targeting = json!({
            "geo_locations": {"countries": if countries.is_empty() { vec!["US".to_string()] } else { countries }},
            "publisher_platforms": publishers,
        });
        for age in ["age_min", "age_max"] {
            if let Some(value) = ad_set.targeting[age].as_u64() {
                targeting[age] = json!(value);
            }
        }
        let interests = interests(http, config, token, &ad_set.targeting).await?;
        if !interests.is_empty() {
            targeting["flexible_spec"] = json!([{ "interests": interests }]);
        }
        let mut fields = vec![
            ("name", ad_set.name.clone()),
            ("campaign_id", created.campaign.clone()),
            ("billing_event", "IMPRESSIONS".into()),
            (
                "optimization_goal",
                optimization_goal(campaign.objective).into(),
            ),
            ("targeting", targeting.to_string()),
            ("status", "ACTIVE".into()),
        ];
        if let Some(start) = date_time(campaign.schedule.start, false) {
            fields.push(("start_time", start));
        }
        if let Some(end) = date_time(campaign.schedule.end, true) {
            fields.push(("end_time", end));
        }
        let remote_set = meta::create(http, config, token, ad_account, "adsets", &fields).await?;
        created.ad_sets.push((ad_set.id, remote_set.clone()));
        for ad in ads {
            let creative = creative_spec(account, &ad.creative);
            let remote_creative = meta::create(
                http,
                config,
                token,
                ad_account,
                "adcreatives",
                &[
                    ("name", ad.name.clone()),
                    ("object_story_spec", creative.to_string()),
                ],
            )
            .await?;
            created.creatives.push((ad.id, remote_creative.clone()));
            let remote_ad = meta::create(
                http,
                config,
                token,
                ad_account,
                "ads",
                &[
                    ("name", ad.name.clone()),
                    ("adset_id", remote_set.clone()),
                    (
                        "creative",
                        json!({"creative_id": remote_creative}).to_string(),
                    ),
                    ("status", "ACTIVE".into()),
                ],
            )
            .await?;
            created.ads.push((ad.id, remote_ad));
        }
    }
    Ok(())
}

/// The ad set's interests as Meta's interest ids (`{id, name}`), found
/// with its targeting search; a term Meta knows no interest for is left
/// out, as Meta's own interface does.
async fn interests(
    http: &impl HttpClient,
    config: &MetaConfig,
    token: &str,
    targeting: &Value,
) -> Result<Vec<Value>, GraphError> {
    let mut found = Vec::new();
    for term in targeting["interests"].as_array().into_iter().flatten() {
        let Some(term) = term.as_str() else { continue };
        if let Some(interest) = meta::interest(http, config, token, term).await?
            && !found
                .iter()
                .any(|f: &Value| f["id"] == interest.id.as_str())
        {
            found.push(json!({"id": interest.id, "name": interest.name}));
        }
    }
    Ok(found)
}

/// The ad's creative as a Page link post.
fn creative_spec(account: &MetaAccount, creative: &Value) -> Value {
    let text = |name: &str| creative[name].as_str().map(String::from);
    let link = text("link_url").unwrap_or_default();
    let mut link_data = json!({"link": link, "name": text("headline")});
    if let Some(message) = text("primary_text") {
        link_data["message"] = json!(message);
    }
    if let Some(description) = text("description") {
        link_data["description"] = json!(description);
    }
    if let Some(picture) = text("image_url") {
        link_data["picture"] = json!(picture);
    }
    if let Some(cta) = text("call_to_action") {
        link_data["call_to_action"] =
            json!({"type": cta.to_ascii_uppercase(), "value": {"link": link}});
    }
    json!({"page_id": account.connection.page_id, "link_data": link_data})
}

/// Records what a launch created (in the launch's transaction).
pub fn record(
    db: &impl Database,
    account: &MetaAccount,
    created: &Created,
    now: UnixSeconds,
) -> Result<(), AgentsError> {
    let connection = account.connection.id;
    for (kind, objects) in [
        ("ad_set", &created.ad_sets),
        ("creative", &created.creatives),
        ("ad", &created.ads),
    ] {
        for (local, remote) in objects {
            store::record_object(db, (kind, *local, "meta"), remote, connection, now)?;
        }
    }
    Ok(())
}

/// Sends a status change to Meta (`ACTIVE`, `PAUSED`).
pub async fn set_status(
    http: &impl HttpClient,
    account: &MetaAccount,
    remote: &str,
    active: bool,
) -> Result<(), AgentsError> {
    let status = if active { "ACTIVE" } else { "PAUSED" };
    update(http, account, remote, &[("status", status.into())]).await
}

/// Sends a budget change to Meta.
pub async fn set_budget(
    http: &impl HttpClient,
    account: &MetaAccount,
    remote: &str,
    kind: BudgetType,
    micros: i64,
) -> Result<(), AgentsError> {
    let field = match kind {
        BudgetType::Daily => "daily_budget",
        BudgetType::Lifetime => "lifetime_budget",
    };
    update(http, account, remote, &[(field, cents(micros))]).await
}

async fn update(
    http: &impl HttpClient,
    account: &MetaAccount,
    remote: &str,
    fields: &[(&str, String)],
) -> Result<(), AgentsError> {
    match (&account.config, account.is_demo()) {
        (_, true) => Ok(()),
        (Some(config), false) => meta::update(http, config, &account.token, remote, fields)
            .await
            .map_err(platform_error),
        (None, false) => Err(platform_error(GraphError::Unreachable(
            "no Meta app is configured".into(),
        ))),
    }
}

/// Deletes a campaign on Meta.
pub async fn delete(
    http: &impl HttpClient,
    account: &MetaAccount,
    remote: &str,
) -> Result<(), AgentsError> {
    match (&account.config, account.is_demo()) {
        (_, true) => Ok(()),
        (Some(config), false) => meta::delete(http, config, &account.token, remote)
            .await
            .map_err(platform_error),
        (None, false) => Err(platform_error(GraphError::Unreachable(
            "no Meta app is configured".into(),
        ))),
    }
}

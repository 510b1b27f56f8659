//! Fixtures for native tests: the whole schema, live demand, and an
//! [`Env`](crate::env::Env) on virtual time with an in-memory key-value
//! store and fake outbound HTTP.

mod env;

pub use env::{FakeHttp, FakeLlm, FakeReply, MemoryKv, TestEnv, VirtualClock, run};

use crate::db::Database;
use crate::db::native::NativeDb;
use crate::delivery::{self as serve, Demand, Impression};
use crate::ids::{AdGroupId, AdId, CampaignId, OrganizationId};
use crate::money::Micros;
use crate::time::UnixSeconds;

/// Every migration, in order.
pub const MIGRATIONS: [&str; 19] = [
    include_str!("../../../../migrations/0001_foundation.sql"),
    include_str!("../../../../migrations/0002_advertiser.sql"),
    include_str!("../../../../migrations/0003_ssp.sql"),
    include_str!("../../../../migrations/0004_hint_anchors.sql"),
    include_str!("../../../../migrations/0005_events.sql"),
    include_str!("../../../../migrations/0006_wal.sql"),
    include_str!("../../../../migrations/0007_rollup_deltas.sql"),
    include_str!("../../../../migrations/0008_agents.sql"),
    include_str!("../../../../migrations/0009_billing.sql"),
    include_str!("../../../../migrations/0010_webhooks.sql"),
    include_str!("../../../../migrations/0011_oauth.sql"),
    include_str!("../../../../migrations/0012_agents_campaigns.sql"),
    include_str!("../../../../migrations/0013_optimization_rules.sql"),
    include_str!("../../../../migrations/0014_platforms.sql"),
    include_str!("../../../../migrations/0015_privacy.sql"),
    include_str!("../../../../migrations/0016_poll_votes.sql"),
    include_str!("../../../../migrations/0017_agent_safety.sql"),
    include_str!("../../../../migrations/0018_ai_generations.sql"),
    include_str!("../../../../migrations/0019_dsp_protocols.sql"),
];

/// The development seed (the demo organization and its keys).
pub const DEV_SEED: &str = include_str!("../../../../seed/dev.sql");

/// A fresh in-memory database with the whole schema.
pub fn database() -> NativeDb {
    NativeDb::with_schema(&MIGRATIONS).expect("schema")
}

/// A new organization (account currency USD).
pub fn organization(db: &NativeDb) -> OrganizationId {
    let id = OrganizationId::new_random();
    db.execute(
        "INSERT INTO organizations (id, name, created_at, updated_at) VALUES (?1, 'Org', 0, 0)",
        &[id.into()],
    )
    .expect("organization");
    id
}

/// An active campaign of `organization` with one ad group and one ad.
pub fn live_ad(db: &NativeDb, organization: OrganizationId) -> Demand {
    let demand = Demand {
        organization_id: organization,
        campaign_id: CampaignId::new_random(),
        ad_group_id: AdGroupId::new_random(),
        ad_id: AdId::new_random(),
    };
    let org = organization.to_string();
    db.execute(
        "INSERT INTO campaigns (id, organization_id, name, status, review_status, start_time,
             lifetime_spend_limit_micros, recurring_frequency, pricing_model, created_at, updated_at)
         VALUES (?1, ?2, 'Campaign', 'active', 'approved', 0, 1000000000000, 'monthly', 'cpm', 0, 0)",
        &[demand.campaign_id.into(), org.as_str().into()],
    )
    .expect("campaign");
    db.execute(
        "INSERT INTO ad_groups (id, organization_id, campaign_id, name, context_hints, status,
             max_bid_micros, creative_type, created_at, updated_at)
         VALUES (?1, ?2, ?3, 'Group', '[]', 'active', 2000000, 'chat_card', 0, 0)",
        &[
            demand.ad_group_id.into(),
            org.as_str().into(),
            demand.campaign_id.into(),
        ],
    )
    .expect("ad group");
    db.execute(
        "INSERT INTO ads (id, organization_id, campaign_id, ad_group_id, name, status, creative, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'Ad', 'active', '{}', 0, 0)",
        &[
            demand.ad_id.into(),
            org.as_str().into(),
            demand.campaign_id.into(),
            demand.ad_group_id.into(),
        ],
    )
    .expect("ad");
    demand
}

/// Serves one impression of `demand` (none: another DSP's ad) at `at`;
/// returns its id.
pub fn impression(
    db: &NativeDb,
    demand: Option<Demand>,
    billable: bool,
    price: Micros,
    at: UnixSeconds,
) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let publisher = OrganizationId::new_random();
    serve::record(
        db,
        &Impression {
            id: &id,
            request_id: "req",
            publisher_id: publisher,
            environment: if billable { "production" } else { "staging" },
            billable,
            dsp: "thrad_dsp",
            bid_id: "bid",
            demand,
            price,
            landing_url: "https://example.com/",
            chat_id: "chat",
            country: None,
            chat_requests: 1,
        },
        at,
    )
    .expect("impression");
    id
}

/// Clicks impression `impression` at `at`; returns the click id.
pub fn click(db: &NativeDb, impression: &str, at: UnixSeconds) -> String {
    serve::record_click(db, impression, at)
        .expect("click")
        .expect("impression exists")
}

//! The demand that can serve now: ad groups of active, approved campaigns
//! inside their schedule with budget left for one more impression, and
//! their active ads, in one query.

use crate::catalog::creative::Creative;
use crate::db::{Database, DbError};
use crate::delivery::Demand;
use crate::ids::{AdGroupId, AdId, CampaignId, OrganizationId};
use crate::money::Micros;
use crate::time::UnixSeconds;

use super::relevance::{Conversation, THRESHOLD};
use super::store;

/// Most conversation words used to look up ad groups.
pub const MAX_LOOKUP_WORDS: usize = 200;

/// An ad group that may bid, with its active ads (oldest first).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub ad_group_id: AdGroupId,
    pub campaign_id: CampaignId,
    pub organization_id: OrganizationId,
    pub advertiser: String,
    pub context_hints: Vec<String>,
    pub max_bid: Micros,
    pub countries: Vec<String>,
    pub ads: Vec<(AdId, Creative)>,
}

/// An ad chosen to bid, with what the bid response shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ServingAd {
    pub ad_id: AdId,
    pub ad_group_id: AdGroupId,
    pub campaign_id: CampaignId,
    pub organization_id: OrganizationId,
    pub advertiser: String,
    pub creative: Creative,
}

impl ServingAd {
    /// The ad and the campaign (and advertiser) it is charged to.
    pub fn demand(&self) -> Demand {
        Demand {
            organization_id: self.organization_id,
            campaign_id: self.campaign_id,
            ad_group_id: self.ad_group_id,
            ad_id: self.ad_id,
        }
    }
}

/// The ad groups that can serve at `now` with at least one hint whose
/// words all appear in the conversation (the weighted relevance check
/// comes after), each with its active chat-card ads; sandbox campaigns
/// only with `include_sandbox`.
pub fn candidates(
    db: &impl Database,
    now: UnixSeconds,
    words: &[String],
    include_sandbox: bool,
) -> Result<Vec<Candidate>, DbError> {
    let words = &words[..words.len().min(MAX_LOOKUP_WORDS)];
    let mut candidates: Vec<Candidate> = Vec::new();
    for row in store::candidate_ads(db, now, words, include_sandbox)? {
        if let Some(last) = candidates.last_mut()
            && last.ad_group_id == row.ad_group_id
        {
            last.ads.push((row.ad_id, row.creative));
            continue;
        }
        candidates.push(Candidate {
            ad_group_id: row.ad_group_id,
            campaign_id: row.campaign_id,
            organization_id: row.organization_id,
            advertiser: row.advertiser,
            context_hints: row.context_hints,
            // Prices are whole cents: a bid never rounds up past what the
            // advertiser allowed.
            max_bid: row.max_bid.floor_to_cents(),
            countries: row.countries,
            ads: vec![(row.ad_id, row.creative)],
        });
    }
    Ok(candidates)
}

/// Loads an ad that is still able to serve (for the render call).
pub fn serving_ad(
    db: &impl Database,
    ad_id: AdId,
    now: UnixSeconds,
) -> Result<Option<ServingAd>, DbError> {
    store::find_serving_ad(db, ad_id, now)
}

/// The best relevant candidate for a conversation from `country`: the
/// highest bid, then the best fit. A geo-targeted campaign needs a known
/// country inside its targeting.
pub fn best<'a>(
    candidates: &'a [Candidate],
    conversation: &Conversation,
    country: Option<&str>,
) -> Option<&'a Candidate> {
    candidates
        .iter()
        .filter(|c| c.max_bid > Micros::ZERO)
        .filter(|c| {
            c.countries.is_empty()
                || country.is_some_and(|code| c.countries.iter().any(|t| t == code))
        })
        .map(|c| (c, conversation.score(&c.context_hints)))
        .filter(|(_, score)| *score >= THRESHOLD)
        .max_by(|(a, sa), (b, sb)| a.max_bid.cmp(&b.max_bid).then(sa.total_cmp(sb)))
        .map(|(c, _)| c)
}

/// The candidate's first ad whose headline (a poll's: its question) fits
/// `max_headline_chars`.
pub fn ad_for(candidate: &Candidate, max_headline_chars: Option<i64>) -> Option<ServingAd> {
    candidate.ads.iter().find_map(|(ad_id, creative)| {
        let title = match creative {
            Creative::ChatCard { title, .. } => title,
            Creative::Poll { question, .. } => question,
        };
        let length = i64::try_from(title.chars().count()).unwrap_or(i64::MAX);
        if max_headline_chars.is_some_and(|max| length > max) {
            return None;
        }
        Some(ServingAd {
            ad_id: *ad_id,
            ad_group_id: candidate.ad_group_id,
            campaign_id: candidate.campaign_id,
            organization_id: candidate.organization_id,
            advertiser: candidate.advertiser.clone(),
            creative: creative.clone(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::hints::index_keywords;
    use crate::catalog::hints::words;
    use crate::db::native::NativeDb;
    use crate::dsp_protocol::{Message, Role};

    const MIGRATIONS: [&str; 6] = [
        include_str!("../../../../migrations/0001_foundation.sql"),
        include_str!("../../../../migrations/0002_advertiser.sql"),
        include_str!("../../../../migrations/0003_ssp.sql"),
        include_str!("../../../../migrations/0004_hint_anchors.sql"),
        include_str!("../../../../migrations/0005_events.sql"),
        include_str!("../../../../migrations/0012_agents_campaigns.sql"),
    ];
    const ORG: &str = "0d3e0000-0000-4000-8000-00000000000a";
    const NOW: i64 = 1_800_000_000;

    fn database() -> NativeDb {
        let db = NativeDb::with_schema(&MIGRATIONS).expect("schema");
        db.execute(
            "INSERT INTO organizations (id, name, created_at, updated_at) VALUES (?1, 'Shoes Inc', 0, 0)",
            &[ORG.into()],
        )
        .expect("organization");
        db
    }

    /// A live campaign with one ad group (these hints) and one ad.
    fn live_ad_group(db: &NativeDb, hints: &[&str]) -> AdGroupId {
        let campaign = uuid::Uuid::new_v4().to_string();
        let group = AdGroupId::parse(&uuid::Uuid::new_v4().to_string()).expect("id");
        db.execute(
            "INSERT INTO campaigns (id, organization_id, name, status, review_status, start_time,
                 lifetime_spend_limit_micros, recurring_frequency, pricing_model, created_at, updated_at)
             VALUES (?1, ?2, 'Campaign', 'active', 'approved', 0, 10000000, 'monthly', 'cpm', 0, 0)",
            &[campaign.as_str().into(), ORG.into()],
        )
        .expect("campaign");
        let hints_json = serde_json::to_string(hints).expect("hints");
        db.execute(
            "INSERT INTO ad_groups (id, organization_id, campaign_id, name, context_hints, status,
                 max_bid_micros, creative_type, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'Group', ?4, 'active', 2000000, 'chat_card', 0, 0)",
            &[
                group.into(),
                ORG.into(),
                campaign.as_str().into(),
                hints_json.into(),
            ],
        )
        .expect("ad group");
        db.execute(
            "INSERT INTO ads (id, organization_id, campaign_id, ad_group_id, name, status, creative, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 'Ad', 'active',
                     '{\"type\":\"chat_card\",\"title\":\"Shoes\",\"body\":\"Good shoes\",\"target_url\":\"https://example.com/\"}', 0, 0)",
            &[
                uuid::Uuid::new_v4().to_string().into(),
                ORG.into(),
                campaign.as_str().into(),
                group.into(),
            ],
        )
        .expect("ad");
        let hints: Vec<String> = hints.iter().map(|h| h.to_string()).collect();
        index_keywords(db, group, &hints).expect("index");
        group
    }

    fn found(db: &NativeDb, text: &str) -> Vec<AdGroupId> {
        let mut words: Vec<String> = words(text).into_iter().collect();
        words.sort();
        candidates(db, UnixSeconds::new(NOW), &words, false)
            .expect("candidates")
            .into_iter()
            .map(|c| c.ad_group_id)
            .collect()
    }

    #[test]
    fn bids_are_whole_cents_rounded_down_and_a_sub_cent_bid_does_not_bid() {
        let db = database();
        let group = live_ad_group(&db, &["running shoes"]);
        let bid_of = |max_bid_micros: i64| {
            db.execute(
                "UPDATE ad_groups SET max_bid_micros = ?1 WHERE id = ?2",
                &[max_bid_micros.into(), group.into()],
            )
            .expect("update");
            let mut words: Vec<String> = words("running shoes").into_iter().collect();
            words.sort();
            let candidates =
                candidates(&db, UnixSeconds::new(NOW), &words, false).expect("candidates");
            let conversation = Conversation::new(&[Message {
                role: Role::User,
                content: "running shoes".into(),
                timestamp: None,
            }]);
            (
                candidates.first().map(|c| c.max_bid),
                best(&candidates, &conversation, None).map(|c| c.max_bid),
            )
        };
        let cents = Some(Micros::new(1_230_000));
        assert_eq!(bid_of(1_235_000), (cents, cents));
        assert_eq!(bid_of(5_000), (Some(Micros::ZERO), None));
    }

    #[test]
    fn a_daily_budget_stops_bidding_for_the_rest_of_the_day_once_spent() {
        let db = database();
        let group = live_ad_group(&db, &["running shoes"]);
        let campaign: String = db
            .execute(
                "SELECT campaign_id FROM ad_groups WHERE id = ?1",
                &[group.into()],
            )
            .expect("campaign")[0]
            .text(0)
            .expect("id")
            .to_string();
        db.execute(
            "INSERT INTO campaign_daily_budgets (campaign_id, daily_limit_micros) VALUES (?1, 1000000)",
            &[campaign.as_str().into()],
        )
        .expect("daily budget");
        let spend_today = |micros: i64, day: i64| {
            db.execute(
                "INSERT OR REPLACE INTO rollups_daily (organization_id, day, campaign_id, ad_group_id, ad_id, supply, spend_micros)
                 VALUES (?1, ?2, ?3, ?4, 'ad', 'thrad', ?5)",
                &[ORG.into(), day.into(), campaign.as_str().into(), group.into(), micros.into()],
            )
            .expect("spend");
        };
        let today = NOW - NOW.rem_euclid(86_400);
        // $2.00 CPM is $0.002 an impression: $0.998 spent leaves room for one.
        spend_today(998_000, today);
        assert_eq!(found(&db, "running shoes"), [group]);
        spend_today(998_001, today);
        assert!(
            found(&db, "running shoes").is_empty(),
            "no room for one more"
        );
        spend_today(0, today);
        spend_today(5_000_000, today - 86_400);
        assert_eq!(
            found(&db, "running shoes"),
            [group],
            "yesterday's spend does not count"
        );
    }

    #[test]
    fn a_hint_matches_only_when_all_its_words_are_present() {
        let db = database();
        let shoes = live_ad_group(&db, &["trail running shoes"]);
        assert_eq!(found(&db, "I want shoes for running on a trail"), [shoes]);
        assert!(found(&db, "running shoes for the road").is_empty());
        assert!(found(&db, "trail maps").is_empty());
    }

    #[test]
    fn any_one_hint_of_an_ad_group_is_enough() {
        let db = database();
        let group = live_ad_group(&db, &["marathon training", "coffee"]);
        let other = live_ad_group(&db, &["coffee beans"]);
        assert_eq!(found(&db, "best coffee near me"), [group]);
        let mut both = found(&db, "coffee beans for marathon training");
        both.sort();
        let mut expected = vec![group, other];
        expected.sort();
        assert_eq!(both, expected);
    }

    #[test]
    fn reindexing_replaces_the_old_hints() {
        let db = database();
        let group = live_ad_group(&db, &["yoga mats"]);
        index_keywords(&db, group, &["kayak paddles".to_string()]).expect("reindex");
        assert!(found(&db, "yoga mats").is_empty());
        assert_eq!(found(&db, "kayak paddles"), [group]);
        index_keywords(&db, group, &[]).expect("no hints");
        assert!(found(&db, "kayak paddles").is_empty());
    }

    #[test]
    fn migration_4_anchors_hints_indexed_before_it_and_can_run_twice() {
        let db = database();
        let group = live_ad_group(&db, &["trail running shoes", "socks"]);
        let anchors = || -> Vec<String> {
            db.execute("SELECT word FROM ad_group_hint_anchors ORDER BY hint", &[])
                .expect("anchors")
                .iter()
                .filter_map(|row| row.text(0).map(String::from))
                .collect()
        };
        assert_eq!(
            anchors(),
            ["running", "sock"],
            "the longest word of each hint"
        );
        db.execute("DELETE FROM ad_group_hint_anchors", &[])
            .expect("forget anchors");
        assert!(found(&db, "trail running shoes").is_empty());
        db.apply(MIGRATIONS[3]).expect("migration 4");
        db.apply(MIGRATIONS[3]).expect("migration 4 again");
        assert_eq!(found(&db, "trail running shoes"), [group]);
        assert_eq!(found(&db, "wool socks"), [group]);
        assert_eq!(
            anchors(),
            ["running", "sock"],
            "migration 4 picks the same anchors"
        );
    }
}

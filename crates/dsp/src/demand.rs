//! The demand that can serve now: ad groups of active, approved campaigns
//! inside their schedule with budget left for one more impression, and
//! their active ads, in one query.

use adspin_core::catalog::creative::Creative;
use adspin_core::db::{Database, DbError, SqlValue};
use adspin_core::ids::{AdGroupId, AdId, CampaignId, OrganizationId};
use adspin_core::money::Micros;
use adspin_core::time::UnixSeconds;

use super::relevance::{Conversation, THRESHOLD};

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

/// The ad groups that can serve at `now` with at least one hint whose
/// words all appear in the conversation (the weighted relevance check
/// comes after), each with its active chat-card ads.
pub fn candidates(
    db: &impl Database,
    now: UnixSeconds,
    words: &[String],
) -> Result<Vec<Candidate>, DbError> {
    let words = &words[..words.len().min(MAX_LOOKUP_WORDS)];
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..words.len()).map(|i| format!("?{}", i + 2)).collect();
    let mut params: Vec<SqlValue> = vec![now.get().into()];
    params.extend(words.iter().map(|w| w.as_str().into()));
    let rows = db.execute(
        &format!(
            "SELECT g.id, g.campaign_id, g.organization_id, g.context_hints, g.max_bid_micros, c.target_countries,
                    a.id, a.creative, o.name
             FROM ad_groups g
             JOIN campaigns c ON c.id = g.campaign_id
             JOIN ads a ON a.ad_group_id = g.id AND a.status = 'active'
             JOIN organizations o ON o.id = g.organization_id
             WHERE g.id IN (SELECT h.ad_group_id FROM ad_group_hint_anchors h WHERE h.word IN ({0})
                              AND NOT EXISTS (SELECT 1 FROM ad_group_hint_words w
                                              WHERE w.ad_group_id = h.ad_group_id AND w.hint = h.hint
                                                AND w.word NOT IN ({0})))
               AND c.status = 'active' AND c.review_status = 'approved' AND g.status = 'active'
               AND g.creative_type = 'chat_card' AND g.max_bid_micros IS NOT NULL
               AND c.start_time <= ?1 AND (c.end_time IS NULL OR c.end_time > ?1)
               AND c.spent_micros + g.max_bid_micros / 1000 <= c.lifetime_spend_limit_micros
             ORDER BY g.id, a.seq",
            placeholders.join(", ")
        ),
        &params,
    )?;
    let mut candidates: Vec<Candidate> = Vec::new();
    for row in &rows {
        let (Some(group), Some(ad), Some(creative)) = (
            row.text(0).and_then(AdGroupId::parse),
            row.text(6).and_then(AdId::parse),
            row.text(7)
                .and_then(|text| serde_json::from_str::<Creative>(text).ok()),
        ) else {
            continue;
        };
        if let Some(last) = candidates.last_mut()
            && last.ad_group_id == group
        {
            last.ads.push((ad, creative));
            continue;
        }
        let candidate = (|| {
            Some(Candidate {
                ad_group_id: group,
                campaign_id: row.text(1).and_then(CampaignId::parse)?,
                organization_id: row.text(2).and_then(OrganizationId::parse)?,
                advertiser: row.text(8).unwrap_or_default().to_string(),
                context_hints: serde_json::from_str(row.text(3)?).ok()?,
                // Prices are whole cents: a bid never rounds up past
                // what the advertiser allowed.
                max_bid: Micros::new(row.integer(4)?).floor_to_cents(),
                countries: serde_json::from_str(row.text(5)?).ok()?,
                ads: vec![(ad, creative)],
            })
        })();
        candidates.extend(candidate);
    }
    Ok(candidates)
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

/// The candidate's first ad whose headline fits `max_headline_chars`.
pub fn ad_for(candidate: &Candidate, max_headline_chars: Option<i64>) -> Option<ServingAd> {
    candidate.ads.iter().find_map(|(ad_id, creative)| {
        let Creative::ChatCard { title, .. } = creative else {
            return None;
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

/// Loads an ad that is still able to serve (for the render call).
pub fn serving_ad(
    db: &impl Database,
    ad_id: AdId,
    now: UnixSeconds,
) -> Result<Option<ServingAd>, DbError> {
    let Some(row) = db.query_row(
        "SELECT a.id, a.ad_group_id, a.campaign_id, a.organization_id, a.creative, o.name
         FROM ads a JOIN ad_groups g ON g.id = a.ad_group_id JOIN campaigns c ON c.id = a.campaign_id
              JOIN organizations o ON o.id = a.organization_id
         WHERE a.id = ?1 AND a.status = 'active' AND g.status = 'active' AND c.status = 'active'
           AND c.review_status = 'approved' AND c.start_time <= ?2 AND (c.end_time IS NULL OR c.end_time > ?2)",
        &[ad_id.to_string().into(), now.get().into()],
    )?
    else {
        return Ok(None);
    };
    Ok((|| {
        Some(ServingAd {
            ad_id: row.text(0).and_then(AdId::parse)?,
            ad_group_id: row.text(1).and_then(AdGroupId::parse)?,
            campaign_id: row.text(2).and_then(CampaignId::parse)?,
            organization_id: row.text(3).and_then(OrganizationId::parse)?,
            creative: serde_json::from_str(row.text(4)?).ok()?,
            advertiser: row.text(5).unwrap_or_default().to_string(),
        })
    })())
}

#[cfg(test)]
mod tests {
    use super::*;
    use adspin_core::catalog::hints::index_keywords;
    use adspin_core::catalog::hints::words;
    use adspin_core::db::native::NativeDb;
    use adspin_core::dsp_protocol::{Message, Role};

    const MIGRATIONS: [&str; 4] = [
        include_str!("../../../migrations/0001_foundation.sql"),
        include_str!("../../../migrations/0002_advertiser.sql"),
        include_str!("../../../migrations/0003_ssp.sql"),
        include_str!("../../../migrations/0004_hint_anchors.sql"),
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
                group.to_string().into(),
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
                group.to_string().into(),
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
        candidates(db, UnixSeconds::new(NOW), &words)
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
                &[max_bid_micros.into(), group.to_string().into()],
            )
            .expect("update");
            let mut words: Vec<String> = words("running shoes").into_iter().collect();
            words.sort();
            let candidates = candidates(&db, UnixSeconds::new(NOW), &words).expect("candidates");
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

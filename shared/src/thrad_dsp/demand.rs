//! The demand that can serve now: ad groups of active, approved campaigns
//! inside their schedule with budget left for one more impression, and
//! their active ads, in one query.

use crate::advertiser::creative::Creative;
use crate::db::{Database, DbError, SqlValue};
use crate::ids::{AdGroupId, AdId, CampaignId, OrganizationId};
use crate::money::Micros;
use crate::time::UnixSeconds;

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
             WHERE g.id IN (SELECT ad_group_id FROM ad_group_hint_words WHERE word IN ({})
                            GROUP BY ad_group_id, hint HAVING COUNT(*) = MIN(hint_words))
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
                max_bid: Micros::new(row.integer(4)?),
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

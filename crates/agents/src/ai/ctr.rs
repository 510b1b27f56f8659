//! `predicted_ctr`: the click-through rate a piece of copy is expected to
//! get, from the platform's own delivered impressions and clicks.
//!
//! The model is a smoothed, additive log-odds model over features of the
//! copy (its words, and its shape: a question, an exclamation, a number, a
//! short headline, "you") and of the audience (the words of who the ad is
//! for: an agents campaign's `audience_description` and its ad set's
//! interests, a `/v1` ad group's context hints; the request's
//! `target_audience` when predicting), fitted at each request on every ad of the
//! platform delivered in the last [`HISTORY_DAYS`] days (rollups joined
//! with the ads' creatives; the [`HISTORY_ADS`] most delivered):
//!
//! 1. The base rate is the platform's CTR shrunk towards the documented
//!    prior: `(clicks + PRIOR_CTR·PRIOR_IMPRESSIONS) / (impressions +
//!    PRIOR_IMPRESSIONS)`. With no history it is the prior, 1.5%.
//! 2. Each feature's CTR is the CTR of the ads that have it, shrunk
//!    towards the base rate with [`FEATURE_IMPRESSIONS`] pseudo-impressions
//!    (a Beta-Binomial posterior mean), and its lift is the difference of
//!    the two in log-odds.
//! 3. A copy's prediction is the base log-odds plus the lifts of its
//!    features with history, divided by the square root of their number
//!    (features of one copy are correlated: summing them would overcount),
//!    back through the logistic function, in percent like the analytics'
//!    `ctr`.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use adspin_core::db::{Database, DbError, FromRow, Json, Row};
use adspin_core::time::UnixSeconds;

/// The CTR assumed before any delivery (a fraction): a typical feed ad's.
pub const PRIOR_CTR: f64 = 0.015;
/// How many impressions the prior weighs.
pub const PRIOR_IMPRESSIONS: f64 = 1_000.0;
/// How many impressions of the base rate each feature's CTR is shrunk with.
pub const FEATURE_IMPRESSIONS: f64 = 500.0;
/// How far back delivery is read.
pub const HISTORY_DAYS: i64 = 90;
/// Most ads read (the most delivered).
pub const HISTORY_ADS: i64 = 5_000;

/// Words too common to say anything about copy.
const STOPWORDS: [&str; 24] = [
    "the", "and", "for", "you", "your", "with", "that", "this", "are", "our", "from", "all", "not",
    "but", "can", "get", "has", "have", "was", "will", "its", "it's", "more", "into",
];

/// One ad's delivery: its copy, audience, impressions and clicks.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub headline: String,
    pub body: String,
    pub audience: String,
    pub impressions: i64,
    pub clicks: i64,
}

impl FromRow for Observation {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        let creative: Value = row.get::<Json<Value>>(0)?.0;
        let text = |keys: [&str; 2]| {
            keys.iter()
                .find_map(|key| creative.get(*key).and_then(Value::as_str))
                .unwrap_or_default()
                .to_string()
        };
        let strings = |value: &Value| -> Vec<String> {
            value
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        };
        let targeting: Value = row.get::<Json<Value>>(3)?.0;
        let details: Value = row.get::<Json<Value>>(4)?.0;
        let hints: Value = row.get::<Json<Value>>(5)?.0;
        let mut audience = strings(&targeting["interests"]);
        audience.extend(details["audience_description"].as_str().map(String::from));
        audience.extend(strings(&hints));
        Ok(Self {
            headline: text(["title", "headline"]),
            body: text(["body", "primary_text"]),
            audience: audience.join(" "),
            impressions: row.get(1)?,
            clicks: row.get(2)?,
        })
    }
}

/// The platform's delivery of the last [`HISTORY_DAYS`] days, per ad.
pub fn history(db: &impl Database, now: UnixSeconds) -> Result<Vec<Observation>, DbError> {
    db.list(
        "SELECT a.creative, SUM(r.impressions), SUM(r.clicks),
                COALESCE((SELECT s.targeting FROM agent_ad_sets s WHERE s.ad_group_id = a.ad_group_id), '{}'),
                COALESCE((SELECT c.details FROM agent_campaigns c WHERE c.campaign_id = a.campaign_id), '{}'),
                COALESCE((SELECT g.context_hints FROM ad_groups g WHERE g.id = a.ad_group_id), '[]')
         FROM rollups_daily r JOIN ads a ON a.id = r.ad_id
         WHERE r.day >= ?1
         GROUP BY r.ad_id
         HAVING SUM(r.impressions) > 0
         ORDER BY SUM(r.impressions) DESC
         LIMIT ?2",
        &[
            now.plus_seconds(-HISTORY_DAYS * 86_400).into(),
            HISTORY_ADS.into(),
        ],
    )
}

/// The words of `text` that say something (3+ letters, not common).
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(str::to_lowercase)
        .filter(|word| word.chars().count() >= 3 && !STOPWORDS.contains(&word.as_str()))
}

/// The features of a copy shown to `audience`.
pub fn features(headline: &str, body: &str, audience: &str) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    let text = format!("{headline} {body}").to_lowercase();
    for word in words(&text) {
        set.insert(format!("word:{word}"));
    }
    for word in words(audience) {
        set.insert(format!("audience:{word}"));
    }
    let headline = headline.trim();
    if headline.ends_with('?') {
        set.insert("shape:question".into());
    }
    if headline.contains('!') || body.contains('!') {
        set.insert("shape:exclamation".into());
    }
    if headline.chars().any(|c| c.is_ascii_digit()) {
        set.insert("shape:number".into());
    }
    if headline.chars().count() <= 25 {
        set.insert("shape:short_headline".into());
    }
    if text
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w == "you" || w == "your")
    {
        set.insert("shape:you".into());
    }
    set
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct CtrModel {
    /// The base rate (a fraction).
    base: f64,
    /// Each feature's lift over the base, in log-odds.
    lifts: HashMap<String, f64>,
}

impl CtrModel {
    /// Fits the model on `history`.
    pub fn fit(history: &[Observation]) -> Self {
        let (impressions, clicks) = history.iter().fold((0.0, 0.0), |(i, c), o| {
            (i + o.impressions.max(0) as f64, c + o.clicks.max(0) as f64)
        });
        let base = (clicks + PRIOR_CTR * PRIOR_IMPRESSIONS) / (impressions + PRIOR_IMPRESSIONS);
        let mut totals: HashMap<String, (f64, f64)> = HashMap::new();
        for observation in history {
            for feature in features(
                &observation.headline,
                &observation.body,
                &observation.audience,
            ) {
                let entry = totals.entry(feature).or_default();
                entry.0 += observation.impressions.max(0) as f64;
                entry.1 += observation.clicks.max(0) as f64;
            }
        }
        let lifts = totals
            .into_iter()
            .map(|(feature, (impressions, clicks))| {
                let ctr =
                    (clicks + base * FEATURE_IMPRESSIONS) / (impressions + FEATURE_IMPRESSIONS);
                (feature, logit(ctr) - logit(base))
            })
            .collect();
        Self { base, lifts }
    }

    /// The base rate, in percent: the platform's CTR shrunk towards the
    /// prior.
    pub fn base_percent(&self) -> f64 {
        self.base * 100.0
    }

    /// The predicted CTR of a copy shown to `audience`, in percent, to
    /// two decimals.
    pub fn predict(&self, headline: &str, body: &str, audience: &str) -> f64 {
        let known: Vec<f64> = features(headline, body, audience)
            .iter()
            .filter_map(|feature| self.lifts.get(feature).copied())
            .collect();
        let lift = if known.is_empty() {
            0.0
        } else {
            known.iter().sum::<f64>() / (known.len() as f64).sqrt()
        };
        let ctr = logistic(logit(self.base) + lift).clamp(0.0001, 0.5);
        (ctr * 10_000.0).round() / 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use adspin_core::testing::{database, live_ad, organization};

    fn observation(headline: &str, body: &str, impressions: i64, clicks: i64) -> Observation {
        Observation {
            headline: headline.into(),
            body: body.into(),
            audience: String::new(),
            impressions,
            clicks,
        }
    }

    #[test]
    fn without_history_every_copy_gets_the_prior() {
        let model = CtrModel::fit(&[]);
        assert_eq!(model.predict("Anything at all", "Whatever", "Anyone"), 1.5);
    }

    #[test]
    fn copy_like_the_winners_ranks_above_copy_like_the_losers() {
        let history = [
            observation(
                "Free trial for founders",
                "Track cash flow in real time",
                10_000,
                400,
            ),
            observation(
                "Founders love this free dashboard",
                "Real time cash flow",
                8_000,
                300,
            ),
            observation(
                "Enterprise resource planning suite",
                "Compliance modules",
                10_000,
                40,
            ),
            observation("Enterprise compliance suite", "Planning modules", 9_000, 30),
        ];
        let model = CtrModel::fit(&history);
        let winner = model.predict("A free dashboard for founders", "See your cash flow", "");
        let loser = model.predict(
            "The enterprise suite",
            "Compliance and planning modules",
            "",
        );
        let unknown = model.predict("Something else entirely different", "Nothing in common", "");
        assert!(
            winner > unknown && unknown > loser,
            "{winner} {unknown} {loser}"
        );
        // The base is the platform's CTR shrunk towards the prior.
        let delivered: f64 = 770.0 / 37_000.0;
        assert!(unknown > 1.5 && unknown / 100.0 < delivered, "{unknown}");
    }

    #[test]
    fn the_history_is_read_from_the_platforms_rollups_and_creatives() {
        let db = database();
        let organization = organization(&db);
        let now = UnixSeconds::new(1_771_524_000);
        let day = now.get() - now.get() % 86_400;
        for (title, impressions, clicks) in
            [("Win big today", 1_000, 90), ("Dull old offer", 1_000, 2)]
        {
            let ad = live_ad(&db, organization);
            db.execute(
                "UPDATE ads SET creative = ?1 WHERE id = ?2",
                &[
                    Json(serde_json::json!({"type": "chat_card", "title": title, "body": "Body text"})).into(),
                    ad.ad_id.into(),
                ],
            )
            .expect("creative");
            db.execute(
                "INSERT INTO rollups_daily (organization_id, day, campaign_id, ad_group_id, ad_id, supply,
                     impressions, clicks)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'chat', ?6, ?7)",
                &[
                    organization.into(),
                    day.into(),
                    ad.campaign_id.into(),
                    ad.ad_group_id.into(),
                    ad.ad_id.into(),
                    impressions.into(),
                    clicks.into(),
                ],
            )
            .expect("rollup");
        }
        let history = history(&db, now).expect("history");
        assert_eq!(history.len(), 2);
        let model = CtrModel::fit(&history);
        assert!(model.predict("Win today", "Body", "") > model.predict("Dull offer", "Body", ""));
        // Delivery older than the window is not read.
        assert!(history_at(&db, now.plus_seconds(HISTORY_DAYS * 86_400 + 86_400)).is_empty());
    }

    #[test]
    fn the_audience_counts_as_well_as_the_copy() {
        let mut founders = observation("Same words", "Same body", 10_000, 500);
        founders.audience = "startup founders".into();
        let mut retirees = observation("Same words", "Same body", 10_000, 20);
        retirees.audience = "retirees gardening".into();
        let model = CtrModel::fit(&[founders, retirees]);
        let to_founders = model.predict("Same words", "Same body", "Founders of startups");
        let to_retirees = model.predict("Same words", "Same body", "Retirees who love gardening");
        assert!(to_founders > to_retirees, "{to_founders} {to_retirees}");
    }

    fn history_at(db: &impl Database, now: UnixSeconds) -> Vec<Observation> {
        history(db, now).expect("history")
    }
}

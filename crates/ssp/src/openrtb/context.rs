//! What an OpenRTB bidder learns of the conversation besides its redacted
//! messages (reference notes §3A, `site`): its IAB Content Taxonomy 3.0
//! tier-1 categories (`site.cat`, `cattax` 7), its salient words
//! (`site.keywords`) and the user's latest question (`site.search`).
//!
//! The categories come from a lexicon: each category lists words whose
//! presence in a message counts for it, weighed by the message's recency
//! as ad-group hints are (`adspin_core::internal_dsp::relevance`): the
//! latest user turn 3, the reply to it 2, earlier turns half as much per
//! turn back. A category needs a score of [`CATEGORY_THRESHOLD`] (a word in
//! the latest exchange, or two earlier); the [`MAX_CATEGORIES`] best are
//! sent. Sensitive tier-1 categories (crime, politics, religion, ...) are
//! never sent: brand safety keeps such conversations from auctions.
//!
//! `site.search` is the latest user message, redacted: no model rephrases
//! it on the auction's path. Everything here is computed from the redacted
//! text, so no placeholder's original ever leaves the SSP.

use std::collections::HashSet;

use adspin_core::catalog::hints::{is_stopword, words};
use adspin_core::dsp_protocol::{Message, Role};
use adspin_core::internal_dsp::relevance::recency_weights;

/// `cattax` of IAB Content Taxonomy 3.0.
pub const CATTAX: u8 = 7;
/// The lowest score a category is sent with.
pub const CATEGORY_THRESHOLD: f64 = 2.0;
/// The most categories sent.
pub const MAX_CATEGORIES: usize = 3;
/// The most keywords sent.
pub const MAX_KEYWORDS: usize = 10;
/// The longest `site.search`, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// Tier-1 categories of Content Taxonomy 3.0 (unique id, name) and the
/// lowercase words that count for each, separated by spaces (a message's
/// word counts as itself and as its singular).
#[rustfmt::skip]
const LEXICON: &[(&str, &str, &str)] = &[
    ("150", "Attractions", "museum zoo aquarium amusement landmark gallery nightclub"),
    ("1", "Automotive", "car truck suv sedan vehicle motorcycle tire tyre engine dealership hybrid ev minivan coupe"),
    ("42", "Books and Literature", "book novel poetry poem author fiction literature comic ebook"),
    ("52", "Business and Finance", "business startup company marketing invoice b2b payroll entrepreneur logistic accounting economy"),
    ("123", "Careers", "job career resume cv interview salary hiring internship recruiter apprenticeship"),
    ("132", "Education", "school college university course degree exam homework tutor student learn learning class"),
    ("JLBCU7", "Entertainment", "movie film music song album concert tv television series netflix streaming band"),
    ("8VZQHL", "Events", "conference expo festival convention ticket award"),
    ("186", "Family and Relationships", "family parenting baby toddler kid child children wedding marriage dating divorce"),
    ("201", "Fine Art", "art painting sculpture opera ballet theater theatre dance"),
    ("210", "Food & Drink", "food recipe cook cooking restaurant dinner lunch breakfast coffee wine beer vegan vegetarian baking grill snack"),
    ("223", "Healthy Living", "fitness workout exercise running run jogging gym yoga nutrition diet wellness marathon protein"),
    ("239", "Hobbies & Interests", "hobby craft knitting photography woodworking puzzle boardgame collecting instrument guitar piano"),
    ("274", "Home & Garden", "home garden gardening furniture sofa kitchen appliance decor renovation plant lawn mattress"),
    ("286", "Medical Health", "doctor medicine symptom disease allergy pharmacy prescription surgery vaccine dentist therapy"),
    ("391", "Personal Finance", "bank banking loan mortgage credit saving insurance invest investing retirement tax stock crypto"),
    ("422", "Pets", "pet dog puppy cat kitten vet veterinarian aquarium bird hamster"),
    ("432", "Pop Culture", "celebrity gossip influencer meme"),
    ("441", "Real Estate", "apartment house rent renting realtor property condo lease"),
    ("464", "Science", "science physics chemistry biology astronomy space planet climate weather geology"),
    ("473", "Shopping", "buy shopping deal discount coupon sale gift price cheap store order"),
    ("483", "Sports", "sport football soccer basketball baseball tennis golf cycling bike ski skiing hockey swimming team match"),
    ("552", "Style & Fashion", "shoe sneaker boot fashion clothing clothes dress jacket jean makeup skincare beauty perfume jewelry watch outfit haircut"),
    ("596", "Technology & Computing", "laptop computer phone smartphone software app tablet ai programming code coding wifi internet headphone camera gadget"),
    ("653", "Travel", "travel trip flight hotel vacation holiday beach cruise airport passport itinerary camping destination"),
    ("680", "Video Gaming", "game gaming videogame console playstation xbox nintendo esport gamer"),
];

/// Words too common to be keywords (beyond the hint stopwords).
const NOT_KEYWORDS: &str = concat!(
    "about any am be been but can could do does have how im like looking me need not ",
    "please recommend should so some something that this want what when where which ",
    "who why will would your good best get find help there they we was were from at ",
    "by as if just much many more really thank thanks",
);

/// The contextual facts of a conversation (its messages already redacted).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// Tier-1 unique ids, the best first.
    pub categories: Vec<&'static str>,
    pub keywords: Vec<String>,
    pub search: Option<String>,
}

impl Context {
    pub fn of(messages: &[Message]) -> Self {
        let last_user = messages.iter().rposition(|m| m.role == Role::User);
        Self {
            categories: categories(messages),
            keywords: last_user
                .map(|index| keywords(&messages[index].content))
                .unwrap_or_default(),
            search: last_user.and_then(|index| search(&messages[index].content)),
        }
    }
}

fn categories(messages: &[Message]) -> Vec<&'static str> {
    let weighed: Vec<(HashSet<String>, f64)> = messages
        .iter()
        .zip(recency_weights(messages))
        .map(|(message, weight)| (present(&message.content), weight))
        .collect();
    let mut scored: Vec<(f64, usize)> = LEXICON
        .iter()
        .enumerate()
        .filter_map(|(position, (_, _, terms))| {
            let score: f64 = weighed
                .iter()
                .filter(|(present, _)| terms.split(' ').any(|term| present.contains(term)))
                .map(|(_, weight)| weight)
                .sum();
            (score >= CATEGORY_THRESHOLD).then_some((score, position))
        })
        .collect();
    // Best score first; ties in the lexicon's order.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored
        .into_iter()
        .take(MAX_CATEGORIES)
        .map(|(_, position)| LEXICON[position].0)
        .collect()
}

/// A message's lowercase words, each also as its singular.
fn present(text: &str) -> HashSet<String> {
    let mut present = words(text);
    present.extend(
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(str::to_lowercase),
    );
    present
}

/// The message's words in order, lowercased, without stopwords, numbers
/// or redaction placeholders, each once.
fn keywords(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    text.split(|c: char| !c.is_alphanumeric() && c != '[' && c != ']')
        .filter(|word| !word.starts_with('['))
        .map(|word| word.trim_matches(|c| c == '[' || c == ']').to_lowercase())
        .filter(|word| word.chars().count() > 1 && !word.chars().all(|c| c.is_ascii_digit()))
        .filter(|word| !is_stopword(word) && !NOT_KEYWORDS.split(' ').any(|common| common == word))
        .filter(|word| seen.insert(word.clone()))
        .take(MAX_KEYWORDS)
        .collect()
}

fn search(text: &str) -> Option<String> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then(|| text.chars().take(MAX_SEARCH_CHARS).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(turns: &[(Role, &str)]) -> Vec<Message> {
        turns
            .iter()
            .map(|(role, content)| Message {
                role: *role,
                content: (*content).to_string(),
                timestamp: None,
            })
            .collect()
    }

    #[test]
    fn the_latest_exchange_names_the_categories() {
        let context = Context::of(&conversation(&[
            (
                Role::User,
                "I'm looking for running shoes for my first marathon",
            ),
            (Role::Assistant, "What is your budget?"),
        ]));
        // Running and the marathon (healthy living), shoes (fashion): a
        // tie at 3, in the taxonomy's order; "budget" counts for nothing.
        assert_eq!(context.categories, vec!["223", "552"]);
        assert_eq!(
            context.keywords,
            vec!["running", "shoes", "first", "marathon"]
        );
        assert_eq!(
            context.search.as_deref(),
            Some("I'm looking for running shoes for my first marathon")
        );
    }

    #[test]
    fn a_word_said_once_long_ago_does_not_count() {
        let context = Context::of(&conversation(&[
            (Role::User, "My dog is sick"),
            (Role::Assistant, "Sorry to hear that"),
            (Role::User, "Anyway, which laptop should I buy for coding?"),
            (Role::Assistant, "For coding, a laptop with 16 GB is good"),
        ]));
        // Technology (3 + 2) first, then shopping (buy: 3); pets (0.5) no.
        assert_eq!(context.categories, vec!["596", "473"]);
    }

    #[test]
    fn at_most_three_categories_and_ten_keywords() {
        let context = Context::of(&conversation(&[(
            Role::User,
            "travel hotel flight laptop phone dog cat car truck movie music game console recipe",
        )]));
        assert_eq!(context.categories.len(), MAX_CATEGORIES);
        assert_eq!(context.keywords.len(), MAX_KEYWORDS);
    }

    #[test]
    fn placeholders_and_numbers_are_not_keywords() {
        let context = Context::of(&conversation(&[(
            Role::User,
            "Send the 2 tickets to [email] or call [phone] before 2026",
        )]));
        assert_eq!(context.keywords, vec!["send", "tickets", "call", "before"]);
    }

    #[test]
    fn no_user_message_no_keywords_nor_search() {
        let context = Context::of(&conversation(&[(Role::Assistant, "Hello!")]));
        assert_eq!(context, Context::default());
    }

    #[test]
    fn the_search_is_one_line_and_bounded() {
        let long = format!("shoes\n\n{}", "a".repeat(500));
        let context = Context::of(&conversation(&[(Role::User, long.as_str())]));
        let search = context.search.expect("search");
        assert!(search.starts_with("shoes a"));
        assert_eq!(search.chars().count(), MAX_SEARCH_CHARS);
    }

    #[test]
    fn every_category_id_is_a_content_taxonomy_3_tier_1_id() {
        let ids: HashSet<&str> = LEXICON.iter().map(|(id, _, _)| *id).collect();
        assert_eq!(ids.len(), LEXICON.len(), "unique");
        for (id, name, terms) in LEXICON {
            assert!(!name.is_empty() && !terms.is_empty(), "{id}");
            for term in terms.split(' ') {
                // A term is matched as one lowercase word.
                assert!(
                    term.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                        && present(term).contains(term),
                    "{term}"
                );
            }
        }
    }
}

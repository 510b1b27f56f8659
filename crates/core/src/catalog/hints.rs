//! The words of `context_hints`, and the index of them that finds the ad
//! groups a conversation may fit without scanning every ad group.

use std::collections::HashSet;

use crate::db::{Database, DbError, SqlValue};
use crate::ids::AdGroupId;

const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "for", "i", "in", "is", "it", "my", "of", "on", "or", "the", "to",
    "with", "you",
];

/// The words of a text, lowercased, without stopwords, singularized.
pub fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| singular(&w.to_lowercase()))
        .filter(|w| !is_stopword(w))
        .collect()
}

/// Whether a lowercase word is too common to mean anything (`the`, `for`).
pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(&word)
}

fn singular(word: &str) -> String {
    if word.len() > 3 && word.ends_with("ies") {
        format!("{}y", &word[..word.len() - 3])
    } else if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") {
        word[..word.len() - 1].to_string()
    } else {
        word.to_string()
    }
}

/// Replaces the hint-word index of an ad group with the words of its
/// hints and each hint's anchor word (call inside the transaction that
/// writes the hints).
pub fn index_keywords(
    db: &impl Database,
    ad_group: AdGroupId,
    hints: &[String],
) -> Result<(), DbError> {
    for table in ["ad_group_hint_words", "ad_group_hint_anchors"] {
        db.execute(
            &format!("DELETE FROM {table} WHERE ad_group_id = ?1"),
            &[ad_group.into()],
        )?;
    }
    insert_keywords(db, ad_group, hints)
}

/// Indexes the hints of an ad group that has none indexed yet.
pub(crate) fn insert_keywords(
    db: &impl Database,
    ad_group: AdGroupId,
    hints: &[String],
) -> Result<(), DbError> {
    let id = ad_group.to_string();
    let mut words_rows: Vec<SqlValue> = Vec::new();
    let mut anchor_rows: Vec<SqlValue> = Vec::new();
    for (index, hint) in hints.iter().enumerate() {
        let words = hint_words(hint);
        let Some(anchor) = anchor_word(&words) else {
            continue;
        };
        let index = i64::try_from(index).unwrap_or(i64::MAX);
        let count = i64::try_from(words.len()).unwrap_or(i64::MAX);
        anchor_rows.extend([anchor.into(), index.into()]);
        for word in words {
            words_rows.extend([word.into(), index.into(), count.into()]);
        }
    }
    insert_rows(
        db,
        "INSERT OR IGNORE INTO ad_group_hint_words (ad_group_id, word, hint, hint_words) VALUES",
        &id,
        3,
        words_rows,
    )?;
    insert_rows(
        db,
        "INSERT OR IGNORE INTO ad_group_hint_anchors (ad_group_id, word, hint) VALUES",
        &id,
        2,
        anchor_rows,
    )
}

/// The distinct significant words of a hint, sorted.
fn hint_words(hint: &str) -> Vec<String> {
    let mut words: Vec<String> = words(hint).into_iter().collect();
    words.sort();
    words
}

/// The word a hint is looked up by: its longest (usually rarest) word,
/// the alphabetically first of equally long ones (as migration 0004).
fn anchor_word(sorted_words: &[String]) -> Option<&str> {
    sorted_words
        .iter()
        .rev()
        .max_by_key(|word| word.chars().count())
        .map(String::as_str)
}

/// `INSERT ... VALUES (?1, ...), ...` of rows of `width` values, each
/// row prefixed with the ad group id (`?1`).
fn insert_rows(
    db: &impl Database,
    insert: &str,
    ad_group_id: &str,
    width: usize,
    values: Vec<SqlValue>,
) -> Result<(), DbError> {
    if values.is_empty() {
        return Ok(());
    }
    let rows: Vec<String> = (0..values.len() / width)
        .map(|row| {
            let columns: Vec<String> = (0..width)
                .map(|column| format!("?{}", 2 + row * width + column))
                .collect();
            format!("(?1, {})", columns.join(", "))
        })
        .collect();
    let mut params: Vec<SqlValue> = vec![ad_group_id.into()];
    params.extend(values);
    db.execute(&format!("{insert} {}", rows.join(", ")), &params)?;
    Ok(())
}

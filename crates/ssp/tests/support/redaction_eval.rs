//! Scores the redaction on the labelled corpus `tests/redaction/corpus.jsonl`
//! (shared by the corpus test and the `redaction_report` example).
//!
//! Each line is `{"lang", "text", "pii": [{"type", "value"}], "keep": [..]}`:
//! `pii` lists the personal data in `text` with its kind, `keep` the
//! ordinary numbers (prices, dates, times, quantities, versions, years,
//! percentages) that must stay readable. A labelled value counts as found
//! when one span of its kind covers all of it; a span counts as correct
//! when it overlaps a labelled value of its kind; a kept value is intact
//! when no span touches it.
//!
//! The `tuning` messages were written with the rules and the rules were
//! adjusted until they passed; the `holdout` messages were written after
//! that, and the `generated` ones hold values of formats nobody here wrote
//! (the Faker library's locales); each split is also reported alone.

use std::collections::BTreeMap;

use adspin_ssp::redaction::{self, PiiKind, PiiSpan};
use serde::Deserialize;

/// Where the corpus is, from this crate's directory.
pub const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/redaction/corpus.jsonl"
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub lang: String,
    /// `tuning` (the messages the rules were written against), `holdout`
    /// (written afterwards and scored as they came) or `generated`
    /// (values from the Faker library's locales in sentence templates).
    pub split: String,
    pub text: String,
    #[serde(default)]
    pub pii: Vec<Labelled>,
    #[serde(default)]
    pub keep: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labelled {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

/// Counts for one kind.
#[derive(Debug, Default, Clone, Copy)]
pub struct KindScore {
    /// Labelled values of the kind.
    pub labelled: usize,
    /// Labelled values covered by a span of the kind.
    pub found: usize,
    /// Spans of the kind.
    pub predicted: usize,
    /// Spans of the kind that overlap a labelled value of the kind.
    pub correct: usize,
}

impl KindScore {
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.labelled)
    }

    pub fn precision(&self) -> f64 {
        ratio(self.correct, self.predicted)
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// The corpus's score.
#[derive(Debug, Default)]
pub struct Score {
    pub messages: usize,
    pub languages: BTreeMap<String, usize>,
    pub kinds: BTreeMap<PiiKind, KindScore>,
    /// Labelled values that some span of any kind covers (nothing leaks).
    pub covered_any: usize,
    pub labelled: usize,
    pub kept: usize,
    pub keep_total: usize,
    /// What went wrong, one line each (misses, wrong spans, broken numbers).
    pub mistakes: Vec<String>,
}

impl Score {
    pub fn kept_rate(&self) -> f64 {
        ratio(self.kept, self.keep_total)
    }

    /// The figures as a table, with the mistakes after it.
    pub fn report(&self) -> String {
        let mut out = format!(
            "{} messages ({}), {} labelled values, {} ordinary numbers\n\n",
            self.messages,
            self.languages
                .iter()
                .map(|(lang, n)| format!("{lang} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            self.labelled,
            self.keep_total
        );
        out.push_str("| type | labelled | recall | spans | precision |\n| --- | ---: | ---: | ---: | ---: |\n");
        for (kind, score) in &self.kinds {
            out.push_str(&format!(
                "| `{}` | {} | {:.3} | {} | {:.3} |\n",
                kind.name(),
                score.labelled,
                score.recall(),
                score.predicted,
                score.precision()
            ));
        }
        out.push_str(&format!(
            "\nredacted under some placeholder: {}/{} ({:.3}); ordinary numbers intact: {}/{} ({:.3})\n",
            self.covered_any,
            self.labelled,
            ratio(self.covered_any, self.labelled),
            self.kept,
            self.keep_total,
            self.kept_rate()
        ));
        for mistake in &self.mistakes {
            out.push_str(&format!("  {mistake}\n"));
        }
        out
    }
}

/// Reads the corpus.
pub fn load() -> Vec<Entry> {
    let text = std::fs::read_to_string(CORPUS).expect("the corpus is readable");
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("corpus line {}: {e}", index + 1))
        })
        .collect()
}

/// Byte ranges of `values` in `text`, repeated values at successive places.
fn locate(text: &str, values: impl Iterator<Item = String>) -> Vec<(usize, usize, String)> {
    let mut ranges: Vec<(usize, usize, String)> = Vec::new();
    for value in values {
        let mut from = 0;
        loop {
            let at = from
                + text[from..]
                    .find(&value)
                    .unwrap_or_else(|| panic!("{value:?} is not in {text:?}"));
            let end = at + value.len();
            if ranges.iter().any(|(s, e, _)| at < *e && end > *s) {
                from = at + 1;
                continue;
            }
            ranges.push((at, end, value));
            break;
        }
    }
    ranges
}

/// Scores `find` (normally [`redaction::find`]) on the corpus.
pub fn score(entries: &[Entry], find: impl Fn(&str) -> Vec<PiiSpan>) -> Score {
    score_refs(&entries.iter().collect::<Vec<_>>(), find)
}

/// [`score`] on some of the corpus's entries.
pub fn score_refs(entries: &[&Entry], find: impl Fn(&str) -> Vec<PiiSpan>) -> Score {
    let mut score = Score {
        kinds: PiiKind::ALL
            .iter()
            .map(|k| (*k, KindScore::default()))
            .collect(),
        ..Score::default()
    };
    for &entry in entries {
        score.messages += 1;
        *score.languages.entry(entry.lang.clone()).or_default() += 1;
        let spans = find(&entry.text);
        let gold: Vec<(usize, usize, PiiKind)> =
            locate(&entry.text, entry.pii.iter().map(|p| p.value.clone()))
                .into_iter()
                .zip(&entry.pii)
                .map(|((s, e, _), label)| {
                    let kind = PiiKind::from_name(&label.kind)
                        .unwrap_or_else(|| panic!("unknown type {:?}", label.kind));
                    (s, e, kind)
                })
                .collect();
        for &(start, end, kind) in &gold {
            score.labelled += 1;
            let entry_score = score.kinds.get_mut(&kind).expect("every kind");
            entry_score.labelled += 1;
            let covers = |s: &&PiiSpan| s.start <= start && s.end >= end;
            if spans.iter().filter(covers).any(|s| s.kind == kind) {
                entry_score.found += 1;
            } else {
                score.mistakes.push(format!(
                    "missed {} {:?} in {:?} (got {})",
                    kind.name(),
                    &entry.text[start..end],
                    entry.text,
                    redaction::redact(&entry.text)
                ));
            }
            if spans.iter().any(|s| covers(&s)) {
                score.covered_any += 1;
            }
        }
        for span in &spans {
            let kind_score = score.kinds.get_mut(&span.kind).expect("every kind");
            kind_score.predicted += 1;
            if gold
                .iter()
                .any(|&(s, e, k)| k == span.kind && span.start < e && span.end > s)
            {
                kind_score.correct += 1;
            } else {
                score.mistakes.push(format!(
                    "wrong {} {:?} in {:?}",
                    span.kind.name(),
                    &entry.text[span.start..span.end],
                    entry.text
                ));
            }
        }
        for (start, end, value) in locate(&entry.text, entry.keep.iter().cloned()) {
            score.keep_total += 1;
            if spans.iter().any(|s| s.start < end && s.end > start) {
                score
                    .mistakes
                    .push(format!("broke {value:?} in {:?}", entry.text));
            } else {
                score.kept += 1;
            }
        }
    }
    score
}

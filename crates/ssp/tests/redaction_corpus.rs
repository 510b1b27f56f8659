//! The redaction's precision and recall on the labelled corpus
//! (`tests/redaction/corpus.jsonl`), held to the targets of the SSP's
//! privacy promise. `cargo test -p adspin-ssp --test redaction_corpus --
//! --nocapture` prints the figures (and `cargo run --release -p adspin-ssp
//! --example redaction_report` adds the time per auction).

#[path = "support/redaction_eval.rs"]
mod redaction_eval;

use adspin_ssp::redaction::{self, PiiKind};

/// Recall the corpus must reach on e-mails, phones and cards.
const CORE_RECALL: f64 = 0.98;
/// Recall and precision floors for the other kinds.
const OTHER_RECALL: f64 = 0.90;
const PRECISION: f64 = 0.90;
/// Share of ordinary numbers (prices, dates, ...) left intact.
const KEPT: f64 = 0.95;

#[test]
fn the_corpus_is_large_and_multilingual_enough() {
    let entries = redaction_eval::load();
    assert!(entries.len() >= 300, "{} messages", entries.len());
    for lang in ["en", "de", "fr", "es"] {
        let count = entries.iter().filter(|e| e.lang == lang).count();
        assert!(count >= 50, "{lang}: {count} messages");
    }
    for kind in PiiKind::ALL {
        let count = entries
            .iter()
            .flat_map(|e| &e.pii)
            .filter(|p| p.kind == kind.name())
            .count();
        assert!(count >= 10, "{}: {count} labelled values", kind.name());
    }
}

#[test]
fn redaction_meets_its_targets_on_the_corpus() {
    let entries = redaction_eval::load();
    let score = redaction_eval::score(&entries, redaction::find);
    let report = score.report();
    let mut splits: Vec<&str> = entries.iter().map(|e| e.split.as_str()).collect();
    splits.sort_unstable();
    splits.dedup();
    assert!(
        entries.iter().filter(|e| e.split == "holdout").count() >= 50,
        "at least 50 held-out messages"
    );
    #[expect(clippy::print_stdout, reason = "the figures are the test's report")]
    {
        println!("## whole corpus\n{report}");
        for split in splits {
            let part: Vec<_> = entries.iter().filter(|e| e.split == split).collect();
            let score = redaction_eval::score_refs(&part, redaction::find);
            println!("## split `{split}` only\n{}", score.report());
        }
    }
    for (kind, figures) in &score.kinds {
        let recall_target = match kind {
            PiiKind::Email | PiiKind::Phone | PiiKind::Card => CORE_RECALL,
            _ => OTHER_RECALL,
        };
        assert!(
            figures.recall() >= recall_target,
            "{} recall {:.3} < {recall_target}\n{report}",
            kind.name(),
            figures.recall()
        );
        assert!(
            figures.precision() >= PRECISION,
            "{} precision {:.3} < {PRECISION}\n{report}",
            kind.name(),
            figures.precision()
        );
    }
    assert!(
        score.kept_rate() >= KEPT,
        "ordinary numbers intact {:.3} < {KEPT}\n{report}",
        score.kept_rate()
    );
}

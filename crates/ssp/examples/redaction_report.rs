//! Prints the redaction's precision and recall on the labelled corpus and
//! the time it adds to an auction (redacting one bid request's message
//! array), measured natively:
//!
//! ```sh
//! cargo run --release -p adspin-ssp --example redaction_report
//! ```

#[path = "../tests/support/redaction_eval.rs"]
mod redaction_eval;

use std::hint::black_box;
use std::time::{Duration, Instant};

use adspin_ssp::redaction;

/// Redacts every message of `conversation` `rounds` times; the sorted
/// time of each round.
fn time_rounds(conversation: &[String], rounds: usize) -> Vec<Duration> {
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            for message in conversation {
                black_box(redaction::redact(black_box(message)));
            }
            started.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

fn main() {
    let entries = redaction_eval::load();
    let score = redaction_eval::score(&entries, redaction::find);
    let texts: Vec<String> = entries.iter().map(|e| e.text.clone()).collect();
    // A typical request: 10 messages taken in turn from the corpus (user
    // messages with and without personal data, short and long).
    let typical: Vec<Vec<String>> = (0..texts.len())
        .map(|start| {
            (0..10)
                .map(|i| texts[(start + i) % texts.len()].clone())
                .collect()
        })
        .collect();
    // The largest request the SSP accepts in practice: 100 messages of
    // about 2,000 characters each.
    let long_message: String = texts.iter().take(30).cloned().collect::<Vec<_>>().join(" ");
    let largest: Vec<String> = (0..100)
        .map(|_| long_message[..2_000.min(long_message.len())].to_string())
        .map(|m| m.chars().collect())
        .collect();
    let prose: Vec<String> = (0..10)
        .map(|_| "Looking for running shoes, what would you recommend for trail running?".into())
        .collect();
    let mut out = String::new();
    out.push_str("## whole corpus\n");
    out.push_str(&score.report());
    let mut splits: Vec<&str> = entries.iter().map(|e| e.split.as_str()).collect();
    splits.sort_unstable();
    splits.dedup();
    for split in splits {
        let part: Vec<_> = entries.iter().filter(|e| e.split == split).collect();
        out.push_str(&format!("\n## split `{split}` only\n"));
        out.push_str(&redaction_eval::score_refs(&part, redaction::find).report());
    }
    out.push_str("\n## time per auction (redacting the request's messages)\n");
    out.push_str("| messages | median µs | p99 µs |\n| --- | ---: | ---: |\n");
    let mut rows = Vec::new();
    let all_typical: Vec<Duration> = {
        let mut all = Vec::new();
        for conversation in typical.iter().cycle().take(20_000) {
            all.extend(time_rounds(conversation, 1));
        }
        all.sort();
        all
    };
    rows.push((
        "10 corpus messages (each request a different slice)",
        all_typical,
    ));
    rows.push((
        "10 messages without digits or `@` (fast path)",
        time_rounds(&prose, 20_000),
    ));
    rows.push((
        "100 messages of 2,000 characters of corpus text",
        time_rounds(&largest, 200),
    ));
    // The largest bodies the SSP reads (100 messages of 20,000 characters,
    // about the 2 MiB limit) made of what is costliest to scan.
    for (label, unit) in [
        ("100 × 20,000 characters of `1 ` (one long number)", "1 "),
        ("100 × 20,000 characters of `a@b.cc ` (e-mails)", "a@b.cc "),
        ("100 × 20,000 characters of `1:` (IPv6-like)", "1:"),
        (
            "100 × 20,000 characters of `passport 12 ` (keywords)",
            "passport 12 ",
        ),
        (
            "100 × 20,000 characters of `12 rue ` (address-like)",
            "12 rue ",
        ),
    ] {
        let message: String = unit.repeat(20_000 / unit.len());
        let conversation = vec![message; 100];
        rows.push((label, time_rounds(&conversation, 5)));
    }
    for (label, times) in rows {
        let median = times[times.len() / 2];
        let p99 = times[times.len() * 99 / 100];
        out.push_str(&format!(
            "| {label} | {:.1} | {:.1} |\n",
            micros(median),
            micros(p99)
        ));
    }
    #[expect(clippy::print_stdout, reason = "the report is the example's output")]
    {
        print!("{out}");
    }
}

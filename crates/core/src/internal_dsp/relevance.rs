//! How well an ad group's `context_hints` fit a conversation.
//!
//! A hint fits a message when every word of the hint appears in it (plural
//! and singular alike). Each message weighs by recency: the latest user
//! turn most (3), the assistant's latest reply next (2), earlier messages
//! half as much per turn back. An ad group's score is the sum over its
//! hints of the heaviest message each fits; it bids from [`THRESHOLD`] up.

use std::collections::HashSet;

use crate::catalog::hints::words;
use crate::dsp_protocol::{Message, Role};

/// The lowest score that bids: one hint in the latest exchange is enough.
pub const THRESHOLD: f64 = 1.0;

/// A conversation prepared for scoring: each message's words and weight.
pub struct Conversation {
    messages: Vec<(HashSet<String>, f64)>,
}

impl Conversation {
    /// Every word of the conversation, the latest messages' first.
    pub fn words(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut words = Vec::new();
        for (present, _) in self.messages.iter().rev() {
            let mut sorted: Vec<&String> = present.iter().collect();
            sorted.sort();
            for word in sorted {
                if seen.insert(word.clone()) {
                    words.push(word.clone());
                }
            }
        }
        words
    }
}

/// Each message's weight by recency: the latest user turn 3, the message
/// after it (the assistant's reply) 2, earlier ones half as much per turn
/// back.
pub fn recency_weights(messages: &[Message]) -> Vec<f64> {
    let last_user = messages.iter().rposition(|m| m.role == Role::User);
    let count = messages.len();
    (0..count)
        .map(|index| {
            if Some(index) == last_user {
                3.0
            } else if index + 1 == count {
                2.0
            } else {
                // Two messages per turn back from the latest exchange.
                let turns_back = (count.saturating_sub(index + 1)) / 2;
                0.5_f64.powi(i32::try_from(turns_back).unwrap_or(i32::MAX))
            }
        })
        .collect()
}

impl Conversation {
    pub fn new(messages: &[Message]) -> Self {
        let messages = messages
            .iter()
            .zip(recency_weights(messages))
            .map(|(message, weight)| (words(&message.content), weight))
            .collect();
        Self { messages }
    }

    /// The score of an ad group's hints.
    pub fn score(&self, hints: &[String]) -> f64 {
        hints
            .iter()
            .map(|hint| {
                let needed = words(hint);
                if needed.is_empty() {
                    return 0.0;
                }
                self.messages
                    .iter()
                    .filter(|(present, _)| needed.iter().all(|w| present.contains(w)))
                    .map(|(_, weight)| *weight)
                    .fold(0.0, f64::max)
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(texts: &[&str]) -> Conversation {
        let messages: Vec<Message> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| Message {
                role: if i % 2 == texts.len() % 2 {
                    Role::User
                } else {
                    Role::Assistant
                },
                content: t.to_string(),
                timestamp: None,
            })
            .collect();
        Conversation::new(&messages)
    }

    fn hints(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_hint_in_the_latest_user_turn_weighs_most() {
        let c = conversation(&["Looking for running shoes", "What's your budget?"]);
        assert_eq!(c.score(&hints(&["running shoes"])), 3.0);
        assert_eq!(c.score(&hints(&["budget"])), 2.0);
        assert_eq!(c.score(&hints(&["yoga mat"])), 0.0);
    }

    #[test]
    fn plurals_and_case_do_not_matter() {
        let c = conversation(&["Any good BATTERY for my phone?", "Sure"]);
        assert_eq!(c.score(&hints(&["batteries"])), 3.0);
    }

    #[test]
    fn older_turns_fade() {
        let c = conversation(&[
            "I love hiking boots",
            "Nice!",
            "What about dinner tonight?",
            "Try pasta",
        ]);
        assert!(c.score(&hints(&["hiking boots"])) < THRESHOLD);
        assert!(c.score(&hints(&["dinner"])) >= THRESHOLD);
    }

    #[test]
    fn every_word_of_a_hint_must_appear() {
        let c = conversation(&["I need shoes for the office", "Formal or casual?"]);
        assert_eq!(c.score(&hints(&["running shoes"])), 0.0);
        assert_eq!(c.score(&hints(&["shoes", "office"])), 6.0);
    }
}

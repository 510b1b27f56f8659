//! How long each field of ad copy may be on each platform, and fitting
//! text to a length.
//!
//! Facebook and Instagram: Meta's recommended lengths, past which its feed
//! truncates (headline 40, primary text 125, description 30 characters).
//! Chat: the chat card's own limits (title 50, body 100); the card shows
//! no description, kept to 30 like Meta's.

use adspin_core::catalog::creative;

use crate::campaigns::model::Platform;

/// Most characters of each field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldLimits {
    pub headline: usize,
    pub primary_text: usize,
    pub description: usize,
}

/// The limits of `platform`.
pub fn of(platform: Platform) -> FieldLimits {
    match platform {
        Platform::Facebook | Platform::Instagram => FieldLimits {
            headline: 40,
            primary_text: 125,
            description: 30,
        },
        Platform::Chat => FieldLimits {
            headline: creative::TITLE_MAX,
            primary_text: creative::BODY_MAX,
            description: 30,
        },
    }
}

/// `text` within `max` characters: whole when it fits, else cut at the
/// last word boundary that leaves room for an ellipsis (mid-word only when
/// the first word alone is too long).
pub fn fit(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let room: String = text.chars().take(max - 1).collect();
    let cut = match room.rfind(char::is_whitespace) {
        Some(at) if at > 0 => room[..at]
            .trim_end_matches([',', ';', ':', '-', ' '])
            .to_string(),
        _ => room,
    };
    format!("{cut}…")
}

/// `text` without its last words until it fits `max` characters (no
/// ellipsis: for a name set inside a sentence); cut mid-word only when its
/// first word is longer than `max`.
pub fn drop_words(text: &str, max: usize) -> String {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    while words.len() > 1 && words.join(" ").chars().count() > max {
        words.pop();
    }
    let joined = words.join(" ");
    if joined.chars().count() > max {
        joined.chars().take(max).collect()
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_at_a_word_boundary_with_an_ellipsis() {
        assert_eq!(fit("Short", 10), "Short");
        assert_eq!(fit("Online accounting dashboard", 20), "Online accounting…");
        assert_eq!(fit("Supercalifragilistic", 6), "Super…");
        assert_eq!(fit("Online accounting dashboard", 20).chars().count(), 18);
    }

    #[test]
    fn names_lose_their_last_words() {
        assert_eq!(
            drop_words("Online accounting dashboard", 24),
            "Online accounting"
        );
        assert_eq!(drop_words("Online", 3), "Onl");
    }
}

//! Brand safety: conversations about self-harm, medical or mental-health
//! crises, abuse and similar sensitive moments get no ad, and are never
//! sent to external DSPs.
//!
//! A conservative phrase list over the whole conversation: a false
//! positive costs one ad, a false negative puts an ad next to a crisis.

/// The sensitive category a conversation falls in, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitive {
    SelfHarm,
    MentalHealthCrisis,
    MedicalEmergency,
    Abuse,
    Violence,
}

impl Sensitive {
    pub fn label(self) -> &'static str {
        match self {
            Self::SelfHarm => "self-harm",
            Self::MentalHealthCrisis => "a mental-health crisis",
            Self::MedicalEmergency => "a medical emergency",
            Self::Abuse => "abuse",
            Self::Violence => "violence",
        }
    }
}

const PHRASES: &[(Sensitive, &[&str])] = &[
    (
        Sensitive::SelfHarm,
        &[
            "suicide",
            "suicidal",
            "kill myself",
            "killing myself",
            "end my life",
            "ending my life",
            "take my own life",
            "want to die",
            "wanna die",
            "self harm",
            "self-harm",
            "selfharm",
            "cut myself",
            "cutting myself",
            "hurt myself",
            "hurting myself",
            "overdose on purpose",
            "no reason to live",
            "better off dead",
        ],
    ),
    (
        Sensitive::MentalHealthCrisis,
        &[
            "panic attack",
            "mental breakdown",
            "nervous breakdown",
            "severe depression",
            "i feel hopeless",
            "feeling hopeless",
            "can't go on",
            "cannot go on",
            "psychotic episode",
            "hearing voices",
            "eating disorder",
            "anorexia",
            "bulimia",
        ],
    ),
    (
        Sensitive::MedicalEmergency,
        &[
            "heart attack",
            "chest pain",
            "can't breathe",
            "cannot breathe",
            "stroke symptoms",
            "overdose",
            "poisoned",
            "anaphylaxis",
            "seizure",
            "unconscious",
            "bleeding heavily",
            "call 911",
            "emergency room",
            "cancer diagnosis",
            "diagnosed with cancer",
            "terminal illness",
            "miscarriage",
        ],
    ),
    (
        Sensitive::Abuse,
        &[
            "domestic violence",
            "being abused",
            "abusive relationship",
            "sexual assault",
            "raped",
            "rape",
            "molested",
            "child abuse",
            "human trafficking",
        ],
    ),
    (
        Sensitive::Violence,
        &[
            "mass shooting",
            "terrorist attack",
            "bomb threat",
            "hostage",
            "murder",
            "being stalked",
        ],
    ),
];

/// Classifies a conversation (all its messages).
pub fn classify<'a>(messages: impl IntoIterator<Item = &'a str>) -> Option<Sensitive> {
    let text: String = messages
        .into_iter()
        .map(normalize)
        .collect::<Vec<_>>()
        .join(" | ");
    PHRASES
        .iter()
        .find(|(_, phrases)| phrases.iter().any(|phrase| contains_phrase(&text, phrase)))
        .map(|(category, _)| *category)
}

/// Lowercase, with apostrophes kept and other punctuation as spaces.
fn normalize(text: &str) -> String {
    let mapped: String = text
        .chars()
        .map(|c| match c {
            '’' | '\'' => '\'',
            c if c.is_alphanumeric() || c == '-' => c.to_ascii_lowercase(),
            _ => ' ',
        })
        .collect();
    format!(
        " {} ",
        mapped.split_whitespace().collect::<Vec<_>>().join(" ")
    )
}

/// Whole-word match of a phrase.
fn contains_phrase(text: &str, phrase: &str) -> bool {
    text.contains(&format!(" {phrase} "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crisis_conversations_are_flagged() {
        assert_eq!(
            classify(["I want to kill myself", "I'm here for you"]),
            Some(Sensitive::SelfHarm)
        );
        assert_eq!(
            classify([
                "My dad has chest pain, what do I do?",
                "Call emergency services"
            ]),
            Some(Sensitive::MedicalEmergency)
        );
        assert_eq!(
            classify(["I think I'm having a panic attack.", "Breathe slowly"]),
            Some(Sensitive::MentalHealthCrisis)
        );
        assert_eq!(
            classify(["My partner is abusive, it's domestic violence", "..."]),
            Some(Sensitive::Abuse)
        );
    }

    #[test]
    fn ordinary_conversations_are_not() {
        assert_eq!(
            classify(["Looking for running shoes", "What's your budget?"]),
            None
        );
        assert_eq!(
            classify(["Which grape is best for a rosé?", "Grenache"]),
            None,
            "no match inside words"
        );
        assert_eq!(
            classify(["The murderer in the novel...", "Agatha Christie"]),
            None
        );
    }
}

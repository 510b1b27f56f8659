//! The built-in copywriter: ad copy written from the request alone, with
//! no model. It fills tone- and language-specific templates with the
//! product and audience named in the request, deterministically (the same
//! request gets the same copy), and fits every field to the platform's
//! limits. Its answers say `provider: "builtin"`; it never claims to be a
//! model.

use super::limits::{FieldLimits, drop_words, fit};

/// The voice of the copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Professional,
    Friendly,
    Playful,
    Urgent,
}

impl Tone {
    /// The documented names (and their synonyms).
    pub const NAMES: &'static str = "professional, friendly (casual), playful (fun), urgent";

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "professional" | "formal" => Some(Self::Professional),
            "friendly" | "casual" | "warm" => Some(Self::Friendly),
            "playful" | "fun" | "humorous" | "witty" => Some(Self::Playful),
            "urgent" | "bold" | "exciting" => Some(Self::Urgent),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Professional => "professional",
            Self::Friendly => "friendly",
            Self::Playful => "playful",
            Self::Urgent => "urgent",
        }
    }
}

/// A language the copywriter writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    English,
    Spanish,
    French,
}

impl Language {
    pub const CODES: &'static str = "en, es, fr";

    /// An ISO 639-1 code, with or without a region (`en-US`).
    pub fn parse(code: &str) -> Option<Self> {
        let base = code.trim().split(['-', '_']).next().unwrap_or_default();
        match base.to_ascii_lowercase().as_str() {
            "en" => Some(Self::English),
            "es" => Some(Self::Spanish),
            "fr" => Some(Self::French),
            _ => None,
        }
    }
}

/// What to write about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brief {
    pub product_description: String,
    pub target_audience: String,
    pub tone: Tone,
    pub language: Language,
}

/// One variation's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    pub headline: String,
    pub primary_text: String,
    pub description: String,
}

/// Templates of one language and tone: `{P}` is the product (capitalized),
/// `{p}` the product mid-sentence, `{a}` the audience mid-sentence.
struct Templates {
    headlines: [&'static str; 3],
    primary: [&'static str; 2],
    descriptions: [&'static str; 2],
}

fn templates(language: Language, tone: Tone) -> Templates {
    use Language::{English, French, Spanish};
    use Tone::{Friendly, Playful, Professional, Urgent};
    match (language, tone) {
        (English, Professional) => Templates {
            headlines: [
                "{P} for {a}",
                "Work smarter with {p}",
                "{P}, built for results",
            ],
            primary: [
                "{P} gives {a} a clearer view of what matters, so decisions take minutes, not days.",
                "Built for {a}: {p} that saves time from day one. See how it fits your team.",
            ],
            descriptions: ["Clarity for growing teams.", "Built to help you grow."],
        },
        (English, Friendly) => Templates {
            headlines: ["Meet {p}", "Say hi to {p}", "{P}, made easy"],
            primary: [
                "Hey {a}! {P} takes the busywork off your plate so you can focus on what you love.",
                "We made {p} for {a} like you. Simple, friendly and ready when you are.",
            ],
            descriptions: ["Simple from day one.", "Made with you in mind."],
        },
        (English, Playful) => Templates {
            headlines: [
                "{P}? Yes, please!",
                "Your new favorite: {p}",
                "Plot twist: {p}",
            ],
            primary: [
                "Calling all {a}: {p} is here, and your to-do list is nervous.",
                "Less juggling, more high-fives. {P} is the sidekick {a} deserve.",
            ],
            descriptions: ["Fun to use. Really.", "Seriously good, not serious."],
        },
        (English, Urgent) => Templates {
            headlines: ["Try {p} today", "Don't wait: {p}", "{P}, starting now"],
            primary: [
                "{A}, every day without {p} is a day lost. Get started today.",
                "Stop putting it off. {P} is ready for {a} right now. Act today.",
            ],
            descriptions: ["Start today.", "Don't miss out."],
        },
        (Spanish, Professional) => Templates {
            headlines: [
                "{P} para {a}",
                "Trabaja mejor con {p}",
                "{P}, pensado para crecer",
            ],
            primary: [
                "{P} ofrece a {a} una visión clara de lo importante para decidir en minutos.",
                "Diseñado para {a}: {p} que ahorra tiempo desde el primer día.",
            ],
            descriptions: ["Claridad para crecer.", "Hecho para resultados."],
        },
        (Spanish, Friendly) => Templates {
            headlines: ["Te presentamos {p}", "Hola, {p}", "{P}, así de fácil"],
            primary: [
                "¡Hola, {a}! {P} se encarga del trabajo pesado para que te centres en lo tuyo.",
                "Creamos {p} para {a} como tú. Sencillo, cercano y siempre listo.",
            ],
            descriptions: ["Fácil desde el primer día.", "Pensado para ti."],
        },
        (Spanish, Playful) => Templates {
            headlines: [
                "¿{P}? ¡Claro que sí!",
                "Tu nuevo favorito: {p}",
                "Sorpresa: {p}",
            ],
            primary: [
                "Atención, {a}: llegó {p} y tu lista de tareas está temblando.",
                "Menos malabares, más celebraciones. {P} es el aliado que {a} merecen.",
            ],
            descriptions: ["Divertido de verdad.", "Bueno en serio."],
        },
        (Spanish, Urgent) => Templates {
            headlines: ["Prueba {p} hoy", "No esperes: {p}", "{P}, desde ya"],
            primary: [
                "{A}: cada día sin {p} es un día perdido. Empieza hoy.",
                "Deja de posponerlo. {P} está listo para {a} ahora mismo.",
            ],
            descriptions: ["Empieza hoy.", "No te lo pierdas."],
        },
        (French, Professional) => Templates {
            headlines: [
                "{P} pour {a}",
                "Travaillez mieux avec {p}",
                "{P}, conçu pour réussir",
            ],
            primary: [
                "{P} donne aux {a} une vision claire de l'essentiel pour décider en quelques minutes.",
                "Conçu pour les {a} : {p} qui fait gagner du temps dès le premier jour.",
            ],
            descriptions: ["La clarté pour grandir.", "Conçu pour vos résultats."],
        },
        (French, Friendly) => Templates {
            headlines: ["Découvrez {p}", "Bonjour, {p}", "{P}, tout simplement"],
            primary: [
                "Bonjour aux {a} ! {P} s'occupe des tâches pénibles pour que vous profitiez de l'essentiel.",
                "Nous avons créé {p} pour des {a} comme vous. Simple et toujours prêt.",
            ],
            descriptions: ["Simple dès le départ.", "Pensé pour vous."],
        },
        (French, Playful) => Templates {
            headlines: [
                "{P} ? Oui, merci !",
                "Votre nouveau favori : {p}",
                "Surprise : {p}",
            ],
            primary: [
                "Avis aux {a} : {p} est là, et votre liste de tâches tremble déjà.",
                "Moins de jonglage, plus de victoires. {P}, l'allié que les {a} méritent.",
            ],
            descriptions: ["Vraiment amusant.", "Sérieusement efficace."],
        },
        (French, Urgent) => Templates {
            headlines: [
                "Essayez {p} aujourd'hui",
                "N'attendez plus : {p}",
                "{P}, dès maintenant",
            ],
            primary: [
                "Chaque jour sans {p} est un jour perdu pour les {a}. Commencez aujourd'hui.",
                "Arrêtez de remettre à plus tard. {P} est prêt pour les {a} dès maintenant.",
            ],
            descriptions: ["Commencez aujourd'hui.", "À ne pas manquer."],
        },
    }
}

/// Words after which a product description names what the product is
/// for rather than what it is.
const PRODUCT_BREAKS: [&str; 9] = [
    " for ",
    " that ",
    " which ",
    " to help ",
    " para ",
    " pour ",
    " que ",
    " qui ",
    " with ",
];
/// Words after which an audience description qualifies it.
const AUDIENCE_BREAKS: [&str; 8] = [
    " aged ",
    " ages ",
    " with ",
    " who ",
    " between ",
    " de ",
    " entre ",
    " qui ",
];

/// The head of `text` before the first of `breaks`, a comma or a dash.
fn head<'a>(text: &'a str, breaks: &[&str]) -> &'a str {
    let text = text.trim();
    let lower = text.to_lowercase();
    let mut end = text.len();
    // Lower-casing may change byte lengths (rarely): then only the
    // punctuation cuts apply.
    let same_offsets = lower.len() == text.len();
    let word_cuts = breaks
        .iter()
        .filter(|_| same_offsets)
        .filter_map(|cut| lower.find(cut));
    let punctuation_cuts = [",", ";", " - ", " — ", ". ", ":"]
        .iter()
        .filter_map(|cut| text.find(cut));
    for at in word_cuts.chain(punctuation_cuts) {
        if at > 0 && text.is_char_boundary(at) {
            end = end.min(at);
        }
    }
    text[..end].trim().trim_end_matches('.')
}

/// `text` for the middle of a sentence: its first letter lower-cased
/// unless the first word is an acronym or a name with inner capitals
/// ("AI-powered", "SaaS").
fn mid_sentence(text: &str) -> String {
    let first_word = text.split_whitespace().next().unwrap_or_default();
    let keep = first_word.chars().skip(1).any(char::is_uppercase);
    if keep {
        return text.to_string();
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn fill(template: &str, product: &str, audience: &str) -> String {
    let product_mid = mid_sentence(product);
    let audience_mid = mid_sentence(audience);
    template
        .replace("{P}", &capitalized(product))
        .replace("{p}", &product_mid)
        .replace("{A}", &capitalized(audience))
        .replace("{a}", &audience_mid)
}

/// The first of `candidates` (from `start`, in turn) that fits `max`
/// characters, or the first shortened to fit.
fn first_fitting(candidates: &[String], start: usize, max: usize) -> String {
    let count = candidates.len();
    (0..count)
        .map(|offset| &candidates[(start + offset) % count])
        .find(|text| text.chars().count() <= max)
        .cloned()
        .unwrap_or_else(|| fit(&candidates[start % count], max))
}

/// `count` variations of copy for `brief`, each within `limits`.
pub fn write(brief: &Brief, count: usize, limits: FieldLimits) -> Vec<Copy> {
    let product = head(&brief.product_description, &PRODUCT_BREAKS);
    let audience = head(&brief.target_audience, &AUDIENCE_BREAKS);
    // Headlines name the product in few words, so that they fit.
    let short_product = drop_words(product, limits.headline.saturating_sub(16).max(12));
    let set = templates(brief.language, brief.tone);
    let render = |templates: &[&str], product: &str| -> Vec<String> {
        templates
            .iter()
            .map(|t| fill(t, product, audience))
            .collect()
    };
    let headlines = render(&set.headlines, &short_product);
    let primary = render(&set.primary, product);
    let descriptions = render(&set.descriptions, product);
    (0..count)
        .map(|i| Copy {
            headline: first_fitting(&headlines, i, limits.headline),
            // (i mod 3, i mod 2) runs through all six pairs, then the
            // description changes: twelve distinct variations.
            primary_text: first_fitting(&primary, i, limits.primary_text),
            description: first_fitting(&descriptions, i / 6, limits.description),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::limits::FieldLimits;

    fn brief(tone: Tone, language: Language) -> Brief {
        Brief {
            product_description: "Online accounting dashboard for small businesses".into(),
            target_audience: "Small business founders aged 25-45".into(),
            tone,
            language,
        }
    }

    const FACEBOOK: FieldLimits = FieldLimits {
        headline: 40,
        primary_text: 125,
        description: 30,
    };

    #[test]
    fn the_copy_names_the_product_and_audience_within_the_limits() {
        let copies = write(&brief(Tone::Professional, Language::English), 5, FACEBOOK);
        assert_eq!(copies.len(), 5);
        assert_eq!(copies[0].headline, "Work smarter with online accounting");
        for copy in &copies {
            assert!(copy.headline.chars().count() <= 40, "{copy:?}");
            assert!(copy.primary_text.chars().count() <= 125, "{copy:?}");
            assert!(copy.description.chars().count() <= 30, "{copy:?}");
        }
        assert!(
            copies
                .iter()
                .any(|c| c.primary_text.contains("small business founders")),
            "{copies:?}"
        );
    }

    #[test]
    fn variations_differ_and_the_same_request_writes_the_same_copy() {
        let first = write(&brief(Tone::Friendly, Language::English), 10, FACEBOOK);
        let again = write(&brief(Tone::Friendly, Language::English), 10, FACEBOOK);
        assert_eq!(first, again);
        let mut distinct: Vec<_> = first
            .iter()
            .map(|c| (&c.headline, &c.primary_text, &c.description))
            .collect();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 10);
    }

    #[test]
    fn tone_and_language_change_the_copy() {
        let professional = write(&brief(Tone::Professional, Language::English), 1, FACEBOOK);
        let urgent = write(&brief(Tone::Urgent, Language::English), 1, FACEBOOK);
        let spanish = write(&brief(Tone::Professional, Language::Spanish), 1, FACEBOOK);
        assert_ne!(professional, urgent);
        assert!(spanish[0].primary_text.contains("ofrece"), "{spanish:?}");
        assert_eq!(Language::parse("fr-CA"), Some(Language::French));
        assert_eq!(Language::parse("de"), None);
        assert_eq!(Tone::parse("Casual"), Some(Tone::Friendly));
    }

    #[test]
    fn acronyms_keep_their_capitals_mid_sentence() {
        assert_eq!(
            mid_sentence("AI-powered project management"),
            "AI-powered project management"
        );
        assert_eq!(mid_sentence("Tech startups"), "tech startups");
        assert_eq!(
            head(
                "AI-powered project management for remote teams",
                &PRODUCT_BREAKS
            ),
            "AI-powered project management"
        );
        assert_eq!(
            head("Tech startups with 10-50 employees", &AUDIENCE_BREAKS),
            "Tech startups"
        );
    }
}

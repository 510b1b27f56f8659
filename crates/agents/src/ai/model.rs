//! Ad copy from a language model, through the runtime's LLM interface
//! (`Env::llm`): the model named by the `ai_text_model` variable, served
//! by whatever the runtime configuration points at.
//!
//! The prompt asks for JSON only; the answer is read defensively: the
//! first JSON object or array in the text (models wrap it in prose or code
//! fences), `{"variations": [...]}` or a bare array, each variation with
//! the fields asked for as strings. Extra variations are dropped; fewer
//! than asked (at least one) are accepted and charged as delivered. Every
//! field is then cut to the platform's limits. A model that fails, is not
//! allowed, or answers nothing usable is `502 ai_provider_error` (nothing
//! is stored, no credits are used): the caller asked for a model's copy
//! and is told it did not come, rather than silently given the built-in
//! copywriter's.

use serde_json::{Value, json};

use adspin_core::env::Env;
use adspin_core::llm::{InferenceParams, Llm};

use super::copywriter::Copy;
use super::limits::{self, fit};
use super::{CopyRequest, Field};
use crate::AgentsError;

/// The variable naming the text model.
pub const TEXT_MODEL_VARIABLE: &str = "ai_text_model";
/// Tokens allowed per variation asked for, and for the whole answer's
/// wrapping.
const TOKENS_PER_VARIATION: u32 = 200;
const TOKENS_OVERHEAD: u32 = 200;

/// The configured text model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextModel {
    pub name: String,
}

impl TextModel {
    /// The model of `ai_text_model`; `None` when it is unset or empty.
    pub fn from_env(env: &impl Env) -> Option<Self> {
        env.variable(TEXT_MODEL_VARIABLE)
            .map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty())
            .map(|name| Self { name })
    }

    /// Variations for `request`, each within the platform's limits.
    pub fn write(&self, llm: &impl Llm, request: &CopyRequest) -> Result<Vec<Copy>, AgentsError> {
        let params = InferenceParams {
            max_tokens: TOKENS_PER_VARIATION * request.count + TOKENS_OVERHEAD,
            temperature: 0.8,
        };
        let answer = llm
            .infer(&self.name, &prompt(request), params)
            .map_err(|error| provider_error(&self.name, &error))?;
        let copies = parse(&answer.text, &request.fields, request.count as usize)
            .ok_or_else(|| provider_error(&self.name, &"the answer held no usable variations"))?;
        let limits = limits::of(request.platform);
        Ok(copies
            .into_iter()
            .map(|copy| Copy {
                headline: fit(&copy.headline, limits.headline),
                primary_text: fit(&copy.primary_text, limits.primary_text),
                description: fit(&copy.description, limits.description),
            })
            .collect())
    }
}

/// `502 ai_provider_error`; the cause is logged, not sent.
pub fn provider_error(model: &str, cause: &dyn std::fmt::Display) -> AgentsError {
    AgentsError::new(
        502,
        "ai_provider_error",
        "The AI provider failed to generate content; no credits were used. Retry later.",
    )
    .with_cause(format_args!("model {model}: {cause}"))
}

impl std::fmt::Display for TextModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// The instructions: the brief, the limits and the JSON to answer with.
pub fn prompt(request: &CopyRequest) -> String {
    let limits = limits::of(request.platform);
    let fields: Vec<String> = request
        .fields
        .iter()
        .map(|field| {
            let max = match field {
                Field::Headline => limits.headline,
                Field::PrimaryText => limits.primary_text,
                Field::Description => limits.description,
            };
            format!("\"{}\" (at most {max} characters)", field.as_str())
        })
        .collect();
    let example: Value = json!({"variations": [request
        .fields
        .iter()
        .map(|f| (f.as_str().to_string(), json!("...")))
        .collect::<serde_json::Map<String, Value>>()]});
    format!(
        "You write advertising copy for {platform} ads.\n\
         Product: {product}\n\
         Target audience: {audience}\n\
         Tone: {tone}\n\
         Language: {language} (ISO 639-1); write every field in it.\n\
         Write {count} distinct variations. Each has {fields}. Make no claims \
         about prices, discounts or guarantees the product description does not make.\n\
         Answer with JSON only, no other text, in exactly this shape: {example}",
        platform = request.platform.as_str(),
        product = request.brief.product_description,
        audience = request.brief.target_audience,
        tone = request.brief.tone.as_str(),
        language = request.language,
        count = request.count,
        fields = fields.join(", "),
    )
}

/// The variations of a model's answer, or `None` when it has none usable.
pub fn parse(text: &str, fields: &[Field], most: usize) -> Option<Vec<Copy>> {
    let value = first_json(text)?;
    let items = match &value {
        Value::Array(items) => items,
        Value::Object(object) => object.get("variations")?.as_array()?,
        _ => return None,
    };
    let field = |item: &Value, field: Field| -> Option<String> {
        let text = item.get(field.as_str())?.as_str()?;
        let clean: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
        (!clean.is_empty()).then_some(clean)
    };
    let mut copies = Vec::new();
    for item in items.iter().take(most) {
        let mut copy = Copy {
            headline: String::new(),
            primary_text: String::new(),
            description: String::new(),
        };
        for wanted in fields {
            let text = field(item, *wanted)?;
            match wanted {
                Field::Headline => copy.headline = text,
                Field::PrimaryText => copy.primary_text = text,
                Field::Description => copy.description = text,
            }
        }
        copies.push(copy);
    }
    (!copies.is_empty()).then_some(copies)
}

/// The first JSON object or array in `text` that parses.
fn first_json(text: &str) -> Option<Value> {
    let mut from = 0;
    while let Some(offset) = text[from..].find(['{', '[']) {
        let start = from + offset;
        let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
        if let Some(Ok(value)) = stream.next() {
            return Some(value);
        }
        from = start + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_found_inside_prose_and_code_fences() {
        let text = "Sure! Here you go:\n```json\n{\"variations\": [{\"headline\": \"Fast books\", \
                    \"primary_text\": \"Close the month\\n in a day.\", \"description\": \"Try it\"}]}\n```";
        let copies = parse(text, &Field::ALL, 5).expect("parsed");
        assert_eq!(copies.len(), 1);
        assert_eq!(copies[0].primary_text, "Close the month in a day.");
        let bare = "[{\"headline\": \"A\"}, {\"headline\": \"B\"}, {\"headline\": \"C\"}]";
        assert_eq!(parse(bare, &[Field::Headline], 2).expect("bare").len(), 2);
    }

    #[test]
    fn answers_without_usable_variations_are_refused() {
        for text in [
            "I cannot help with that.",
            "{\"variations\": []}",
            "{\"variations\": [{\"headline\": \"Only a headline\"}]}",
            "{\"variations\": [{\"headline\": 5, \"primary_text\": \"x\", \"description\": \"y\"}]}",
            "{\"answer\": \"no\"}",
        ] {
            assert!(parse(text, &Field::ALL, 3).is_none(), "{text}");
        }
    }
}

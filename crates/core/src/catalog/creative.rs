//! Ad creatives: `chat_card` (title, body, call to action, image, landing
//! page) and `poll` (a question with 2–4 options and a click-through URL).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::fields::{self, at};
use crate::api_error::ApiError;

pub const TITLE_MIN: usize = 3;
pub const TITLE_MAX: usize = 50;
pub const BODY_MIN: usize = 1;
pub const BODY_MAX: usize = 100;
pub const CTA_MAX: usize = 20;
pub const QUESTION_MIN: usize = 3;
pub const QUESTION_MAX: usize = 100;
pub const OPTIONS_MIN: usize = 2;
pub const OPTIONS_MAX: usize = 4;
pub const OPTION_MAX: usize = 40;

/// The creative type; all ads of an ad group share one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreativeType {
    ChatCard,
    Poll,
}

impl CreativeType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChatCard => "chat_card",
            Self::Poll => "poll",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "chat_card" => Some(Self::ChatCard),
            "poll" => Some(Self::Poll),
            _ => None,
        }
    }
}

crate::sql_text_enum!(CreativeType);

/// A creative as clients send it.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CreativeInput {
    ChatCard {
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        body: Option<String>,
        target_url: String,
        #[serde(default)]
        file_id: Option<String>,
        #[serde(default)]
        cta_text: Option<String>,
    },
    Poll {
        question: String,
        options: Vec<String>,
        target_url: String,
    },
}

/// A validated creative, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Creative {
    ChatCard {
        title: String,
        body: String,
        target_url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cta_text: Option<String>,
    },
    Poll {
        question: String,
        options: Vec<String>,
        target_url: String,
    },
}

impl Creative {
    pub fn kind(&self) -> CreativeType {
        match self {
            Self::ChatCard { .. } => CreativeType::ChatCard,
            Self::Poll { .. } => CreativeType::Poll,
        }
    }

    /// The uploaded image the creative uses, if any.
    pub fn file_id(&self) -> Option<&str> {
        match self {
            Self::ChatCard { file_id, .. } => file_id.as_deref(),
            Self::Poll { .. } => None,
        }
    }

    /// What an ad is named when the request gives no name.
    pub fn default_name(&self) -> String {
        let text = match self {
            Self::ChatCard { title, .. } => title,
            Self::Poll { question, .. } => question,
        };
        text.chars().take(100).collect()
    }

    /// The read-back shape; chat cards gain the public `image_url` of
    /// their upload (`null` without one).
    pub fn to_resource(&self, files_base_url: &str) -> Value {
        match self {
            Self::ChatCard {
                title,
                body,
                target_url,
                file_id,
                cta_text,
            } => json!({
                "type": "chat_card",
                "title": title,
                "body": body,
                "target_url": target_url,
                "cta_text": cta_text,
                "file_id": file_id,
                "image_url": file_id.as_ref().map(|id| image_url(files_base_url, id)),
            }),
            Self::Poll {
                question,
                options,
                target_url,
            } => json!({
                "type": "poll",
                "question": question,
                "options": options,
                "target_url": target_url,
            }),
        }
    }
}

/// The public URL of an uploaded file.
pub fn image_url(files_base_url: &str, file_id: &str) -> String {
    format!("{}/files/{file_id}", files_base_url.trim_end_matches('/'))
}

/// Validates a creative. `prefix` locates it in the body (`creative`,
/// `ad_groups[0].ads[1].creative`); `auto_generate` is the ad's flag.
pub fn validate(
    input: &CreativeInput,
    auto_generate: bool,
    prefix: &str,
) -> Result<Creative, ApiError> {
    match input {
        CreativeInput::Poll {
            question,
            options,
            target_url,
        } => {
            if auto_generate {
                return Err(ApiError::invalid_request(
                    "poll_cannot_be_ai",
                    "auto_generate is only available for chat_card creatives; write the poll yourself.",
                )
                .with_param(auto_generate_param(prefix)));
            }
            fields::text(
                &at(prefix, "question"),
                question,
                QUESTION_MIN,
                QUESTION_MAX,
            )?;
            if !(OPTIONS_MIN..=OPTIONS_MAX).contains(&options.len()) {
                return Err(ApiError::invalid_value(
                    at(prefix, "options"),
                    format!("A poll needs between {OPTIONS_MIN} and {OPTIONS_MAX} options."),
                ));
            }
            for (index, option) in options.iter().enumerate() {
                fields::text(
                    &at(prefix, &format!("options[{index}]")),
                    option,
                    1,
                    OPTION_MAX,
                )?;
            }
            fields::url(&at(prefix, "target_url"), target_url)?;
            Ok(Creative::Poll {
                question: question.clone(),
                options: options.clone(),
                target_url: target_url.clone(),
            })
        }
        CreativeInput::ChatCard {
            title,
            body,
            target_url,
            file_id,
            cta_text,
        } => {
            if auto_generate {
                return Err(ApiError::invalid_request(
                    "auto_generate_unavailable",
                    "Generated ad copy is not available on this platform; send creative.title and creative.body.",
                )
                .with_param(auto_generate_param(prefix)));
            }
            let title = required(title.as_deref(), &at(prefix, "title"))?;
            let body = required(body.as_deref(), &at(prefix, "body"))?;
            fields::text(&at(prefix, "title"), title, TITLE_MIN, TITLE_MAX)?;
            fields::text(&at(prefix, "body"), body, BODY_MIN, BODY_MAX)?;
            fields::url(&at(prefix, "target_url"), target_url)?;
            if let Some(cta) = cta_text {
                fields::text(&at(prefix, "cta_text"), cta, 1, CTA_MAX)?;
            }
            if let Some(file_id) = file_id
                && !is_file_id(file_id)
            {
                return Err(ApiError::invalid_value(
                    at(prefix, "file_id"),
                    "file_id must be a file_id returned by POST /v1/upload.",
                ));
            }
            Ok(Creative::ChatCard {
                title: title.to_string(),
                body: body.to_string(),
                target_url: target_url.clone(),
                file_id: file_id.clone(),
                cta_text: cta_text.clone(),
            })
        }
    }
}

/// `uploads/<yyyy>/<mm>/<32 hex>.<png|jpg|webp>`
pub fn is_file_id(text: &str) -> bool {
    let parts: Vec<&str> = text.split('/').collect();
    let [uploads, year, month, name] = parts.as_slice() else {
        return false;
    };
    let Some((stem, extension)) = name.split_once('.') else {
        return false;
    };
    *uploads == "uploads"
        && year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && month.len() == 2
        && month.bytes().all(|b| b.is_ascii_digit())
        && stem.len() == 32
        && stem
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        && matches!(extension, "png" | "jpg" | "webp")
}

fn auto_generate_param(creative_prefix: &str) -> String {
    match creative_prefix.strip_suffix("creative") {
        Some(ad_prefix) => format!("{ad_prefix}auto_generate"),
        None => "auto_generate".to_string(),
    }
}

fn required<'a>(value: Option<&'a str>, param: &str) -> Result<&'a str, ApiError> {
    value.ok_or_else(|| {
        ApiError::invalid_request(
            "missing_required_parameter",
            format!("{param} is required."),
        )
        .with_param(param)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: Value) -> CreativeInput {
        serde_json::from_value(json).expect("creative input")
    }

    fn card() -> Value {
        json!({"type": "chat_card", "title": "Try our app", "body": "Fast, simple, free to start",
               "target_url": "https://example.com", "file_id": "uploads/2026/06/0123456789abcdef0123456789abcdef.png"})
    }

    #[test]
    fn a_chat_card_validates_and_reads_back_with_its_image_url() {
        let creative = validate(&input(card()), false, "creative").expect("valid");
        assert_eq!(creative.kind(), CreativeType::ChatCard);
        let resource = creative.to_resource("http://localhost:3000/");
        assert_eq!(
            resource["image_url"],
            "http://localhost:3000/files/uploads/2026/06/0123456789abcdef0123456789abcdef.png"
        );
        assert_eq!(creative.default_name(), "Try our app");
    }

    #[test]
    fn chat_card_fields_have_limits() {
        let mut long_title = card();
        long_title["title"] = json!("x".repeat(51));
        let error =
            validate(&input(long_title), false, "ad_groups[0].ads[0].creative").expect_err("title");
        assert_eq!(error.param(), Some("ad_groups[0].ads[0].creative.title"));
        let mut no_body = card();
        no_body.as_object_mut().expect("object").remove("body");
        assert_eq!(
            validate(&input(no_body), false, "creative")
                .expect_err("body")
                .code(),
            "missing_required_parameter"
        );
        let mut bad_url = card();
        bad_url["target_url"] = json!("not a url");
        assert_eq!(
            validate(&input(bad_url), false, "creative")
                .expect_err("url")
                .param(),
            Some("creative.target_url")
        );
        let mut bad_file = card();
        bad_file["file_id"] = json!("../../etc/passwd");
        assert_eq!(
            validate(&input(bad_file), false, "creative")
                .expect_err("file")
                .param(),
            Some("creative.file_id")
        );
    }

    #[test]
    fn polls_need_two_to_four_options() {
        let poll = |options: Value| {
            input(
                json!({"type": "poll", "question": "Which plan?", "options": options, "target_url": "https://e.com"}),
            )
        };
        assert!(validate(&poll(json!(["A", "B"])), false, "creative").is_ok());
        assert!(validate(&poll(json!(["A", "B", "C", "D"])), false, "creative").is_ok());
        assert_eq!(
            validate(&poll(json!(["A"])), false, "creative")
                .expect_err("one")
                .param(),
            Some("creative.options")
        );
        assert!(validate(&poll(json!(["A", "B", "C", "D", "E"])), false, "creative").is_err());
        assert_eq!(
            validate(&poll(json!(["A", ""])), false, "creative")
                .expect_err("empty")
                .param(),
            Some("creative.options[1]")
        );
    }

    #[test]
    fn polls_cannot_be_generated() {
        let poll = input(
            json!({"type": "poll", "question": "Which plan?", "options": ["A", "B"], "target_url": "https://e.com"}),
        );
        let error = validate(&poll, true, "creative").expect_err("ai poll");
        assert_eq!(
            (error.code(), error.param()),
            ("poll_cannot_be_ai", Some("auto_generate"))
        );
    }

    #[test]
    fn unknown_creative_types_and_fields_are_rejected() {
        assert!(
            serde_json::from_value::<CreativeInput>(
                json!({"type": "video", "target_url": "https://e.com"})
            )
            .is_err()
        );
        let mut extra = card();
        extra["headline"] = json!("x");
        assert!(serde_json::from_value::<CreativeInput>(extra).is_err());
    }

    #[test]
    fn file_ids_have_one_shape() {
        assert!(is_file_id(
            "uploads/2026/06/0123456789abcdef0123456789abcdef.webp"
        ));
        assert!(!is_file_id(
            "uploads/2026/6/0123456789abcdef0123456789abcdef.png"
        ));
        assert!(!is_file_id(
            "uploads/2026/06/0123456789ABCDEF0123456789abcdef.png"
        ));
        assert!(!is_file_id(
            "uploads/2026/06/0123456789abcdef0123456789abcdef.gif"
        ));
    }
}

//! Field rules shared by the `/v1` resources: lengths, URLs, times, and
//! the enums of the resource bodies.

use serde::{Deserialize, Deserializer, Serialize};

use crate::api_error::ApiError;

/// Earliest accepted `start_time`/`end_time` (2000-01-01).
pub const MIN_TIME: i64 = 946_684_800;
/// Latest accepted `start_time`/`end_time` (2100-01-01).
pub const MAX_TIME: i64 = 4_102_444_800;
/// Longest accepted URL.
pub const MAX_URL_LENGTH: usize = 2048;

/// Checks that `value` has between `min` and `max` characters, and at
/// least `min` that are not whitespace.
pub fn text(param: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let length = value.chars().count();
    let visible = value.trim().chars().count();
    if visible < min || length > max {
        return Err(ApiError::invalid_value(
            param,
            format!("{param} must be between {min} and {max} characters long."),
        ));
    }
    Ok(())
}

/// Checks an absolute `http`/`https` URL. Whitespace and control
/// characters are refused as sent (the URL parser would silently drop tabs
/// and line breaks, and the URL is stored and served as sent).
pub fn url(param: &str, value: &str) -> Result<(), ApiError> {
    let valid = value.chars().count() <= MAX_URL_LENGTH
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && url::Url::parse(value).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        });
    if !valid {
        return Err(ApiError::invalid_value(
            param,
            format!(
                "{param} must be an absolute http or https URL of at most {MAX_URL_LENGTH} characters."
            ),
        ));
    }
    Ok(())
}

/// Checks a Unix-seconds time is within the accepted range.
pub fn time(param: &str, value: i64) -> Result<(), ApiError> {
    if !(MIN_TIME..=MAX_TIME).contains(&value) {
        return Err(ApiError::invalid_value(
            param,
            format!("{param} must be Unix seconds between {MIN_TIME} and {MAX_TIME}."),
        ));
    }
    Ok(())
}

/// `param` with a prefix: `ad_groups[0]` + `name` → `ad_groups[0].name`.
pub fn at(prefix: &str, param: &str) -> String {
    if prefix.is_empty() {
        param.to_string()
    } else {
        format!("{prefix}.{param}")
    }
}

/// Deserializes a field that distinguishes "absent" (outer `None`) from
/// `null` (`Some(None)`), for updates that clear a value with `null`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The writable `status` of a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Paused,
    Archived,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Archived => "archived",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(Self::Active),
            "paused" => Some(Self::Paused),
            "archived" => Some(Self::Archived),
            _ => None,
        }
    }

    /// What an ad group or ad stores: children have no archived state, so
    /// archiving one pauses it.
    pub fn for_child(self) -> Self {
        match self {
            Self::Archived => Self::Paused,
            other => other,
        }
    }
}

/// The read-only `review_status`, set by operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    InReview,
    Approved,
    Rejected,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InReview => "in_review",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "in_review" => Some(Self::InReview),
            "approved" => Some(Self::Approved),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecurringFrequency {
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Yearly,
}

impl RecurringFrequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
            Self::Quarterly => "quarterly",
            Self::Yearly => "yearly",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "daily" => Some(Self::Daily),
            "weekly" => Some(Self::Weekly),
            "monthly" => Some(Self::Monthly),
            "quarterly" => Some(Self::Quarterly),
            "yearly" => Some(Self::Yearly),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PricingModel {
    Cpm,
    Cpc,
}

impl PricingModel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cpm => "cpm",
            Self::Cpc => "cpc",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "cpm" => Some(Self::Cpm),
            "cpc" => Some(Self::Cpc),
            _ => None,
        }
    }
}

crate::sql_text_enum!(Status, ReviewStatus, RecurringFrequency, PricingModel);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_with_line_breaks_tabs_or_spaces_are_refused() {
        for bad in [
            "https://shop.example.com/a\r\nSet-Cookie: x=1",
            "https://shop.example.com/a\nb",
            "https://shop.example.com/\tb",
            "https://shop.example.com/a b",
            "https://shop.example.com/\u{7f}",
        ] {
            assert!(url("target_url", bad).is_err(), "{bad:?}");
        }
        assert!(url("target_url", "https://shop.example.com/a?b=c%20d").is_ok());
    }

    #[test]
    fn text_lengths_count_characters_and_need_visible_ones() {
        assert!(text("name", "abc", 3, 100).is_ok());
        assert!(text("name", "ééé", 3, 3).is_ok());
        assert!(text("name", "ab", 3, 100).is_err());
        assert!(text("name", "   a  ", 3, 100).is_err());
        let error = text("name", &"x".repeat(101), 3, 100).expect_err("too long");
        assert_eq!(
            (error.code(), error.param()),
            ("invalid_value", Some("name"))
        );
    }

    #[test]
    fn urls_must_be_absolute_http() {
        assert!(url("u", "https://example.com/landing?x=1").is_ok());
        assert!(url("u", "http://127.0.0.1:8080").is_ok());
        for bad in [
            "example.com",
            "/relative",
            "ftp://example.com",
            "javascript:alert(1)",
            "",
        ] {
            assert!(url("u", bad).is_err(), "{bad}");
        }
        assert!(url("u", &format!("https://e.com/{}", "a".repeat(2048))).is_err());
    }

    #[test]
    fn times_are_bounded() {
        assert!(time("start_time", MIN_TIME).is_ok());
        assert!(time("start_time", MAX_TIME).is_ok());
        assert!(time("start_time", MIN_TIME - 1).is_err());
        assert!(time("start_time", MAX_TIME + 1).is_err());
    }

    #[test]
    fn archived_children_are_stored_paused() {
        assert_eq!(Status::Archived.for_child(), Status::Paused);
        assert_eq!(Status::Active.for_child(), Status::Active);
    }

    #[test]
    fn nullable_fields_tell_absent_from_null() {
        #[derive(Deserialize)]
        struct Update {
            #[serde(default, deserialize_with = "nullable")]
            end_time: Option<Option<i64>>,
        }
        let absent: Update = serde_json::from_str("{}").expect("absent");
        let null: Update = serde_json::from_str(r#"{"end_time":null}"#).expect("null");
        let set: Update = serde_json::from_str(r#"{"end_time":5}"#).expect("set");
        assert_eq!(
            (absent.end_time, null.end_time, set.end_time),
            (None, Some(None), Some(Some(5)))
        );
    }
}

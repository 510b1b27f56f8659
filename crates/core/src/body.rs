//! JSON request bodies, parsed into typed requests.
//!
//! Every surface turns a [`BodyError`] into its own error shape; the error
//! says what was wrong and where (`ad_groups[0].ads[1].creative.title`),
//! so clients can fix the request without guessing.

use serde::de::DeserializeOwned;

/// Why a body could not be turned into the requested type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the request body is empty; a JSON object was expected")]
    Empty,
    #[error("the request body is not valid JSON: {message}")]
    Malformed { message: String },
    #[error("unknown field `{param}`")]
    UnknownField { param: String },
    #[error("missing required field `{param}`")]
    MissingField { param: String },
    #[error("invalid value for `{param}`: {message}")]
    InvalidValue { param: String, message: String },
}

impl BodyError {
    /// The dotted path of the offending field, when there is one.
    pub fn param(&self) -> Option<&str> {
        match self {
            Self::Empty | Self::Malformed { .. } => None,
            Self::UnknownField { param }
            | Self::MissingField { param }
            | Self::InvalidValue { param, .. } => Some(param),
        }
    }
}

/// Parses `body` as JSON into `T`, reporting the path of a bad field.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, BodyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(BodyError::Empty);
    }
    // serde also fills a struct from an array of its fields in order; a
    // body is a JSON object, so a top-level array is refused.
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                Ok(_) => BodyError::InvalidValue {
                    param: String::new(),
                    message: "invalid type: array, expected a JSON object".into(),
                },
                Err(error) => BodyError::Malformed {
                    message: error.to_string(),
                },
            },
        );
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(classify)?;
    deserializer.end().map_err(|e| BodyError::Malformed {
        message: e.to_string(),
    })?;
    Ok(value)
}

fn classify(error: serde_path_to_error::Error<serde_json::Error>) -> BodyError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    if !inner.is_data() {
        return BodyError::Malformed {
            message: inner.to_string(),
        };
    }
    let message = strip_position(&inner.to_string());
    if let Some(field) = quoted_field(&message, "unknown field `") {
        // The path usually ends at the unknown field itself; inside an
        // internally tagged enum it stops at the enum.
        let param = if path.ends_with(field) {
            path
        } else {
            join(&path, field)
        };
        return BodyError::UnknownField { param };
    }
    if let Some(field) = quoted_field(&message, "missing field `") {
        return BodyError::MissingField {
            param: join(&path, field),
        };
    }
    BodyError::InvalidValue {
        param: if path == "." { String::new() } else { path },
        message,
    }
}

/// serde_json appends " at line L column C"; clients do not need it.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}

fn quoted_field<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split('`').next()
}

fn join(path: &str, field: &str) -> String {
    if path == "." || path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Create {
        name: String,
        #[serde(default)]
        groups: Vec<Group>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only parsed")]
    struct Group {
        bid: i64,
    }

    #[test]
    fn a_valid_body_parses() {
        let create: Create = parse_json(br#"{"name":"x","groups":[{"bid":1}]}"#).expect("valid");
        assert_eq!(create.name, "x");
        assert_eq!(create.groups.len(), 1);
    }

    #[test]
    fn empty_and_malformed_bodies_are_distinguished() {
        assert_eq!(
            parse_json::<Create>(b"  ").expect_err("invalid body"),
            BodyError::Empty
        );
        assert!(matches!(
            parse_json::<Create>(b"{\"name\":"),
            Err(BodyError::Malformed { .. })
        ));
        assert!(matches!(
            parse_json::<Create>(br#"{"name":"x"} trailing"#),
            Err(BodyError::Malformed { .. })
        ));
    }

    #[test]
    fn unknown_fields_are_named_with_their_path() {
        let err = parse_json::<Create>(br#"{"name":"x","groups":[{"bid":1,"bogus":2}]}"#)
            .expect_err("invalid body");
        assert_eq!(
            err,
            BodyError::UnknownField {
                param: "groups[0].bogus".into()
            }
        );
        let err = parse_json::<Create>(br#"{"name":"x","bogus":1}"#).expect_err("invalid body");
        assert_eq!(
            err,
            BodyError::UnknownField {
                param: "bogus".into()
            }
        );
    }

    #[test]
    fn missing_fields_are_named_with_their_path() {
        let err = parse_json::<Create>(br#"{"groups":[]}"#).expect_err("invalid body");
        assert_eq!(
            err,
            BodyError::MissingField {
                param: "name".into()
            }
        );
        let err = parse_json::<Create>(br#"{"name":"x","groups":[{}]}"#).expect_err("invalid body");
        assert_eq!(
            err,
            BodyError::MissingField {
                param: "groups[0].bid".into()
            }
        );
    }

    #[test]
    fn wrong_types_name_the_field() {
        let err = parse_json::<Create>(br#"{"name":5}"#).expect_err("invalid body");
        assert_eq!(err.param(), Some("name"));
        assert!(err.to_string().contains("invalid type"), "{err}");
    }
}

/// For `#[serde(default, deserialize_with = "object")]` on an optional
/// nested object: `null` or absent is `None`, an object is read as `T`,
/// and anything else is an error (serde would otherwise also read a
/// struct from an array of its fields).
pub fn object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    use serde::Deserialize;
    match Option::<serde_json::Value>::deserialize(deserializer)? {
        None => Ok(None),
        Some(value @ serde_json::Value::Object(_)) => serde_json::from_value(value)
            .map(Some)
            .map_err(serde::de::Error::custom),
        Some(_) => Err(serde::de::Error::custom("expected an object")),
    }
}

#[cfg(test)]
mod object_tests {
    #[derive(Debug, serde::Deserialize)]
    struct Outer {
        #[serde(default, deserialize_with = "super::object")]
        inner: Option<Inner>,
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Inner {
        a: Option<i64>,
    }

    #[test]
    fn nested_objects_must_be_objects() {
        let read = |text: &str| serde_json::from_str::<Outer>(text).map(|o| o.inner);
        assert_eq!(
            read(r#"{"inner": {"a": 1}}"#).expect("object"),
            Some(Inner { a: Some(1) })
        );
        assert_eq!(read(r#"{"inner": null}"#).expect("null"), None);
        assert_eq!(read("{}").expect("absent"), None);
        assert!(read(r#"{"inner": [1]}"#).is_err());
    }
}

//! Validation of S2S request bodies in the manner of the FastAPI service
//! the specification describes: every problem is reported (not only the
//! first), each with its location, a Pydantic message and a Pydantic type,
//! and values are read leniently where Pydantic is (`"49.99"` is a number).

use serde_json::{Map, Value};

use super::error::{S2sError, ValidationIssue};

/// Largest S2S request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest id-like string (`event_id`, `click_id`, `order_id`, ...).
pub const MAX_ID_CHARS: usize = 256;
/// Longest URL (`page_url`, `referrer`).
pub const MAX_URL_CHARS: usize = 2048;
/// Longest `user_agent`.
pub const MAX_USER_AGENT_CHARS: usize = 1024;
/// Largest free-form object (`params`, `consent`), as JSON.
pub const MAX_OBJECT_BYTES: usize = 16 * 1024;

/// The fields of a JSON object body, read one by one; problems accumulate
/// and [`Fields::finish`] reports them all.
pub struct Fields {
    map: Map<String, Value>,
    read: Vec<&'static str>,
    issues: Vec<ValidationIssue>,
}

impl Fields {
    /// Parses the body: it must be one JSON object no larger than
    /// [`MAX_BODY_BYTES`].
    pub fn parse(body: &[u8]) -> Result<Self, S2sError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(S2sError::detail(
                413,
                format!("Request body larger than {MAX_BODY_BYTES} bytes"),
            ));
        }
        let value: Value = serde_json::from_slice(body).map_err(|error| {
            S2sError::Validation(vec![ValidationIssue {
                loc: vec!["body".into(), error.column().to_string()],
                msg: "JSON decode error".into(),
                kind: "json_invalid".into(),
            }])
        })?;
        match value {
            Value::Object(map) => Ok(Self {
                map,
                read: Vec::new(),
                issues: Vec::new(),
            }),
            _ => Err(S2sError::Validation(vec![ValidationIssue {
                loc: vec!["body".into()],
                msg: "Input should be a valid dictionary or object to extract fields from".into(),
                kind: "model_attributes_type".into(),
            }])),
        }
    }

    /// Records a problem with `field`.
    pub fn issue(&mut self, field: &str, msg: impl Into<String>, kind: &str) {
        self.issues.push(ValidationIssue {
            loc: vec!["body".into(), field.into()],
            msg: msg.into(),
            kind: kind.into(),
        });
    }

    /// The value of `name`, `None` when absent or `null`.
    fn take(&mut self, name: &'static str) -> Option<Value> {
        self.read.push(name);
        self.map.get(name).filter(|v| !v.is_null()).cloned()
    }

    /// Accepts `name` whatever its value, without keeping it.
    pub fn ignore(&mut self, name: &'static str) {
        self.read.push(name);
    }

    fn missing(&mut self, name: &str) {
        self.issue(name, "Field required", "missing");
    }

    pub fn required_string(&mut self, name: &'static str, max_chars: usize) -> Option<String> {
        let value = self.optional_string(name, max_chars);
        if value.is_none() && !self.has_issue(name) {
            self.missing(name);
        }
        value
    }

    pub fn optional_string(&mut self, name: &'static str, max_chars: usize) -> Option<String> {
        match self.take(name)? {
            Value::String(text) if text.chars().count() > max_chars => {
                self.issue(
                    name,
                    format!("String should have at most {max_chars} characters"),
                    "string_too_long",
                );
                None
            }
            Value::String(text) => Some(text),
            _ => {
                self.issue(name, "Input should be a valid string", "string_type");
                None
            }
        }
    }

    /// One of `choices`, exactly.
    pub fn optional_choice(&mut self, name: &'static str, choices: &[&str]) -> Option<String> {
        let value = self.optional_string(name, MAX_ID_CHARS)?;
        if choices.contains(&value.as_str()) {
            return Some(value);
        }
        let quoted: Vec<String> = choices.iter().map(|c| format!("'{c}'")).collect();
        let listed = match quoted.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => quoted.join(""),
        };
        self.issue(name, format!("Input should be {listed}"), "literal_error");
        None
    }

    /// An integer in `min..=max` (a JSON integer, or a string of one).
    pub fn optional_integer(&mut self, name: &'static str, min: i64, max: i64) -> Option<i64> {
        let value = self.take(name)?;
        let parsed = match &value {
            Value::Number(number) => number.as_i64(),
            Value::String(text) => text.trim().parse().ok(),
            _ => None,
        };
        let Some(number) = parsed else {
            self.issue(name, "Input should be a valid integer", "int_type");
            return None;
        };
        self.in_range(name, number, min, max).then_some(number)
    }

    /// A finite number in `min..=max` (a JSON number, or a string of one).
    pub fn required_number(&mut self, name: &'static str, min: f64, max: f64) -> Option<f64> {
        let Some(value) = self.take(name) else {
            self.missing(name);
            return None;
        };
        let parsed = match &value {
            Value::Number(number) => number.as_f64(),
            Value::String(text) => text.trim().parse::<f64>().ok(),
            _ => None,
        }
        .filter(|n| n.is_finite());
        let Some(number) = parsed else {
            self.issue(name, "Input should be a valid number", "float_type");
            return None;
        };
        self.in_range(name, number, min, max).then_some(number)
    }

    fn in_range<T: PartialOrd + std::fmt::Display>(
        &mut self,
        name: &str,
        number: T,
        min: T,
        max: T,
    ) -> bool {
        if number < min {
            self.issue(
                name,
                format!("Input should be greater than or equal to {min}"),
                "greater_than_equal",
            );
            false
        } else if number > max {
            self.issue(
                name,
                format!("Input should be less than or equal to {max}"),
                "less_than_equal",
            );
            false
        } else {
            true
        }
    }

    /// A JSON object no larger than [`MAX_OBJECT_BYTES`].
    pub fn optional_object(&mut self, name: &'static str) -> Option<Map<String, Value>> {
        match self.take(name)? {
            Value::Object(map) => {
                if Value::Object(map.clone()).to_string().len() > MAX_OBJECT_BYTES {
                    self.issue(
                        name,
                        format!("Object should be at most {MAX_OBJECT_BYTES} bytes as JSON"),
                        "too_long",
                    );
                    return None;
                }
                Some(map)
            }
            _ => {
                self.issue(name, "Input should be a valid dictionary", "dict_type");
                None
            }
        }
    }

    fn has_issue(&self, name: &str) -> bool {
        self.issues
            .iter()
            .any(|issue| issue.loc.get(1).is_some_and(|field| field == name))
    }

    /// The top-level fields no accessor read, for `params.extra`.
    pub fn extras(&self) -> Map<String, Value> {
        self.map
            .iter()
            .filter(|(name, _)| !self.read.contains(&name.as_str()))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
    }

    /// `Ok` when every field read was valid, else the 422 with them all.
    pub fn finish(self) -> Result<(), S2sError> {
        if self.issues.is_empty() {
            Ok(())
        } else {
            Err(S2sError::Validation(self.issues))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(body: Value) -> Fields {
        Fields::parse(body.to_string().as_bytes()).expect("object")
    }

    fn issues(fields: Fields) -> Vec<(String, String)> {
        match fields.finish() {
            Ok(()) => Vec::new(),
            Err(S2sError::Validation(issues)) => issues
                .into_iter()
                .map(|issue| (issue.loc.join("."), issue.kind))
                .collect(),
            Err(other) => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn every_problem_is_reported_with_its_location_and_type() {
        let mut f = fields(json!({"a": 5, "c": "x".repeat(300), "d": "soon", "e": [1]}));
        assert_eq!(f.optional_string("a", 10), None);
        assert_eq!(f.required_string("b", 10), None);
        assert_eq!(f.optional_string("c", 256), None);
        assert_eq!(f.optional_integer("d", 0, 10), None);
        assert_eq!(f.optional_object("e"), None);
        assert_eq!(
            issues(f),
            [
                ("body.a".into(), "string_type".into()),
                ("body.b".into(), "missing".into()),
                ("body.c".into(), "string_too_long".into()),
                ("body.d".into(), "int_type".into()),
                ("body.e".into(), "dict_type".into()),
            ]
        );
    }

    #[test]
    fn numbers_may_come_as_strings_and_are_range_checked() {
        let mut f = fields(json!({"v": "49.99", "n": "12", "big": 11, "neg": -1}));
        assert_eq!(f.required_number("v", 0.0, 100.0), Some(49.99));
        assert_eq!(f.optional_integer("n", 0, 100), Some(12));
        assert_eq!(f.optional_integer("big", 0, 10), None);
        assert_eq!(f.required_number("neg", 0.0, 10.0), None);
        assert_eq!(
            issues(f),
            [
                ("body.big".into(), "less_than_equal".into()),
                ("body.neg".into(), "greater_than_equal".into()),
            ]
        );
    }

    #[test]
    fn choices_list_the_allowed_values() {
        let mut f = fields(json!({"t": "banner"}));
        assert_eq!(f.optional_choice("t", &["click", "view", "organic"]), None);
        let Err(S2sError::Validation(found)) = f.finish() else {
            panic!("expected a validation error");
        };
        assert_eq!(found[0].msg, "Input should be 'click', 'view' or 'organic'");
    }

    #[test]
    fn unread_fields_are_the_extras_and_null_is_absent() {
        let mut f = fields(json!({"known": "k", "gclid": "g", "coupon": {"code": "X"}, "n": null}));
        f.required_string("known", 10);
        assert_eq!(f.optional_string("n", 10), None);
        assert_eq!(
            Value::Object(f.extras()),
            json!({"gclid": "g", "coupon": {"code": "X"}})
        );
        assert!(issues(f).is_empty());
    }

    #[test]
    fn bodies_must_be_objects_of_bounded_size() {
        assert!(matches!(
            Fields::parse(b"[1]"),
            Err(S2sError::Validation(_))
        ));
        assert!(matches!(
            Fields::parse(b"{oops"),
            Err(S2sError::Validation(_))
        ));
        let huge = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(Fields::parse(&huge).err().map(|e| e.status()), Some(413));
    }
}

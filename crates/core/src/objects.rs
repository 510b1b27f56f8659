//! Struct fields of request bodies that take a JSON object and nothing
//! else. serde's derived structs (and internally tagged enums) also accept
//! an array of their fields in order, so `"budget": [2000000]` would read
//! as `{"lifetime_spend_limit_micros": 2000000}`: no client means that,
//! and the documents say `object`. Use with
//! `#[serde(deserialize_with = "objects::object")]` (and the `Option`,
//! `Vec` and nullable forms below). Errors keep their path: the object is
//! read through the same map access, so `serde_path_to_error` still names
//! `budget.lifetime_spend_limit_micros`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

/// A `T` read from a JSON object only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_map(ObjectVisitor(PhantomData))
            .map(Object)
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map))
    }
}

/// A required object field.
pub fn object<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Object::deserialize(deserializer).map(|Object(value)| value)
}

/// An optional object field (`null` reads as absent); pair it with
/// `#[serde(default)]`.
pub fn optional_object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<Object<T>>::deserialize(deserializer).map(|value| value.map(|Object(v)| v))
}

/// An object field that distinguishes absent (outer `None`, with
/// `#[serde(default)]`) from `null` (`Some(None)`), for updates.
pub fn nullable_object<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    optional_object(deserializer).map(Some)
}

/// An array of objects.
pub fn objects<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Vec::<Object<T>>::deserialize(deserializer)
        .map(|values| values.into_iter().map(|Object(v)| v).collect())
}

/// An optional array of objects (`null` reads as absent).
pub fn optional_objects<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<Vec<Object<T>>>::deserialize(deserializer)
        .map(|values| values.map(|values| values.into_iter().map(|Object(v)| v).collect()))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Budget {
        limit: i64,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Campaign {
        #[serde(deserialize_with = "object")]
        budget: Budget,
        #[serde(default, deserialize_with = "optional_object")]
        backup: Option<Budget>,
        #[serde(default, deserialize_with = "nullable_object")]
        cleared: Option<Option<Budget>>,
        #[serde(default, deserialize_with = "objects")]
        history: Vec<Budget>,
    }

    fn parse(text: &str) -> Result<Campaign, String> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut deserializer).map_err(|e| e.to_string())
    }

    #[test]
    fn objects_are_read_and_arrays_refused_where_objects_belong() {
        let read = parse(r#"{"budget": {"limit": 5}, "backup": null, "cleared": null, "history": [{"limit": 1}]}"#)
            .expect("objects");
        assert_eq!(read.budget, Budget { limit: 5 });
        assert_eq!(read.backup, None);
        assert_eq!(read.cleared, Some(None));
        assert_eq!(read.history, vec![Budget { limit: 1 }]);
        assert_eq!(
            parse(r#"{"budget": {"limit": 5}}"#)
                .expect("absent")
                .cleared,
            None
        );
        for array in [
            r#"{"budget": [5]}"#,
            r#"{"budget": {"limit": 5}, "backup": [5]}"#,
            r#"{"budget": {"limit": 5}, "cleared": [5]}"#,
            r#"{"budget": {"limit": 5}, "history": [[1]]}"#,
        ] {
            let error = parse(array).expect_err(array);
            assert!(error.contains("a JSON object"), "{error}");
        }
    }

    #[test]
    fn errors_inside_an_object_keep_their_path() {
        let error = parse(r#"{"budget": {"limit": "five"}}"#).expect_err("a string");
        assert!(error.starts_with("budget.limit"), "{error}");
        let error = parse(r#"{"budget": {"limit": 5, "extra": 1}}"#).expect_err("unknown");
        assert!(error.starts_with("budget"), "{error}");
    }
}

//! Geographic targeting: country-level `targeting.locations.include`.
//!
//! Entries are `{"country_code": "US"}` or `{"id": "US"}` (case-insensitive
//! ISO 3166-1 alpha-2); they read back as
//! `{"id": "US", "type": "country", "country_code": "US"}`. No entries means
//! no geographic restriction.

use crate::objects;
use serde::{Deserialize, Serialize};

use super::fields::at;
use crate::api_error::ApiError;

/// Every ISO 3166-1 alpha-2 code, sorted.
const COUNTRIES: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Whether `code` (uppercase) is an assigned ISO 3166-1 alpha-2 code.
pub fn is_country(code: &str) -> bool {
    COUNTRIES.binary_search(&code).is_ok()
}

/// `targeting` as clients send it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetingInput {
    #[serde(default, deserialize_with = "objects::optional_object")]
    pub locations: Option<LocationsInput>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationsInput {
    #[serde(default, deserialize_with = "objects::objects")]
    pub include: Vec<LocationInput>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    #[serde(default)]
    pub country_code: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    /// Accepted so a read-back entry can be sent back; only `country`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// Normalizes the included countries: uppercased, validated, de-duplicated,
/// in the order given. `prefix` locates the field in the request body.
pub fn normalize(targeting: &TargetingInput, prefix: &str) -> Result<Vec<String>, ApiError> {
    let param = at(prefix, "targeting.locations.include");
    let mut countries: Vec<String> = Vec::new();
    let Some(locations) = &targeting.locations else {
        return Ok(countries);
    };
    for location in &locations.include {
        if location
            .kind
            .as_deref()
            .is_some_and(|kind| kind != "country")
        {
            return Err(ApiError::invalid_value(
                &param,
                "Only country targeting is supported: type must be \"country\".",
            ));
        }
        let Some(code) = location.country_code.as_deref().or(location.id.as_deref()) else {
            return Err(ApiError::invalid_value(
                &param,
                "Each location needs a country_code (or id), an ISO 3166-1 alpha-2 code such as \"US\".",
            ));
        };
        let code = code.trim().to_ascii_uppercase();
        if !is_country(&code) {
            return Err(ApiError::invalid_value(
                &param,
                format!("{code:?} is not an ISO 3166-1 alpha-2 country code."),
            ));
        }
        if !countries.contains(&code) {
            countries.push(code);
        }
    }
    Ok(countries)
}

/// `targeting` as it reads back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Targeting {
    pub locations: Locations,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Locations {
    pub include: Vec<Location>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub country_code: String,
}

impl Targeting {
    pub fn from_countries(countries: &[String]) -> Self {
        Self {
            locations: Locations {
                include: countries
                    .iter()
                    .map(|code| Location {
                        id: code.clone(),
                        kind: "country",
                        country_code: code.clone(),
                    })
                    .collect(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> TargetingInput {
        serde_json::from_str(json).expect("targeting")
    }

    #[test]
    fn the_country_list_is_sorted_and_complete() {
        assert!(COUNTRIES.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(is_country("US") && is_country("DE") && is_country("ZW"));
        assert!(!is_country("XX") && !is_country("us") && !is_country("UK"));
    }

    #[test]
    fn codes_are_uppercased_deduplicated_and_accept_the_id_alias() {
        let input = parse(
            r#"{"locations":{"include":[{"country_code":"us"},{"id":"de"},{"country_code":"US"}]}}"#,
        );
        assert_eq!(normalize(&input, "").expect("valid"), ["US", "DE"]);
    }

    #[test]
    fn an_entry_without_a_code_is_invalid_value_on_include() {
        let input = parse(r#"{"locations":{"include":[{}]}}"#);
        let error = normalize(&input, "").expect_err("no code");
        assert_eq!(
            (error.code(), error.param()),
            ("invalid_value", Some("targeting.locations.include"))
        );
    }

    #[test]
    fn unknown_codes_and_non_country_types_are_rejected() {
        assert!(
            normalize(
                &parse(r#"{"locations":{"include":[{"country_code":"XX"}]}}"#),
                ""
            )
            .is_err()
        );
        assert!(
            normalize(
                &parse(r#"{"locations":{"include":[{"id":"US","type":"dma"}]}}"#),
                ""
            )
            .is_err()
        );
    }

    #[test]
    fn omitted_or_empty_targeting_is_unrestricted() {
        assert!(normalize(&parse("{}"), "").expect("empty").is_empty());
        assert!(
            normalize(&parse(r#"{"locations":{"include":[]}}"#), "")
                .expect("empty")
                .is_empty()
        );
    }

    #[test]
    fn countries_read_back_in_the_documented_shape() {
        let value =
            serde_json::to_value(Targeting::from_countries(&["US".to_string()])).expect("json");
        assert_eq!(
            value,
            serde_json::json!({"locations": {"include": [{"id": "US", "type": "country", "country_code": "US"}]}})
        );
    }
}

//! Privacy signals of a bid request and what they allow.
//!
//! The body's `privacy` object carries the IAB signals (`gpp` with
//! `gpp_sid`, `us_privacy`), `coppa` and `opt_out`; the browser's own
//! opt-out headers (`Sec-GPC: 1`, `DNT: 1`) count as `opt_out`. A
//! publisher can mark its whole supply child-directed. The auction is
//! *restricted* when the user may be a minor or has not consented:
//! contextual internal demand only, no external DSP, no user id and no
//! device data (address, user agent) in what the internal DSP receives.
//!
//! Consent is missing when the user opted out (`opt_out`, `Sec-GPC`,
//! `DNT`), when the US Privacy string says they opted out of sale, when a
//! GPP US section (national `7`, California `8`) says they opted out of
//! sale, sharing or targeted advertising, or when GPP says the EU TCF
//! applies (`gpp_sid` holds `2`) and its TC string does not grant purpose
//! 1 (store and access information on a device). Sections of other
//! jurisdictions are forwarded to DSPs as they are, not interpreted.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::SspError;

/// Longest accepted GPP string.
pub const MAX_GPP_CHARS: usize = 4_096;
/// Most section ids in `gpp_sid`.
pub const MAX_GPP_SECTIONS: usize = 32;
/// GPP section ids the SSP interprets.
const TCF_EU_V2: u8 = 2;
const US_NATIONAL: u8 = 7;
const US_CALIFORNIA: u8 = 8;

/// The body's `privacy` object as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrivacy {
    #[serde(default)]
    pub gpp: Option<String>,
    #[serde(default)]
    pub gpp_sid: Option<Vec<i64>>,
    #[serde(default)]
    pub us_privacy: Option<String>,
    #[serde(default)]
    pub coppa: Option<bool>,
    #[serde(default)]
    pub opt_out: Option<bool>,
}

/// A request's validated privacy signals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrivacySignals {
    gpp: Option<Gpp>,
    us_privacy: Option<String>,
    coppa: bool,
    opt_out: bool,
}

/// A GPP string with the section ids its sections belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Gpp {
    string: String,
    section_ids: Vec<u8>,
}

/// Why an auction is restricted to contextual internal demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restriction {
    /// `coppa`, or the publisher's supply is child-directed.
    Minor,
    /// An opt-out, or consent the signals require is not given.
    NoConsent,
}

impl Restriction {
    pub fn label(self) -> &'static str {
        match self {
            Self::Minor => "the user may be a minor",
            Self::NoConsent => "consent is missing",
        }
    }
}

fn bad(message: impl Into<String>) -> SspError {
    SspError::bad_request(message)
}

impl PrivacySignals {
    /// Validates the body's `privacy` object; `header` reads request
    /// headers (for `Sec-GPC` and `DNT`).
    pub fn parse<'a>(
        raw: Option<RawPrivacy>,
        header: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Self, SspError> {
        let raw = raw.unwrap_or_default();
        let gpp = match (raw.gpp, raw.gpp_sid) {
            (None, None) => None,
            (Some(_), None) => return Err(bad("privacy.gpp requires privacy.gpp_sid")),
            (None, Some(_)) => return Err(bad("privacy.gpp_sid requires privacy.gpp")),
            (Some(string), Some(ids)) => Some(Gpp::parse(string, &ids)?),
        };
        if let Some(usp) = &raw.us_privacy
            && !is_us_privacy(usp)
        {
            return Err(bad(
                "privacy.us_privacy must be a US Privacy string: \"1\" then three of Y, N or - (such as \"1YNN\")",
            ));
        }
        let header_says_one = |name: &str| header(name).is_some_and(|v| v.trim() == "1");
        Ok(Self {
            gpp,
            us_privacy: raw.us_privacy,
            coppa: raw.coppa.unwrap_or(false),
            opt_out: raw.opt_out.unwrap_or(false)
                || header_says_one("sec-gpc")
                || header_says_one("dnt"),
        })
    }

    /// Whether (and why) the auction is restricted, for a publisher whose
    /// supply is `child_directed` or not.
    pub fn restriction(&self, child_directed: bool) -> Option<Restriction> {
        if self.coppa || child_directed {
            return Some(Restriction::Minor);
        }
        let usp_opted_out = self
            .us_privacy
            .as_deref()
            .is_some_and(|usp| usp.as_bytes()[2] == b'Y');
        let gpp_refuses = self.gpp.as_ref().is_some_and(Gpp::refuses);
        (self.opt_out || usp_opted_out || gpp_refuses).then_some(Restriction::NoConsent)
    }

    /// The signals as DSPs receive them: OpenRTB's `regs` names (`coppa`
    /// is 1 for a child-directed publisher too).
    pub fn regs(&self, child_directed: bool) -> Value {
        let mut regs = json!({ "coppa": u8::from(self.coppa || child_directed) });
        if let Some(gpp) = &self.gpp {
            regs["gpp"] = Value::String(gpp.string.clone());
            regs["gpp_sid"] = json!(gpp.section_ids);
        }
        if let Some(usp) = &self.us_privacy {
            regs["us_privacy"] = Value::String(usp.clone());
        }
        regs
    }

    /// Whether the user opted out (`opt_out`, `Sec-GPC: 1` or `DNT: 1`).
    pub fn opted_out(&self) -> bool {
        self.opt_out
    }
}

fn is_us_privacy(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 4
        && bytes[0] == b'1'
        && bytes[1..]
            .iter()
            .all(|b| matches!(b, b'Y' | b'N' | b'-' | b'y' | b'n'))
}

impl Gpp {
    fn parse(string: String, ids: &[i64]) -> Result<Self, SspError> {
        if string.is_empty() || string.chars().count() > MAX_GPP_CHARS {
            return Err(bad(format!(
                "privacy.gpp must be a GPP string of 1 to {MAX_GPP_CHARS} characters"
            )));
        }
        if !string
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~' | b'.'))
        {
            return Err(bad(
                "privacy.gpp must be a GPP string: base64url sections separated by ~",
            ));
        }
        if ids.is_empty() || ids.len() > MAX_GPP_SECTIONS {
            return Err(bad(format!(
                "privacy.gpp_sid must list 1 to {MAX_GPP_SECTIONS} section ids"
            )));
        }
        let mut section_ids = Vec::with_capacity(ids.len());
        for (index, id) in ids.iter().enumerate() {
            let id = u8::try_from(*id)
                .ok()
                .filter(|id| *id >= 1)
                .ok_or_else(|| {
                    bad(format!(
                        "privacy.gpp_sid[{index}] must be a section id from 1 to 255"
                    ))
                })?;
            if section_ids.contains(&id) {
                return Err(bad(format!(
                    "privacy.gpp_sid[{index}] repeats section {id}"
                )));
            }
            section_ids.push(id);
        }
        let sections = string.split('~').count() - 1;
        if sections != section_ids.len() {
            return Err(bad(format!(
                "privacy.gpp has {sections} section(s) after its header but privacy.gpp_sid lists {}",
                section_ids.len()
            )));
        }
        Ok(Self {
            string,
            section_ids,
        })
    }

    /// The section of id `id`: GPP orders sections by ascending id.
    fn section(&self, id: u8) -> Option<&str> {
        let mut sorted = self.section_ids.clone();
        sorted.sort_unstable();
        let position = sorted.iter().position(|s| *s == id)?;
        self.string.split('~').nth(position + 1)
    }

    /// Whether a section the SSP interprets withholds consent.
    fn refuses(&self) -> bool {
        if self.section_ids.contains(&TCF_EU_V2) {
            let granted = self
                .section(TCF_EU_V2)
                .and_then(|tc| Bits::decode(tc.split('.').next().unwrap_or("")))
                .and_then(|bits| bits.read(TCF_PURPOSE_CONSENTS, 1))
                == Some(1);
            if !granted {
                return true;
            }
        }
        let opted_out = |id: u8, fields: &[usize]| {
            self.section(id)
                .and_then(|section| Bits::decode(section.split('.').next().unwrap_or("")))
                .is_some_and(|bits| fields.iter().any(|at| bits.read(*at, 2) == Some(1)))
        };
        // usnat v1: SaleOptOut, SharingOptOut, TargetedAdvertisingOptOut.
        // usca v1: SaleOptOut, SharingOptOut. (1 = opted out.)
        opted_out(US_NATIONAL, &[18, 20, 22]) || opted_out(US_CALIFORNIA, &[12, 14])
    }
}

/// Where the TC string's core segment holds `PurposesConsent` (purpose 1
/// first): after Version 6, Created 36, LastUpdated 36, CmpId 12,
/// CmpVersion 12, ConsentScreen 6, ConsentLanguage 12, VendorListVersion
/// 12, TcfPolicyVersion 6, IsServiceSpecific 1, UseNonStandardTexts 1 and
/// SpecialFeatureOptIns 12 bits.
const TCF_PURPOSE_CONSENTS: usize = 152;

/// The bits of a base64url segment.
struct Bits(Vec<u8>);

impl Bits {
    fn decode(segment: &str) -> Option<Self> {
        let mut bytes = Vec::with_capacity(segment.len() * 6 / 8 + 1);
        let mut buffer: u32 = 0;
        let mut held = 0;
        for b in segment.bytes() {
            let value = match b {
                b'A'..=b'Z' => b - b'A',
                b'a'..=b'z' => b - b'a' + 26,
                b'0'..=b'9' => b - b'0' + 52,
                b'-' => 62,
                b'_' => 63,
                _ => return None,
            };
            buffer = (buffer << 6) | u32::from(value);
            held += 6;
            if held >= 8 {
                held -= 8;
                bytes.push((buffer >> held) as u8);
                buffer &= (1 << held) - 1;
            }
        }
        if held > 0 {
            bytes.push((buffer << (8 - held)) as u8);
        }
        (!bytes.is_empty()).then_some(Self(bytes))
    }

    /// `width` bits from bit `at` (most significant first).
    fn read(&self, at: usize, width: usize) -> Option<u32> {
        (at..at + width).try_fold(0u32, |value, bit| {
            let byte = self.0.get(bit / 8)?;
            Some((value << 1) | u32::from((byte >> (7 - bit % 8)) & 1))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes bits (as `0`/`1` text) as base64url, the way GPP and TCF
    /// segments are written.
    fn base64url(bits: &str) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut padded = bits.to_string();
        while !padded.len().is_multiple_of(6) {
            padded.push('0');
        }
        padded
            .as_bytes()
            .chunks(6)
            .map(|chunk| {
                let value = chunk
                    .iter()
                    .fold(0, |v, b| (v << 1) | usize::from(*b == b'1'));
                char::from(ALPHABET[value])
            })
            .collect()
    }

    /// A TC string core segment granting purpose 1 or not.
    fn tc_string(purpose_one: bool) -> String {
        let mut bits = "0".repeat(TCF_PURPOSE_CONSENTS);
        bits.replace_range(0..6, "000010");
        bits.push(if purpose_one { '1' } else { '0' });
        bits.push_str(&"1".repeat(23));
        bits.push_str(&"0".repeat(40));
        base64url(&bits)
    }

    /// A usnat v1 section with SaleOptOut `sale` (0 n/a, 1 opted out, 2 not).
    fn usnat(sale: u8) -> String {
        let mut bits = String::from("000001");
        bits.push_str(&"01".repeat(6));
        bits.push_str(&format!("{sale:02b}"));
        bits.push_str("1010");
        bits.push_str(&"0".repeat(40));
        base64url(&bits)
    }

    fn signals(privacy: Value, headers: &[(&str, &str)]) -> Result<PrivacySignals, SspError> {
        let raw: RawPrivacy = serde_json::from_value(privacy).expect("shape");
        PrivacySignals::parse(Some(raw), |name| {
            headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
        })
    }

    fn restriction(privacy: Value) -> Option<Restriction> {
        signals(privacy, &[]).expect("valid").restriction(false)
    }

    #[test]
    fn no_signals_restrict_nothing() {
        assert_eq!(restriction(json!({})), None);
        assert_eq!(
            restriction(json!({"us_privacy": "1YNN", "coppa": false})),
            None
        );
    }

    #[test]
    fn minors_restrict_by_coppa_or_a_child_directed_publisher() {
        assert_eq!(
            restriction(json!({"coppa": true})),
            Some(Restriction::Minor)
        );
        let plain = signals(json!({}), &[]).expect("valid");
        assert_eq!(plain.restriction(true), Some(Restriction::Minor));
        assert_eq!(plain.regs(true)["coppa"], 1);
    }

    #[test]
    fn opt_outs_come_from_the_body_the_usp_string_and_browser_headers() {
        assert_eq!(
            restriction(json!({"opt_out": true})),
            Some(Restriction::NoConsent)
        );
        assert_eq!(
            restriction(json!({"us_privacy": "1YYN"})),
            Some(Restriction::NoConsent)
        );
        for header in [("sec-gpc", "1"), ("dnt", "1")] {
            let from_header = signals(json!({}), &[header]).expect("valid");
            assert_eq!(from_header.restriction(false), Some(Restriction::NoConsent));
        }
        let dnt_zero = signals(json!({}), &[("dnt", "0")]).expect("valid");
        assert_eq!(dnt_zero.restriction(false), None);
    }

    #[test]
    fn gpp_tcf_consent_for_purpose_one_is_required_where_tcf_applies() {
        let header = "DBABMA";
        let granted = format!("{header}~{}", tc_string(true));
        let refused = format!("{header}~{}", tc_string(false));
        assert_eq!(restriction(json!({"gpp": granted, "gpp_sid": [2]})), None);
        assert_eq!(
            restriction(json!({"gpp": refused, "gpp_sid": [2]})),
            Some(Restriction::NoConsent)
        );
        // A TC string too short to say anything grants nothing.
        assert_eq!(
            restriction(json!({"gpp": "DBABMA~CPX", "gpp_sid": [2]})),
            Some(Restriction::NoConsent)
        );
    }

    #[test]
    fn gpp_us_sections_restrict_on_an_opt_out_of_sale() {
        let header = "DBABLA";
        assert_eq!(
            restriction(json!({"gpp": format!("{header}~{}", usnat(1)), "gpp_sid": [7]})),
            Some(Restriction::NoConsent)
        );
        assert_eq!(
            restriction(json!({"gpp": format!("{header}~{}", usnat(2)), "gpp_sid": [7]})),
            None
        );
        // Sections are in ascending id order whatever order gpp_sid lists.
        let both = format!("{header}~{}~{}", tc_string(true), usnat(1));
        assert_eq!(
            restriction(json!({"gpp": both, "gpp_sid": [7, 2]})),
            Some(Restriction::NoConsent)
        );
    }

    #[test]
    fn malformed_signals_are_refused_naming_the_field() {
        for (privacy, field) in [
            (
                json!({"gpp": "DBABMA~CPX"}),
                "privacy.gpp requires privacy.gpp_sid",
            ),
            (
                json!({"gpp_sid": [2]}),
                "privacy.gpp_sid requires privacy.gpp",
            ),
            (
                json!({"gpp": "DBABMA~CPX", "gpp_sid": [2, 6]}),
                "privacy.gpp has 1 section",
            ),
            (
                json!({"gpp": "DB AB", "gpp_sid": [2]}),
                "privacy.gpp must be",
            ),
            (
                json!({"gpp": "DBABMA~CPX", "gpp_sid": [0]}),
                "privacy.gpp_sid[0]",
            ),
            (
                json!({"gpp": "DBABMA~CPX~CPY", "gpp_sid": [2, 2]}),
                "privacy.gpp_sid[1] repeats",
            ),
            (json!({"us_privacy": "YNN"}), "privacy.us_privacy"),
            (json!({"us_privacy": "2YNN"}), "privacy.us_privacy"),
        ] {
            let error = signals(privacy.clone(), &[])
                .expect_err("invalid")
                .to_string();
            assert!(error.contains(field), "{privacy}: {error}");
        }
    }

    #[test]
    fn dsps_receive_the_signals_in_openrtb_regs_names() {
        let signals = signals(
            json!({"gpp": "DBABMA~CPX", "gpp_sid": [2], "us_privacy": "1YNN"}),
            &[],
        )
        .expect("valid");
        assert_eq!(
            signals.regs(false),
            json!({"coppa": 0, "gpp": "DBABMA~CPX", "gpp_sid": [2], "us_privacy": "1YNN"})
        );
    }
}

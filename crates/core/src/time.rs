//! Time as Unix seconds, and the ISO 8601 strings some surfaces use.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// A point in time as whole seconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixSeconds(i64);

impl UnixSeconds {
    pub const fn new(seconds: i64) -> Self {
        Self(seconds)
    }

    pub fn now() -> Self {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Self(i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX))
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub const fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds))
    }

    /// `2026-02-19T18:00:00Z`
    pub fn to_iso8601(self) -> String {
        DateTime::<Utc>::from_timestamp(self.0, 0)
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default()
    }

    /// `2026-02-27T21:45:48+0000`: ISO 8601 with a numeric offset, as the
    /// agents API's examples write it.
    pub fn to_iso8601_numeric_offset(self) -> String {
        DateTime::<Utc>::from_timestamp(self.0, 0)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S%z").to_string())
            .unwrap_or_default()
    }

    /// Parses an ISO 8601 / RFC 3339 date-time with an offset
    /// (`2026-02-19T18:00:00Z`, `2026-02-19T20:00:00+02:00`).
    pub fn parse_iso8601(text: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(text.trim())
            .ok()
            .map(|t| Self(t.timestamp()))
    }
}

/// The current time as an ISO 8601 string with microseconds
/// (`2025-11-24T21:51:52.240297Z`), as the SSP envelope shows it.
pub fn now_iso8601_micros() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_round_trips_through_unix_seconds() {
        let t = UnixSeconds::parse_iso8601("2026-02-19T18:00:00Z").expect("valid");
        assert_eq!(t.get(), 1_771_524_000);
        assert_eq!(t.to_iso8601(), "2026-02-19T18:00:00Z");
    }

    #[test]
    fn offsets_are_normalised_to_utc() {
        let t = UnixSeconds::parse_iso8601("2026-02-19T20:00:00+02:00").expect("valid");
        assert_eq!(t.to_iso8601(), "2026-02-19T18:00:00Z");
    }

    #[test]
    fn malformed_dates_are_rejected() {
        assert_eq!(UnixSeconds::parse_iso8601("yesterday"), None);
        assert_eq!(UnixSeconds::parse_iso8601("2026-02-30T00:00:00Z"), None);
    }

    #[test]
    fn now_is_after_2025() {
        assert!(UnixSeconds::now().get() > 1_735_689_600);
        assert!(now_iso8601_micros().ends_with('Z'));
    }
}

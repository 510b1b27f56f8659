//! Typed public ids: UUIDs that cannot be mixed up across resources.
//!
//! A value of `CampaignId` can only be built by parsing a well-formed UUID
//! or by minting a new one, so a malformed id never reaches a query.

/// Declares a UUID newtype with parsing, minting, `Display`, serde as a
/// string, and SQL conversions (stored as hyphenated text).
#[macro_export]
macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(::uuid::Uuid);

        impl $name {
            /// A fresh random (version 4) id.
            pub fn new_random() -> Self {
                Self(::uuid::Uuid::new_v4())
            }

            /// Parses the hyphenated form; anything else is `None`.
            pub fn parse(text: &str) -> Option<Self> {
                if text.len() != 36 {
                    return None;
                }
                ::uuid::Uuid::try_parse(text).ok().map(Self)
            }

            pub fn as_uuid(&self) -> &::uuid::Uuid {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl From<$name> for $crate::db::SqlValue {
            fn from(id: $name) -> Self {
                Self::Text(id.to_string())
            }
        }

        impl $crate::db::FromSql for $name {
            fn from_sql(value: &$crate::db::SqlValue) -> Option<Self> {
                match value {
                    $crate::db::SqlValue::Text(text) => Self::parse(text),
                    _ => None,
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::parse(&text).ok_or_else(|| {
                    ::serde::de::Error::custom(format!("{text:?} is not a valid id"))
                })
            }
        }
    };
}

uuid_id!(
    /// An advertiser or publisher organization (the ad account).
    OrganizationId
);

uuid_id!(
    /// An API key record (never the secret itself).
    ApiKeyId
);

uuid_id!(
    /// A campaign of the Advertiser API.
    CampaignId
);

uuid_id!(
    /// An ad group of a campaign.
    AdGroupId
);

uuid_id!(
    /// An ad of an ad group.
    AdId
);

uuid_id!(
    /// A ledger entry (a money movement).
    LedgerEntryId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_only_the_hyphenated_uuid_form() {
        let text = "8f3a1c20-5b7e-4c1a-9d2e-0123456789ab";
        let id = OrganizationId::parse(text).expect("valid");
        assert_eq!(id.to_string(), text);
        assert!(OrganizationId::parse("8f3a1c205b7e4c1a9d2e0123456789ab").is_none());
        assert!(OrganizationId::parse("not-an-id").is_none());
        assert!(OrganizationId::parse("").is_none());
    }

    #[test]
    fn minted_ids_are_unique_v4_uuids() {
        let a = OrganizationId::new_random();
        let b = OrganizationId::new_random();
        assert_ne!(a, b);
        assert_eq!(a.as_uuid().get_version_num(), 4);
    }

    #[test]
    fn ids_serialize_as_strings_and_reject_bad_input() {
        let id = OrganizationId::new_random();
        let json = serde_json::to_string(&id).expect("serialize");
        assert_eq!(json, format!("\"{id}\""));
        let back: OrganizationId = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, id);
        assert!(serde_json::from_str::<OrganizationId>("\"nope\"").is_err());
    }
}

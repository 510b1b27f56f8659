//! The nine scopes of the specification. A key (or an OAuth token) holds
//! some of them; every endpoint needs one.

use serde::{Deserialize, Serialize};

/// A permission a key may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "campaigns:read")]
    CampaignsRead,
    #[serde(rename = "campaigns:write")]
    CampaignsWrite,
    #[serde(rename = "content:generate")]
    ContentGenerate,
    #[serde(rename = "analytics:read")]
    AnalyticsRead,
    #[serde(rename = "billing:read")]
    BillingRead,
    #[serde(rename = "billing:write")]
    BillingWrite,
    #[serde(rename = "webhooks:manage")]
    WebhooksManage,
    #[serde(rename = "account:read")]
    AccountRead,
    #[serde(rename = "account:write")]
    AccountWrite,
}

impl Scope {
    /// Every scope, in the specification's order: what the key issued at
    /// registration and at login holds.
    pub const ALL: [Scope; 9] = [
        Self::CampaignsRead,
        Self::CampaignsWrite,
        Self::ContentGenerate,
        Self::AnalyticsRead,
        Self::BillingRead,
        Self::BillingWrite,
        Self::WebhooksManage,
        Self::AccountRead,
        Self::AccountWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CampaignsRead => "campaigns:read",
            Self::CampaignsWrite => "campaigns:write",
            Self::ContentGenerate => "content:generate",
            Self::AnalyticsRead => "analytics:read",
            Self::BillingRead => "billing:read",
            Self::BillingWrite => "billing:write",
            Self::WebhooksManage => "webhooks:manage",
            Self::AccountRead => "account:read",
            Self::AccountWrite => "account:write",
        }
    }

    /// The scope named `text` (its documented name).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_travel_as_their_documented_names() {
        let names: Vec<String> = Scope::ALL
            .iter()
            .map(|s| {
                serde_json::to_value(s)
                    .expect("json")
                    .as_str()
                    .expect("a string")
                    .to_string()
            })
            .collect();
        let documented = "campaigns:read, campaigns:write, content:generate, analytics:read, \
                          billing:read, billing:write, webhooks:manage, account:read, account:write";
        assert_eq!(names.join(", "), documented);
        for scope in Scope::ALL {
            assert_eq!(serde_json::to_value(scope).expect("json"), scope.as_str());
        }
    }
}

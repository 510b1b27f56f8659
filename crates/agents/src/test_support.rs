//! What the crate's unit tests share: accounts with keys, and reading
//! responses.

use serde_json::Value;

use adspin_core::db::Database;
use adspin_core::ids::OrganizationId;
use adspin_core::organizations::{NewOrganization, insert_organization};
use adspin_core::time::UnixSeconds;
use adspin_core::web::Response;

use crate::auth::Caller;
use crate::plans;
use crate::scopes::Scope;
use crate::store::{self, Mode, NewKey, NewUser};

/// The time the fixtures are made at.
pub const NOW: UnixSeconds = UnixSeconds::new(1_800_000_000);

/// A response's JSON body.
pub fn json_of(response: &Response) -> Value {
    serde_json::from_slice(response.body()).expect("json")
}

/// An account of its own organization, with a key of `mode` holding
/// `scopes`, its user's password stored as `password_hash`, and its email
/// verified when `verified` is true.
pub struct Account<'a> {
    pub email: &'a str,
    pub mode: Mode,
    pub scopes: &'a [Scope],
    pub password_hash: &'a str,
    pub verified: bool,
}

impl Account<'_> {
    /// A verified live account with every scope.
    pub fn verified(email: &str) -> Account<'_> {
        Account {
            email,
            mode: Mode::Live,
            scopes: &Scope::ALL,
            password_hash: "not a password hash",
            verified: true,
        }
    }

    /// Creates it; returns the key's caller and the key's secret.
    pub fn create(&self, db: &impl Database) -> (Caller, String) {
        let organization_id = OrganizationId::new_random();
        insert_organization(
            db,
            NewOrganization {
                id: organization_id,
                name: self.email.into(),
                url: None,
                timezone: "UTC".into(),
                currency_code: "USD".into(),
            },
            NOW,
        )
        .expect("organization");
        let user = store::insert_user(
            db,
            &NewUser {
                organization_id,
                email: self.email,
                password_hash: self.password_hash,
                first_name: "Jane",
                last_name: "Smith",
            },
            NOW,
        )
        .expect("user");
        if self.verified {
            store::enable_user(db, user.id, NOW).expect("verified");
        }
        let (key, secret) = store::mint_key(
            db,
            &NewKey {
                organization_id,
                user_id: user.id,
                mode: self.mode,
                name: None,
                scopes: self.scopes,
                oauth_expires_at: None,
            },
            NOW,
        )
        .expect("key");
        let caller = Caller {
            key,
            verified: self.verified,
            plan: plans::FREE,
        };
        (caller, secret)
    }
}

//! Organizations: the advertiser (and publisher) accounts everything else
//! belongs to, with the payment method on file.

use serde::Serialize;

use crate::db::{Database, DbError, FromRow, Row};
use crate::ids::OrganizationId;
use crate::time::UnixSeconds;

/// An organization with its payment method on file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    pub url: Option<String>,
    pub timezone: Option<String>,
    pub currency_code: Option<String>,
    pub payment_method: Option<String>,
    pub created_at: UnixSeconds,
}

impl FromRow for Organization {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: row.get(0)?,
            name: row.get(1)?,
            url: row.get(2)?,
            timezone: row.get(3)?,
            currency_code: row.get(4)?,
            payment_method: row.get(5)?,
            created_at: row.get(6)?,
        })
    }
}

pub fn find_organization(
    db: &impl Database,
    id: OrganizationId,
) -> Result<Option<Organization>, DbError> {
    db.find(
        "SELECT o.id, o.name, o.url, o.timezone, o.currency_code, b.payment_method, o.created_at
         FROM organizations o LEFT JOIN billing_profiles b ON b.organization_id = o.id WHERE o.id = ?1",
        &[id.into()],
    )
}

/// An organization about to be created.
pub struct NewOrganization {
    pub id: OrganizationId,
    pub name: String,
    pub url: Option<String>,
    pub timezone: String,
    pub currency_code: String,
}

pub fn insert_organization(
    db: &impl Database,
    organization: NewOrganization,
    now: UnixSeconds,
) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO organizations (id, name, url, timezone, currency_code, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        &[
            organization.id.into(),
            organization.name.into(),
            organization.url.into(),
            organization.timezone.into(),
            organization.currency_code.into(),
            now.into(),
        ],
    )?;
    Ok(())
}

//! `GET /v1/ad_account`: the caller's organization, as its ad account.

use serde::Serialize;

use adspin_core::db::Database;
use adspin_core::ids::OrganizationId;
use adspin_core::web::Response;

use super::ApiError;
use super::context::{Ctx, respond};
use adspin_core::organizations::find_organization;

/// The `/v1` ad account object.
#[derive(Debug, Serialize)]
struct AdAccountResource {
    id: OrganizationId,
    name: String,
    url: Option<String>,
    timezone: String,
    currency_code: String,
}

pub fn find_ad_account<D: Database>(ctx: &Ctx<'_, D>) -> Result<Response, ApiError> {
    let account = find_organization(ctx.db, ctx.caller.organization_id)?
        .ok_or_else(ApiError::invalid_api_key)?;
    respond(
        200,
        &AdAccountResource {
            id: account.id,
            name: account.name,
            url: account.url,
            timezone: account.timezone.unwrap_or_else(|| "UTC".into()),
            currency_code: account.currency_code.unwrap_or_else(|| "USD".into()),
        },
    )
}

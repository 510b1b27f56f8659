//! `GET /v1/ad_account`: the caller's organization, as its ad account.

use serde::Serialize;

use adspin_core::db::Database;
use adspin_core::web::Response;

use super::ApiError;
use super::context::{Ctx, respond};

#[derive(Debug, Serialize)]
struct AdAccount {
    id: String,
    name: String,
    url: Option<String>,
    timezone: String,
    currency_code: String,
}

pub fn find_ad_account<D: Database>(ctx: &Ctx<'_, D>) -> Result<Response, ApiError> {
    let row = ctx
        .db
        .query_row(
            "SELECT id, name, url, timezone, currency_code FROM organizations WHERE id = ?1",
            &[ctx.caller.organization_id.to_string().into()],
        )?
        .ok_or_else(ApiError::invalid_api_key)?;
    respond(
        200,
        &AdAccount {
            id: row.text(0).unwrap_or_default().to_string(),
            name: row.text(1).unwrap_or_default().to_string(),
            url: row.text(2).map(String::from),
            timezone: row.text(3).unwrap_or("UTC").to_string(),
            currency_code: row.text(4).unwrap_or("USD").to_string(),
        },
    )
}

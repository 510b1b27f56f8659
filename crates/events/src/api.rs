//! Routing of the S2S surface. Authentication comes first (a request
//! without a valid partner token learns nothing about its body), then
//! validation, then the write.

use serde_json::json;

use super::{S2sError, auth, collect, conversion, store};
use adspin_core::db::Database;
use adspin_core::error::{RequestInfo, respond};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Body, Request, Response, header, json_response, read_body};

/// The largest body an S2S endpoint reads (an event or a conversion is a
/// few hundred bytes).
pub const BODY_LIMIT: usize = 64 * 1024;

/// Serves one S2S request; `window_days` gives the click-to-conversion
/// window (asked only for conversions).
pub async fn handle(
    db: &impl Database,
    request: Request,
    body: Body,
    info: &RequestInfo,
    now: UnixSeconds,
    window_days: impl FnOnce() -> i64,
) -> Response {
    match serve(db, request, body, now, window_days).await {
        Ok(response) => response,
        Err(error) => respond(info, &error),
    }
}

async fn serve(
    db: &impl Database,
    mut request: Request,
    body: Body,
    now: UnixSeconds,
    window_days: impl FnOnce() -> i64,
) -> Result<Response, S2sError> {
    let path = request.uri().path().trim_end_matches('/');
    let endpoint = match path {
        "/v1/api/collect" => Endpoint::Collect,
        "/v1/api/conversion" => Endpoint::Conversion,
        _ => return Err(S2sError::detail(404, "Not Found")),
    };
    if request.method() != http::Method::POST {
        return Err(S2sError::MethodNotAllowed { allow: "POST" });
    }
    let partner = auth::authenticate(db, header(&request, "authorization"), now)?;
    read_body(&mut request, body, BODY_LIMIT).await?;
    match endpoint {
        Endpoint::Collect => {
            let event = collect::parse(&request, &partner, now)?;
            store::insert_event(db, &partner, &event, now)?;
            Ok(adspin_core::web::no_content())
        }
        Endpoint::Conversion => {
            let reported = conversion::parse(
                request.body(),
                header(&request, "idempotency-key"),
                &partner,
                now,
            )?;
            let recorded = conversion::record(db, &partner, &reported, window_days(), now)?;
            Ok(json_response(200, &json!({ "status": recorded.status() })))
        }
    }
}

enum Endpoint {
    Collect,
    Conversion,
}

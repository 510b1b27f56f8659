//! Routing of the S2S surface. Authentication comes first (a request
//! without a valid partner token learns nothing about its body), then
//! validation, then the write.

use serde_json::json;

use super::{S2sError, auth, collect, conversion, store};
use adspin_core::db::Database;
use adspin_core::error::{RequestInfo, respond};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Request, Response, header, json_response};

/// Serves one S2S request; `window_days` gives the click-to-conversion
/// window (asked only for conversions).
pub fn handle(
    db: &impl Database,
    request: &Request,
    info: &RequestInfo,
    now: UnixSeconds,
    window_days: impl FnOnce() -> i64,
) -> Response {
    match serve(db, request, now, window_days) {
        Ok(response) => response,
        Err(error) => respond(info, &error),
    }
}

fn serve(
    db: &impl Database,
    request: &Request,
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
    let partner = auth::authenticate(db, header(request, "authorization"), now)?;
    match endpoint {
        Endpoint::Collect => {
            let event = collect::parse(request, &partner, now)?;
            store::insert_event(db, &partner, &event, now)?;
            let mut response = Response::new(Vec::new());
            *response.status_mut() = http::StatusCode::NO_CONTENT;
            Ok(response)
        }
        Endpoint::Conversion => {
            let reported = conversion::parse(
                request.body(),
                header(request, "idempotency-key"),
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

//! The platform component: `GET /healthz`, uploaded images at
//! `GET /files/<file_id>`, the OpenAPI documents under `/openapi/`, and the
//! JSON 404 for every path no other component serves (the `/...`
//! catch-all route).

use adspin_core::advertiser::ApiError;
use adspin_core::web::{Request, Response, raw_json_response};
use adspin_spin::db::SpinDb;

/// The Advertiser API's OpenAPI document, kept in the repository.
const ADVERTISER_OPENAPI: &str = include_str!("../../../openapi/advertiser-v1.json");

adspin_spin::export!(crate::route);

async fn route(request: Request) -> Response {
    let path = request.uri().path();
    match (request.method().as_str(), path) {
        ("GET", "/healthz") => adspin_core::health::healthz(SpinDb::open_default()),
        ("GET", "/openapi/advertiser-v1.json") => {
            raw_json_response(200, ADVERTISER_OPENAPI.to_string())
        }
        ("GET", _) if path.starts_with("/files/") => match SpinDb::open_default() {
            Ok(db) => adspin_core::files::serve(&db, &path["/files/".len()..]),
            Err(error) => ApiError::from(error).to_response(),
        },
        (method, "/healthz") => ApiError::method_not_allowed(method, path).to_response(),
        (method, _) => ApiError::unknown_path(method, path).to_response(),
    }
}

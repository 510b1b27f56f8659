//! The platform routes: `GET /healthz`, uploaded images at
//! `GET /files/<file_id>`, the OpenAPI documents under `/openapi/`, and the
//! JSON 404 for every path no other surface serves.

pub mod files;
pub mod health;
pub mod store;

use adspin_core::api_error::ApiError;
use adspin_core::env::Env;
use adspin_core::error::{RequestInfo, respond};
use adspin_core::web::{Request, Response, raw_json_response};

/// The Advertiser API's OpenAPI document, kept in the repository.
const ADVERTISER_OPENAPI: &str = include_str!("../../../openapi/advertiser-v1.json");

/// Serves one request of the platform routes.
pub async fn handle(env: &impl Env, request: Request) -> Response {
    let path = request.uri().path();
    match (request.method().as_str(), path) {
        ("GET", "/healthz") => health::healthz(env.db()),
        ("GET", "/openapi/advertiser-v1.json") => {
            raw_json_response(200, ADVERTISER_OPENAPI.to_string())
        }
        ("GET", _) if path.starts_with("/files/") => match env.db() {
            Ok(db) => files::serve(db, &path["/files/".len()..]),
            Err(error) => respond(&RequestInfo::new("req_"), &ApiError::from(error)),
        },
        (method, "/healthz") => ApiError::method_not_allowed(method, path).to_response(),
        (method, _) => ApiError::unknown_path(method, path).to_response(),
    }
}

//! The platform routes: `GET /healthz`, uploaded images at
//! `GET /files/<file_id>`, the OpenAPI documents under `/openapi/`, the
//! publisher SDK under `/sdk/v1/`, the demo chat under `/demo/`, the
//! dashboard's page under `/dashboard`, and the JSON 404 for every path no
//! other surface serves.

pub mod assets;
pub mod files;
pub mod health;
pub mod store;

use adspin_core::api_error::ApiError;
use adspin_core::env::Env;
use adspin_core::error::{RequestInfo, respond};
use adspin_core::routes::{self, Matched, Route};
use adspin_core::web::{IncomingRequest, Response, raw_json_response, split};

/// The OpenAPI documents, kept in the repository (`openapi/`), by file name.
const OPENAPI: &[(&str, &str)] = &[
    (
        "advertiser-v1.json",
        include_str!("../../../openapi/advertiser-v1.json"),
    ),
    ("ssp-v1.json", include_str!("../../../openapi/ssp-v1.json")),
    (
        "operator.json",
        include_str!("../../../openapi/operator.json"),
    ),
    (
        "agents-v1.json",
        include_str!("../../../openapi/agents-v1.json"),
    ),
];

#[derive(Debug, Clone, Copy)]
enum Endpoint {
    Health,
    OpenApi,
    File,
    Asset,
}

const ROUTES: &[Route<Endpoint>] = &[
    Route::new("GET", "/healthz", Endpoint::Health),
    Route::new("GET", "/openapi/:document", Endpoint::OpenApi),
    Route::new("GET", "/files/uploads/:year/:month/:name", Endpoint::File),
    Route::new("GET", "/sdk/v1/:file", Endpoint::Asset),
    Route::new("GET", "/demo/:file", Endpoint::Asset),
    Route::new("GET", "/dashboard", Endpoint::Asset),
    Route::new("GET", "/dashboard/:file", Endpoint::Asset),
];

/// Serves one request of the platform routes (none reads a body).
pub async fn handle(env: &impl Env, request: IncomingRequest) -> Response {
    let (request, _unread) = split(request);
    let method = request.method().as_str();
    let path = request.uri().path();
    let (endpoint, captures) = match routes::find(ROUTES, method, path) {
        Matched::Found(endpoint, captures) => (endpoint, captures),
        Matched::MethodNotAllowed(allow) => {
            return ApiError::method_not_allowed(method, path, &allow).to_response();
        }
        Matched::NotFound => return ApiError::unknown_path(method, path).to_response(),
    };
    match endpoint {
        Endpoint::Health => health::healthz(env.db()),
        Endpoint::OpenApi => {
            let name = captures.first().copied().unwrap_or_default();
            match OPENAPI.iter().find(|(file, _)| *file == name) {
                Some((_, document)) => raw_json_response(200, (*document).to_string()),
                None => ApiError::unknown_path(method, path).to_response(),
            }
        }
        Endpoint::Asset => match assets::find(path) {
            Some(asset) => asset.response(),
            None => ApiError::unknown_path(method, path).to_response(),
        },
        Endpoint::File => match env.db() {
            Ok(db) => files::serve(db, &path["/files/".len()..]),
            Err(error) => respond(&RequestInfo::new("req_"), &ApiError::from(error)),
        },
    }
}

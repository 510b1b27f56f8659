//! `GET /files/<file_id>`: uploaded creative images, public and immutable.

use adspin_core::api_error::ApiError;
use adspin_core::catalog::creative::is_file_id;
use adspin_core::db::Database;
use adspin_core::error::{RequestInfo, respond};

use crate::store;
use adspin_core::web::Response;

/// Serves an uploaded file by its id (the path after `/files/`).
pub fn serve(db: &impl Database, file_id: &str) -> Response {
    if !is_file_id(file_id) {
        return ApiError::not_found("file", file_id).to_response();
    }
    let (content_type, bytes) = match store::find_upload(db, file_id) {
        Ok(Some(upload)) => upload,
        Ok(None) => return ApiError::not_found("file", file_id).to_response(),
        Err(error) => return respond(&RequestInfo::new("req_"), &ApiError::from(error)),
    };
    let mut response = http::Response::new(bytes);
    let headers = response.headers_mut();
    if let Ok(value) = http::HeaderValue::from_str(&content_type) {
        headers.insert(http::header::CONTENT_TYPE, value);
    }
    headers.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(
        "x-content-type-options",
        http::HeaderValue::from_static("nosniff"),
    );
    response
}

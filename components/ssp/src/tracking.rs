//! The click redirect and the view beacon. Tokens are signed: a tampered,
//! foreign or unknown token is a 404, never a redirect.

use adspin_core::ssp::serve;
use adspin_core::ssp::tracking::{self, ClickToken, ViewToken};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Request, Response, header, json_response};
use adspin_spin::db::SpinDb;
use serde_json::json;

use adspin_spin::settings;

pub fn not_found() -> Response {
    json_response(404, &json!({ "detail": "Link expired or not found" }))
}

fn internal() -> Response {
    json_response(500, &json!({ "detail": "Internal server error" }))
}

/// `GET /api/v1/dsp/redirect/{token}`: counts the click and sends the
/// browser to the landing page with `thrad_click_id`.
pub fn click(token: &str) -> Response {
    let Some(token) = tracking::verify::<ClickToken>(token, &settings::tracking_secret()) else {
        return not_found();
    };
    let db = match SpinDb::open_default() {
        Ok(db) => db,
        Err(error) => {
            eprintln!("ssp click: {error}");
            return internal();
        }
    };
    match serve::record_click(&db, &token.i, UnixSeconds::now()) {
        Ok(Some((click_id, landing))) => {
            let location = tracking::landing_url(&landing, &click_id);
            let mut response = http::Response::new(Vec::new());
            *response.status_mut() = http::StatusCode::FOUND;
            if let Ok(value) = http::HeaderValue::from_str(&location) {
                response.headers_mut().insert(http::header::LOCATION, value);
            }
            response.headers_mut().insert(
                http::header::CACHE_CONTROL,
                http::HeaderValue::from_static("no-store"),
            );
            response
        }
        Ok(None) => not_found(),
        Err(error) => {
            eprintln!("ssp click: {error}");
            internal()
        }
    }
}

/// `GET /api/v1/tracking/view/{token}`: the ad became viewable. Pings
/// must carry the end user's `User-Agent`.
pub fn view(request: &Request, token: &str) -> Response {
    let Some(token) = tracking::verify::<ViewToken>(token, &settings::tracking_secret()) else {
        return not_found();
    };
    if header(request, "user-agent").is_none_or(str::is_empty) {
        return json_response(
            400,
            &json!({ "detail": "View pings must carry the end user's User-Agent" }),
        );
    }
    let db = match SpinDb::open_default() {
        Ok(db) => db,
        Err(error) => {
            eprintln!("ssp view: {error}");
            return internal();
        }
    };
    match serve::record_view(&db, &token.v, UnixSeconds::now()) {
        Ok(Some(_)) => {
            let mut response = http::Response::new(Vec::new());
            *response.status_mut() = http::StatusCode::NO_CONTENT;
            response
        }
        Ok(None) => not_found(),
        Err(error) => {
            eprintln!("ssp view: {error}");
            internal()
        }
    }
}

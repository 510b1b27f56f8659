//! The operator surface component: `/admin/...`.

use adspin_core::admin::AdminSecrets;
use adspin_core::advertiser::ApiError;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Request, Response};
use adspin_spin::db::SpinDb;
use spin_sdk::variables;

adspin_spin::export!(crate::route);

async fn route(request: Request) -> Response {
    let db = match SpinDb::open_default() {
        Ok(db) => db,
        Err(error) => {
            eprintln!("admin: {error}");
            return ApiError::internal().to_response();
        }
    };
    let admin_token = variables::get("admin_token").unwrap_or_default();
    let dashboard_jwt_secret = variables::get("dashboard_jwt_secret").unwrap_or_default();
    let secrets = AdminSecrets {
        admin_token: &admin_token,
        dashboard_jwt_secret: dashboard_jwt_secret.as_bytes(),
    };
    adspin_core::admin::handle(&db, &request, UnixSeconds::now(), &secrets)
}

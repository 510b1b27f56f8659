//! The operator surface component: `/admin/...`.

use shared::admin::AdminSecrets;
use shared::advertiser::ApiError;
use shared::db::spin::SpinDb;
use shared::time::UnixSeconds;
use shared::web::{Request, Response};
use spin_sdk::variables;

#[expect(
    unsafe_code,
    reason = "the Spin SDK's export macro emits the component's unsafe ABI glue"
)]
mod export {
    #[spin_sdk::http_component]
    fn handle(request: super::Request) -> super::Response {
        super::route(request)
    }
}

fn route(request: Request) -> Response {
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
    shared::admin::handle(&db, &request, UnixSeconds::now(), &secrets)
}

//! The platform component: `GET /healthz`, and the JSON 404 for every path
//! no other component serves (the `/...` catch-all route).

use shared::advertiser::ApiError;
use shared::db::spin::SpinDb;
use shared::web::{Request, Response};

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
    let path = request.uri().path();
    match (request.method().as_str(), path) {
        ("GET", "/healthz") => shared::health::healthz(SpinDb::open_default()),
        (method, "/healthz") => ApiError::method_not_allowed(method, path).to_response(),
        (method, _) => ApiError::unknown_path(method, path).to_response(),
    }
}

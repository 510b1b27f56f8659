//! The Spin adapter: the only library that calls the Spin SDK.
//!
//! It implements `adspin-core`'s platform traits over Spin's host
//! interfaces (SQLite, `wasi:keyvalue`, variables, the LLM interface) and turns Spin's incoming requests into
//! the core's request type and back ([`export!`]). Surface crates never
//! see Spin; a component is an [`export!`] of its surface's entry point.

pub mod clock;
pub mod db;
pub mod env;
pub mod http;
pub mod kv;
pub mod llm;
mod wasi_http;

pub use env::SpinEnv;

#[doc(hidden)]
pub use wasi_http::serve;

/// Exports `handler`, a surface's `async fn(&impl Env, Request) -> Response`,
/// as the component's `wasi:http` handler, with a [`SpinEnv`] per request.
///
/// The calling crate depends on `spin-sdk` (the export glue is emitted
/// there); nothing else in it calls Spin.
#[macro_export]
macro_rules! export {
    ($handler:path) => {
        #[expect(
            unsafe_code,
            reason = "the Spin SDK's export macro emits the component's unsafe ABI glue"
        )]
        mod __adspin_export {
            #[::spin_sdk::http_component]
            async fn handle(
                request: ::spin_sdk::http::IncomingRequest,
                response_out: ::spin_sdk::http::ResponseOutparam,
            ) {
                $crate::serve(request, response_out, |request| async move {
                    let env = $crate::SpinEnv::default();
                    $handler(&env, request).await
                })
                .await
            }
        }
    };
}

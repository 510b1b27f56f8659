//! Answers every request with `hello`. It imports no Spin interface, so
//! `wasmtime serve` can run the same `.wasm` for side-by-side benchmarks.

#[expect(
    unsafe_code,
    reason = "the Spin SDK's export macro emits the component's unsafe ABI glue"
)]
mod export {
    use spin_sdk::http::{Request, Response};

    #[spin_sdk::http_component]
    fn handle(_request: Request) -> Response {
        Response::builder()
            .status(200)
            .header("content-type", "text/plain")
            .body("hello")
            .build()
    }
}

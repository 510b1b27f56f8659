//! Host-side bindings of the `fermyon:spin@2.0.0` and
//! `wasi:keyvalue@0.2.0-draft2` interfaces in `wit/`.

wasmtime::component::bindgen!({
    path: "wit",
    world: "host",
    imports: { default: async | trappable },
    with: {
        "fermyon:spin/key-value.store": crate::kv::OpenStore,
        "fermyon:spin/sqlite.connection": crate::sqlite::GuestConnection,
        "wasi:keyvalue/store.bucket": crate::kv::OpenStore,
        "wasi:keyvalue/atomics.cas": crate::kv::Cas,
    },
});

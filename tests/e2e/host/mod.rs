//! The local Spin-compatible host, driven through the probe component
//! (`tests/components/probe`) under the manifest `tests/manifests/host.toml`,
//! and through the keyvalue component under `tests/manifests/keyvalue.toml`.

mod build;
mod connections;
mod failures;
mod keyvalue;
mod outbound;
mod routing;
mod storage;
mod variables;

use adspin_e2e::{HostLaunch, TestApp, artifacts};

/// The test manifest's launch, with its required variable provided.
fn launch() -> HostLaunch {
    HostLaunch::new(artifacts().fixture_manifest("host.toml"))
        .env("SPIN_VARIABLE_API_TOKEN", "env-token")
}

fn start() -> TestApp {
    launch().start()
}

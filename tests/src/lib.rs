//! The end-to-end test harness: builds the host and the components once,
//! starts the host on a free port with a fresh state directory per test
//! app, and speaks HTTP to it. Fake third-party servers run on loopback.

mod artifacts;
pub mod browser;
mod client;
pub mod demo;
mod fake;
mod host;

pub use artifacts::{Artifacts, artifacts};
pub use browser::{Browser, Page};
pub use client::{Client, TestResponse};
pub use fake::{FakeRequest, FakeResponse, FakeServer};
pub use host::{Exited, HostLaunch, Runtime, TestApp};

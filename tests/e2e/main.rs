//! The end-to-end suite: one test binary, the real components on the local
//! host, over HTTP.

mod advertiser;
mod agents;
mod app;
mod browser;
mod hardening;
mod host;
mod instances;
mod journey;
mod s2s;
mod ssp;

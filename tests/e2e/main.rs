//! The end-to-end suite: one test binary, the real components on the local
//! host, over HTTP.

mod app;
mod host;

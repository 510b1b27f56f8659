//! The `platform` component: Health, uploaded files, OpenAPI documents and
//! the JSON 404 (/healthz, /files/..., /...), served by `adspin-platform` on
//! Spin.

adspin_spin::export!(adspin_platform::handle);

//! The `image-fetch` component: downloads an upload's `image_url` for the
//! Advertiser API, reached only by service chaining, served by
//! `adspin-fetch` on Spin.

adspin_spin::export!(adspin_fetch::handle);

//! The `advertiser-api` component: the Advertiser API (/v1/...) and the
//! dashboard's key management (/api/organizations/...), served by `adspin-
//! advertiser` on Spin.

adspin_spin::export!(adspin_advertiser::handle);

//! The `events` component: Server-to-server events (/v1/api/collect,
//! /v1/api/conversion), served by `adspin-events` on Spin.

adspin_spin::export!(adspin_events::handle);

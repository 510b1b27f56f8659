//! The `scheduler` component: the scheduled work (`POST /admin/tick`),
//! served by `adspin-agents` on Spin.

adspin_spin::export!(adspin_agents::worker::handle);

//! The `agents-api` component: the agents API (/api/v1/...), served by
//! `adspin-agents` on Spin.

adspin_spin::export!(adspin_agents::handle);

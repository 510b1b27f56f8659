//! The `ssp` component: the SSP: bid requests, the DSP auction, click
//! redirects and view beacons, served by `adspin-ssp` on Spin.

adspin_spin::export!(adspin_ssp::handle);

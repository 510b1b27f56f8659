//! The `thrad-dsp` component: the internal DSP, reached only by service
//! chaining from the SSP, served by `adspin-dsp` on Spin.

adspin_spin::export!(adspin_dsp::handle);

//! The `admin` component: the operator surface (/admin/...), served by
//! `adspin-operator` on Spin.

adspin_spin::export!(adspin_operator::handle);

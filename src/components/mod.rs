//! Building blocks of the building page.

pub(crate) mod connection_badge;
pub(crate) mod control_switch;
pub(crate) mod device_panel;
pub(crate) mod tree;

//! Building blocks of the building page.

pub(crate) mod account_menu;
pub(crate) mod alarms_panel;
pub(crate) mod breadcrumb;
pub(crate) mod chart_scale;
pub(crate) mod connection_badge;
pub(crate) mod connectivity_pill;
pub(crate) mod controls;
pub(crate) mod device_alarms;
pub(crate) mod device_attributes;
pub(crate) mod device_history;
pub(crate) mod device_panel;
pub(crate) mod history_chart;
pub(crate) mod names;
pub(crate) mod node_panel;
pub(crate) mod offline_banner;
pub(crate) mod quantity;
pub(crate) mod room_tiles;
pub(crate) mod sharing;
pub(crate) mod time_text;
pub(crate) mod tree;

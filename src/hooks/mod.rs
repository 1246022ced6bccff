//! Reactive state that outlives a single view: the clock, the live connection, the building and
//! where the person is in it, a device's telemetry.

pub(crate) mod debounce;
mod use_alarms;
mod use_building;
mod use_clock;
mod use_connection;
mod use_connectivity;
mod use_device_telemetry;
mod use_history;
mod use_names;
mod use_navigation;
mod use_node_rollup;
mod use_room;
mod use_search;
pub(crate) mod use_sharing;
pub(crate) mod use_sign_in;
pub(crate) mod use_two_factor;
mod watch_lifetime;

pub(crate) use use_alarms::{
    effective_row, use_alarm_actions, use_alarm_badges, use_alarms, AlarmActionState, AlarmActions, AlarmVerb,
};
pub(crate) use use_building::{progress_text, use_building, Building, TreeState};
pub(crate) use use_clock::{use_clock, Clock};
pub(crate) use use_connection::{use_connection, Connection};
pub(crate) use use_connectivity::use_connectivity;
pub(crate) use use_device_telemetry::{use_control_readings, use_device_telemetry, DeviceTelemetry};
pub(crate) use use_history::{use_history, HistoryState};
pub(crate) use use_names::{use_names, Names};
pub(crate) use use_navigation::{trail, use_navigation, Crumb, Navigation};
pub(crate) use use_node_rollup::use_node_rollup;
pub(crate) use use_room::{use_room_telemetry, RoomTelemetry};
pub(crate) use use_search::{use_search, Search, SearchState};
pub(crate) use use_sign_in::{server_host, use_sign_in};
pub(crate) use use_two_factor::use_two_factor;

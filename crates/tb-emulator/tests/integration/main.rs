//! The emulator's integration tests, one module per area, in one test binary: a binary per file
//! linked the whole dependency graph 14 times.

mod alarms;
mod api;
mod common;
mod device_api;
mod faults;
mod history;
mod persistent_rpc;
mod python_client;
mod query;
mod relation_paths;
mod sharing;
mod two_factor;
mod ws;
mod ws_entity_data;
mod ws_limits;

//! atrium-core's integration tests, one module per capability, in one test binary: a binary per
//! file linked the whole dependency graph 16 times (46 s of every build of the workspace's tests
//! on 2 cores). The OS secret store's test stays a binary of its own (`--test os_secret_store`):
//! `cargo xtask test` runs it once in a kernel session keyring and once in a Secret Service.

mod alarms;
mod attributes;
mod background;
mod cache;
mod common;
mod connectivity;
mod controls;
mod history;
mod journey;
mod kept_sessions;
mod remembered_values;
mod rollup;
mod sharing;
mod trusted_ca;
mod two_factor;
mod widget_controls;

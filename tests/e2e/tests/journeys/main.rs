//! The end-to-end journeys, one module per journey, in one test binary (a binary per journey
//! linked the app's dependency graph 18 times). `cargo xtask test` lists its tests and runs each
//! alone, under an Xvfb and in a Secret Service of its own.

mod access;
mod alarms;
mod appearance;
mod common;
mod demo_journey;
mod history;
mod kept_session;
mod navigation;
mod node_panel;
mod notifications;
mod private_ca;
mod search;
mod session_life;
mod sharing;
mod sign_in;
mod switch_accounts;
mod thermostat;
mod two_factor;
mod widget_device;

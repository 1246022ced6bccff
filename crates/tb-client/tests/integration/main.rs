//! tb-client's integration tests, one module per area, in one test binary: a binary per file
//! linked the whole dependency graph 13 times.

mod hierarchy;
mod hostile_server;
mod live;
mod live_actor;
mod rest_alarms;
mod rest_errors;
mod rest_query;
mod rest_rpc;
mod rest_sharing;
mod rest_telemetry;
mod rest_tls;
mod rpc_and_tree;
mod session;

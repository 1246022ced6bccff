//! REST areas, one file each, as `impl Client` blocks.

mod alarms;
mod auth;
mod entities;
mod relations;
mod rpc;
mod telemetry;

pub use entities::{EntitySummary, PageRequest};
pub use rpc::{RpcApi, RpcCall};

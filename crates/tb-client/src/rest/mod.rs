//! REST areas, one file each, as `impl Client` blocks.

mod alarms;
mod attributes;
mod auth;
mod customers;
mod entities;
mod history;
mod keys;
mod query;
mod relations;
mod rpc;
mod telemetry;
mod users;

pub use entities::{EntitySummary, PageRequest};
pub use history::{Aggregation, AggregationFunction, SortOrder, TsPoint};
pub use query::EntityRow;
pub use rpc::{RpcApi, RpcCall};

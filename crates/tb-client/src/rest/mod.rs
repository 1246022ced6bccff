//! REST areas, one file each, as `impl Client` blocks.

mod alarms;
mod attributes;
mod auth;
mod customers;
mod entities;
mod history;
mod keys;
mod paging;
mod query;
mod relations;
mod rpc;
mod telemetry;
mod users;

pub use entities::{EntitySummary, PageRequest};
pub use history::{Aggregation, AggregationFunction, SortOrder, TsPoint};
pub use paging::{MAX_LISTED_PAGES, MAX_LISTED_ROWS};
pub use query::EntityRow;
pub use rpc::{RpcApi, RpcCall};

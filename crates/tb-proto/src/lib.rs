//! ThingsBoard's wire format, as the server's source defines it (`common/data` in the ThingsBoard repository: `JwtPair`, `EntityId`, the `query` and `ws` packages).
//!
//! This crate is the single definition of what crosses the wire: the client (`tb-client`)
//! and the emulator (`tb-emulator`) both use it, so a wire change is made once.
//! It holds serde types only: no IO, no HTTP, no sockets, no interpretation beyond parsing and
//! the few readings every side shares ([`value`]: a value's number or switch, newest per key).
//! Types that the real server parses strictly (WebSocket commands) deny unknown fields here too,
//! so the emulator is never more lenient than ThingsBoard.
//!
//! ```no_run
//! use tb_proto::ws::{AuthCmd, WsCommandsWrapper};
//! let first = WsCommandsWrapper { auth_cmd: Some(AuthCmd::token(0, "eyJ...")), cmds: vec![] };
//! let text = serde_json::to_string(&first).unwrap();
//! assert!(text.contains("authCmd"));
//! ```

pub mod alarm;
pub mod auth;
pub mod customer;
pub mod entity;
pub mod error;
pub mod history;
pub mod id;
pub mod query;
pub mod relation;
pub mod rpc;
pub mod telemetry;
pub mod user;
pub mod value;
pub mod ws;

pub use id::{AssetId, CustomerId, DeviceId, DeviceProfileId, EntityId, EntityType, UserId};

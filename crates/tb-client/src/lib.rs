//! An async ThingsBoard client: the session, typed REST, device RPC, one multiplexed WebSocket,
//! and hierarchy loading.
//!
//! It is framework-free (no Tauri, no UI types) and speaks ThingsBoard as `tb-proto` defines it.
//! The session refreshes its JWT before expiry and on a 401, with exactly one refresh in flight
//! however many requests need it; a dead refresh token ends the session with
//! [`Error::SessionExpired`] and a [`SessionEvent::Expired`], never a retry loop.
//!
//! ```no_run
//! # async fn demo() -> Result<(), tb_client::Error> {
//! use tb_client::{Client, Secret};
//! let client = Client::builder("https://thingsboard.example.com").build()?;
//! let me = client.login("tenant@thingsboard.org", &Secret::new("tenant")).await?;
//! let tree = client.load_hierarchy(|_| {}).await?;
//! println!("{} sees {} nodes", me.email, tree.nodes.len());
//! # Ok(()) }
//! ```

pub mod certificate;
mod client;
mod error;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
pub mod hierarchy;
pub mod live;
mod rest;
mod secret;
mod server_url;
mod tls;
mod token;
mod value;

pub use client::{Client, ClientBuilder, Principal, SessionEvent, MAX_BODY_BYTES};
pub use error::{AlarmAction, CertificateProblem, ConnectFailure, Error, RpcFailure};
pub use rest::{
    Aggregation, AggregationFunction, EntityRow, EntitySummary, PageRequest, RpcApi, RpcCall, SortOrder,
    TsPoint, MAX_LISTED_PAGES, MAX_LISTED_ROWS,
};
pub use secret::Secret;
pub use server_url::ServerUrl;
pub use token::decode_claims;
pub use value::{LatestValue, TbValue};

pub use tb_proto as proto;

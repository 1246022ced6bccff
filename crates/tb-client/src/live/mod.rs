//! One WebSocket per session, multiplexing every live subscription by `cmdId`.
//!
//! [`LiveHandle`]s ([`handle`]) send commands to an actor task that owns the socket ([`actor`]:
//! the select loop, timers and reconnect). What goes on the wire and what a frame means is the
//! pure [`protocol`]. A [`Subscription`] ([`subscription`]) is a stream of coalesced
//! [`LiveEvent`]s whose drop unsubscribes; the routing table ([`registry`]) keeps each one's
//! [`SubscriptionSpec`] ([`spec`]) so everything is replayed after a reconnect; [`Backoff`]
//! decides when.
//!
//! Subscriptions: time series or attributes of one entity, `ENTITY_DATA` latest values of every
//! entity a query matches (one subscription for a whole room or floor) and `ALARM_COUNT`.
//! On a server older than 3.6.2 (`/api/ws` answers 404) the actor switches, for the rest of the
//! session, to the legacy `/api/ws/plugins/telemetry?token=` endpoint and command wrapper.

mod actor;
mod backoff;
mod handle;
mod mailbox;
mod protocol;
mod registry;
mod spec;
mod subscription;
pub mod transport;

// For the fuzz targets (`crate::fuzzing`): the protocol module stays private to `live`.
#[cfg(fuzzing)]
pub(crate) use protocol::decode;

pub use backoff::Backoff;
pub use handle::{ConnectionState, LiveConfig, LiveHandle, LiveStats, TokenSource};
pub use spec::SubscriptionSpec;
pub use subscription::{AlarmPage, ClosedReason, EntityValue, LiveEvent, Subscription, SubscriptionError};

//! What a subscriber holds and receives: the [`Subscription`] (whose drop unsubscribes), its
//! [`LiveEvent`]s, and why it ended ([`ClosedReason`]).

use super::handle::Command;
use super::mailbox::Mailbox;
use crate::value::{LatestValue, TbValue};
use std::sync::Arc;
use tb_proto::query::{AlarmData, EntityKeyType};
use tb_proto::value::Stamped;
use tb_proto::EntityId;
use tokio::sync::mpsc;

/// A server-side error for one subscription; the others are unaffected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionError {
    pub code: i32,
    pub message: String,
}

/// One latest value of one entity, from an `ENTITY_DATA` subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityValue {
    pub entity: EntityId,
    /// `TIME_SERIES`, `SERVER_ATTRIBUTE`, `ENTITY_FIELD` (whose ts is the query time), ...
    pub key_type: EntityKeyType,
    pub key: String,
    /// The server's timestamp (ms); 0 with [`TbValue::Missing`] for a key without data.
    pub ts: i64,
    pub value: TbValue,
}

impl Stamped for EntityValue {
    type Slot = (EntityId, EntityKeyType, String);
    fn slot(&self) -> Self::Slot {
        (self.entity, self.key_type, self.key.clone())
    }
    fn ts(&self) -> i64 {
        self.ts
    }
}

/// Everything a subscriber can receive, coalesced: what arrived since the last read. The first
/// event after (re)subscribing is the server's snapshot. New kinds may be added.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LiveEvent {
    /// Time series or attributes of one entity, latest per key. `snapshot`: replace, else merge.
    Values {
        snapshot: bool,
        values: Vec<LatestValue>,
    },
    /// `ENTITY_DATA`, latest per (entity, key type, key). `snapshot`: replace everything you hold
    /// for this subscription (entities may have come or gone), else merge, newest ts winning.
    EntityValues {
        snapshot: bool,
        values: Vec<EntityValue>,
        /// With a snapshot: how many entities match the query. More than the page size means
        /// the page holds only some of them; subscribe again with a bigger page.
        matching: Option<i64>,
    },
    /// `ALARM_COUNT`: the current count (only the latest is kept).
    Count(i64),
    /// `ALARM_DATA`. `page`: the server sent its page again (it does on subscribing, and when an
    /// alarm came, went or stopped matching): replace what you hold with it, then apply
    /// `changed`, the alarms of the page that changed since (newest state of each).
    Alarms {
        page: Option<AlarmPage>,
        changed: Vec<AlarmData>,
    },
    Error(SubscriptionError),
}

/// One page of an `ALARM_DATA` subscription, as the server sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmPage {
    /// In the query's sort order.
    pub alarms: Vec<AlarmData>,
    /// Matching alarms in all; more than `alarms.len()` means the page holds only some.
    pub total_alarms: i64,
    /// Entities the query's filter matched; past `allowed_entities` (the server's
    /// `max_entities_per_alarm_subscription`) the alarms of the rest are not searched.
    pub matching_entities: i64,
    pub allowed_entities: i64,
}

/// Why a subscription gets no more events.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClosedReason {
    /// The connection was shut down ([`super::LiveHandle::shutdown`], or every handle dropped).
    Shutdown,
    /// The session ended: the token could not be renewed. Sign in again.
    SessionEnded(String),
    /// The backoff policy gave up reconnecting.
    GaveUp(String),
    /// Unsubscribed.
    Unsubscribed,
}

/// A live subscription. Dropping it unsubscribes.
#[derive(Debug)]
pub struct Subscription {
    pub(crate) cmd_id: i32,
    pub(crate) mailbox: Arc<Mailbox>,
    pub(crate) commands: mpsc::UnboundedSender<Command>,
}

impl Subscription {
    pub fn cmd_id(&self) -> i32 {
        self.cmd_id
    }

    /// The next event, coalesced (see [`LiveEvent`]). `None` once closed for good: then
    /// [`Self::closed_reason`] says why.
    pub async fn next(&mut self) -> Option<LiveEvent> {
        self.mailbox.next().await
    }

    /// Why no more events come; `None` while the subscription is open.
    pub fn closed_reason(&self) -> Option<ClosedReason> {
        self.mailbox.closed_reason()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // The command channel is unbounded so this never blocks or fails while the actor lives;
        // if the actor is gone there is nothing left to unsubscribe from.
        let _ = self.commands.send(Command::Unsubscribe { cmd_id: self.cmd_id });
    }
}

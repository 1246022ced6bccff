//! One WebSocket per session, multiplexing every live subscription by `cmdId`.
//!
//! An actor task owns the socket ([`actor`]); [`LiveHandle`]s send it commands; a [`Subscription`]
//! is a stream of coalesced events whose drop unsubscribes. The routing table ([`registry`]) keeps
//! each subscription's spec so everything is replayed after a reconnect; [`Backoff`] decides when.
//!
//! Subscriptions: time series or attributes of one entity ([`LiveEvent`]), `ENTITY_DATA` latest
//! values of every entity a query matches (one subscription for a whole room or floor) and
//! `ALARM_COUNT` (both read with [`Subscription::next_update`], which yields [`LiveUpdate`]).
//! On a server older than 3.6.2 (`/api/ws` answers 404) the actor switches, for the rest of the
//! session, to the legacy `/api/ws/plugins/telemetry?token=` endpoint and command wrapper.

mod actor;
mod backoff;
mod mailbox;
mod registry;
pub mod transport;

pub use backoff::Backoff;

use crate::error::Error;
use crate::secret::Secret;
use crate::value::LatestValue;
use crate::Client;
use futures_util::future::BoxFuture;
use mailbox::Mailbox;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tb_proto::query::{AlarmCountQuery, EntityDataQuery, EntityKey, EntityKeyType};
use tb_proto::telemetry::AttributeScope;
use tb_proto::ws::{
    AlarmCountCmd, AttributesSubscriptionCmd, EntityDataCmd, LatestValueCmd, TimeseriesSubscriptionCmd,
    UnsubscribeCmd, WsCmd,
};
use tb_proto::EntityId;
use tokio::sync::{mpsc, watch};
use transport::Transport;

/// Tuning of the live connection.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    pub backoff: Backoff,
    /// A connection that stays up this long resets the backoff.
    pub stable_after: Duration,
    /// We ping the server this often.
    pub ping_interval: Duration,
    /// No frame at all (data, ping or pong) for this long: the connection is dead and replaced.
    pub dead_after: Duration,
    /// Commands per message: keeps each message far below the server's 32 KB inbound limit.
    pub max_cmds_per_message: usize,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            backoff: Backoff::default(),
            stable_after: Duration::from_secs(30),
            ping_interval: Duration::from_secs(15),
            dead_after: Duration::from_secs(40),
            max_cmds_per_message: 10,
        }
    }
}

/// What to subscribe to.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SubscriptionSpec {
    /// Latest time series of one entity; every key when `keys` is empty.
    Timeseries { entity: EntityId, keys: Vec<String> },
    /// Attributes of one entity, of one scope or all.
    Attributes { entity: EntityId, scope: Option<AttributeScope>, keys: Vec<String> },
    /// `ENTITY_DATA`: the latest values of `latest` (appended by the server to the query's own
    /// `latestValues`) for every entity `query` matches, e.g. every device a room contains.
    /// Only the query's page (`pageLink`) is live: size it for the whole set.
    /// Read with [`Subscription::next_update`]: [`LiveUpdate::EntityValues`].
    EntityData { query: EntityDataQuery, latest: Vec<EntityKey> },
    /// `ALARM_COUNT`: the number of matching alarms, again whenever it changes.
    /// Read with [`Subscription::next_update`]: [`LiveUpdate::Count`].
    AlarmCount { query: AlarmCountQuery },
}

impl SubscriptionSpec {
    pub(crate) fn subscribe_cmd(&self, cmd_id: i32) -> WsCmd {
        self.cmd(cmd_id, false)
    }

    pub(crate) fn unsubscribe_cmd(&self, cmd_id: i32) -> WsCmd {
        self.cmd(cmd_id, true)
    }

    /// `TIMESERIES`/`ATTRIBUTES` unsubscribe with the same command and `unsubscribe: true`; the v2
    /// subscriptions with their own `*_UNSUBSCRIBE` command.
    fn cmd(&self, cmd_id: i32, unsubscribe: bool) -> WsCmd {
        let keys = |keys: &[String]| (!keys.is_empty()).then(|| keys.join(","));
        match self {
            Self::Timeseries { entity, keys: k } => WsCmd::Timeseries(TimeseriesSubscriptionCmd {
                cmd_id,
                entity_type: Some(entity.entity_type.as_str().into()),
                entity_id: Some(entity.id.to_string()),
                keys: keys(k),
                scope: Some("LATEST_TELEMETRY".into()),
                unsubscribe,
                ..Default::default()
            }),
            Self::Attributes { entity, scope, keys: k } => WsCmd::Attributes(AttributesSubscriptionCmd {
                cmd_id,
                entity_type: Some(entity.entity_type.as_str().into()),
                entity_id: Some(entity.id.to_string()),
                keys: keys(k),
                scope: scope.map(|s| s.as_str().into()),
                unsubscribe,
                ignored_type: None,
            }),
            Self::EntityData { .. } if unsubscribe => {
                WsCmd::EntityDataUnsubscribe(UnsubscribeCmd::new(cmd_id))
            }
            Self::EntityData { query, latest } => WsCmd::EntityData(EntityDataCmd {
                cmd_id,
                query: Some(query.clone()),
                latest_cmd: Some(LatestValueCmd { keys: latest.clone() }),
                ..Default::default()
            }),
            Self::AlarmCount { .. } if unsubscribe => {
                WsCmd::AlarmCountUnsubscribe(UnsubscribeCmd::new(cmd_id))
            }
            Self::AlarmCount { query } => {
                WsCmd::AlarmCount(AlarmCountCmd { cmd_id, query: Some(query.clone()), ignored_type: None })
            }
        }
    }
}

/// A server-side error for one subscription; the others are unaffected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionError {
    pub code: i32,
    pub message: String,
}

/// What a subscriber receives.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveEvent {
    /// `snapshot`: replace what you hold (first update after (re)subscribing); else merge.
    Values {
        snapshot: bool,
        values: Vec<LatestValue>,
    },
    Error(SubscriptionError),
}

/// One latest value of one entity, from an `ENTITY_DATA` subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityValue {
    pub entity: EntityId,
    /// `TIME_SERIES`, `SERVER_ATTRIBUTE`, `ENTITY_FIELD` (whose ts is the query time), ...
    pub key_type: EntityKeyType,
    pub key: String,
    /// The server's timestamp (ms); 0 with [`TbValue::Missing`](crate::TbValue::Missing) for a key without data.
    pub ts: i64,
    pub value: crate::TbValue,
}

/// Everything a subscriber can receive, whatever it subscribed to. New kinds may be added.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LiveUpdate {
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
    Error(SubscriptionError),
}

/// Health of the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionState {
    Connecting,
    Connected,
    Reconnecting {
        attempt: u32,
        retry_in: Duration,
    },
    /// Gave up (backoff policy exhausted) or cannot continue for now.
    Offline {
        reason: String,
    },
    /// Over for good: shut down, or the session ended.
    Closed {
        reason: String,
    },
}

/// Where the actor gets tokens for `authCmd`.
pub trait TokenSource: Send + Sync + 'static {
    /// A valid access token; with `force_refresh` the current one was just rejected.
    fn token(&self, force_refresh: bool) -> BoxFuture<'_, Result<Secret, Error>>;
}

impl TokenSource for Client {
    fn token(&self, force_refresh: bool) -> BoxFuture<'_, Result<Secret, Error>> {
        Box::pin(async move {
            if force_refresh {
                self.refresh_now().await?;
            }
            self.access_token().await
        })
    }
}

/// Counters, for diagnostics and benchmarks.
#[derive(Debug, Default)]
pub struct LiveStats {
    pub connections: AtomicU64,
    pub frames_received: AtomicU64,
    /// Frames we could not parse or route.
    pub malformed_frames: AtomicU64,
    /// "Failed to parse the payload": the server rejected a message we sent.
    pub rejected_by_server: AtomicU64,
    /// The server lacks `/api/ws` (older than 3.6.2): the legacy endpoint is in use.
    pub legacy_endpoint: AtomicBool,
}

pub(crate) enum Command {
    // Boxed: an ENTITY_DATA query is large, and every other command is a few bytes.
    Subscribe { cmd_id: i32, spec: Box<SubscriptionSpec>, mailbox: Arc<Mailbox> },
    Unsubscribe { cmd_id: i32 },
    ReconnectNow,
    Shutdown,
}

/// Cloneable front of the connection actor.
#[derive(Debug, Clone)]
pub struct LiveHandle {
    commands: mpsc::UnboundedSender<Command>,
    next_cmd_id: Arc<AtomicI32>,
    state: watch::Receiver<ConnectionState>,
    stats: Arc<LiveStats>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Subscribe { cmd_id, spec, .. } => write!(f, "Subscribe({cmd_id}, {spec:?})"),
            Self::Unsubscribe { cmd_id } => write!(f, "Unsubscribe({cmd_id})"),
            Self::ReconnectNow => f.write_str("ReconnectNow"),
            Self::Shutdown => f.write_str("Shutdown"),
        }
    }
}

impl LiveHandle {
    /// Starts the connection actor for `client`'s session on `/api/ws`.
    pub fn spawn(client: &Client, config: LiveConfig) -> Self {
        let transport = transport::TungsteniteTransport { tls: client.tls_config() };
        let url = client.base_url().ws("api/ws");
        Self::spawn_with(Arc::new(client.clone()), Arc::new(transport), url, config)
    }

    /// Starts the actor on any transport and token source (tests use in-memory ones).
    pub fn spawn_with(
        tokens: Arc<dyn TokenSource>,
        transport: Arc<dyn Transport>,
        url: url::Url,
        config: LiveConfig,
    ) -> Self {
        let (commands, inbox) = mpsc::unbounded_channel();
        let (state_tx, state) = watch::channel(ConnectionState::Connecting);
        let stats = Arc::new(LiveStats::default());
        let actor = actor::Actor::new(tokens, transport, url, config, inbox, state_tx, stats.clone());
        tokio::spawn(actor.run());
        Self { commands, next_cmd_id: Arc::new(AtomicI32::new(1)), state, stats }
    }

    /// Subscribes; the first event is the server's snapshot. Dropping the subscription unsubscribes.
    pub fn subscribe(&self, spec: SubscriptionSpec) -> Subscription {
        // cmdId 0 is the authCmd's.
        let cmd_id = self.next_cmd_id.fetch_add(1, Ordering::Relaxed);
        let mailbox = Arc::new(Mailbox::default());
        if self
            .commands
            .send(Command::Subscribe { cmd_id, spec: Box::new(spec), mailbox: mailbox.clone() })
            .is_err()
        {
            mailbox.close();
        }
        Subscription { cmd_id, mailbox, commands: self.commands.clone() }
    }

    /// Connection state changes.
    pub fn state(&self) -> watch::Receiver<ConnectionState> {
        self.state.clone()
    }

    pub fn stats(&self) -> &LiveStats {
        &self.stats
    }

    /// Drops the current connection (or cuts a backoff wait short) and reconnects at once.
    pub fn reconnect_now(&self) {
        let _ = self.commands.send(Command::ReconnectNow);
    }

    /// Closes the socket and ends every subscription.
    pub fn shutdown(&self) {
        let _ = self.commands.send(Command::Shutdown);
    }
}

/// A live subscription. Dropping it unsubscribes.
#[derive(Debug)]
pub struct Subscription {
    cmd_id: i32,
    mailbox: Arc<Mailbox>,
    commands: mpsc::UnboundedSender<Command>,
}

impl Subscription {
    pub fn cmd_id(&self) -> i32 {
        self.cmd_id
    }

    /// The next event of a `Timeseries` or `Attributes` subscription, coalesced: everything that
    /// arrived since the last call, latest value per key. `None` once the connection is closed for good.
    ///
    /// `EntityData` and `AlarmCount` subscriptions need [`Self::next_update`]; here their events
    /// come as a [`LiveEvent::Error`] saying so, never as values without their entity.
    pub async fn next(&mut self) -> Option<LiveEvent> {
        Some(match self.next_update().await? {
            LiveUpdate::Values { snapshot, values } => LiveEvent::Values { snapshot, values },
            LiveUpdate::Error(e) => LiveEvent::Error(e),
            other => LiveEvent::Error(SubscriptionError {
                code: tb_proto::ws::error_code::BAD_REQUEST,
                message: format!(
                    "ENTITY_DATA and ALARM_COUNT updates are read with Subscription::next_update ({})",
                    match other {
                        LiveUpdate::Count(_) => "a count",
                        _ => "entity values",
                    }
                ),
            }),
        })
    }

    /// The next update of any subscription, coalesced like [`Self::next`]. `None` once closed for good.
    pub async fn next_update(&mut self) -> Option<LiveUpdate> {
        self.mailbox.next().await
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // The command channel is unbounded so this never blocks or fails while the actor lives;
        // if the actor is gone there is nothing left to unsubscribe from.
        let _ = self.commands.send(Command::Unsubscribe { cmd_id: self.cmd_id });
    }
}

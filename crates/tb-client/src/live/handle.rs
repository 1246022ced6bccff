//! The cloneable front of the connection actor, and what it needs from the session.

use super::actor::Actor;
use super::mailbox::Mailbox;
use super::subscription::{ClosedReason, Subscription};
use super::transport::{self, Transport};
use super::{Backoff, SubscriptionSpec};
use crate::error::Error;
use crate::secret::Secret;
use crate::Client;
use futures_util::future::BoxFuture;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

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
    /// Opening a connection (TCP, TLS, the upgrade) takes at most this long.
    pub connect_timeout: Duration,
    /// Subscriptions sent and not yet answered, at most; the rest wait their turn. The server
    /// queues every answer and closes a session whose queue passes 1,000 (see `registry`).
    pub max_unanswered: usize,
    /// A subscription not answered in this long stops holding up the next ones.
    pub answer_wait: Duration,
    /// The largest message read from the server; a larger one ends the connection (and the next
    /// brings a fresh snapshot). A snapshot of 50,000 devices with two keys each is about 15 MiB.
    pub max_message_bytes: usize,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            backoff: Backoff::default(),
            stable_after: Duration::from_secs(30),
            ping_interval: Duration::from_secs(15),
            dead_after: Duration::from_secs(40),
            max_cmds_per_message: 10,
            connect_timeout: Duration::from_secs(15),
            max_unanswered: 100,
            answer_wait: Duration::from_secs(20),
            max_message_bytes: 32 * 1024 * 1024,
        }
    }
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
    /// Closed on purpose while the app is in the background; subscriptions are kept and are
    /// resubscribed (fresh snapshots) on [`LiveHandle::resume`].
    Paused,
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
    Pause,
    Resume,
    Shutdown,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Subscribe { cmd_id, spec, .. } => write!(f, "Subscribe({cmd_id}, {spec:?})"),
            Self::Unsubscribe { cmd_id } => write!(f, "Unsubscribe({cmd_id})"),
            Self::ReconnectNow => f.write_str("ReconnectNow"),
            Self::Pause => f.write_str("Pause"),
            Self::Resume => f.write_str("Resume"),
            Self::Shutdown => f.write_str("Shutdown"),
        }
    }
}

/// Cloneable front of the connection actor.
#[derive(Debug, Clone)]
pub struct LiveHandle {
    commands: mpsc::UnboundedSender<Command>,
    next_cmd_id: Arc<AtomicI32>,
    state: watch::Receiver<ConnectionState>,
    stats: Arc<LiveStats>,
    answer_wait: Duration,
}

impl LiveHandle {
    /// Starts the connection actor for `client`'s session on `/api/ws`.
    pub fn spawn(client: &Client, config: LiveConfig) -> Self {
        let transport = transport::TungsteniteTransport {
            tls: client.tls_config(),
            max_message_bytes: config.max_message_bytes,
        };
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
        let answer_wait = config.answer_wait;
        let actor = Actor::new(tokens, transport, url, config, inbox, state_tx, stats.clone());
        tokio::spawn(actor.run());
        Self { commands, next_cmd_id: Arc::new(AtomicI32::new(1)), state, stats, answer_wait }
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
            mailbox.close(ClosedReason::Shutdown);
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

    /// How long a subscription's first answer may take once connected ([`LiveConfig::answer_wait`]):
    /// a subscriber still waiting after that may read the same data another way.
    pub fn answer_wait(&self) -> Duration {
        self.answer_wait
    }

    /// Whether the socket is up now.
    pub fn is_connected(&self) -> bool {
        matches!(*self.state.borrow(), ConnectionState::Connected)
    }

    /// Drops the current connection (or cuts a backoff wait short) and reconnects at once.
    pub fn reconnect_now(&self) {
        let _ = self.commands.send(Command::ReconnectNow);
    }

    /// Closes the socket cleanly but keeps every subscription, and stays disconnected until
    /// [`Self::resume`] (the app went to the background: no battery or data spent on values
    /// nobody sees). Values stop arriving; the state says [`ConnectionState::Paused`].
    pub fn pause(&self) {
        let _ = self.commands.send(Command::Pause);
    }

    /// Ends a pause, or a backoff wait, with a connection attempt at once; every subscription
    /// then gets a fresh snapshot. Nothing happens while connected.
    pub fn resume(&self) {
        let _ = self.commands.send(Command::Resume);
    }

    /// Closes the socket and ends every subscription.
    pub fn shutdown(&self) {
        let _ = self.commands.send(Command::Shutdown);
    }
}

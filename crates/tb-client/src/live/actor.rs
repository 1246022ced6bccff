//! The task that owns the socket: the select loop, the timers and reconnect. What to send and
//! what a frame means is [`super::protocol`].

use super::handle::{Command, ConnectionState, LiveConfig, LiveStats, TokenSource};
use super::protocol::{self, Body, Dialect, Ended, Inbound};
use super::registry::Registry;
use super::subscription::ClosedReason;
use super::transport::{Frame, FrameSink, FrameStream, Transport};
use crate::error::Error;
use futures_util::{SinkExt, StreamExt};
use rand::SeedableRng;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tb_proto::ws::WsCmd;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{sleep, Instant};
use url::Url;

/// How long a clean close may take to go out before the socket is dropped anyway.
const CLOSE_GRACE: Duration = Duration::from_secs(1);
/// Frames waiting for the writer at most: a peer that has not taken this many is not reading.
const OUTGOING_FRAMES: usize = 1024;

/// How awaiting something while taking commands ended.
enum Raced<T> {
    Done(T),
    Shutdown,
    Pause,
}

/// How a backoff wait ended.
enum Waited {
    Retry,
    Pause,
    Shutdown,
}

pub(crate) struct Actor {
    tokens: Arc<dyn TokenSource>,
    transport: Arc<dyn Transport>,
    /// The `/api/ws` URL; the legacy one is derived from it.
    url: Url,
    config: LiveConfig,
    inbox: mpsc::UnboundedReceiver<Command>,
    state: watch::Sender<ConnectionState>,
    stats: Arc<LiveStats>,
    registry: Registry,
    rng: rand::rngs::StdRng,
    /// `Legacy` once the server turned out to lack `/api/ws`, for the rest of the session.
    dialect: Dialect,
}

impl Actor {
    pub(crate) fn new(
        tokens: Arc<dyn TokenSource>,
        transport: Arc<dyn Transport>,
        url: Url,
        config: LiveConfig,
        inbox: mpsc::UnboundedReceiver<Command>,
        state: watch::Sender<ConnectionState>,
        stats: Arc<LiveStats>,
    ) -> Self {
        Self {
            tokens,
            transport,
            url,
            config,
            inbox,
            state,
            stats,
            registry: Registry::default(),
            rng: rand::rngs::StdRng::from_entropy(),
            dialect: Dialect::General,
        }
    }

    pub(crate) async fn run(mut self) {
        let mut attempt: u32 = 0;
        let mut force_refresh = false;
        let mut next_dialect = Dialect::General;
        loop {
            // Every connection tries `/api/ws` first: one 404 (a proxy's, a server restarting) must
            // not pin the legacy endpoint, whose URL carries the token, for the rest of the session.
            self.dialect = std::mem::replace(&mut next_dialect, Dialect::General);
            let tokens = self.tokens.clone();
            let token = match self.race(tokens.token(force_refresh)).await {
                Raced::Done(token) => token,
                Raced::Shutdown => return self.finish(ClosedReason::Shutdown, "closed".into()),
                Raced::Pause => {
                    if !self.wait_paused().await {
                        return self.finish(ClosedReason::Shutdown, "closed".into());
                    }
                    attempt = 0;
                    self.state.send_replace(ConnectionState::Connecting);
                    continue;
                }
            };
            let reason = match token {
                Ok(token) => {
                    force_refresh = false;
                    let started = Instant::now();
                    match self.connect_and_serve(token).await {
                        Ended::Shutdown => return self.finish(ClosedReason::Shutdown, "closed".into()),
                        Ended::Paused => {
                            if !self.wait_paused().await {
                                return self.finish(ClosedReason::Shutdown, "closed".into());
                            }
                            // Back from a pause: a fresh start, not a failure to back off from.
                            attempt = 0;
                            self.state.send_replace(ConnectionState::Connecting);
                            continue;
                        }
                        Ended::AuthRejected(reason) => {
                            force_refresh = true;
                            reason
                        }
                        Ended::NoGeneralEndpoint => {
                            tracing::info!(
                                "the server has no /api/ws (ThingsBoard before 3.6.2): trying the legacy telemetry endpoint"
                            );
                            next_dialect = Dialect::Legacy;
                            self.state.send_replace(ConnectionState::Connecting);
                            continue;
                        }
                        Ended::Lost(reason) => {
                            if started.elapsed() >= self.config.stable_after {
                                attempt = 0;
                            }
                            reason
                        }
                    }
                }
                Err(e) if e.is_auth() => {
                    let reason = format!("the session has ended: {e}");
                    return self.finish(ClosedReason::SessionEnded(e.to_string()), reason);
                }
                Err(e) => e.to_string(),
            };
            attempt += 1;
            let Some(delay) = self.config.backoff.delay(attempt, &mut self.rng) else {
                self.registry.close_all(&ClosedReason::GaveUp(reason.clone()));
                self.state.send_replace(ConnectionState::Offline { reason });
                return;
            };
            tracing::info!(attempt, ?delay, %reason, "live connection lost; reconnecting");
            self.state.send_replace(ConnectionState::Reconnecting { attempt, retry_in: delay });
            match self.wait_for_retry(delay).await {
                Waited::Retry => {}
                Waited::Shutdown => return self.finish(ClosedReason::Shutdown, "closed".into()),
                Waited::Pause => {
                    if !self.wait_paused().await {
                        return self.finish(ClosedReason::Shutdown, "closed".into());
                    }
                    attempt = 0;
                }
            }
            self.state.send_replace(ConnectionState::Connecting);
        }
    }

    fn finish(&mut self, why: ClosedReason, reason: String) {
        self.registry.close_all(&why);
        self.state.send_replace(ConnectionState::Closed { reason });
    }

    /// Awaits `work` (a token, a connection) while still taking commands: a shutdown or pause
    /// never waits for a server that does not answer, and subscriptions made meanwhile go into
    /// the table for the replay.
    async fn race<F: std::future::Future>(&mut self, work: F) -> Raced<F::Output> {
        tokio::pin!(work);
        loop {
            tokio::select! {
                // Work that is ready goes first: commands wait only while it does not answer.
                biased;
                done = &mut work => return Raced::Done(done),
                command = self.inbox.recv() => match command {
                    None | Some(Command::Shutdown) => return Raced::Shutdown,
                    Some(Command::Pause) => return Raced::Pause,
                    // Already on the way to a connection.
                    Some(Command::ReconnectNow | Command::Resume) => {}
                    Some(other) => self.apply_offline(other),
                },
            }
        }
    }

    /// Sleeps out the backoff while still taking commands.
    async fn wait_for_retry(&mut self, delay: std::time::Duration) -> Waited {
        let deadline = sleep(delay);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                () = &mut deadline => return Waited::Retry,
                command = self.inbox.recv() => match command {
                    None | Some(Command::Shutdown) => return Waited::Shutdown,
                    Some(Command::ReconnectNow | Command::Resume) => return Waited::Retry,
                    Some(Command::Pause) => return Waited::Pause,
                    Some(other) => self.apply_offline(other),
                },
            }
        }
    }

    /// Stays disconnected until resumed, still taking subscriptions. `false` means shut down.
    async fn wait_paused(&mut self) -> bool {
        tracing::info!("live connection paused");
        self.state.send_replace(ConnectionState::Paused);
        loop {
            match self.inbox.recv().await {
                None | Some(Command::Shutdown) => return false,
                Some(Command::ReconnectNow | Command::Resume) => return true,
                Some(other) => self.apply_offline(other),
            }
        }
    }

    /// A command while there is no socket: only the table changes; the replay after
    /// connecting sends it.
    fn apply_offline(&mut self, command: Command) {
        match command {
            Command::Subscribe { cmd_id, spec, mailbox } => self.registry.insert(cmd_id, *spec, mailbox),
            Command::Unsubscribe { cmd_id } => {
                self.registry.remove(cmd_id);
            }
            Command::ReconnectNow | Command::Pause | Command::Resume | Command::Shutdown => {}
        }
    }

    async fn connect_and_serve(&mut self, token: crate::Secret) -> Ended {
        let ended = self.connect_and_serve_inner(&token).await;
        // Nothing below may carry the token into a log line or a state: errors can quote URLs.
        match ended {
            Ended::AuthRejected(reason) => Ended::AuthRejected(protocol::redact(reason, token.expose())),
            Ended::Lost(reason) => Ended::Lost(protocol::redact(reason, token.expose())),
            other => other,
        }
    }

    async fn connect_and_serve_inner(&mut self, token: &crate::Secret) -> Ended {
        let url = protocol::connect_url(&self.url, self.dialect, token.expose());
        // TCP, TLS and the upgrade, time-boxed: a proxy that accepts and then says nothing must
        // not leave the app on "Connecting" for good.
        let connecting = tokio::time::timeout(self.config.connect_timeout, self.transport.connect(url));
        let (sink, mut stream) = match self.race(connecting).await {
            Raced::Done(Ok(Ok(connection))) => connection,
            Raced::Done(Ok(Err(e))) => return protocol::connect_failed(self.dialect, &e),
            Raced::Done(Err(_)) => {
                return Ended::Lost(format!(
                    "no connection within {} s (the server or a proxy accepted it and then said nothing)",
                    self.config.connect_timeout.as_secs()
                ))
            }
            Raced::Shutdown => return Ended::Shutdown,
            Raced::Pause => return Ended::Paused,
        };
        self.stats.connections.fetch_add(1, Ordering::Relaxed);
        self.stats.legacy_endpoint.store(self.dialect == Dialect::Legacy, Ordering::Relaxed);
        let mut writer = Writer::spawn(sink);
        self.registry.restart();
        let first = self.registry.next_batch(self.config.max_unanswered, Instant::now());
        let messages = match protocol::connect_messages(
            self.dialect,
            token.expose(),
            first,
            self.config.max_cmds_per_message,
        ) {
            Ok(messages) => messages,
            Err(e) => return Ended::Lost(e.to_string()),
        };
        for message in messages {
            if let Err(stalled) = writer.send(Frame::Text(message)) {
                return stalled;
            }
        }
        // The server acknowledges a good authCmd with nothing: "connected" means "sent and not refused".
        self.state.send_replace(ConnectionState::Connected);
        let ended = self.serve(&mut writer, &mut stream).await;
        if matches!(ended, Ended::Shutdown | Ended::Paused) {
            writer.close().await;
        }
        ended
    }

    fn send_cmds(&self, writer: &mut Writer, cmds: Vec<WsCmd>) -> Result<(), Ended> {
        for batch in cmds.chunks(self.config.max_cmds_per_message.max(1)) {
            let text = protocol::encode(self.dialect, None, batch.to_vec())
                .map_err(|e| Ended::Lost(e.to_string()))?;
            writer.send(Frame::Text(text))?;
        }
        Ok(())
    }

    /// Sends the subscriptions waiting for room in the window, if there is room now.
    fn flush(&mut self, writer: &mut Writer) -> Result<(), Ended> {
        if self.registry.waiting() == 0 {
            return Ok(());
        }
        let batch = self.registry.next_batch(self.config.max_unanswered, Instant::now());
        if batch.is_empty() {
            return Ok(());
        }
        self.send_cmds(writer, batch)
    }

    async fn serve(&mut self, writer: &mut Writer, stream: &mut FrameStream) -> Ended {
        let mut last_inbound = Instant::now();
        let mut ping =
            tokio::time::interval_at(Instant::now() + self.config.ping_interval, self.config.ping_interval);
        let connected_at = Instant::now();
        let mut text_frames = 0u64;
        loop {
            tokio::select! {
                command = self.inbox.recv() => {
                    let Some(command) = command else { return Ended::Shutdown };
                    let mut outgoing = Vec::new();
                    match command {
                        Command::Shutdown => return Ended::Shutdown,
                        Command::Pause => return Ended::Paused,
                        Command::ReconnectNow => return Ended::Lost("reconnect requested".into()),
                        other => self.apply(other, &mut outgoing),
                    }
                    // Batch whatever else is already queued (e.g. a page subscribing to 200 devices).
                    while outgoing.len() < self.config.max_cmds_per_message {
                        match self.inbox.try_recv() {
                            Ok(Command::Shutdown) => return Ended::Shutdown,
                            Ok(Command::Pause) => return Ended::Paused,
                            Ok(Command::ReconnectNow) => return Ended::Lost("reconnect requested".into()),
                            Ok(other) => self.apply(other, &mut outgoing),
                            Err(_) => break,
                        }
                    }
                    if !outgoing.is_empty() {
                        if let Err(ended) = self.send_cmds(writer, outgoing) {
                            return ended;
                        }
                    }
                    if let Err(ended) = self.flush(writer) {
                        return ended;
                    }
                }
                frame = stream.next() => {
                    last_inbound = Instant::now();
                    self.stats.frames_received.fetch_add(1, Ordering::Relaxed);
                    match frame {
                        Some(Ok(Frame::Text(text))) => {
                            text_frames += 1;
                            self.route(&text);
                            if let Err(ended) = self.flush(writer) {
                                return ended;
                            }
                        }
                        // tungstenite answers pings itself while we keep reading.
                        Some(Ok(Frame::Ping(_) | Frame::Pong(_))) => {}
                        Some(Ok(Frame::Close(close))) => {
                            return protocol::closed_by_server(close, text_frames, connected_at.elapsed());
                        }
                        Some(Err(e)) => return Ended::Lost(e.to_string()),
                        None => return Ended::Lost("the connection was closed".into()),
                    }
                }
                failed = writer.failed() => return Ended::Lost(failed),
                _ = ping.tick() => {
                    if last_inbound.elapsed() >= self.config.dead_after {
                        return Ended::Lost(format!("no answer from the server for {} s", last_inbound.elapsed().as_secs()));
                    }
                    if let Err(ended) = writer.send(Frame::Ping(Vec::new())) {
                        return ended;
                    }
                    let before = Instant::now().checked_sub(self.config.answer_wait);
                    let freed = before.map_or(0, |before| self.registry.give_up_waiting(before));
                    if freed > 0 {
                        tracing::warn!(freed, "subscriptions the server has not answered; sending the next ones anyway");
                    }
                    if let Err(ended) = self.flush(writer) {
                        return ended;
                    }
                }
            }
        }
    }

    fn apply(&mut self, command: Command, outgoing: &mut Vec<WsCmd>) {
        match command {
            // Queued: `flush` sends it when the window has room.
            Command::Subscribe { cmd_id, spec, mailbox } => self.registry.insert(cmd_id, *spec, mailbox),
            Command::Unsubscribe { cmd_id } => outgoing.extend(self.registry.remove(cmd_id)),
            // Connected: resuming has nothing to do; the others end `serve` before getting here.
            Command::Resume | Command::ReconnectNow | Command::Pause | Command::Shutdown => {}
        }
    }

    /// Delivers one text frame to its subscriber. Nothing here can end the connection.
    fn route(&mut self, text: &str) {
        let (cmd_id, body) = match protocol::decode(text) {
            Ok(Inbound::Update { cmd_id, body }) => (cmd_id, body),
            Ok(Inbound::PayloadRejected) => {
                self.stats.rejected_by_server.fetch_add(1, Ordering::Relaxed);
                tracing::error!("the server could not parse a message we sent");
                return;
            }
            Ok(Inbound::Unexpected(kind)) => {
                self.stats.malformed_frames.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(?kind, "ignoring an update of a kind we never subscribe to");
                return;
            }
            Err(e) => {
                self.stats.malformed_frames.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("ignoring a WebSocket frame that is not a subscription update: {e}");
                return;
            }
        };
        self.registry.answered(cmd_id);
        let Some(entry) = self.registry.get_mut(cmd_id) else {
            // Late updates for a subscription just dropped are normal.
            tracing::debug!(cmd_id, "update for an unknown subscription");
            return;
        };
        match body {
            Body::Error(error) => entry.mailbox.push_error(error),
            Body::Values(values) => {
                let snapshot = std::mem::take(&mut entry.awaiting_snapshot);
                entry.mailbox.push_values(snapshot, values);
            }
            Body::EntityValues { matching: None, values } if values.is_empty() => {}
            Body::EntityValues { matching, values } => {
                entry.awaiting_snapshot = false;
                entry.mailbox.push_entity_values(matching, values);
            }
            Body::Count(count) => {
                entry.awaiting_snapshot = false;
                entry.mailbox.push_count(count);
            }
            Body::AlarmPage(page) => {
                entry.awaiting_snapshot = false;
                entry.mailbox.push_alarm_page(page);
            }
            Body::AlarmsChanged(changed) if changed.is_empty() => {}
            Body::AlarmsChanged(changed) => entry.mailbox.push_alarm_changes(changed),
        }
    }
}

/// The socket's writing half, on a task of its own: the actor queues frames and never waits for
/// a peer that does not read, so its loop keeps reading, pinging and taking commands.
struct Writer {
    frames: mpsc::Sender<Frame>,
    task: JoinHandle<Result<(), Error>>,
}

impl Writer {
    fn spawn(mut sink: FrameSink) -> Self {
        let (frames, mut queue) = mpsc::channel::<Frame>(OUTGOING_FRAMES);
        let task = tokio::spawn(async move {
            while let Some(frame) = queue.recv().await {
                let close = matches!(frame, Frame::Close(_));
                sink.send(frame).await?;
                if close {
                    break;
                }
            }
            Ok(())
        });
        Self { frames, task }
    }

    /// Queues a frame; a full queue means the peer stopped reading, and the connection is lost.
    fn send(&mut self, frame: Frame) -> Result<(), Ended> {
        self.frames.try_send(frame).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => {
                Ended::Lost("the server stopped taking what is sent to it".into())
            }
            mpsc::error::TrySendError::Closed(_) => Ended::Lost("the connection was closed".into()),
        })
    }

    /// Resolves when writing failed (never while it works).
    async fn failed(&mut self) -> String {
        match (&mut self.task).await {
            Ok(Err(e)) => e.to_string(),
            Ok(Ok(())) | Err(_) => "the connection was closed".into(),
        }
    }

    /// A clean close, given [`CLOSE_GRACE`] to go out.
    async fn close(mut self) {
        if self.frames.try_send(Frame::Close(Some((1000, String::new())))).is_ok() {
            let _ = tokio::time::timeout(CLOSE_GRACE, &mut self.task).await;
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

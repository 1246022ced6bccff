//! The task that owns the socket: connect, authenticate, replay, route, keep alive, reconnect.

use super::registry::Registry;
use super::transport::{Frame, FrameSink, FrameStream, Transport};
use super::{Command, ConnectionState, LiveConfig, LiveStats, SubscriptionError, TokenSource};
use crate::error::Error;
use crate::value::{LatestValue, TbValue};
use futures_util::{SinkExt, StreamExt};
use rand::SeedableRng;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tb_proto::ws::{close_code, AuthCmd, TelemetrySubscriptionUpdate, WsCmd, WsCommandsWrapper};
use tokio::sync::{mpsc, watch};
use tokio::time::{sleep, Instant};
use url::Url;

/// Why a connection ended.
#[derive(Debug)]
enum Ended {
    /// Shut down on request, or every handle is gone.
    Shutdown,
    /// The server rejected our token (close 1007/1011 right after `authCmd`).
    AuthRejected(String),
    Lost(String),
}

pub(crate) struct Actor {
    tokens: Arc<dyn TokenSource>,
    transport: Arc<dyn Transport>,
    url: Url,
    config: LiveConfig,
    inbox: mpsc::UnboundedReceiver<Command>,
    state: watch::Sender<ConnectionState>,
    stats: Arc<LiveStats>,
    registry: Registry,
    rng: rand::rngs::StdRng,
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
        }
    }

    pub(crate) async fn run(mut self) {
        let mut attempt: u32 = 0;
        let mut force_refresh = false;
        loop {
            let reason = match self.tokens.token(force_refresh).await {
                Ok(token) => {
                    force_refresh = false;
                    let started = Instant::now();
                    match self.connect_and_serve(token).await {
                        Ended::Shutdown => return self.finish("closed".into()),
                        Ended::AuthRejected(reason) => {
                            force_refresh = true;
                            reason
                        }
                        Ended::Lost(reason) => {
                            if started.elapsed() >= self.config.stable_after {
                                attempt = 0;
                            }
                            reason
                        }
                    }
                }
                Err(e) if e.is_auth() => return self.finish(format!("the session has ended: {e}")),
                Err(e) => e.to_string(),
            };
            attempt += 1;
            let Some(delay) = self.config.backoff.delay(attempt, &mut self.rng) else {
                self.state.send_replace(ConnectionState::Offline { reason });
                return self.registry.close_all();
            };
            tracing::info!(attempt, ?delay, %reason, "live connection lost; reconnecting");
            self.state.send_replace(ConnectionState::Reconnecting { attempt, retry_in: delay });
            if !self.wait_for_retry(delay).await {
                return self.finish("closed".into());
            }
            self.state.send_replace(ConnectionState::Connecting);
        }
    }

    fn finish(&mut self, reason: String) {
        self.registry.close_all();
        self.state.send_replace(ConnectionState::Closed { reason });
    }

    /// Sleeps out the backoff while still taking commands. `false` means shut down.
    async fn wait_for_retry(&mut self, delay: std::time::Duration) -> bool {
        let deadline = sleep(delay);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                () = &mut deadline => return true,
                command = self.inbox.recv() => match command {
                    None | Some(Command::Shutdown) => return false,
                    Some(Command::ReconnectNow) => return true,
                    // Offline: only the table changes; the replay after connecting sends it.
                    Some(Command::Subscribe { cmd_id, spec, mailbox }) => self.registry.insert(cmd_id, spec, mailbox),
                    Some(Command::Unsubscribe { cmd_id }) => {
                        self.registry.remove(cmd_id);
                    }
                },
            }
        }
    }

    async fn connect_and_serve(&mut self, token: crate::Secret) -> Ended {
        let (mut sink, mut stream) = match self.transport.connect(self.url.clone()).await {
            Ok(connection) => connection,
            Err(e) => return Ended::Lost(e.to_string()),
        };
        self.stats.connections.fetch_add(1, Ordering::Relaxed);

        // Auth goes in the first message with the first batch of the replay; the server
        // acknowledges success with nothing, so "connected" means "sent and not refused".
        let replay = self.registry.replay();
        let mut batches = replay.chunks(self.config.max_cmds_per_message.max(1));
        let first = WsCommandsWrapper {
            auth_cmd: Some(AuthCmd::token(0, token.expose())),
            cmds: batches.next().map(<[WsCmd]>::to_vec).unwrap_or_default(),
        };
        if let Err(e) = send_json(&mut sink, &first).await {
            return Ended::Lost(e.to_string());
        }
        for batch in batches {
            let message = WsCommandsWrapper { auth_cmd: None, cmds: batch.to_vec() };
            if let Err(e) = send_json(&mut sink, &message).await {
                return Ended::Lost(e.to_string());
            }
        }
        self.state.send_replace(ConnectionState::Connected);
        let ended = self.serve(&mut sink, &mut stream).await;
        if matches!(ended, Ended::Shutdown) {
            let _ = sink.send(Frame::Close(Some((1000, String::new())))).await;
        }
        ended
    }

    async fn serve(&mut self, sink: &mut FrameSink, stream: &mut FrameStream) -> Ended {
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
                        Command::ReconnectNow => return Ended::Lost("reconnect requested".into()),
                        other => self.apply(other, &mut outgoing),
                    }
                    // Batch whatever else is already queued (e.g. a page subscribing to 200 devices).
                    while outgoing.len() < self.config.max_cmds_per_message {
                        match self.inbox.try_recv() {
                            Ok(Command::Shutdown) => return Ended::Shutdown,
                            Ok(Command::ReconnectNow) => return Ended::Lost("reconnect requested".into()),
                            Ok(other) => self.apply(other, &mut outgoing),
                            Err(_) => break,
                        }
                    }
                    if !outgoing.is_empty() {
                        let message = WsCommandsWrapper { auth_cmd: None, cmds: outgoing };
                        if let Err(e) = send_json(sink, &message).await {
                            return Ended::Lost(e.to_string());
                        }
                    }
                }
                frame = stream.next() => {
                    last_inbound = Instant::now();
                    self.stats.frames_received.fetch_add(1, Ordering::Relaxed);
                    match frame {
                        Some(Ok(Frame::Text(text))) => {
                            text_frames += 1;
                            self.route(&text);
                        }
                        // tungstenite answers pings itself while we keep reading.
                        Some(Ok(Frame::Ping(_) | Frame::Pong(_))) => {}
                        Some(Ok(Frame::Close(close))) => {
                            let (code, reason) = close.unwrap_or((1005, String::new()));
                            let described = format!("the server closed the connection ({code}{}{reason})", if reason.is_empty() { "" } else { ": " });
                            let auth_close = matches!(code, close_code::BAD_DATA | close_code::SERVER_ERROR | close_code::POLICY_VIOLATION);
                            // A refused authCmd is a close frame soon after connecting, before any data.
                            let early = connected_at.elapsed() < std::time::Duration::from_secs(5);
                            return if auth_close && text_frames == 0 && early {
                                Ended::AuthRejected(described)
                            } else {
                                Ended::Lost(described)
                            };
                        }
                        Some(Err(e)) => return Ended::Lost(e.to_string()),
                        None => return Ended::Lost("the connection was closed".into()),
                    }
                }
                _ = ping.tick() => {
                    if last_inbound.elapsed() >= self.config.dead_after {
                        return Ended::Lost(format!("no answer from the server for {} s", last_inbound.elapsed().as_secs()));
                    }
                    if let Err(e) = sink.send(Frame::Ping(Vec::new())).await {
                        return Ended::Lost(e.to_string());
                    }
                }
            }
        }
    }

    fn apply(&mut self, command: Command, outgoing: &mut Vec<WsCmd>) {
        match command {
            Command::Subscribe { cmd_id, spec, mailbox } => {
                outgoing.push(spec.subscribe_cmd(cmd_id));
                self.registry.insert(cmd_id, spec, mailbox);
            }
            Command::Unsubscribe { cmd_id } => outgoing.extend(self.registry.remove(cmd_id)),
            Command::ReconnectNow | Command::Shutdown => {}
        }
    }

    /// Delivers one text frame to its subscriber. Nothing here can end the connection.
    fn route(&mut self, text: &str) {
        let update: TelemetrySubscriptionUpdate = match serde_json::from_str(text) {
            Ok(update) => update,
            Err(e) => {
                self.stats.malformed_frames.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("ignoring a WebSocket frame that is not a subscription update: {e}");
                return;
            }
        };
        if update.error_code != 0 && update.error_msg.as_deref() == Some("Failed to parse the payload") {
            // Sent with subscriptionId 1 whatever we sent: not about cmdId 1.
            self.stats.rejected_by_server.fetch_add(1, Ordering::Relaxed);
            tracing::error!("the server could not parse a message we sent");
            return;
        }
        let Some(entry) = self.registry.get_mut(update.subscription_id) else {
            // Late updates for a subscription we just dropped are normal.
            tracing::debug!(cmd_id = update.subscription_id, "update for an unknown subscription");
            return;
        };
        if update.error_code != 0 {
            entry.mailbox.push_error(SubscriptionError {
                code: update.error_code,
                message: update.error_msg.unwrap_or_else(|| "subscription error".into()),
            });
            return;
        }
        let values = update
            .data
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(key, points)| {
                // Points may come oldest- or newest-first: take the newest, never `latestValues`.
                let point = points.into_iter().max_by_key(|p| p.0)?;
                let value = match &point.1 {
                    serde_json::Value::String(s) if s.is_empty() && point.0 == 0 => TbValue::Missing,
                    other => TbValue::from_json(other),
                };
                Some(LatestValue { key, ts: point.0, value })
            })
            .collect();
        let snapshot = std::mem::take(&mut entry.awaiting_snapshot);
        entry.mailbox.push_values(snapshot, values);
    }
}

async fn send_json(sink: &mut FrameSink, message: &WsCommandsWrapper) -> Result<(), Error> {
    let text = serde_json::to_string(message).map_err(|e| Error::Live(e.to_string()))?;
    sink.send(Frame::Text(text)).await
}

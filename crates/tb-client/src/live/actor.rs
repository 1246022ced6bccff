//! The task that owns the socket: connect, authenticate, replay, route, keep alive, reconnect.
//!
//! Two dialects: `/api/ws` with a first-message `authCmd` and `{"cmds": [...]}` (3.6.2+), and,
//! once `/api/ws` has answered 404, the legacy `/api/ws/plugins/telemetry?token=` with
//! `{"tsSubCmds": [...], ...}` for the rest of the session.

use super::registry::{Entry, Registry};
use super::transport::{ConnectError, Frame, FrameSink, FrameStream, Transport};
use super::{Command, ConnectionState, EntityValue, LiveConfig, LiveStats, SubscriptionError, TokenSource};
use crate::error::Error;
use crate::value::{LatestValue, TbValue};
use futures_util::{SinkExt, StreamExt};
use rand::SeedableRng;
use serde::Deserialize;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tb_proto::ws::{
    close_code, AlarmCountUpdate, AuthCmd, CmdUpdateType, EntityDataUpdate, TelemetryCmdsWrapper,
    TelemetrySubscriptionUpdate, WsCmd, WsCommandsWrapper,
};
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
    /// `/api/ws` answered 404: reconnect at once on the legacy endpoint.
    NoGeneralEndpoint,
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
    /// The server lacks `/api/ws`: use the legacy endpoint and wrapper from now on.
    legacy: bool,
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
            legacy: false,
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
                        Ended::NoGeneralEndpoint => {
                            tracing::info!(
                                "the server has no /api/ws (ThingsBoard before 3.6.2): using the legacy telemetry endpoint"
                            );
                            self.legacy = true;
                            self.stats.legacy_endpoint.store(true, Ordering::Relaxed);
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
                    Some(Command::Subscribe { cmd_id, spec, mailbox }) => self.registry.insert(cmd_id, *spec, mailbox),
                    Some(Command::Unsubscribe { cmd_id }) => {
                        self.registry.remove(cmd_id);
                    }
                },
            }
        }
    }

    /// The legacy endpoint's URL for this connection: `/api/ws/plugins/telemetry?token=<JWT>`.
    /// It carries the token: it goes to the transport and nowhere else.
    fn legacy_url(&self, token: &str) -> Url {
        let mut url = self.url.clone();
        let path = format!("{}/plugins/telemetry", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url.query_pairs_mut().append_pair("token", token);
        url
    }

    async fn connect_and_serve(&mut self, token: crate::Secret) -> Ended {
        let ended = self.connect_and_serve_inner(&token).await;
        // Nothing below may carry the token into a log line or a state: errors can quote URLs.
        match ended {
            Ended::AuthRejected(reason) => Ended::AuthRejected(redact(reason, token.expose())),
            Ended::Lost(reason) => Ended::Lost(redact(reason, token.expose())),
            other => other,
        }
    }

    async fn connect_and_serve_inner(&mut self, token: &crate::Secret) -> Ended {
        let url = if self.legacy { self.legacy_url(token.expose()) } else { self.url.clone() };
        let (mut sink, mut stream) = match self.transport.connect(url).await {
            Ok(connection) => connection,
            // `WebSocketConfiguration`: a 3.6.2+ server always upgrades /api/ws (it is outside the JWT filter), so 404 or
            // 401 there means a server without it. On the legacy endpoint 401 is a refused token.
            Err(ConnectError::NotFound | ConnectError::Unauthorized) if !self.legacy => {
                return Ended::NoGeneralEndpoint
            }
            Err(e @ ConnectError::Unauthorized) => return Ended::AuthRejected(e.to_string()),
            Err(e) => return Ended::Lost(e.to_string()),
        };
        self.stats.connections.fetch_add(1, Ordering::Relaxed);

        // On /api/ws auth goes in the first message with the first batch of the replay; the server
        // acknowledges success with nothing, so "connected" means "sent and not refused". The legacy
        // endpoint was authenticated by the URL and has no authCmd.
        let replay = self.registry.replay();
        let auth = (!self.legacy).then(|| AuthCmd::token(0, token.expose()));
        let mut batches = replay.chunks(self.config.max_cmds_per_message.max(1));
        let first = batches.next().unwrap_or_default();
        if auth.is_some() || !first.is_empty() {
            if let Err(e) = self.send_cmds(&mut sink, auth, first.to_vec()).await {
                return Ended::Lost(e.to_string());
            }
        }
        for batch in batches {
            if let Err(e) = self.send_cmds(&mut sink, None, batch.to_vec()).await {
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

    /// One message in the dialect of the endpoint in use.
    async fn send_cmds(
        &self,
        sink: &mut FrameSink,
        auth: Option<AuthCmd>,
        cmds: Vec<WsCmd>,
    ) -> Result<(), Error> {
        let text = if self.legacy {
            serde_json::to_string(&legacy_wrapper(cmds))
        } else {
            serde_json::to_string(&WsCommandsWrapper { auth_cmd: auth, cmds })
        }
        .map_err(|e| Error::Live(e.to_string()))?;
        sink.send(Frame::Text(text)).await
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
                        if let Err(e) = self.send_cmds(sink, None, outgoing).await {
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
                self.registry.insert(cmd_id, *spec, mailbox);
            }
            Command::Unsubscribe { cmd_id } => outgoing.extend(self.registry.remove(cmd_id)),
            Command::ReconnectNow | Command::Shutdown => {}
        }
    }

    /// Delivers one text frame to its subscriber. Nothing here can end the connection.
    fn route(&mut self, text: &str) {
        // Legacy-shaped first (TIMESERIES/ATTRIBUTES updates, and errors for every command); v2
        // updates have no `subscriptionId` and are told apart by `cmdUpdateType`.
        if let Ok(update) = serde_json::from_str::<TelemetrySubscriptionUpdate>(text) {
            return self.route_legacy(update);
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct V2 {
            cmd_update_type: CmdUpdateType,
        }
        let routed = match serde_json::from_str::<V2>(text).map(|v| v.cmd_update_type) {
            Ok(CmdUpdateType::EntityData) => {
                serde_json::from_str::<EntityDataUpdate>(text).map(|u| self.route_entity_data(u))
            }
            Ok(CmdUpdateType::AlarmCountData) => {
                serde_json::from_str::<AlarmCountUpdate>(text).map(|u| self.route_alarm_count(u))
            }
            Ok(other) => {
                self.stats.malformed_frames.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(?other, "ignoring an update of a kind we never subscribe to");
                return;
            }
            Err(e) => Err(e),
        };
        if let Err(e) = routed {
            self.stats.malformed_frames.fetch_add(1, Ordering::Relaxed);
            tracing::warn!("ignoring a WebSocket frame that is not a subscription update: {e}");
        }
    }

    /// The entry an update is for; `None` when there is none (late updates for a subscription
    /// just dropped are normal) or when the update is an error, which this delivers to the entry.
    fn subscriber(&mut self, cmd_id: i32, error_code: i32, error_msg: Option<String>) -> Option<&mut Entry> {
        let Some(entry) = self.registry.get_mut(cmd_id) else {
            tracing::debug!(cmd_id, "update for an unknown subscription");
            return None;
        };
        if error_code != 0 {
            let message = error_msg.unwrap_or_else(|| "subscription error".into());
            entry.mailbox.push_error(SubscriptionError { code: error_code, message });
            return None;
        }
        Some(entry)
    }

    fn route_legacy(&mut self, update: TelemetrySubscriptionUpdate) {
        if update.error_code != 0 && update.error_msg.as_deref() == Some("Failed to parse the payload") {
            // Sent with subscriptionId 1 whatever we sent: not about cmdId 1.
            self.stats.rejected_by_server.fetch_add(1, Ordering::Relaxed);
            tracing::error!("the server could not parse a message we sent");
            return;
        }
        // An error here may also be for an ENTITY_DATA/ALARM_COUNT command ("Query is empty!").
        let Some(entry) = self.subscriber(update.subscription_id, update.error_code, update.error_msg) else {
            return;
        };
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

    /// `ENTITY_DATA`: a `data` page is a snapshot (the first answer, and a dynamic page's
    /// refresh); `update` rows are deltas with only the changed keys.
    fn route_entity_data(&mut self, update: EntityDataUpdate) {
        let Some(entry) = self.subscriber(update.cmd_id, update.error_code, update.error_msg) else { return };
        let (matching, rows) = match (update.data, update.update) {
            (Some(page), _) => (Some(page.total_elements), page.data),
            (None, Some(rows)) => (None, rows),
            (None, None) => return,
        };
        entry.awaiting_snapshot = false;
        let values = rows
            .into_iter()
            .flat_map(|row| {
                let entity = row.entity_id;
                row.latest.into_iter().flat_map(move |(key_type, keys)| {
                    keys.into_iter().map(move |(key, tv)| EntityValue {
                        entity,
                        key_type,
                        // Every value is a string here; ts 0 with "" is a key without data.
                        value: if tv.ts == 0 && tv.value.is_empty() {
                            TbValue::Missing
                        } else {
                            TbValue::from_text(&tv.value)
                        },
                        key,
                        ts: tv.ts,
                    })
                })
            })
            .collect();
        entry.mailbox.push_entity_values(matching, values);
    }

    fn route_alarm_count(&mut self, update: AlarmCountUpdate) {
        let Some(entry) = self.subscriber(update.cmd_id, update.error_code, update.error_msg) else { return };
        entry.awaiting_snapshot = false;
        entry.mailbox.push_count(i64::from(update.count));
    }
}

/// The same commands in the legacy wrapper (no `type`, one list per kind). The server runs the
/// lists in a fixed order; cmdIds are never reused, so reordering within a message is harmless.
pub(crate) fn legacy_wrapper(cmds: Vec<WsCmd>) -> TelemetryCmdsWrapper {
    let mut wrapper = TelemetryCmdsWrapper::default();
    for cmd in cmds {
        match cmd {
            WsCmd::Timeseries(c) => wrapper.ts_sub_cmds.push(c),
            WsCmd::Attributes(c) => wrapper.attr_sub_cmds.push(c),
            WsCmd::EntityData(c) => wrapper.entity_data_cmds.push(c),
            WsCmd::EntityDataUnsubscribe(c) => wrapper.entity_data_unsubscribe_cmds.push(c),
            WsCmd::AlarmCount(c) => wrapper.alarm_count_cmds.push(c),
            WsCmd::AlarmCountUnsubscribe(c) => wrapper.alarm_count_unsubscribe_cmds.push(c),
            other => tracing::error!(cmd_id = other.cmd_id(), "no legacy form for this command; not sent"),
        }
    }
    wrapper
}

/// `text` with every occurrence of `secret` replaced.
fn redact(text: String, secret: &str) -> String {
    if secret.is_empty() || !text.contains(secret) {
        text
    } else {
        text.replace(secret, "<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tb_proto::ws::{TimeseriesSubscriptionCmd, UnsubscribeCmd};

    #[test]
    fn legacy_wrapper_sorts_commands_into_their_lists_without_type() {
        let ts = WsCmd::Timeseries(TimeseriesSubscriptionCmd { cmd_id: 1, ..Default::default() });
        let unsub = WsCmd::EntityDataUnsubscribe(UnsubscribeCmd::new(2));
        let json = serde_json::to_value(legacy_wrapper(vec![ts, unsub])).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"tsSubCmds": [{"cmdId": 1}], "entityDataUnsubscribeCmds": [{"cmdId": 2}]})
        );
    }

    #[test]
    fn redact_hides_the_token() {
        let text = "cannot open ws://h/api/ws/plugins/telemetry?token=abc.def".to_owned();
        assert_eq!(redact(text, "abc.def"), "cannot open ws://h/api/ws/plugins/telemetry?token=<redacted>");
    }
}

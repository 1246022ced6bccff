//! WebSocket sessions: `/api/ws` (first message `authCmd`, then `cmds`) and the legacy
//! `/api/ws/plugins/telemetry?token=` (`tsSubCmds`/`attrSubCmds`/`entityDataCmds`/`alarmDataCmds`/
//! `alarmCountCmds`). `TIMESERIES`/`ATTRIBUTES` hang off entities in the store; `ENTITY_DATA`,
//! `ALARM_DATA` and `ALARM_COUNT` live in the store's v2 table (`store/live.rs`). All of them share the session's queue.
//!
//! One task per session owns the socket. Writers (device reports, attribute saves) reach it
//! through a bounded queue filled with `try_send`, so a slow client never blocks them; a full
//! queue closes the session with 1008 like the real server. Keepalive follows
//! `DefaultWebSocketService`: ping every 10 s without a pong, close 4500 after 30 s.
//! A session outlives its token: expiry and logout do not close it.

use crate::auth::{AuthUser, TokenError};
use crate::store::{error_text, SessionSignal, SessionSink, SubKind, Subscription};
use crate::AppState;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tb_proto::telemetry::AttributeScope;
use tb_proto::ws::{
    close_code, error_code, AlarmCountCmd, AlarmDataCmd, AttributesSubscriptionCmd, EntityDataCmd,
    EntityDataUpdate, TelemetryCmdsWrapper, TimeseriesSubscriptionCmd, WsCmd, WsCommandsWrapper,
};
use tb_proto::{EntityId, EntityType};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// `server.ws.max_queue_messages_per_session`.
const QUEUE_LIMIT: usize = 1000;
const PING_INTERVAL: Duration = Duration::from_secs(10);
const PING_TIMEOUT: Duration = Duration::from_secs(30);
/// `server.ws.auth_timeout_ms`.
const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
const PARSE_ERROR: &str = "Failed to parse the payload";
/// How long a frozen session stays silent before it is dropped (`freeze_websockets`).
const FROZEN_FOR: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SessionType {
    General,
    Telemetry,
}

type Params = Query<Vec<(String, String)>>;

pub(crate) async fn general(
    State(state): State<Arc<AppState>>,
    Query(query): Params,
    ws: WebSocketUpgrade,
) -> Response {
    stall(&state).await;
    upgrade(state, query, ws, SessionType::General)
}

/// The `stall_websocket_upgrades` fault: the upgrade request is read and left unanswered until
/// the stall ends (as a proxy that accepts and then waits on a dead backend), then answered.
async fn stall(state: &AppState) {
    let until = state.faults().stalling_websockets(Instant::now());
    if let Some(until) = until {
        state.counters().ws_upgrades_stalled += 1;
        tokio::time::sleep_until(until).await;
    }
}

pub(crate) async fn telemetry(
    State(state): State<Arc<AppState>>,
    Query(query): Params,
    ws: WebSocketUpgrade,
) -> Response {
    stall(&state).await;
    upgrade(state, query, ws, SessionType::Telemetry)
}

/// Any other `/api/ws/plugins/x`: the upgrade succeeds, then 1007 "Unknown session type".
pub(crate) async fn unknown_type(State(state): State<Arc<AppState>>, ws: WebSocketUpgrade) -> Response {
    if let Some(response) = refused(&state) {
        return response;
    }
    state.counters().ws_connections += 1;
    ws.on_upgrade(|mut socket| async move {
        let _ = socket.send(close(close_code::BAD_DATA, "Unknown session type")).await;
    })
}

/// The `refuse_websocket_upgrades` fault: 503 instead of 101.
fn refused(state: &AppState) -> Option<Response> {
    if !state.faults().refusing_websockets(Instant::now()) {
        return None;
    }
    state.counters().ws_upgrades_refused += 1;
    Some((StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response())
}

fn upgrade(
    state: Arc<AppState>,
    query: Vec<(String, String)>,
    ws: WebSocketUpgrade,
    kind: SessionType,
) -> Response {
    if let Some(response) = refused(&state) {
        return response;
    }
    state.counters().ws_connections += 1;
    let token = query.into_iter().find(|(k, _)| k == "token").map(|(_, v)| v);
    ws.on_upgrade(move |socket| run(state, socket, kind, token))
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame { code, reason: reason.into() }))
}

/// What handling a text message asks the session loop to do.
enum Next {
    Continue,
    Close(u16, &'static str),
}

struct Session {
    id: u64,
    state: Arc<AppState>,
    kind: SessionType,
    user: Option<AuthUser>,
    sink: SessionSink,
    /// cmdIds of this session's `TIMESERIES`/`ATTRIBUTES` subscriptions, for the limit.
    subscriptions: std::collections::HashSet<i32>,
    /// Counted against `max_ws_sessions_per_user` (released when the session ends).
    counted_user: Option<uuid::Uuid>,
}

const SESSIONS_LIMIT: &str = "Max regular user sessions limit reached";
const SUBSCRIPTIONS_LIMIT: &str = "Max regular user subscriptions limit reached";

async fn run(state: Arc<AppState>, mut socket: WebSocket, kind: SessionType, token: Option<String>) {
    let (tx, mut rx) = mpsc::channel::<String>(QUEUE_LIMIT);
    let signal = Arc::new(SessionSignal::default());
    let mut session = Session {
        id: state.next_session.fetch_add(1, Ordering::Relaxed),
        state: state.clone(),
        kind,
        user: None,
        sink: SessionSink { tx, signal: signal.clone() },
        subscriptions: std::collections::HashSet::new(),
        counted_user: None,
    };
    if let Some(token) = token {
        match state.auth.validate_access(&token) {
            Ok(user) => {
                if let Next::Close(code, reason) = session.authenticated(user) {
                    let _ = socket.send(close(code, reason)).await;
                    return;
                }
            }
            Err(e) => {
                let _ = socket.send(close(close_code::SERVER_ERROR, e.ws_reason())).await;
                return;
            }
        }
    }
    let mut kill = state.ws_kill.subscribe();
    kill.borrow_and_update();
    let mut malformed_frames = state.ws_malformed.subscribe();
    malformed_frames.borrow_and_update();
    let mut freeze = state.ws_freeze.subscribe();
    freeze.borrow_and_update();
    let start = Instant::now();
    let mut last_pong = start;
    let mut ping = tokio::time::interval_at(start + PING_INTERVAL, PING_INTERVAL);
    let auth_deadline = tokio::time::sleep_until(start + AUTH_TIMEOUT);
    tokio::pin!(auth_deadline);

    loop {
        // biased: a fault first, then inbound frames (a pong must count before the ping timer
        // judges the session), then outbound updates, then timers.
        tokio::select! {
            biased;
            // Dropping the socket without a close frame is the point of this fault.
            _ = kill.changed() => break,
            // Not even a read: unread pings get no pong, so the client has nothing to go on.
            _ = freeze.changed() => {
                tokio::select! {
                    () = tokio::time::sleep(FROZEN_FOR) => {}
                    _ = kill.changed() => {}
                }
                break;
            }
            _ = malformed_frames.changed() => {
                if socket.send(Message::Text(crate::faults::MALFORMED_FRAME.into())).await.is_err() {
                    break;
                }
            }
            () = signal.notified() => {
                if signal.overflowed() {
                    let _ = socket.send(close(close_code::POLICY_VIOLATION, "Max pending updates limit reached!")).await;
                    break;
                }
            }
            incoming = socket.next() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(Message::Text(text))) => {
                    if let Next::Close(code, reason) = session.on_text(text.as_str()) {
                        let _ = socket.send(close(code, reason)).await;
                        break;
                    }
                }
                Some(Ok(Message::Pong(_))) => {
                    if !state.ignore_pongs.load(Ordering::Acquire) {
                        last_pong = Instant::now();
                    }
                }
                // Pings are answered by axum; binary frames mean nothing to ThingsBoard.
                Some(Ok(_)) => {}
            },
            Some(text) = rx.recv() => {
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            _ = ping.tick() => {
                if session.user.is_some() {
                    match keepalive(last_pong.elapsed()) {
                        Keepalive::Wait => {}
                        Keepalive::Ping => {
                            if socket.send(Message::Ping(Default::default())).await.is_err() {
                                break;
                            }
                        }
                        Keepalive::Close => {
                            let _ = socket.send(close(close_code::SESSION_NOT_RELIABLE, "")).await;
                            break;
                        }
                    }
                }
            }
            () = &mut auth_deadline, if session.user.is_none() => {
                let _ = socket.send(Message::Close(Some(CloseFrame {
                    code: close_code::POLICY_VIOLATION,
                    reason: "".into(),
                }))).await;
                break;
            }
        }
    }
    state.store().remove_session(session.id);
    session.release();
    state.counters().ws_sessions_ended += 1;
}

/// What the ping timer does, given how long ago the last pong arrived (`DefaultWebSocketService.sendPing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keepalive {
    Wait,
    Ping,
    Close,
}

fn keepalive(since_last_pong: Duration) -> Keepalive {
    if since_last_pong >= PING_TIMEOUT {
        Keepalive::Close
    } else if since_last_pong >= PING_INTERVAL {
        Keepalive::Ping
    } else {
        Keepalive::Wait
    }
}

fn malformed(state: &AppState) {
    state.counters().malformed_ws_messages += 1;
}

impl Session {
    /// Parses a whole message strictly; a failure drops it as the server does: a close before
    /// authentication, the parse-error message after.
    fn parse<T: serde::de::DeserializeOwned>(&mut self, text: &str) -> Result<T, Next> {
        serde_json::from_str(text).map_err(|_| {
            malformed(&self.state);
            if self.user.is_none() {
                return Next::Close(close_code::BAD_DATA, PARSE_ERROR);
            }
            self.sink.send(error_text(1, error_code::BAD_REQUEST, PARSE_ERROR));
            Next::Continue
        })
    }

    fn on_text(&mut self, text: &str) -> Next {
        match self.kind {
            SessionType::General => self.on_general(text),
            SessionType::Telemetry => self.on_legacy(text),
        }
    }

    fn on_general(&mut self, text: &str) -> Next {
        let wrapper: WsCommandsWrapper = match self.parse(text) {
            Ok(w) => w,
            Err(next) => return next,
        };
        if self.user.is_none() {
            // Only the first message may authenticate; later authCmds are ignored.
            let Some(auth) = wrapper.auth_cmd else {
                return Next::Close(close_code::POLICY_VIOLATION, "Auth cmd is missing");
            };
            let Some(token) = auth.token.filter(|t| !t.is_empty()) else {
                let reason = if auth.api_key.is_some() { "Invalid API key" } else { "Token is invalid" };
                return Next::Close(close_code::BAD_DATA, reason);
            };
            match self.state.auth.validate_access(&token) {
                Ok(user) => {
                    if let Next::Close(code, reason) = self.authenticated(user) {
                        return Next::Close(code, reason);
                    }
                }
                Err(e) => return Next::Close(close_code::BAD_DATA, e.ws_reason()),
            }
        }
        for cmd in wrapper.cmds {
            let next = match cmd {
                WsCmd::Timeseries(cmd) => self.timeseries(cmd),
                WsCmd::Attributes(cmd) => self.attributes(cmd),
                other => {
                    self.other_cmd(other);
                    Next::Continue
                }
            };
            if let Next::Close(..) = next {
                return next;
            }
        }
        Next::Continue
    }

    /// The session limit (`checkLimits`), counted once the user is known.
    fn authenticated(&mut self, user: AuthUser) -> Next {
        let limit = self.state.config.max_ws_sessions_per_user;
        if limit > 0 {
            let mut sessions =
                self.state.ws_sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let open = sessions.entry(user.user_id).or_default();
            if *open >= limit {
                return Next::Close(close_code::POLICY_VIOLATION, SESSIONS_LIMIT);
            }
            *open += 1;
            self.counted_user = Some(user.user_id);
        }
        self.user = Some(user);
        Next::Continue
    }

    fn release(&mut self) {
        if let Some(user) = self.counted_user.take() {
            let mut sessions =
                self.state.ws_sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(open) = sessions.get_mut(&user) {
                *open = open.saturating_sub(1);
            }
        }
    }

    /// Whether one more subscription with this cmdId stays within the per-session limit.
    fn subscription_allowed(&mut self, cmd_id: i32) -> bool {
        let limit = self.state.config.max_ws_subscriptions_per_session as usize;
        if limit == 0 || self.subscriptions.contains(&cmd_id) || self.subscriptions.len() < limit {
            self.subscriptions.insert(cmd_id);
            true
        } else {
            false
        }
    }

    /// Every v2 command but `TIMESERIES`/`ATTRIBUTES`.
    fn other_cmd(&mut self, cmd: WsCmd) {
        match cmd {
            WsCmd::Timeseries(_) | WsCmd::Attributes(_) => {}
            WsCmd::EntityData(cmd) => self.entity_data(cmd),
            WsCmd::AlarmCount(cmd) => self.alarm_count(cmd),
            WsCmd::AlarmData(cmd) => self.alarm_data(cmd),
            WsCmd::EntityDataUnsubscribe(cmd)
            | WsCmd::AlarmCountUnsubscribe(cmd)
            | WsCmd::AlarmDataUnsubscribe(cmd) => {
                self.state.store().unsubscribe_live(self.id, cmd.cmd_id);
            }
            // Command types this emulator does not serve yet.
            other => self.sink.send(error_text(other.cmd_id(), error_code::BAD_REQUEST, "Bad request")),
        }
    }

    fn on_legacy(&mut self, text: &str) -> Next {
        let wrapper: TelemetryCmdsWrapper = match self.parse(text) {
            Ok(w) => w,
            Err(next) => return next,
        };
        if self.user.is_none() {
            return Next::Close(close_code::POLICY_VIOLATION, "Auth cmd is missing");
        }
        // The server flattens the lists in this order (`toCommonCmdsWrapper`).
        for cmd in wrapper.attr_sub_cmds {
            if let Next::Close(code, reason) = self.attributes(cmd) {
                return Next::Close(code, reason);
            }
        }
        for cmd in wrapper.ts_sub_cmds {
            if let Next::Close(code, reason) = self.timeseries(cmd) {
                return Next::Close(code, reason);
            }
        }
        for cmd in wrapper.history_cmds {
            self.not_served(&cmd);
        }
        for cmd in wrapper.entity_data_cmds {
            self.entity_data(cmd);
        }
        let unsubscribe = |cmds: Vec<tb_proto::ws::UnsubscribeCmd>| {
            for cmd in cmds {
                self.state.store().unsubscribe_live(self.id, cmd.cmd_id);
            }
        };
        unsubscribe(wrapper.entity_data_unsubscribe_cmds);
        for cmd in wrapper.alarm_data_cmds {
            self.alarm_data(cmd);
        }
        unsubscribe(wrapper.alarm_data_unsubscribe_cmds);
        for cmd in wrapper.entity_count_cmds {
            self.not_served(&cmd);
        }
        unsubscribe(wrapper.entity_count_unsubscribe_cmds);
        for cmd in wrapper.alarm_count_cmds {
            self.alarm_count(cmd);
        }
        unsubscribe(wrapper.alarm_count_unsubscribe_cmds);
        Next::Continue
    }

    /// A legacy-wrapper command this emulator does not serve (kept as raw JSON by `tb_proto`).
    fn not_served(&self, cmd: &serde_json::Value) {
        let cmd_id = cmd.get("cmdId").and_then(serde_json::Value::as_i64).unwrap_or(0);
        let cmd_id = i32::try_from(cmd_id).unwrap_or(0);
        self.sink.send(error_text(cmd_id, error_code::BAD_REQUEST, "Bad request"));
    }

    fn viewer(&self) -> Option<crate::store::Viewer> {
        self.user.as_ref().map(AuthUser::viewer)
    }

    /// `ENTITY_DATA`: `validateSubscriptionCmd`, then the store runs the query and keeps it live.
    fn entity_data(&self, cmd: EntityDataCmd) {
        if cmd.cmd_id < 0 {
            self.sink.send(error_text(cmd.cmd_id, error_code::BAD_REQUEST, "Cmd id is negative value!"));
            return;
        }
        if cmd.query.is_none() && !cmd.has_any_cmd() {
            self.sink.send(error_text(cmd.cmd_id, error_code::BAD_REQUEST, "Query is empty!"));
            return;
        }
        let unsupported = [
            ("tsCmd", cmd.ts_cmd.is_some()),
            ("historyCmd", cmd.history_cmd.is_some()),
            ("aggHistoryCmd", cmd.agg_history_cmd.is_some()),
            ("aggTsCmd", cmd.agg_ts_cmd.is_some()),
        ];
        if let Some((name, _)) = unsupported.iter().find(|(_, present)| *present) {
            let update = EntityDataUpdate::error(
                cmd.cmd_id,
                error_code::INTERNAL_ERROR,
                format!("{name} is not supported by the emulator"),
            );
            self.sink.send(serde_json::to_string(&update).unwrap_or_default());
            return;
        }
        let Some(viewer) = self.viewer() else { return };
        let now = crate::clock::now_ms();
        self.state.store().entity_data(self.id, viewer, &self.sink, cmd, now);
    }

    /// `ALARM_COUNT`: the count now, then again whenever it changes.
    fn alarm_count(&self, cmd: AlarmCountCmd) {
        if cmd.cmd_id < 0 {
            self.sink.send(error_text(cmd.cmd_id, error_code::BAD_REQUEST, "Cmd id is negative value!"));
            return;
        }
        // The server dereferences the query; its NullPointerException has no message to copy.
        let Some(query) = cmd.query else {
            self.sink.send(error_text(cmd.cmd_id, error_code::INTERNAL_ERROR, "Query is empty!"));
            return;
        };
        let Some(viewer) = self.viewer() else { return };
        let now = crate::clock::now_ms();
        self.state.store().alarm_count(self.id, viewer, &self.sink, cmd.cmd_id, query, now);
    }

    /// `ALARM_DATA`: the page now, then what changes on it (`validateSubscriptionCmd` first).
    fn alarm_data(&self, cmd: AlarmDataCmd) {
        if cmd.cmd_id < 0 {
            self.sink.send(error_text(cmd.cmd_id, error_code::BAD_REQUEST, "Cmd id is negative value!"));
            return;
        }
        if cmd.query.is_none() {
            self.sink.send(error_text(cmd.cmd_id, error_code::BAD_REQUEST, "Query is empty!"));
            return;
        }
        let Some(viewer) = self.viewer() else { return };
        if self.state.faults().lose_alarm_data() {
            return;
        }
        let now = crate::clock::now_ms();
        self.state.store().alarm_data(self.id, viewer, &self.sink, cmd, now);
        // Counted once the page is queued: a test that sees the count may change alarms.
        self.state.counters().alarm_data_subscriptions += 1;
    }

    /// Validates a subscription target; sends the error and returns `None` when it is unusable.
    fn target(
        &self,
        cmd_id: i32,
        entity_type: Option<&str>,
        entity_id: Option<&str>,
        fail_msg: &str,
    ) -> Option<EntityId> {
        if cmd_id < 0 {
            self.sink.send(error_text(cmd_id, error_code::BAD_REQUEST, "Cmd id is negative value!"));
            return None;
        }
        let Some(entity_id) = entity_id.filter(|e| !e.is_empty()) else {
            self.sink.send(error_text(cmd_id, error_code::BAD_REQUEST, "Device id is empty!"));
            return None;
        };
        let entity = entity_type
            .and_then(EntityType::parse)
            .zip(uuid::Uuid::parse_str(entity_id).ok())
            .map(|(t, id)| EntityId::new(t, id));
        let viewer = self.user.as_ref().map(AuthUser::viewer)?;
        match entity {
            Some(entity) if self.state.store().can_read(viewer, &entity) => Some(entity),
            _ => {
                self.sink.send(error_text(cmd_id, error_code::INTERNAL_ERROR, fail_msg));
                None
            }
        }
    }

    fn timeseries(&mut self, cmd: TimeseriesSubscriptionCmd) -> Next {
        if cmd.unsubscribe {
            self.subscriptions.remove(&cmd.cmd_id);
            self.state.store().unsubscribe(self.id, cmd.cmd_id);
            return Next::Continue;
        }
        let Some(entity) = self.target(
            cmd.cmd_id,
            cmd.entity_type.as_deref(),
            cmd.entity_id.as_deref(),
            "Failed to fetch data!",
        ) else {
            return Next::Continue;
        };
        let kind = SubKind::Timeseries { keys: split_keys(cmd.keys.as_deref()) };
        self.subscribe(entity, cmd.cmd_id, kind)
    }

    fn attributes(&mut self, cmd: AttributesSubscriptionCmd) -> Next {
        if cmd.unsubscribe {
            self.subscriptions.remove(&cmd.cmd_id);
            self.state.store().unsubscribe(self.id, cmd.cmd_id);
            return Next::Continue;
        }
        let Some(entity) = self.target(
            cmd.cmd_id,
            cmd.entity_type.as_deref(),
            cmd.entity_id.as_deref(),
            "Failed to fetch attributes!",
        ) else {
            return Next::Continue;
        };
        let scope = match cmd.scope.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(name) => match AttributeScope::parse(name) {
                Some(scope) => Some(scope),
                None => {
                    self.sink.send(error_text(
                        cmd.cmd_id,
                        error_code::INTERNAL_ERROR,
                        "Failed to fetch attributes!",
                    ));
                    return Next::Continue;
                }
            },
        };
        let kind = SubKind::Attributes { scope, keys: split_keys(cmd.keys.as_deref()) };
        self.subscribe(entity, cmd.cmd_id, kind)
    }

    fn subscribe(&mut self, entity: EntityId, cmd_id: i32, kind: SubKind) -> Next {
        if !self.subscription_allowed(cmd_id) {
            return Next::Close(close_code::POLICY_VIOLATION, SUBSCRIPTIONS_LIMIT);
        }
        let sub = Subscription { session: self.id, cmd_id, kind, sink: self.sink.clone() };
        self.state.store().subscribe(entity, sub);
        Next::Continue
    }
}

fn split_keys(keys: Option<&str>) -> Option<Vec<String>> {
    keys.filter(|k| !k.is_empty()).map(|k| k.split(',').map(str::to_owned).collect())
}

impl TokenError {
    /// Keeps the variant list honest for the WebSocket paths (used by `ws_reason`).
    #[cfg(test)]
    fn all() -> [Self; 5] {
        [Self::Malformed, Self::Expired, Self::BadSignature, Self::Outdated, Self::WrongScope]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalive_pings_after_10s_and_gives_up_after_30s() {
        assert_eq!(keepalive(Duration::from_secs(3)), Keepalive::Wait);
        assert_eq!(keepalive(Duration::from_secs(10)), Keepalive::Ping);
        assert_eq!(keepalive(Duration::from_secs(29)), Keepalive::Ping);
        assert_eq!(keepalive(Duration::from_secs(30)), Keepalive::Close);
    }

    #[test]
    fn close_reasons_fit_a_control_frame() {
        // A close reason must fit in 123 bytes.
        for e in TokenError::all() {
            assert!(e.ws_reason().len() <= 123);
        }
        assert_eq!(split_keys(Some("a,b")), Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(split_keys(Some("")), None);
    }
}

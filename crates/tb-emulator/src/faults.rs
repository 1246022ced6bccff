//! Fault injection and request counters, for tests that need the server to misbehave.

use crate::AppState;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use uuid::Uuid;

/// What the emulator has seen since start (or the last [`FaultHandle::reset_counters`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counters {
    /// Keyed by method and matched route template, e.g. `GET /api/device/{id}`.
    pub requests_by_route: BTreeMap<String, u64>,
    pub refresh_calls: u64,
    pub login_calls: u64,
    /// WebSocket upgrades on any WebSocket path.
    pub ws_connections: u64,
    /// Upgraded sessions that have ended, whichever side closed them; `ws_connections` minus
    /// this is how many are open (the unknown-path sessions aside).
    pub ws_sessions_ended: u64,
    /// `ALARM_DATA` commands answered with their first page (on any session).
    pub alarm_data_subscriptions: u64,
    /// WebSocket messages that failed strict parsing.
    pub malformed_ws_messages: u64,
    /// WebSocket upgrades answered with 503 by [`FaultHandle::refuse_websocket_upgrades`].
    pub ws_upgrades_refused: u64,
    /// WebSocket upgrades held unanswered by [`FaultHandle::stall_websocket_upgrades`].
    pub ws_upgrades_stalled: u64,
    /// REST requests failed by [`FaultHandle::fail_next_requests`].
    pub injected_failures: u64,
}

impl Counters {
    /// Requests seen for `route` (`"POST /api/auth/login"`), 0 when none.
    pub fn requests(&self, route: &str) -> u64 {
        self.requests_by_route.get(route).copied().unwrap_or(0)
    }
}

/// How [`FaultHandle::fail_next_requests`] fails a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FailureKind {
    /// 500 with ThingsBoard's JSON error body (`errorCode` 2), as when the server itself fails.
    #[default]
    ServerError,
    /// 502 with an nginx HTML page (`text/html`), as when the reverse proxy cannot reach the server.
    BadGateway,
    /// 404 with Spring's JSON body for a route the server does not have, as an older or newer
    /// server answers an endpoint it lacks.
    MissingRoute,
    /// 403 with ThingsBoard's JSON body (`errorCode` 20), as the server refuses a user whose
    /// role lacks the permission.
    PermissionDenied,
}

/// The injected faults that shape REST and WebSocket answers.
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    latency: Duration,
    jitter: Duration,
    fail_next: u32,
    fail_kind: FailureKind,
    refuse_ws_until: Option<Instant>,
    stall_ws_until: Option<Instant>,
    /// `ALARM_DATA` commands still to be lost.
    lose_alarm_data: u32,
}

/// What the fault middleware does with one REST request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestFault {
    Fail(FailureKind),
    Delay(Duration),
}

/// The nginx error page a broken reverse proxy answers with.
const BAD_GATEWAY_PAGE: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n";

/// A frame no JSON parser accepts (a truncated update).
pub(crate) const MALFORMED_FRAME: &str = r#"{"subscriptionId":1,"errorCode":0,"data":{"temperature":[[17514"#;

impl FaultState {
    /// Takes one pending failure, or returns the delay to apply (fixed + uniform jitter).
    pub(crate) fn next_request(&mut self, rng: &mut impl Rng) -> RequestFault {
        if self.fail_next > 0 {
            self.fail_next -= 1;
            return RequestFault::Fail(self.fail_kind);
        }
        let jitter =
            if self.jitter.is_zero() { Duration::ZERO } else { rng.gen_range(Duration::ZERO..=self.jitter) };
        RequestFault::Delay(self.latency + jitter)
    }

    /// Whether to lose this `ALARM_DATA` command (taking one of those pending).
    pub(crate) fn lose_alarm_data(&mut self) -> bool {
        let lose = self.lose_alarm_data > 0;
        self.lose_alarm_data = self.lose_alarm_data.saturating_sub(1);
        lose
    }

    pub(crate) fn refusing_websockets(&self, now: Instant) -> bool {
        self.refuse_ws_until.is_some_and(|until| now < until)
    }

    /// Until when an upgrade arriving `now` is left unanswered, if it is.
    pub(crate) fn stalling_websockets(&self, now: Instant) -> Option<Instant> {
        self.stall_ws_until.filter(|until| now < *until)
    }
}

impl FailureKind {
    pub(crate) fn response(self) -> Response {
        match self {
            Self::ServerError => {
                crate::error::ApiError::General("Internal Server Error".to_owned()).into_response()
            }
            Self::PermissionDenied => crate::error::ApiError::PermissionDenied.into_response(),
            Self::BadGateway => (
                StatusCode::BAD_GATEWAY,
                [(header::CONTENT_TYPE, "text/html"), (header::SERVER, "nginx/1.24.0")],
                BAD_GATEWAY_PAGE,
            )
                .into_response(),
            Self::MissingRoute => (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"timestamp":"2026-01-01T00:00:00.000+00:00","status":404,"error":"Not Found","path":"/api"}"#,
            )
                .into_response(),
        }
    }
}

/// A cloneable handle to break a running emulator on purpose.
#[derive(Clone)]
pub struct FaultHandle {
    state: Arc<AppState>,
}

impl std::fmt::Debug for FaultHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultHandle").finish_non_exhaustive()
    }
}

impl FaultHandle {
    pub(crate) fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }

    /// Drops every open WebSocket connection without a close frame (the client sees 1006).
    pub fn drop_websockets(&self) {
        self.state.ws_kill.send_modify(|generation| *generation += 1);
    }

    /// Every access token issued so far is answered with 401 code 11 "Token has expired".
    /// Refresh tokens keep working, and the tokens they yield are fine.
    pub fn expire_access_tokens(&self) {
        self.state.auth.expire_access_tokens();
    }

    /// Makes every pre-verification token issued so far expired, as when a two-factor sign-in
    /// outlasts `totalAllowedTimeForVerification` (401/11 "Token has expired").
    pub fn expire_pre_verification_tokens(&self) {
        self.state.auth.expire_pre_verification_tokens();
    }

    /// Every refresh token issued so far is answered with 401 code 10 "Token is outdated".
    pub fn revoke_refresh_tokens(&self) {
        self.state.auth.revoke_refresh_tokens();
    }

    /// Connects or disconnects a device: `active`, `lastConnectTime`/`lastDisconnectTime` follow,
    /// an offline device never answers RPC, and RPCs queued for it are delivered when it returns.
    /// Returns false for an unknown device.
    pub fn set_device_online(&self, id: Uuid, online: bool) -> bool {
        let known = self.state.store().set_online(id, online, crate::clock::now_ms());
        self.state.online_changed.send_modify(|generation| *generation += 1);
        known
    }

    /// While true, WebSocket pong frames are ignored, so sessions are closed with 4500 after 30 s.
    pub fn stop_answering_pongs(&self, ignore: bool) {
        self.state.ignore_pongs.store(ignore, Ordering::Release);
    }

    /// Delays every REST request (not WebSocket frames, not the admin API) by `fixed` plus a
    /// uniformly random extra of up to `jitter`. Zero and zero turns it off.
    pub fn set_latency(&self, fixed: Duration, jitter: Duration) {
        let mut faults = self.state.faults();
        faults.latency = fixed;
        faults.jitter = jitter;
    }

    /// Loses the next `n` `ALARM_DATA` commands (on any session): never answered, never
    /// subscribed, as a command lost on its way. Replaces any still pending; 0 cancels them.
    pub fn lose_alarm_data_commands(&self, n: u32) {
        self.state.faults().lose_alarm_data = n;
    }

    /// Fails the next `n` REST requests (any `/api` path but WebSocket upgrades; not the admin
    /// API) with `kind`. Replaces any failures still pending; 0 cancels them.
    pub fn fail_next_requests(&self, n: u32, kind: FailureKind) {
        let mut faults = self.state.faults();
        faults.fail_next = n;
        faults.fail_kind = kind;
    }

    /// Answers every WebSocket upgrade with HTTP 503 for `duration` from now
    /// (`Duration::ZERO` lifts a refusal at once). Counted in [`Counters::ws_upgrades_refused`].
    pub fn refuse_websocket_upgrades(&self, duration: Duration) {
        self.state.faults().refuse_ws_until = Some(Instant::now() + duration);
    }

    /// Leaves every WebSocket upgrade unanswered until `duration` from now (the TCP connection is
    /// accepted and the request read, as by a proxy waiting on a dead backend); upgrades then
    /// proceed. Counted in [`Counters::ws_upgrades_stalled`].
    pub fn stall_websocket_upgrades(&self, duration: Duration) {
        self.state.faults().stall_ws_until = Some(Instant::now() + duration);
    }

    /// Every open WebSocket session goes silent: nothing is sent, read or answered (pings
    /// included), as over a link that died without a reset, until its client gives up (it is
    /// dropped after two minutes). Sessions opened later are not affected.
    pub fn freeze_websockets(&self) {
        self.state.ws_freeze.send_modify(|generation| *generation += 1);
    }

    /// Sends one text frame that is not valid JSON to every live WebSocket session.
    pub fn send_malformed_frame(&self) {
        self.state.ws_malformed.send_modify(|generation| *generation += 1);
    }

    pub fn counters(&self) -> Counters {
        self.state.counters().clone()
    }

    pub fn reset_counters(&self) {
        *self.state.counters() = Counters::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn failures_come_first_then_jittered_latency() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut state = FaultState { fail_next: 2, fail_kind: FailureKind::BadGateway, ..Default::default() };
        assert_eq!(state.next_request(&mut rng), RequestFault::Fail(FailureKind::BadGateway));
        assert_eq!(state.next_request(&mut rng), RequestFault::Fail(FailureKind::BadGateway));
        assert_eq!(state.next_request(&mut rng), RequestFault::Delay(Duration::ZERO));
        state.latency = Duration::from_millis(100);
        state.jitter = Duration::from_millis(50);
        for _ in 0..100 {
            let RequestFault::Delay(d) = state.next_request(&mut rng) else { panic!("no failure pending") };
            assert!((Duration::from_millis(100)..=Duration::from_millis(150)).contains(&d), "{d:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn websocket_refusal_ends_after_its_duration() {
        let mut state = FaultState::default();
        assert!(!state.refusing_websockets(Instant::now()));
        state.refuse_ws_until = Some(Instant::now() + Duration::from_secs(5));
        assert!(state.refusing_websockets(Instant::now()));
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(!state.refusing_websockets(Instant::now()));
    }

    #[test]
    fn malformed_frame_is_not_json() {
        assert!(serde_json::from_str::<serde_json::Value>(MALFORMED_FRAME).is_err());
    }
}

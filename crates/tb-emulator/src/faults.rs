//! Fault injection and request counters, for tests that need the server to misbehave.

use crate::AppState;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
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
    /// WebSocket messages that failed strict parsing.
    pub malformed_ws_messages: u64,
}

impl Counters {
    /// Requests seen for `route` (`"POST /api/auth/login"`), 0 when none.
    pub fn requests(&self, route: &str) -> u64 {
        self.requests_by_route.get(route).copied().unwrap_or(0)
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

    pub fn counters(&self) -> Counters {
        self.state.counters().clone()
    }

    pub fn reset_counters(&self) {
        *self.state.counters() = Counters::default();
    }
}

use crate::ipc;
use atrium_ipc::{event, AppError, ConnectionState};
use leptos::prelude::*;

/// The latest connection state and when it arrived (for the reconnect countdown).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConnectionStatus {
    pub(crate) state: ConnectionState,
    /// Wall-clock ms when this state was received.
    pub(crate) since_ms: f64,
    /// False until the backend has reported a state for this session.
    pub(crate) reported: bool,
}

/// Health of the live connection, fed by the `atrium://connection` event.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Connection {
    status: RwSignal<ConnectionStatus>,
    lost_at: RwSignal<Option<f64>>,
    /// A connection failed and none has been up since: the `Connecting` of each new attempt is
    /// still down, not a fresh start.
    down: RwSignal<bool>,
}

impl Connection {
    pub(crate) fn new() -> Self {
        Self {
            status: RwSignal::new(Self::unknown()),
            lost_at: RwSignal::new(None),
            down: RwSignal::new(false),
        }
    }

    /// Takes a reported state, noting when a live connection was lost.
    fn set(self, state: ConnectionState) {
        let now = js_sys::Date::now();
        let was_live = self.status.with_untracked(|s| matches!(s.state, ConnectionState::Connected));
        match state {
            ConnectionState::Connected => self.lost_at.set(None),
            _ if was_live => self.lost_at.set(Some(now)),
            _ => {}
        }
        let down = match state {
            ConnectionState::Reconnecting { .. } | ConnectionState::Offline { .. } => true,
            ConnectionState::Connecting => self.down.get_untracked(),
            ConnectionState::Connected | ConnectionState::Paused | ConnectionState::Closed => false,
        };
        if self.down.get_untracked() != down {
            self.down.set(down);
        }
        self.status.set(ConnectionStatus { state, since_ms: now, reported: true });
    }

    /// Tracked: when the live connection was lost, if it was up this session (ms since the epoch).
    pub(crate) fn lost_at_ms(&self) -> Option<f64> {
        self.lost_at.get()
    }

    /// Tracked: whether the connection is down: failed, and not up again yet (retrying included).
    pub(crate) fn is_down(&self) -> bool {
        self.down.get()
    }

    fn unknown() -> ConnectionStatus {
        ConnectionStatus {
            state: ConnectionState::Connecting,
            since_ms: js_sys::Date::now(),
            reported: false,
        }
    }

    /// Subscribes to the backend's connection events for the life of the page.
    pub(crate) async fn listen(self) -> Result<(), AppError> {
        ipc::listen_forever::<ConnectionState>(event::CONNECTION, move |payload| match payload {
            Ok(state) => self.set(state),
            Err(err) => ipc::log_error("connection event", &err),
        })
        .await
    }

    /// Tracked: the latest status.
    pub(crate) fn status(&self) -> ConnectionStatus {
        self.status.get()
    }

    /// Tracked: whether live values can be trusted as current.
    pub(crate) fn is_live(&self) -> bool {
        self.status.with(|s| matches!(s.state, ConnectionState::Connected))
    }

    /// Forgets the state of a session that ended.
    pub(crate) fn reset(&self) {
        self.status.set(Self::unknown());
        self.lost_at.set(None);
        self.down.set(false);
    }

    /// Takes the backend's current state, asked for once after listening started (the backend may
    /// have connected before the page listened). An event that already arrived is newer and wins.
    pub(crate) fn adopt(&self, state: ConnectionState) {
        if !self.status.with_untracked(|s| s.reported) {
            self.set(state);
        }
    }
}

pub(crate) fn use_connection() -> Connection {
    expect_context::<Connection>()
}

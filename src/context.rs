//! The page-wide context: where the app is (starting, signed out, signed in) and what every page
//! may ask of it. Provided by `app.rs`, used by the pages, which never import `app` back.

use crate::hooks::Connection;
use atrium_ipc::{SecretStoreStatus, SessionInfo};
use leptos::prelude::*;

/// The server and user to fill the sign-in form with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prefill {
    pub(crate) server_url: String,
    pub(crate) username: String,
}

impl Prefill {
    pub(crate) fn of(session: &SessionInfo) -> Option<Self> {
        (!session.demo).then(|| Prefill {
            server_url: session.server_url.clone(),
            username: if session.username.is_empty() {
                session.user_email.clone()
            } else {
                session.username.clone()
            },
        })
    }
}

/// Where the app is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AppState {
    /// Asking the backend what it found at start.
    Starting,
    /// On the sign-in screen, with a message to show (why the last session ended) and the
    /// account to fill in.
    SignedOut {
        notice: Option<String>,
        prefill: Option<Prefill>,
    },
    SignedIn(SessionInfo),
}

/// Moves the app between signed in and signed out; available to every page as context.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AppContext {
    state: RwSignal<AppState>,
    connection: Connection,
    /// Where kept sessions go on this device, as the backend reported at start.
    secret_store: RwSignal<Option<SecretStoreStatus>>,
    /// The alarm whose notification was clicked, until the building page has shown it.
    open_alarm: RwSignal<Option<String>>,
}

impl AppContext {
    pub(crate) fn new(state: RwSignal<AppState>, connection: Connection) -> Self {
        Self { state, connection, secret_store: RwSignal::new(None), open_alarm: RwSignal::new(None) }
    }

    pub(crate) fn set_secret_store(&self, status: SecretStoreStatus) {
        self.secret_store.set(Some(status));
    }

    /// A notification was clicked: the building page shows that alarm.
    pub(crate) fn ask_to_open_alarm(&self, alarm_id: String) {
        self.open_alarm.set(Some(alarm_id));
    }

    pub(crate) fn signed_in(&self, session: SessionInfo) {
        self.state.set(AppState::SignedIn(session));
    }

    pub(crate) fn signed_out(&self, notice: Option<String>, prefill: Option<Prefill>) {
        self.connection.reset();
        self.state.set(AppState::SignedOut { notice, prefill });
    }

    /// Leaves `session` for the sign-in screen, with its server and user filled in.
    pub(crate) fn session_ended(&self, notice: Option<String>) {
        let prefill = self.state.with_untracked(|s| match s {
            AppState::SignedIn(session) => Prefill::of(session),
            _ => None,
        });
        self.signed_out(notice, prefill);
    }

    /// Tracked: the alarm a notification click asked to see; taking it clears it.
    pub(crate) fn take_open_alarm(&self) -> Option<String> {
        let wanted = self.open_alarm.get()?;
        self.open_alarm.set(None);
        Some(wanted)
    }

    /// Tracked: who is signed in, while someone is.
    pub(crate) fn session(&self) -> Option<SessionInfo> {
        self.state.with(|s| match s {
            AppState::SignedIn(session) => Some(session.clone()),
            _ => None,
        })
    }

    /// Tracked: where kept sessions go, once known.
    pub(crate) fn secret_store(&self) -> Option<SecretStoreStatus> {
        self.secret_store.get()
    }
}

pub(crate) fn use_app() -> AppContext {
    expect_context::<AppContext>()
}

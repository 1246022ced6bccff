//! The top of the app: whether someone is signed in, and the page-wide context
//! ([`AppContext`], [`Clock`], [`Connection`]).

use crate::hooks::{Clock, Connection};
use crate::ipc;
use crate::pages::building::BuildingPage;
use crate::pages::login::LoginPage;
use atrium_ipc::{event, AppError, SecretStoreStatus, SessionInfo};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The server and user to fill the sign-in form with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prefill {
    pub(crate) server_url: String,
    pub(crate) username: String,
}

impl Prefill {
    fn of(session: &SessionInfo) -> Option<Self> {
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

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn App() -> impl IntoView {
    let clock = Clock::start();
    provide_context(crate::theme::Theme::start());
    let connection = Connection::new();
    let state = RwSignal::new(AppState::Starting);
    let app =
        AppContext { state, connection, secret_store: RwSignal::new(None), open_alarm: RwSignal::new(None) };
    provide_context(clock);
    provide_context(connection);
    provide_context(app);

    // Hidden (window minimised, phone locked, another app in front) or shown again: the core
    // pauses live data after a grace period and resumes it at once. The app never unmounts, so
    // the listener stays for the page's life.
    let _visibility = window_event_listener(leptos::ev::visibilitychange, |_| {
        let visible = !document().hidden();
        spawn_local(async move {
            if let Err(err) = ipc::app_visibility(visible).await {
                ipc::log_error("reporting the page's visibility", &err);
            }
        });
    });

    spawn_local(async move {
        // Listen before asking for the session, so no state change in between is missed.
        if let Err(err) = connection.listen().await {
            ipc::log_error("listening to connection events", &err);
        }
        let ended = ipc::listen_forever::<AppError>(event::SESSION_ENDED, move |payload| {
            let message = match payload {
                Ok(err) => err.message,
                Err(_) => "Your session has ended. Sign in again.".to_owned(),
            };
            app.session_ended(Some(message));
        })
        .await;
        if let Err(err) = ended {
            ipc::log_error("listening to session events", &err);
        }
        let open = ipc::listen_forever::<String>(event::OPEN_ALARM, move |payload| match payload {
            Ok(alarm_id) => app.open_alarm.set(Some(alarm_id)),
            Err(err) => ipc::log_error("a notification click", &err),
        })
        .await;
        if let Err(err) = open {
            ipc::log_error("listening to notification clicks", &err);
        }
        match ipc::startup().await {
            Ok(startup) => {
                app.secret_store.set(Some(startup.secret_store));
                match startup.session {
                    Some(session) => {
                        match ipc::connection_state().await {
                            Ok(state) => connection.adopt(state),
                            Err(err) => ipc::log_error("reading the connection state", &err),
                        }
                        app.signed_in(session);
                    }
                    None => {
                        // A kept session that was refused names its account: fill it in.
                        let prefill = startup.notice.as_ref().and(startup.accounts.first()).map(|a| {
                            Prefill { server_url: a.server_url.clone(), username: a.username.clone() }
                        });
                        app.signed_out(startup.notice, prefill);
                    }
                }
            }
            Err(err) => app.signed_out(Some(err.message), None),
        }
    });

    move || match state.get() {
        AppState::Starting => view! {
            <main class="splash" aria-busy="true">
                <div class="brand-mark" aria-hidden="true"></div>
                <p class="muted">"Starting Atrium…"</p>
            </main>
        }
        .into_any(),
        AppState::SignedOut { notice, prefill } => {
            view! { <LoginPage notice=notice prefill=prefill /> }.into_any()
        }
        AppState::SignedIn(session) => view! { <BuildingPage session=session /> }.into_any(),
    }
}

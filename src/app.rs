//! The top of the app: whether someone is signed in, and the page-wide context
//! ([`AppContext`], [`Clock`], [`Connection`]).

use crate::hooks::{Clock, Connection};
use crate::ipc;
use crate::pages::building::BuildingPage;
use crate::pages::login::LoginPage;
use atrium_ipc::{event, AppError, SessionInfo};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Where the app is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AppState {
    /// Asking the backend whether a session already exists.
    Starting,
    /// On the login screen, with a message to show (why the last session ended).
    SignedOut {
        notice: Option<String>,
    },
    SignedIn(SessionInfo),
}

/// Moves the app between signed in and signed out; available to every page as context.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AppContext {
    state: RwSignal<AppState>,
    connection: Connection,
}

impl AppContext {
    pub(crate) fn signed_in(&self, session: SessionInfo) {
        self.state.set(AppState::SignedIn(session));
    }

    pub(crate) fn signed_out(&self, notice: Option<String>) {
        self.connection.reset();
        self.state.set(AppState::SignedOut { notice });
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
    let connection = Connection::new();
    let state = RwSignal::new(AppState::Starting);
    let app = AppContext { state, connection };
    provide_context(clock);
    provide_context(connection);
    provide_context(app);

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
            app.signed_out(Some(message));
        })
        .await;
        if let Err(err) = ended {
            ipc::log_error("listening to session events", &err);
        }
        match ipc::session().await {
            Ok(Some(session)) => {
                match ipc::connection_state().await {
                    Ok(state) => connection.adopt(state),
                    Err(err) => ipc::log_error("reading the connection state", &err),
                }
                app.signed_in(session);
            }
            Ok(None) => app.signed_out(None),
            Err(err) => app.signed_out(Some(err.message)),
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
        AppState::SignedOut { notice } => view! { <LoginPage notice=notice /> }.into_any(),
        AppState::SignedIn(session) => view! { <BuildingPage session=session /> }.into_any(),
    }
}

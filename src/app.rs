//! The top of the app: asks the backend what it found at start, listens for the session's end,
//! and shows the sign-in or the building page; the context it provides is in [`crate::context`].

use crate::context::{AppContext, AppState, Prefill};
use crate::hooks::{Clock, Connection};
use crate::ipc;
use crate::pages::building::BuildingPage;
use crate::pages::login::LoginPage;
use atrium_ipc::{event, AppError};
use leptos::prelude::*;
use leptos::task::spawn_local;

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn App() -> impl IntoView {
    let clock = Clock::start();
    provide_context(crate::theme::Theme::start());
    crate::hooks::Names::start();
    let connection = Connection::new();
    let state = RwSignal::new(AppState::Starting);
    let app = AppContext::new(state, connection);
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
            Ok(alarm_id) => app.ask_to_open_alarm(alarm_id),
            Err(err) => ipc::log_error("a notification click", &err),
        })
        .await;
        if let Err(err) = open {
            ipc::log_error("listening to notification clicks", &err);
        }
        match ipc::startup().await {
            Ok(startup) => {
                app.set_secret_store(startup.secret_store);
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

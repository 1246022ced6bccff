//! The login screen: a ThingsBoard server and account, or the built-in demo building.

use crate::app::use_app;
use crate::ipc;
use atrium_ipc::LoginArgs;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// What the login screen is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Busy {
    Idle,
    SigningIn,
    OpeningDemo,
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn LoginPage(
    /// A message to show on arrival, e.g. why the previous session ended.
    notice: Option<String>,
) -> impl IntoView {
    let app = use_app();
    let server_url = RwSignal::new(String::new());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(Busy::Idle);
    let error = RwSignal::new(notice);

    let sign_in = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() != Busy::Idle {
            return;
        }
        let args = LoginArgs {
            server_url: server_url.get_untracked().trim().to_owned(),
            username: username.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        let missing = if args.server_url.is_empty() {
            Some("Enter the address of your ThingsBoard server.")
        } else if args.username.is_empty() {
            Some("Enter your username.")
        } else if args.password.is_empty() {
            Some("Enter your password.")
        } else {
            None
        };
        if let Some(message) = missing {
            error.set(Some(message.to_owned()));
            return;
        }
        error.set(None);
        busy.set(Busy::SigningIn);
        spawn_local(async move {
            match ipc::login(&args).await {
                Ok(session) => app.signed_in(session),
                Err(err) => {
                    error.set(Some(err.message));
                    busy.set(Busy::Idle);
                }
            }
        });
    };

    let open_demo = move |_| {
        if busy.get_untracked() != Busy::Idle {
            return;
        }
        error.set(None);
        busy.set(Busy::OpeningDemo);
        spawn_local(async move {
            match ipc::open_demo().await {
                Ok(session) => app.signed_in(session),
                Err(err) => {
                    error.set(Some(err.message));
                    busy.set(Busy::Idle);
                }
            }
        });
    };

    let is_busy = move || busy.get() != Busy::Idle;

    view! {
        <main class="login-screen">
            <section class="card login-card" aria-labelledby="login-title">
                <header class="login-header">
                    <div class="brand-mark" aria-hidden="true"></div>
                    <div>
                        <h1 id="login-title">"Atrium"</h1>
                        <p class="muted">"See and control your building on ThingsBoard"</p>
                    </div>
                </header>

                <form class="login-form" on:submit=sign_in novalidate=true aria-busy=move || is_busy().to_string()>
                    <label class="field">
                        <span class="field-label">"Server URL"</span>
                        <input
                            id="server-url"
                            type="url"
                            inputmode="url"
                            autocomplete="url"
                            autocapitalize="off"
                            spellcheck="false"
                            placeholder="https://thingsboard.example.com"
                            bind:value=server_url
                            disabled=is_busy
                        />
                    </label>
                    <label class="field">
                        <span class="field-label">"Username"</span>
                        <input
                            id="username"
                            type="text"
                            autocomplete="username"
                            autocapitalize="off"
                            spellcheck="false"
                            bind:value=username
                            disabled=is_busy
                        />
                    </label>
                    <label class="field">
                        <span class="field-label">"Password"</span>
                        <input
                            id="password"
                            type="password"
                            autocomplete="current-password"
                            bind:value=password
                            disabled=is_busy
                        />
                    </label>

                    <p
                        id="login-error"
                        class="form-error"
                        role="alert"
                        hidden=move || error.with(Option::is_none)
                    >
                        {move || error.get().unwrap_or_default()}
                    </p>

                    <button
                        id="sign-in"
                        type="submit"
                        class="button primary"
                        disabled=is_busy
                        aria-busy=move || (busy.get() == Busy::SigningIn).to_string()
                    >
                        {move || {
                            if busy.get() == Busy::SigningIn { "Signing in…" } else { "Sign in" }
                        }}
                    </button>
                </form>

                <div class="divider" role="separator">
                    <span>"or"</span>
                </div>

                <div class="demo-entry">
                    <button
                        id="open-demo"
                        type="button"
                        class="button secondary"
                        on:click=open_demo
                        disabled=is_busy
                        aria-busy=move || (busy.get() == Busy::OpeningDemo).to_string()
                    >
                        {move || {
                            if busy.get() == Busy::OpeningDemo {
                                "Opening demo…"
                            } else {
                                "Open demo building"
                            }
                        }}
                    </button>
                    <p class="note">"Runs a built-in simulated building. No server needed."</p>
                </div>
            </section>
        </main>
    }
}

//! The sign-in screen: saved accounts first ("Continue as ..."), then another server's form,
//! the second factor, a private CA to trust, and the built-in demo building. State lives in
//! [`crate::hooks::use_sign_in`]; these are its views.

mod accounts;
mod password_form;
mod trust_ca;
mod two_factor;

use crate::context::{use_app, Prefill};
use crate::hooks::use_sign_in;
use crate::hooks::use_sign_in::{Busy, SignIn, Step};
use crate::ipc;
use accounts::SavedAccounts;
use atrium_ipc::{Painted, SecretStoreStatus};
use leptos::prelude::*;
use password_form::PasswordForm;
use two_factor::TwoFactorForm;

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn LoginPage(
    /// A message to show on arrival, e.g. why the previous session ended.
    notice: Option<String>,
    /// The account to fill in (the session that ended).
    prefill: Option<Prefill>,
) -> impl IntoView {
    let sign_in = use_sign_in(notice, prefill);
    ipc::report_painted(Painted::SignIn);
    let on_code_screen = Memo::new(move |_| matches!(sign_in.step.get(), Step::TwoFactor(_)));

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
                {move || match sign_in.step.get() {
                    Step::Accounts => view! { <SavedAccounts sign_in=sign_in /> }.into_any(),
                    Step::Password => view! { <PasswordForm sign_in=sign_in /> }.into_any(),
                    Step::TwoFactor(challenge) => {
                        view! { <TwoFactorForm sign_in=sign_in challenge=challenge /> }.into_any()
                    }
                }}
                <Show when=move || !on_code_screen.get()>
                    <SecretStoreNote />
                    <DemoEntry sign_in=sign_in />
                </Show>
            </section>
        </main>
    }
}

/// Said once, where sessions cannot be kept: the next start asks for the password again.
#[component]
fn SecretStoreNote() -> impl IntoView {
    let app = use_app();
    move || match app.secret_store() {
        Some(SecretStoreStatus::Unavailable { reason }) => Some(view! {
            <p id="secret-store-note" class="note warn" title=reason>
                "This device has no secret store, so Atrium cannot keep you signed in: it will ask for your password each time it starts."
            </p>
        }),
        _ => None,
    }
}

#[component]
fn DemoEntry(sign_in: SignIn) -> impl IntoView {
    let opening = move || sign_in.busy.get() == Busy::OpeningDemo;
    view! {
        <div class="divider" role="separator">
            <span>"or"</span>
        </div>
        <div class="demo-entry">
            <button
                id="open-demo"
                type="button"
                class="button secondary"
                on:click=move |_| sign_in.open_demo()
                disabled=move || sign_in.is_busy()
                aria-busy=move || opening().to_string()
            >
                {move || if opening() { "Opening demo…" } else { "Open demo building" }}
            </button>
            <p class="note">"Runs a built-in simulated building. No server needed."</p>
        </div>
    }
}

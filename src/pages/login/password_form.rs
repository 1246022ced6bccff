//! Server, username and password. The address is checked as it is typed; `http://` to another
//! machine asks before the password goes; an untrusted certificate opens the trust panel.

use super::trust_ca::TrustCa;
use crate::hooks::debounce::debounced;
use crate::hooks::use_sign_in::{Busy, SignIn};
use crate::ipc;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use std::time::Duration;

/// How long typing pauses before the address is checked.
const ADDRESS_CHECK_DELAY: Duration = Duration::from_millis(300);

/// What the line under the address says.
#[derive(Debug, Clone, PartialEq)]
enum AddressHint {
    None,
    Ok(String),
    Warn(String),
    Problem(String),
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(super) fn PasswordForm(sign_in: SignIn) -> impl IntoView {
    let hint = RwSignal::new(AddressHint::None);
    debounced(
        move || sign_in.server_url.get(),
        ADDRESS_CHECK_DELAY,
        move || hint.set(AddressHint::None),
        |text| async move { ipc::check_server_address(&text).await },
        move |answer| {
            hint.set(match answer {
                Ok(address) if address.exposes_password() => AddressHint::Warn(format!(
                    "{} is not encrypted: your password would cross the network readable.",
                    address.normalized
                )),
                Ok(address) => AddressHint::Ok(format!("Signs in at {}", address.normalized)),
                Err(err) => AddressHint::Problem(err.message),
            })
        },
    );

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        sign_in.submit();
    };
    let signing_in = move || sign_in.busy.get() == Busy::SigningIn;
    let error = sign_in.error;
    let has_accounts = move || sign_in.accounts.with(|a| !a.is_empty());

    view! {
        <form class="login-form" on:submit=submit novalidate=true aria-busy=move || sign_in.is_busy().to_string()>
            <label class="field">
                <span class="field-label">"Server address"</span>
                <input
                    id="server-url"
                    type="url"
                    inputmode="url"
                    autocomplete="url"
                    autocapitalize="off"
                    spellcheck="false"
                    placeholder="https://thingsboard.example.com"
                    aria-describedby="address-hint"
                    bind:value=sign_in.server_url
                    disabled=move || sign_in.is_busy()
                />
                <span
                    id="address-hint"
                    class="field-hint"
                    data-tone=move || match hint.get() {
                        AddressHint::Ok(_) => "ok",
                        AddressHint::Warn(_) => "warn",
                        AddressHint::Problem(_) => "problem",
                        AddressHint::None => "none",
                    }
                    aria-live="polite"
                >
                    {move || match hint.get() {
                        AddressHint::Ok(t) | AddressHint::Warn(t) | AddressHint::Problem(t) => t,
                        AddressHint::None => "The address you open ThingsBoard at in a browser.".to_owned(),
                    }}
                </span>
            </label>
            <label class="field">
                <span class="field-label">"Username"</span>
                <input
                    id="username"
                    type="text"
                    autocomplete="username"
                    autocapitalize="off"
                    spellcheck="false"
                    bind:value=sign_in.username
                    disabled=move || sign_in.is_busy()
                />
            </label>
            <label class="field">
                <span class="field-label">"Password"</span>
                <input
                    id="password"
                    type="password"
                    autocomplete="current-password"
                    bind:value=sign_in.password
                    disabled=move || sign_in.is_busy()
                />
            </label>

            <p id="login-error" class="form-error" role="alert" hidden=move || error.with(Option::is_none)>
                {move || error.get().unwrap_or_default()}
            </p>

            <Show when=move || sign_in.confirm_plain_http.get()>
                <div id="plain-http-confirm" class="confirm-box warn" role="alertdialog" aria-labelledby="plain-http-title">
                    <p id="plain-http-title">"Send your password without encryption?"</p>
                    <p class="muted">
                        "This server uses http://, so anyone on the network between you and it can read your password. Use https:// if the server offers it. Atrium asks once per server."
                    </p>
                    <div class="confirm-actions">
                        <button id="plain-http-cancel" type="button" class="button secondary" on:click=move |_| sign_in.confirm_plain_http.set(false)>
                            "Cancel"
                        </button>
                        <button id="plain-http-send" type="button" class="button danger" on:click=move |_| sign_in.send_unencrypted()>
                            "Send anyway"
                        </button>
                    </div>
                </div>
            </Show>

            <Show when=move || sign_in.untrusted.get()>
                <TrustCa sign_in=sign_in />
            </Show>

            <button
                id="sign-in"
                type="submit"
                class="button primary"
                disabled=move || sign_in.is_busy()
                aria-busy=move || signing_in().to_string()
            >
                {move || if signing_in() { "Signing in…" } else { "Sign in" }}
            </button>
            <Show when=has_accounts>
                <button id="show-accounts" type="button" class="button ghost" on:click=move |_| sign_in.show_accounts()>
                    "Back to your accounts"
                </button>
            </Show>
        </form>
    }
}

//! The second factor: the methods the account has set up, the code, sending (and re-sending,
//! once the server allows) a code by e-mail or SMS.

use crate::hooks::server_host;
use crate::hooks::use_clock;
use crate::hooks::use_sign_in::SignIn;
use crate::hooks::use_two_factor;
use crate::hooks::use_two_factor::{kind_name, prompt};
use atrium_ipc::{TwoFactorChallenge, TwoFactorKind};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

/// `data-kind`, as the contract spells it.
fn kind_id(kind: TwoFactorKind) -> &'static str {
    match kind {
        TwoFactorKind::Totp => "totp",
        TwoFactorKind::Email => "email",
        TwoFactorKind::Sms => "sms",
        _ => "backup_code",
    }
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(super) fn TwoFactorForm(sign_in: SignIn, challenge: TwoFactorChallenge) -> impl IntoView {
    let who = format!("{} on {}", challenge.username, server_host(&challenge.server_url));
    let kinds: Vec<TwoFactorKind> = challenge.providers.iter().map(|p| p.kind).collect();
    let two = use_two_factor(sign_in, challenge);
    let clock = use_clock();

    let verify = move |ev: SubmitEvent| {
        ev.prevent_default();
        two.verify();
    };
    let current_prompt = move || {
        let kind = two.kind.get();
        prompt(kind, two.provider(kind).and_then(|p| p.contact).as_deref())
    };
    let resend = move || {
        let kind = two.kind.get();
        if !kind.is_sent() {
            return None;
        }
        let sent = two.sent.get().filter(|s| s.kind == kind);
        let wait = sent.map_or(0, |s| s.wait_s(clock.now_ms()));
        let blocked = two.sending.get() || wait > 0;
        let text = if two.sending.get() {
            "Sending…".to_owned()
        } else if wait > 0 {
            format!("Send a new code in {wait} s")
        } else if sent.is_some() {
            "Send a new code".to_owned()
        } else {
            "Send the code".to_owned()
        };
        Some(view! {
            <button
                id="two-factor-send"
                type="button"
                class="button ghost"
                disabled=blocked
                on:click=move |_| two.send()
            >
                {text}
            </button>
        })
    };
    let error = two.error;
    let methods = (kinds.len() > 1).then(|| {
        view! {
            <div class="provider-choice" role="group" aria-label="Verification method">
                {kinds
                    .into_iter()
                    .map(|kind| {
                        view! {
                            <button
                                type="button"
                                class="two-factor-provider"
                                data-kind=kind_id(kind)
                                aria-pressed=move || (two.kind.get() == kind).to_string()
                                on:click=move |_| two.choose(kind)
                            >
                                {kind_name(kind)}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
        }
    });

    view! {
        <form id="two-factor" class="login-form" on:submit=verify novalidate=true aria-labelledby="two-factor-title">
            <div>
                <h2 id="two-factor-title" class="login-subtitle">"Two-step verification"</h2>
                <p class="muted">{who}</p>
            </div>
            {methods}
            <label class="field">
                <span id="two-factor-prompt" class="field-label">{current_prompt}</span>
                <input
                    id="two-factor-code"
                    type="text"
                    inputmode=move || if two.kind.get() == TwoFactorKind::BackupCode { "text" } else { "numeric" }
                    autocomplete="one-time-code"
                    autocapitalize="off"
                    spellcheck="false"
                    maxlength="16"
                    bind:value=two.code
                    disabled=move || two.verifying.get()
                />
            </label>
            {resend}
            <p id="two-factor-error" class="form-error" role="alert" hidden=move || error.with(Option::is_none)>
                {move || error.get().unwrap_or_default()}
            </p>
            <button
                id="two-factor-verify"
                type="submit"
                class="button primary"
                disabled=move || two.verifying.get()
                aria-busy=move || two.verifying.get().to_string()
            >
                {move || if two.verifying.get() { "Checking…" } else { "Verify" }}
            </button>
            <button
                id="two-factor-back"
                type="button"
                class="button ghost"
                disabled=move || two.verifying.get()
                on:click=move |_| two.cancel()
            >
                "Back to the password"
            </button>
        </form>
    }
}

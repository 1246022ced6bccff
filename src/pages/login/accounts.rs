//! The saved accounts: "Continue" reopens a kept session (or asks that account's password);
//! an account can be forgotten, after a confirmation that says what goes with it.

use crate::hooks::server_host;
use crate::hooks::use_sign_in::{Busy, SignIn};
use atrium_ipc::SavedAccount;
use leptos::prelude::*;

/// Up to two letters for the avatar: "Tenant Admin" -> "TA", "ops@x" -> "O".
fn initials(name: &str) -> String {
    let words: Vec<&str> =
        name.split(|c: char| c.is_whitespace() || c == '@').filter(|w| !w.is_empty()).collect();
    let letters: String = match words.as_slice() {
        [first, second, ..] if !name.contains('@') => {
            first.chars().take(1).chain(second.chars().take(1)).collect()
        }
        [first, ..] => first.chars().take(1).collect(),
        [] => "?".into(),
    };
    letters.to_uppercase()
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(super) fn SavedAccounts(sign_in: SignIn) -> impl IntoView {
    // The account whose "Forget" waits for a confirmation.
    let forgetting = RwSignal::new(None::<SavedAccount>);
    let error = sign_in.error;

    let row = move |account: SavedAccount| {
        let host = server_host(&account.server_url).to_owned();
        let name = if account.display_name.trim().is_empty() {
            account.username.clone()
        } else {
            account.display_name.clone()
        };
        let id = account.id.clone();
        let resuming = {
            let id = id.clone();
            move || sign_in.busy.get() == Busy::Resuming(id.clone())
        };
        let action = {
            let resuming = resuming.clone();
            let signed_in = account.signed_in;
            move || {
                if resuming() {
                    "Opening…"
                } else if signed_in {
                    "Continue"
                } else {
                    "Sign in"
                }
            }
        };
        let label = format!(
            "{} as {} on {host}",
            if account.signed_in { "Continue" } else { "Sign in" },
            account.username
        );
        let forget_label = format!("Forget {} on {host}", account.username);
        let to_continue = account.clone();
        let to_forget = account.clone();
        let ca_id = account.id.clone();
        let trusted_ca = account.trusted_ca.clone();
        view! {
            <li class="saved-account" data-account-id=id data-signed-in=account.signed_in.to_string()>
                <button
                    type="button"
                    class="account-continue"
                    aria-label=label
                    aria-busy=move || resuming().to_string()
                    disabled=move || sign_in.is_busy()
                    on:click=move |_| sign_in.continue_as(to_continue.clone())
                >
                    <span class="account-avatar" aria-hidden="true">{initials(&name)}</span>
                    <span class="account-text">
                        <span class="account-name">{name.clone()}</span>
                        <span class="account-where">{account.username.clone()}</span>
                        <span class="account-where">{host.clone()}</span>

                    </span>
                    <span class="account-action">{action}</span>
                </button>
                <button
                    type="button"
                    class="button ghost icon account-forget"
                    aria-label=forget_label
                    title="Forget this account"
                    disabled=move || sign_in.is_busy()
                    on:click=move |_| forgetting.set(Some(to_forget.clone()))
                >
                    <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
                        <path d="M4 4l8 8M12 4l-8 8" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" />
                    </svg>
                </button>
                {trusted_ca.map(|ca| view! {
                    <p class="account-ca" title=format!("SHA-256 {}", ca.sha256)>
                        {format!("Trusts the private CA \"{}\"", ca.subject)}
                        <button
                            type="button"
                            class="link-button ca-forget"
                            disabled=move || sign_in.is_busy()
                            on:click=move |_| sign_in.forget_trusted_ca(ca_id.clone())
                        >
                            "Stop trusting it"
                        </button>
                    </p>
                })}
            </li>
        }
    };

    view! {
        <div id="saved-accounts" class="saved-accounts">
            <h2 class="login-subtitle">"Your accounts"</h2>
            <ul class="account-list">
                <For each=move || sign_in.accounts.get() key=|a| (a.id.clone(), a.signed_in) children=row />
            </ul>
            {move || forgetting.get().map(|account| {
                let host = server_host(&account.server_url).to_owned();
                let id = account.id.clone();
                view! {
                    <div id="forget-confirm" class="confirm-box" role="alertdialog" aria-labelledby="forget-title">
                        <p id="forget-title">
                            {format!("Forget {} on {host}?", account.username)}
                        </p>
                        <p class="muted">"Its kept session and cached building are deleted from this device. You can sign in again later."</p>
                        <div class="confirm-actions">
                            <button id="forget-cancel" type="button" class="button secondary" on:click=move |_| forgetting.set(None)>
                                "Keep"
                            </button>
                            <button
                                id="forget-confirm-button"
                                type="button"
                                class="button danger"
                                on:click=move |_| {
                                    forgetting.set(None);
                                    sign_in.forget(id.clone());
                                }
                            >
                                "Forget"
                            </button>
                        </div>
                    </div>
                }
            })}
            <p id="login-error" class="form-error" role="alert" hidden=move || error.with(Option::is_none)>
                {move || error.get().unwrap_or_default()}
            </p>
            <button id="another-server" type="button" class="button secondary wide" on:click=move |_| sign_in.another_server()>
                "Sign in to another server"
            </button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::initials;

    #[test]
    fn initials_of_names_and_addresses() {
        assert_eq!(initials("Tenant Admin"), "TA");
        assert_eq!(initials("ops@acme.example"), "O");
        assert_eq!(initials("  "), "?");
    }
}

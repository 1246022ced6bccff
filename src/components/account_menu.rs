//! The account menu in the header: who is signed in where, whether this device keeps the session
//! (and where), and the ways out: switch account (stays signed in) and sign out.

use crate::context::use_app;
use crate::hooks::{server_host, use_names};
use crate::ipc;
use crate::theme::{use_theme, ThemeChoice};
use atrium_ipc::{SecretStoreStatus, SessionInfo};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// What "staying signed in" means on this device, for a person.
fn kept_text(status: Option<&SecretStoreStatus>) -> String {
    match status {
        Some(SecretStoreStatus::Persistent { name }) => {
            format!("Kept in {name}: the next start opens the building without your password.")
        }
        Some(SecretStoreStatus::UntilLogout { name }) => {
            format!("Kept in the {name} until you log out of this device.")
        }
        Some(SecretStoreStatus::Unavailable { .. }) => {
            "Not kept: this device has no secret store, so Atrium asks for your password at each start."
                .into()
        }
        _ => "Checking where this device keeps sessions…".into(),
    }
}

/// Light, dark or as the system: a radio group, kept on this device.
#[component]
fn ThemePicker() -> impl IntoView {
    let theme = use_theme();
    view! {
        <fieldset id="theme-picker" class="theme-picker">
            <legend class="field-label">"Appearance"</legend>
            <div class="segmented">
                {ThemeChoice::ALL
                    .into_iter()
                    .map(|choice| {
                        let id = format!("theme-{}", choice.key());
                        view! {
                            <label class="segment" for=id.clone()>
                                <input
                                    id=id.clone()
                                    type="radio"
                                    name="theme"
                                    value=choice.key()
                                    prop:checked=move || theme.choice() == choice
                                    on:change=move |_| theme.choose(choice)
                                />
                                <span>{choice.label()}</span>
                            </label>
                        }
                    })
                    .collect_view()}
            </div>
        </fieldset>
    }
}

/// Places and devices by their name (the label beside it) or by their label: kept on this device.
#[component]
fn NamesPicker() -> impl IntoView {
    let names = use_names();
    let choices = [("name", "Name first", false), ("label", "Label first", true)];
    view! {
        <fieldset id="names-picker" class="theme-picker">
            <legend class="field-label">"Places and devices by"</legend>
            <div class="segmented">
                {choices
                    .into_iter()
                    .map(|(key, text, label_first)| {
                        let id = format!("names-{key}");
                        view! {
                            <label class="segment" for=id.clone()>
                                <input
                                    id=id.clone()
                                    type="radio"
                                    name="names"
                                    value=key
                                    prop:checked=move || names.label_first() == label_first
                                    on:change=move |_| names.choose(label_first)
                                />
                                <span>{text}</span>
                            </label>
                        }
                    })
                    .collect_view()}
            </div>
        </fieldset>
    }
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn AccountMenu(session: SessionInfo) -> impl IntoView {
    let app = use_app();
    let open = RwSignal::new(false);
    let menu_button = NodeRef::<leptos::html::Button>::new();
    let panel = NodeRef::<leptos::html::Div>::new();
    // Opening moves focus into the panel, so a keyboard or screen-reader user lands in it.
    Effect::new(move |_| {
        if open.get() {
            request_animation_frame(move || {
                if let Some(panel) = panel.get_untracked() {
                    let _ = panel.focus();
                }
            });
        }
    });
    let close = move || {
        open.set(false);
        if let Some(button) = menu_button.get_untracked() {
            let _ = button.focus();
        }
    };
    let leaving = RwSignal::new(false);
    let leave = move |switch: bool| {
        if leaving.get_untracked() {
            return;
        }
        leaving.set(true);
        spawn_local(async move {
            // The session is over for the person either way; a failure is only logged.
            let done = if switch { ipc::switch_account().await } else { ipc::logout().await };
            if let Err(err) = done {
                ipc::log_error(if switch { "switching account" } else { "signing out" }, &err);
            }
            app.signed_out(None, None);
        });
    };

    let who = if session.display_name.trim().is_empty() {
        session.user_email.clone()
    } else {
        session.display_name.clone()
    };
    let demo = session.demo;
    let host = if demo { "Demo building".to_owned() } else { server_host(&session.server_url).to_owned() };
    let summary = view! {
        <span id="session-info" class="session-info">
            {demo.then(|| view! { <span id="demo-badge" class="badge badge-demo">"Demo"</span> })}
            <span class="session-user">{who.clone()}</span>
            <span class="session-server">{host.clone()}</span>
        </span>
    };
    let where_text = if demo { "the built-in demo building".to_owned() } else { session.server_url.clone() };
    let reason = move || match app.secret_store() {
        Some(SecretStoreStatus::Unavailable { reason }) => Some(reason),
        _ => None,
    };

    view! {
        <div class="account-menu" on:keydown=move |ev| {
            if ev.key() == "Escape" && open.get_untracked() {
                // Closing the menu is all Escape does here, not also a level up.
                ev.prevent_default();
                close();
            }
        }>
            <button
                id="account-menu"
                node_ref=menu_button
                type="button"
                class="button ghost account-menu-button"
                aria-haspopup="dialog"
                aria-expanded=move || open.get().to_string()
                aria-controls="account-panel"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {summary}
                <svg class="chevron" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
                    <path d="M4 6l4 4 4-4" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" />
                </svg>
            </button>
            <Show when=move || open.get()>
                <div id="account-panel" node_ref=panel tabindex="-1" class="account-panel card" role="dialog" aria-label="Account">
                    <p class="account-panel-who">{who.clone()}</p>
                    <p class="muted">{format!("{} on {where_text}", session.user_email)}</p>
                    {(!demo).then(|| view! {
                        <div class="account-panel-kept">
                            <p class="field-label">"Staying signed in"</p>
                            <p id="session-kept" title=reason>{move || kept_text(app.secret_store().as_ref())}</p>
                        </div>
                    })}
                    <ThemePicker />
                    <NamesPicker />
                    <div class="account-panel-actions">
                        {(!demo).then(|| view! {
                            <button
                                id="switch-account"
                                type="button"
                                class="button secondary"
                                disabled=move || leaving.get()
                                on:click=move |_| leave(true)
                            >
                                "Switch account"
                            </button>
                        })}
                        <button
                            id="sign-out"
                            type="button"
                            class="button secondary"
                            disabled=move || leaving.get()
                            on:click=move |_| leave(false)
                        >
                            {move || if leaving.get() { "Leaving…" } else if demo { "Close the demo" } else { "Sign out" }}
                        </button>
                    </div>
                    {(!demo).then(|| view! {
                        <p class="note">"Switch account keeps this one signed in on this device. Sign out ends the session and deletes what this device kept."</p>
                    })}
                </div>
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_store_says_what_it_keeps() {
        let kept = kept_text(Some(&SecretStoreStatus::Persistent { name: "Keychain".into() }));
        assert!(kept.contains("Keychain") && kept.contains("without your password"));
        let none = kept_text(Some(&SecretStoreStatus::Unavailable { reason: "x".into() }));
        assert!(none.contains("asks for your password"));
    }
}

//! The link with which a new customer user sets a password: shown read-only, with Copy (the
//! Clipboard API; where the webview refuses it, the text is selected for the person to copy)
//! and, where the system offers one, its share sheet. Atrium sends no mail.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// What the Copy button last did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Copied {
    Yes,
    /// The webview would not write the clipboard: the text is selected instead.
    Selected,
}

fn navigator_has(name: &str) -> bool {
    let navigator = window().navigator();
    js_sys::Reflect::get(&navigator, &JsValue::from_str(name))
        .is_ok_and(|v| !v.is_undefined() && !v.is_null())
}

/// Starts writing `text` to the clipboard; `None` when the webview has no Clipboard API (not a
/// secure context). Call it within the click: the webview wants the person's gesture.
/// How long the Clipboard API may take before the link is selected for copying by hand.
const CLIPBOARD_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

fn write_clipboard(text: &str) -> Option<js_sys::Promise> {
    // Checked first: calling a method of a missing `navigator.clipboard` would throw through wasm.
    navigator_has("clipboard").then(|| window().navigator().clipboard().write_text(text))
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn ActivationLink(intro: String, link: String) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let copied = RwSignal::new(None::<Copied>);
    // A phone's share sheet (mail, messages); desktop webviews mostly have none.
    let can_share = navigator_has("share") && navigator_has("canShare");
    let select = move || {
        if let Some(input) = input.get_untracked() {
            input.select();
        }
    };
    let copy = {
        let link = link.clone();
        move |_| {
            copied.set(None);
            let writing = write_clipboard(&link);
            // A clipboard that never answers (seen once in a while in WebKitGTK under Xvfb)
            // must not leave the person with no word: after a moment the text is selected.
            set_timeout(
                move || {
                    if copied.try_get_untracked() == Some(None) {
                        select();
                        copied.try_set(Some(Copied::Selected));
                    }
                },
                CLIPBOARD_PATIENCE,
            );
            spawn_local(async move {
                // Refused (no gesture seen, a permission): the text is there to copy by hand.
                let written = match writing {
                    Some(promise) => JsFuture::from(promise).await.is_ok(),
                    None => false,
                };
                let done = if written {
                    Copied::Yes
                } else {
                    select();
                    Copied::Selected
                };
                copied.try_set(Some(done));
            });
        }
    };
    let share = {
        let link = link.clone();
        move |_| {
            let data = web_sys::ShareData::new();
            data.set_title("Your Atrium account");
            data.set_text("Open this link to set your password:");
            data.set_url(&link);
            let promise = window().navigator().share_with_data(&data);
            // Cancelled or refused: nothing to say, the link is still on screen.
            spawn_local(async move {
                let _ = JsFuture::from(promise).await;
            });
        }
    };
    let status = move || match copied.get() {
        Some(Copied::Yes) => "Copied.",
        Some(Copied::Selected) => "Selected: copy it with Ctrl+C, or hold it and choose Copy.",
        None => "",
    };
    view! {
        <div id="activation" class="activation">
            <p>{intro}" They can sign in once they have set a password with this link:"</p>
            <label class="field" for="activation-link">
                <span class="field-label">"Activation link"</span>
                <input
                    id="activation-link"
                    type="text"
                    readonly
                    spellcheck="false"
                    value=link
                    node_ref=input
                    on:focus=move |_| select()
                />
            </label>
            <div class="flow-actions">
                <button type="button" id="copy-activation-link" class="button primary touch" on:click=copy>
                    "Copy"
                </button>
                {can_share.then(|| view! {
                    <button type="button" id="share-activation-link" class="button secondary touch" on:click=share>
                        "Send…"
                    </button>
                })}
                <span id="copy-status" class="muted" role="status">{status}</span>
            </div>
            <p class="field-hint">
                "Send it to them yourself: Atrium sends no e-mail. It works once; from ThingsBoard 3.8 on it also expires, after 24 hours unless your server says otherwise. Sharing again with the same user gives a fresh link."
            </p>
        </div>
    }
}

//! The banner that says the building on screen is not live: since when its data is, when the
//! next try is, and a way to try now. It goes away by itself when the connection is back.

use crate::components::connection_badge::retry_in_s;
use crate::hooks::{use_clock, use_connection};
use crate::ipc;
use atrium_ipc::ConnectionState;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;

/// `14:02`, in the person's locale.
fn local_time(ms: f64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"hour".into(), &"2-digit".into());
    let _ = js_sys::Reflect::set(&options, &"minute".into(), &"2-digit".into());
    String::from(date.to_locale_time_string_with_options("default", &options))
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn OfflineBanner(
    /// When the building on screen was read, while it is the cached one.
    shown_as_of: RwSignal<Option<f64>>,
) -> impl IntoView {
    let connection = use_connection();
    let clock = use_clock();
    let offline = Memo::new(move |_| {
        let status = connection.status();
        status.reported
            && matches!(status.state, ConnectionState::Reconnecting { .. } | ConnectionState::Offline { .. })
    });
    let retry = move |_| {
        spawn_local(async move {
            if let Err(err) = ipc::reconnect_now().await {
                ipc::log_error("reconnecting", &err);
            }
        });
    };
    let text = move || {
        let as_of = shown_as_of.get().or_else(|| connection.lost_at_ms());
        match as_of {
            Some(ms) => format!("Offline: showing data from {}", local_time(ms)),
            None => "Offline: values shown may be out of date".to_owned(),
        }
    };
    let next_try = move || {
        let status = connection.status();
        match status.state {
            ConnectionState::Reconnecting { .. } => {
                match retry_in_s(&status.state, clock.now_ms() - status.since_ms) {
                    0 => "Trying again now…".to_owned(),
                    s => format!("Trying again in {s} s"),
                }
            }
            ConnectionState::Offline { reason } if !reason.is_empty() => reason,
            _ => String::new(),
        }
    };

    view! {
        <div class="banner-slot">
            <Show when=move || offline.get()>
                <div id="offline-banner" class="offline-banner">
                    <span class="offline-dot" aria-hidden="true"></span>
                    <span id="offline-text" role="status">{text}</span>
                    // A countdown read out every second would drown everything else.
                    <span id="offline-retry-in" class="muted" aria-live="off">{next_try}</span>
                    <button id="offline-retry" type="button" class="button secondary" on:click=retry>
                        "Retry now"
                    </button>
                </div>
            </Show>
        </div>
    }
}

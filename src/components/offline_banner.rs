//! The banner that says the building on screen is not live: since when its data is, when the
//! next try is, and a way to try now. It goes away by itself when the connection is back.

use crate::components::connection_badge::retry_in_s;
use crate::components::time_text::moment;
use crate::hooks::{use_clock, use_connection};
use crate::ipc;
use atrium_ipc::ConnectionState;
use leptos::prelude::*;
use leptos::task::spawn_local;

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn OfflineBanner(
    /// When the building on screen was read, while it is the cached one.
    shown_as_of: RwSignal<Option<f64>>,
) -> impl IntoView {
    let connection = use_connection();
    let clock = use_clock();
    // Also while the next attempt connects: the banner stays up, steady, until one succeeds.
    let offline = Memo::new(move |_| connection.is_down());
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
            // The day matters only for a building read before today; checked when the banner changes.
            Some(ms) => format!("Offline: showing data from {}", moment(ms, js_sys::Date::now())),
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
            ConnectionState::Connecting => "Trying again now…".to_owned(),
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

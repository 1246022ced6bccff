//! A lock: shows whether the device reports itself locked, and offers the opposite. Locks are
//! normally critical, so the button asks for confirmation before anything is sent.

use crate::components::controls::command::{
    control_label, dom_base, reported, ConfirmBox, ControlCommander, ControlStatus, Request,
};
use atrium_ipc::{reported_state, ControlAction, ControlDescriptor, LiveValue};
use leptos::prelude::*;
use std::collections::BTreeMap;

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn ControlLock(
    device_id: String,
    control: ControlDescriptor,
    values: ReadSignal<BTreeMap<String, LiveValue>>,
    /// Makes the element ids unique where several devices' controls share a page (a room's
    /// tiles); `None` on the device page, whose ids are `control-{id}`.
    #[prop(default = None)]
    scope: Option<String>,
) -> impl IntoView {
    let base = dom_base(scope.as_deref(), &control.id);
    let commander = ControlCommander::new(&device_id, &control, values);
    let value = reported(values, control.id.clone());
    let locked = Memo::new(move |_| value.with(|v| v.as_ref().and_then(reported_state)));

    let on_click = move |_| {
        // Unknown: offer to lock, the safe direction.
        let lock = !locked.get_untracked().unwrap_or(false);
        commander.request(Request {
            action: ControlAction::SetLocked { locked: lock },
            verb: if lock { "Lock" } else { "Unlock" }.to_owned(),
        });
    };
    let reported_name = move || match locked.get() {
        Some(true) => "locked",
        Some(false) => "unlocked",
        None => "unknown",
    };
    let state_text = move || match locked.get() {
        Some(true) => "Locked",
        Some(false) => "Unlocked",
        None => "Unknown",
    };
    let button_text = move || if locked.get() == Some(true) { "Unlock" } else { "Lock" };

    let id = control.id.clone();
    view! {
        <div class="control control-lock" data-control-id=id.clone() class:critical=control.critical>
            <div class="control-main">
                {control_label(&control, &base)}
                <span
                    id=format!("{base}-state")
                    class="lock-state"
                    data-reported=reported_name
                >
                    <svg class="lock-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
                        <rect x="3" y="7" width="10" height="7" rx="1.5" fill="currentColor" />
                        <path
                            d=move || if locked.get() == Some(false) { "M5 7V5a3 3 0 0 1 5.8-1" } else { "M5 7V5a3 3 0 0 1 6 0v2" }
                            fill="none"
                            stroke="currentColor"
                            stroke-width="1.6"
                        />
                    </svg>
                    {state_text}
                </span>
            </div>
            <button
                id=format!("{base}")
                type="button"
                class="button secondary small lock-button"
                aria-describedby=format!("{base}-status")
                data-reported=reported_name
                disabled=move || commander.is_pending()
                on:click=on_click
            >
                {button_text}
            </button>
            <ControlStatus base=base.clone() commander=commander />
            <ConfirmBox base=base.clone() label=control.label.clone() commander=commander />
        </div>
    }
}

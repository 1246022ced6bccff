//! An on/off control. It always shows what the device reports, never what was requested, and
//! calls a command done only when the device's own report confirms it (see `control_command`).

use crate::components::controls::command::{
    control_label, dom_base, reported, ConfirmBox, ControlCommander, ControlStatus, Request,
};
use atrium_ipc::{reported_state, ControlAction, ControlDescriptor, LiveValue};
use leptos::prelude::*;
use std::collections::BTreeMap;

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn ControlSwitch(
    device_id: String,
    control: ControlDescriptor,
    /// The device's live values, where the switch finds its reported state.
    values: ReadSignal<BTreeMap<String, LiveValue>>,
    /// Makes the element ids unique where several devices' controls share a page (a room's
    /// tiles); `None` on the device page, whose ids are `control-{id}`.
    #[prop(default = None)]
    scope: Option<String>,
) -> impl IntoView {
    let base = dom_base(scope.as_deref(), &control.id);
    let commander = ControlCommander::new(&device_id, &control, values);
    let value = reported(values, control.id.clone());
    let reported = Memo::new(move |_| value.with(|v| v.as_ref().and_then(reported_state)));

    let on_click = move |_| {
        // Unknown counts as off: the request is then to turn it on.
        let on = !reported.get_untracked().unwrap_or(false);
        let verb = if on { "Turn on" } else { "Turn off" };
        commander.request(Request { action: ControlAction::SetSwitch { on }, verb: verb.to_owned() });
    };

    let id = control.id.clone();
    let reported_name = move || match reported.get() {
        Some(true) => "on",
        Some(false) => "off",
        None => "unknown",
    };
    let reported_text = move || match reported.get() {
        Some(true) => "On",
        Some(false) => "Off",
        None => "Unknown",
    };

    view! {
        <div class="control control-switch" data-control-id=id.clone() class:critical=control.critical>
            <div class="control-main">
                {control_label(&control, &base)}
                <button
                    id=format!("{base}")
                    type="button"
                    class="switch"
                    role="switch"
                    aria-checked=move || (reported.get() == Some(true)).to_string()
                    aria-labelledby=format!("{base}-label")
                    aria-describedby=format!("{base}-status")
                    data-reported=reported_name
                    disabled=move || commander.is_pending()
                    on:click=on_click
                >
                    <span class="switch-track" aria-hidden="true">
                        <span class="switch-thumb"></span>
                    </span>
                    <span class="switch-text">{reported_text}</span>
                </button>
            </div>
            <ControlStatus base=base.clone() commander=commander />
            <ConfirmBox base=base.clone() label=control.label.clone() commander=commander />
        </div>
    }
}

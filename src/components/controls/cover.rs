//! Blinds and shutters: Open / Stop / Close, and a position slider (0 closed – 100 open) that
//! rests on the device's reported position and sends on release.

use crate::components::controls::command::{
    control_label, dom_base, format_amount, reported, reported_number, ConfirmBox, ControlCommander,
    ControlStatus, Request,
};
use crate::components::controls::level::CommitSlider;
use atrium_ipc::{ControlAction, ControlDescriptor, LiveValue};
use leptos::prelude::*;
use std::collections::BTreeMap;

/// A position this close to an end reads as open or closed (devices round).
const POSITION_TOLERANCE: f64 = 0.5;

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn ControlCover(
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
    let current = Memo::new(move |_| value.with(|v| v.as_ref().and_then(reported_number)));

    let open = move |_| commander.request(Request { action: ControlAction::OpenCover, verb: "Open".into() });
    let close =
        move |_| commander.request(Request { action: ControlAction::CloseCover, verb: "Close".into() });
    let stop = move |_| commander.request(Request { action: ControlAction::StopCover, verb: "Stop".into() });
    let on_commit = Callback::new(move |position: f64| {
        commander.request(Request {
            action: ControlAction::SetCoverPosition { position },
            verb: format!("Move to {}", format_amount(position, 1.0, Some("%"))),
        });
    });
    let pending = move || commander.is_pending();
    let state = move || match current.get() {
        None => "Position unknown".to_owned(),
        Some(p) if p <= POSITION_TOLERANCE => "Closed".to_owned(),
        Some(p) if p >= 100.0 - POSITION_TOLERANCE => "Open".to_owned(),
        Some(p) => format!("{} open", format_amount(p, 1.0, Some("%"))),
    };

    let id = control.id.clone();
    view! {
        <div class="control control-cover" data-control-id=id.clone() class:critical=control.critical>
            <div class="control-main">
                {control_label(&control, &base)}
                <span id=format!("{base}-state") class="control-state">{state}</span>
            </div>
            <div
                id=format!("{base}")
                class="button-row"
                role="group"
                aria-labelledby=format!("{base}-label")
                aria-describedby=format!("{base}-status")
                data-reported=move || current.get().map_or_else(|| "unknown".to_owned(), |v| v.to_string())
            >
                <button id=format!("{base}-open") type="button" class="button ghost small" disabled=pending on:click=open>
                    "Open"
                </button>
                <button id=format!("{base}-stop") type="button" class="button ghost small" disabled=pending on:click=stop>
                    "Stop"
                </button>
                <button id=format!("{base}-close") type="button" class="button ghost small" disabled=pending on:click=close>
                    "Close"
                </button>
            </div>
            <CommitSlider
                input_id=format!("{base}-position")
                labelled_by=format!("{base}-label")
                described_by=format!("{base}-status")
                min=0.0
                max=100.0
                step=1.0
                unit="%".to_owned()
                reported=current
                disabled=Signal::derive(pending)
                on_commit=on_commit
            />
            <ControlStatus base=base.clone() commander=commander />
            <ConfirmBox base=base.clone() label=control.label.clone() commander=commander />
        </div>
    }
}

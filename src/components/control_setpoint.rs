//! A setpoint stepper: − / the device's reported setpoint / +. Each press asks for the reported
//! value one step further, within the bounds; the value shown changes only when the device reports.

use crate::components::control_command::{
    control_label, format_amount, reported, reported_number, snap, ConfirmBox, ControlCommander,
    ControlStatus, Expect, Request,
};
use atrium_ipc::{ControlAction, ControlDescriptor, ControlKind, LiveValue};
use leptos::prelude::*;
use std::collections::BTreeMap;

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn ControlSetpoint(
    device_id: String,
    control: ControlDescriptor,
    values: ReadSignal<BTreeMap<String, LiveValue>>,
) -> impl IntoView {
    let (min, max, step, unit) = match &control.kind {
        ControlKind::Setpoint { min, max, step, unit, .. } => (*min, *max, *step, unit.clone()),
        _ => (0.0, 100.0, 1.0, None),
    };
    let commander = ControlCommander::new(&device_id, &control, values);
    let value = reported(values, control.id.clone());
    let current = Memo::new(move |_| value.with(|v| v.as_ref().and_then(reported_number)));
    let unit = StoredValue::new(unit);

    // One step from the reported value; none at a bound or while the value is unknown.
    let next = move |reported: Option<f64>, direction: f64| {
        let c = reported?;
        let t = snap(c + direction * step, min, max, step);
        ((t - c).abs() > 1e-9).then_some(t)
    };
    let press = move |direction: f64| {
        let Some(value) = next(current.get_untracked(), direction) else { return };
        let shown = unit.with_value(|u| format_amount(value, step, u.as_deref()));
        commander.request(Request {
            action: ControlAction::SetSetpoint { value },
            expect: Expect::Number { value, tolerance: (step / 100.0).max(1e-6) },
            verb: format!("Set to {shown}"),
        });
    };

    let id = control.id.clone();
    let text = move || match current.get() {
        Some(v) => unit.with_value(|u| format_amount(v, step, u.as_deref())),
        None => "—".to_owned(),
    };
    let range = unit.with_value(|u| {
        format!("{} – {}", format_amount(min, step, u.as_deref()), format_amount(max, step, u.as_deref()))
    });
    let blocked = move |direction: f64| commander.is_pending() || next(current.get(), direction).is_none();

    view! {
        <div class="control control-setpoint" data-control-id=id.clone() class:critical=control.critical>
            <div class="control-main">
                {control_label(&control)}
                <span class="control-range muted">{range}</span>
            </div>
            <div
                id=format!("control-{id}")
                class="stepper"
                role="group"
                aria-labelledby=format!("control-{id}-label")
                aria-describedby=format!("control-{id}-status")
                data-reported=move || current.get().map_or_else(|| "unknown".to_owned(), |v| v.to_string())
            >
                <button
                    id=format!("control-{id}-decrease")
                    type="button"
                    class="stepper-button"
                    aria-label=format!("Lower {} by {}", control.label, step)
                    disabled=move || blocked(-1.0)
                    on:click=move |_| press(-1.0)
                >
                    "−"
                </button>
                <output id=format!("control-{id}-value") class="stepper-value" aria-live="polite">
                    {text}
                </output>
                <button
                    id=format!("control-{id}-increase")
                    type="button"
                    class="stepper-button"
                    aria-label=format!("Raise {} by {}", control.label, step)
                    disabled=move || blocked(1.0)
                    on:click=move |_| press(1.0)
                >
                    "+"
                </button>
            </div>
            <ControlStatus control_id=id.clone() commander=commander />
            <ConfirmBox control_id=id.clone() label=control.label.clone() commander=commander />
        </div>
    }
}

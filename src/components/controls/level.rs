//! A level (brightness) slider. It rests on the device's reported level; while the person drags
//! it follows the finger, and the command is sent once, on release.

use crate::components::controls::command::{
    control_label, dom_base, format_amount, reported, reported_number, snap, ConfirmBox, ControlCommander,
    ControlStatus, Request,
};
use atrium_ipc::{ControlAction, ControlDescriptor, ControlKind, LiveValue};
use leptos::prelude::*;
use std::collections::BTreeMap;

/// A range input that shows `reported` unless it is being dragged, and calls `on_commit` on release.
// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn CommitSlider(
    input_id: String,
    /// The id of the element naming the slider.
    labelled_by: String,
    described_by: String,
    min: f64,
    max: f64,
    step: f64,
    #[prop(optional)] unit: Option<String>,
    reported: Memo<Option<f64>>,
    #[prop(into)] disabled: Signal<bool>,
    on_commit: Callback<f64>,
) -> impl IntoView {
    let dragging = RwSignal::new(None::<f64>);
    let shown = move || dragging.get().or_else(|| reported.get());
    let unit = StoredValue::new(unit);
    let text = move || match shown() {
        Some(v) => unit.with_value(|u| format_amount(v, step, u.as_deref())),
        None => "—".to_owned(),
    };
    let read = move |ev: &leptos::ev::Event| event_target_value(ev).parse::<f64>().ok();
    view! {
        <div class="slider" data-dragging=move || dragging.with(Option::is_some).to_string()>
            <input
                id=input_id
                type="range"
                class="slider-input"
                min=min
                max=max
                step=step
                aria-labelledby=labelled_by
                aria-describedby=described_by
                aria-valuetext=text
                data-reported=move || reported.get().map_or_else(|| "unknown".to_owned(), |v| v.to_string())
                prop:value=move || shown().unwrap_or(min).to_string()
                disabled=move || disabled.get() || reported.get().is_none()
                on:input=move |ev| dragging.set(read(&ev))
                on:change=move |ev| {
                    dragging.set(None);
                    if let Some(v) = read(&ev) {
                        let v = snap(v, min, max, step);
                        if reported.get_untracked().is_none_or(|r| (r - v).abs() > 1e-9) {
                            on_commit.run(v);
                        }
                    }
                }
            />
            <output class="slider-value" class:muted=move || dragging.with(Option::is_some)>{text}</output>
        </div>
    }
}

#[allow(unreachable_pub)]
#[component]
pub(crate) fn ControlLevel(
    device_id: String,
    control: ControlDescriptor,
    values: ReadSignal<BTreeMap<String, LiveValue>>,
    /// Makes the element ids unique where several devices' controls share a page (a room's
    /// tiles); `None` on the device page, whose ids are `control-{id}`.
    #[prop(default = None)]
    scope: Option<String>,
) -> impl IntoView {
    let base = dom_base(scope.as_deref(), &control.id);
    let (min, max, step, unit) = match &control.kind {
        ControlKind::Level { min, max, step, unit, .. } => (*min, *max, *step, unit.clone()),
        _ => (0.0, 100.0, 1.0, None),
    };
    let commander = ControlCommander::new(&device_id, &control, values);
    let value = reported(values, control.id.clone());
    let current = Memo::new(move |_| value.with(|v| v.as_ref().and_then(reported_number)));
    let shown_unit = unit.clone();
    let on_commit = Callback::new(move |value: f64| {
        let shown = format_amount(value, step, shown_unit.as_deref());
        commander
            .request(Request { action: ControlAction::SetLevel { value }, verb: format!("Set to {shown}") });
    });

    let id = control.id.clone();
    view! {
        <div class="control control-level" data-control-id=id.clone() class:critical=control.critical>
            <div class="control-main">{control_label(&control, &base)}</div>
            <CommitSlider
                input_id=format!("{base}")
                labelled_by=format!("{base}-label")
                described_by=format!("{base}-status")
                min=min
                max=max
                step=step
                unit=unit.unwrap_or_default()
                reported=current
                disabled=Signal::derive(move || commander.is_pending())
                on_commit=on_commit
            />
            <ControlStatus base=base.clone() commander=commander />
            <ConfirmBox base=base.clone() label=control.label.clone() commander=commander />
        </div>
    }
}

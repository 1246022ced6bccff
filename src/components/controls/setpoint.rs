//! A setpoint: a stepper, a slider and an exact entry, within the device's bounds. Taps move a
//! target locally and one command goes when they pause (1 s), a slider sends on release, an
//! exact value on Enter; the target and the device's reported setpoint are shown side by side
//! until they meet. The value the control rests on is always the device's report.

use crate::components::controls::command::{
    control_label, dom_base, format_amount, reported, reported_number, snap, CommandStatus, ConfirmBox,
    ControlCommander, ControlStatus, Request,
};
use crate::components::controls::level::CommitSlider;
use atrium_ipc::{ControlAction, ControlDescriptor, ControlKind, LiveValue};
use leptos::prelude::*;
use std::collections::BTreeMap;
use std::time::Duration;

/// How long taps must pause before their target is sent.
const TAPS_SETTLE: Duration = Duration::from_secs(1);

/// A setpoint's bounds and step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bounds {
    pub(crate) min: f64,
    pub(crate) max: f64,
    pub(crate) step: f64,
}

impl Bounds {
    /// One step from `from` towards `direction` (+1 or -1); `None` at a bound.
    fn step_from(self, from: f64, direction: f64) -> Option<f64> {
        let next = snap(from + direction * self.step, self.min, self.max, self.step);
        ((next - from).abs() > 1e-9).then_some(next)
    }

    /// A typed value on the grid, or why it cannot be sent.
    pub(crate) fn exact(self, typed: &str, unit: Option<&str>) -> Result<f64, String> {
        let value = typed.trim().replace(',', ".").parse::<f64>().ok().filter(|v| v.is_finite());
        let range = || {
            format!(
                "Enter a value from {} to {}.",
                format_amount(self.min, self.step, unit),
                format_amount(self.max, self.step, unit)
            )
        };
        match value {
            Some(v) if (self.min..=self.max).contains(&v) => Ok(snap(v, self.min, self.max, self.step)),
            _ => Err(range()),
        }
    }
}

/// Taps on the stepper: a target that moves with each tap and is sent once, when they pause.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Taps {
    target: Option<f64>,
    /// Counts taps, so that only the timer of the last one sends.
    last: u64,
}

impl Taps {
    /// A tap: the target moves one step from itself (or, at the first tap, from `resting`: see
    /// [`resting_target`]). Returns the tap's number for its timer, or `None` when nothing moved.
    pub(crate) fn tap(&mut self, resting: Option<f64>, direction: f64, bounds: Bounds) -> Option<u64> {
        let from = self.target.or(resting)?;
        self.target = Some(bounds.step_from(from, direction)?);
        self.last += 1;
        Some(self.last)
    }

    /// The timer of tap `n` fired: the target to send if no tap came after it.
    pub(crate) fn settle(&mut self, n: u64) -> Option<f64> {
        (n == self.last).then(|| self.target.take()).flatten()
    }

    pub(crate) fn target(&self) -> Option<f64> {
        self.target
    }
}

/// Where a new burst of taps starts: the target last sent while the device has not reported it
/// yet, else the reported setpoint. Two taps a little more than the pause apart send 21.5 and
/// then 22, not 21.5 twice.
pub(crate) fn resting_target(sent: Option<f64>, reported: Option<f64>) -> Option<f64> {
    sent.or(reported)
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn ControlSetpoint(
    device_id: String,
    control: ControlDescriptor,
    values: ReadSignal<BTreeMap<String, LiveValue>>,
    /// Makes the element ids unique where several devices' controls share a page (a room's
    /// tiles); `None` on the device page, whose ids are `control-{id}`.
    #[prop(default = None)]
    scope: Option<String>,
) -> impl IntoView {
    let base = dom_base(scope.as_deref(), &control.id);
    let (bounds, unit) = match &control.kind {
        ControlKind::Setpoint { min, max, step, unit, .. } => {
            (Bounds { min: *min, max: *max, step: *step }, unit.clone())
        }
        _ => (Bounds { min: 0.0, max: 100.0, step: 1.0 }, None),
    };
    let step = bounds.step;
    let commander = ControlCommander::new(&device_id, &control, values);
    let value = reported(values, control.id.clone());
    let current = Memo::new(move |_| value.with(|v| v.as_ref().and_then(reported_number)));
    let unit = StoredValue::new(unit);
    let amount = move |v: f64| unit.with_value(|u| format_amount(v, step, u.as_deref()));
    let tolerance = (step / 100.0).max(1e-6);

    let taps = RwSignal::new(Taps::default());
    // The last target sent, beside the reported setpoint until the device reports it.
    let sent = RwSignal::new(None::<f64>);
    Effect::new(move |_| {
        let met = sent.get().zip(current.get()).is_some_and(|(s, c)| (s - c).abs() <= tolerance);
        let given_up = commander.status().with(|s| matches!(s, CommandStatus::Failed(_)));
        if met || given_up {
            sent.set(None);
        }
    });
    let send = move |value: f64| {
        sent.set(Some(value));
        commander.request(Request {
            action: ControlAction::SetSetpoint { value },
            verb: format!("Set to {}", amount(value)),
        });
    };
    let press = move |direction: f64| {
        let mut burst = taps.get_untracked();
        let from = resting_target(sent.get_untracked(), current.get_untracked());
        let Some(tap) = burst.tap(from, direction, bounds) else { return };
        taps.set(burst);
        set_timeout(
            move || {
                // The person may have left the device (or the room) within the pause.
                let Some(mut burst) = taps.try_get_untracked() else { return };
                if let Some(value) = burst.settle(tap) {
                    taps.set(burst);
                    send(value);
                }
            },
            TAPS_SETTLE,
        );
    };
    let on_slide = Callback::new(send);

    let id = control.id.clone();
    // The stepper shows the target while taps are settling, else the device's setpoint.
    let shown = move || taps.with(Taps::target).or_else(|| current.get());
    let text = move || shown().map_or_else(|| "—".to_owned(), amount);
    let range = format!("{} – {}", amount(bounds.min), amount(bounds.max));
    let blocked = move |direction: f64| {
        commander.is_pending() || shown().and_then(|v| bounds.step_from(v, direction)).is_none()
    };
    let target_id = format!("{base}-target");
    let side_by_side = move || {
        sent.get().map(|target| {
            let now = current.get().map_or_else(|| "not reported".to_owned(), amount);
            view! {
                <p id=target_id.clone() class="setpoint-target">
                    <span>"Target " <strong>{amount(target)}</strong></span>
                    <span class="muted">"Device " {now}</span>
                </p>
            }
        })
    };

    let exact = RwSignal::new(String::new());
    let exact_error = RwSignal::new(None::<String>);
    let submit_exact = move || match unit.with_value(|u| bounds.exact(&exact.get_untracked(), u.as_deref())) {
        Ok(value) => {
            exact_error.set(None);
            exact.set(String::new());
            send(value);
        }
        Err(why) => exact_error.set(Some(why)),
    };

    view! {
        <div class="control control-setpoint" data-control-id=id.clone() class:critical=control.critical>
            <div class="control-main">
                {control_label(&control, &base)}
                <span class="control-range muted">{range}</span>
            </div>
            <div
                id=format!("{base}")
                class="stepper"
                role="group"
                aria-labelledby=format!("{base}-label")
                aria-describedby=format!("{base}-status")
                data-reported=move || current.get().map_or_else(|| "unknown".to_owned(), |v| v.to_string())
                data-target=move || taps.with(Taps::target).map(|v| v.to_string())
            >
                <button
                    id=format!("{base}-decrease")
                    type="button"
                    class="stepper-button"
                    aria-label=format!("Lower {} by {}", control.label, step)
                    disabled=move || blocked(-1.0)
                    on:click=move |_| press(-1.0)
                >
                    "−"
                </button>
                <output
                    id=format!("{base}-value")
                    class="stepper-value"
                    class:moving=move || taps.with(|t| t.target().is_some())
                    aria-live="polite"
                >
                    {text}
                </output>
                <button
                    id=format!("{base}-increase")
                    type="button"
                    class="stepper-button"
                    aria-label=format!("Raise {} by {}", control.label, step)
                    disabled=move || blocked(1.0)
                    on:click=move |_| press(1.0)
                >
                    "+"
                </button>
            </div>
            <CommitSlider
                input_id=format!("{base}-slider")
                labelled_by=format!("{base}-label")
                described_by=format!("{base}-status")
                min=bounds.min
                max=bounds.max
                step=step
                unit=unit.get_value().unwrap_or_default()
                reported=current
                disabled=Signal::derive(move || commander.is_pending())
                on_commit=on_slide
            />
            <form
                class="setpoint-exact"
                on:submit=move |ev| {
                    ev.prevent_default();
                    submit_exact();
                }
            >
                <label for=format!("{base}-exact") class="visually-hidden">
                    {format!("Exact {}", control.label.to_lowercase())}
                </label>
                <input
                    id=format!("{base}-exact")
                    type="text"
                    inputmode="decimal"
                    class="setpoint-exact-input"
                    placeholder="Exact value"
                    autocomplete="off"
                    aria-invalid=move || exact_error.with(Option::is_some).to_string()
                    aria-describedby=format!("{base}-exact-error")
                    prop:value=move || exact.get()
                    on:input=move |ev| exact.set(event_target_value(&ev))
                />
                <button type="submit" class="button secondary small" disabled=move || commander.is_pending()>
                    "Set"
                </button>
            </form>
            {
                let error_id = format!("{base}-exact-error");
                move || exact_error.get().map(|why| view! {
                    <p id=error_id.clone() class="inline-error small" role="alert">{why}</p>
                })
            }
            {side_by_side}
            <ControlStatus base=base.clone() commander=commander />
            <ConfirmBox base=base.clone() label=control.label.clone() commander=commander />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETPOINT: Bounds = Bounds { min: 16.0, max: 28.0, step: 0.5 };

    #[test]
    fn taps_move_a_target_and_only_the_last_one_sends() {
        let mut taps = Taps::default();
        let first = taps.tap(Some(21.0), 1.0, SETPOINT).unwrap();
        let second = taps.tap(Some(21.0), 1.0, SETPOINT).unwrap();
        let third = taps.tap(Some(21.0), 1.0, SETPOINT).unwrap();
        assert_eq!(taps.target(), Some(22.5), "each tap moves from the target, not the report");
        assert_eq!(taps.settle(first), None, "a later tap came");
        assert_eq!(taps.settle(second), None);
        assert_eq!(taps.settle(third), Some(22.5), "one command, with the last target");
        assert_eq!(taps.settle(third), None, "sent once");
        assert_eq!(taps.target(), None, "the stepper rests on the report again");
    }

    #[test]
    fn a_tap_after_the_pause_steps_from_the_target_sent_until_the_device_reports_it() {
        let mut taps = Taps::default();
        let first = taps.tap(resting_target(None, Some(21.0)), 1.0, SETPOINT).unwrap();
        let sent = taps.settle(first);
        assert_eq!(sent, Some(21.5));
        // The device still reports 21: the next tap goes on from 21.5.
        let second = taps.tap(resting_target(sent, Some(21.0)), 1.0, SETPOINT).unwrap();
        assert_eq!(taps.settle(second), Some(22.0));
        // Reported (or given up), nothing is pending: taps start from the report.
        assert_eq!(resting_target(None, Some(22.0)), Some(22.0));
    }

    #[test]
    fn taps_stop_at_the_bounds_and_need_a_reported_value() {
        let mut taps = Taps::default();
        assert_eq!(taps.tap(None, 1.0, SETPOINT), None, "nothing to step from");
        assert_eq!(taps.tap(Some(28.0), 1.0, SETPOINT), None, "at the top");
        let n = taps.tap(Some(27.9), 1.0, SETPOINT).unwrap();
        assert_eq!(taps.settle(n), Some(28.0), "onto the grid, within bounds");
    }

    #[test]
    fn an_exact_value_is_checked_and_put_on_the_grid() {
        assert_eq!(SETPOINT.exact("21.3", None), Ok(21.5));
        assert_eq!(SETPOINT.exact(" 21,5 ", None), Ok(21.5), "a decimal comma");
        assert_eq!(SETPOINT.exact("16", None), Ok(16.0));
        let refused = SETPOINT.exact("40", Some("°C")).unwrap_err();
        assert_eq!(refused, "Enter a value from 16 °C to 28 °C.");
        assert!(SETPOINT.exact("warm", None).is_err());
        assert!(SETPOINT.exact("NaN", None).is_err());
    }
}

//! An on/off control. It always shows what the device reports, never what was requested, and
//! calls a command done only when the device's own report confirms it.

use crate::ipc;
use atrium_ipc::{ControlAction, ControlCommand, ControlDescriptor, ControlKind, LiveValue, TelemetryValue};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::BTreeMap;
use std::time::Duration;

/// How long to wait for the device's report after the server accepted the command.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);
/// A report this much older than the acceptance still counts (clocks of server and device differ).
const CLOCK_SLACK_MS: i64 = 2_000;

/// The device's reported on/off state, if the value reads as one.
pub(crate) fn reported_state(value: &TelemetryValue) -> Option<bool> {
    match value {
        TelemetryValue::Bool(b) => Some(*b),
        TelemetryValue::Number(n) => Some(*n != 0.0),
        TelemetryValue::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
            "true" | "on" | "1" => Some(true),
            "false" | "off" | "0" => Some(false),
            _ => None,
        },
        TelemetryValue::Missing => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum SwitchStatus {
    Idle,
    /// A critical control waits for the person to confirm turning it `on`/off.
    AskingToConfirm {
        on: bool,
    },
    /// The command is on its way to the server.
    Sending {
        on: bool,
    },
    /// The server accepted it; waiting for the device's report.
    Waiting {
        on: bool,
        accepted_at_ms: i64,
        attempt: u32,
    },
    Confirmed,
    Failed(String),
}

impl SwitchStatus {
    fn name(&self) -> &'static str {
        match self {
            Self::Idle | Self::AskingToConfirm { .. } => "idle",
            Self::Sending { .. } | Self::Waiting { .. } => "pending",
            Self::Confirmed => "confirmed",
            Self::Failed(_) => "failed",
        }
    }

    fn text(&self) -> String {
        match self {
            Self::Idle | Self::AskingToConfirm { .. } => String::new(),
            Self::Sending { .. } => "Sending…".to_owned(),
            Self::Waiting { .. } => "Waiting for the device…".to_owned(),
            Self::Confirmed => "Confirmed".to_owned(),
            Self::Failed(message) => message.clone(),
        }
    }

    fn is_pending(&self) -> bool {
        matches!(self, Self::Sending { .. } | Self::Waiting { .. })
    }
}

/// Whether `value` is the device confirming a request to turn it `on`, accepted at `accepted_at_ms`.
fn confirms(value: &LiveValue, on: bool, accepted_at_ms: i64) -> bool {
    value.ts >= accepted_at_ms - CLOCK_SLACK_MS && reported_state(&value.value) == Some(on)
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn ControlSwitch(
    device_id: String,
    control: ControlDescriptor,
    /// The device's live values, where the switch finds its reported state.
    values: ReadSignal<BTreeMap<String, LiveValue>>,
) -> impl IntoView {
    let state_key = match &control.kind {
        ControlKind::Switch { state_key } => state_key.clone(),
        _ => String::new(),
    };
    let status = RwSignal::new(SwitchStatus::Idle);
    let attempts = StoredValue::new(0_u32);
    let reported = {
        let state_key = state_key.clone();
        Memo::new(move |_| values.with(|m| m.get(&state_key).and_then(|v| reported_state(&v.value))))
    };

    // Confirmation: the device reports the requested state, newer than the acceptance.
    {
        let state_key = state_key.clone();
        Effect::new(move |_| {
            if let SwitchStatus::Waiting { on, accepted_at_ms, .. } = status.get() {
                let done =
                    values.with(|m| m.get(&state_key).is_some_and(|v| confirms(v, on, accepted_at_ms)));
                if done {
                    status.set(SwitchStatus::Confirmed);
                }
            }
        });
    }

    let send = {
        let device_id = device_id.clone();
        let control_id = control.id.clone();
        move |on: bool| {
            status.set(SwitchStatus::Sending { on });
            let command = ControlCommand {
                device_id: device_id.clone(),
                control_id: control_id.clone(),
                action: ControlAction::SetSwitch { on },
            };
            spawn_local(async move {
                match ipc::operate_control(&command).await {
                    Err(err) => {
                        status.set(SwitchStatus::Failed(err.message));
                    }
                    Ok(ack) => {
                        let attempt = attempts.try_update_value(|a| {
                            *a += 1;
                            *a
                        });
                        let Some(attempt) = attempt else { return };
                        status.set(SwitchStatus::Waiting { on, accepted_at_ms: ack.accepted_at_ms, attempt });
                        set_timeout(
                            move || {
                                status.try_update(|s| {
                                    if matches!(s, SwitchStatus::Waiting { attempt: a, .. } if *a == attempt)
                                    {
                                        *s = SwitchStatus::Failed(
                                            "The device did not confirm. Check it and try again.".to_owned(),
                                        );
                                    }
                                });
                            },
                            CONFIRM_TIMEOUT,
                        );
                    }
                }
            });
        }
    };

    let on_click = {
        let send = send.clone();
        let critical = control.critical;
        move |_| {
            if status.with_untracked(SwitchStatus::is_pending) {
                return;
            }
            // Unknown counts as off: the request is then to turn it on.
            let on = !reported.get_untracked().unwrap_or(false);
            if critical {
                status.set(SwitchStatus::AskingToConfirm { on });
            } else {
                send(on);
            }
        }
    };

    let id = control.id.clone();
    let label = control.label.clone();
    let button_id = format!("control-{id}");
    let label_id = format!("control-{id}-label");
    let status_id = format!("control-{id}-status");
    let confirm_id = format!("control-{id}-confirm");
    let cancel_id = format!("control-{id}-cancel");
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

    let confirm_box = {
        let label = label.clone();
        move || {
            let SwitchStatus::AskingToConfirm { on } = status.get() else { return None };
            let send = send.clone();
            let action = if on { "Turn on" } else { "Turn off" };
            let question = format!("{action} {label}? This is a critical control.");
            let aria_label = question.clone();
            Some(view! {
                <div class="confirm" role="alertdialog" aria-label=aria_label>
                    <p class="confirm-question">{question}</p>
                    <div class="confirm-actions">
                        <button id=confirm_id.clone() type="button" class="button danger small" on:click=move |_| send(on)>
                            {action}
                        </button>
                        <button
                            id=cancel_id.clone()
                            type="button"
                            class="button ghost small"
                            on:click=move |_| status.set(SwitchStatus::Idle)
                        >
                            "Cancel"
                        </button>
                    </div>
                </div>
            })
        }
    };

    view! {
        <div class="control control-switch" data-control-id=id.clone() class:critical=control.critical>
            <div class="control-main">
                <span id=label_id.clone() class="control-label">
                    {label.clone()}
                    {control.critical.then(|| view! { <span class="critical-tag">"Critical"</span> })}
                </span>
                <button
                    id=button_id
                    type="button"
                    class="switch"
                    role="switch"
                    aria-checked=move || (reported.get() == Some(true)).to_string()
                    aria-labelledby=label_id
                    aria-describedby=status_id.clone()
                    data-reported=reported_name
                    disabled=move || status.with(SwitchStatus::is_pending)
                    on:click=on_click
                >
                    <span class="switch-track" aria-hidden="true">
                        <span class="switch-thumb"></span>
                    </span>
                    <span class="switch-text">{reported_text}</span>
                </button>
            </div>
            <p
                id=status_id
                class="control-status"
                data-status=move || status.with(SwitchStatus::name)
                role="status"
                aria-live="polite"
            >
                {move || status.with(SwitchStatus::is_pending).then(|| view! { <span class="spinner small" aria-hidden="true"></span> })}
                {move || status.with(SwitchStatus::text)}
            </p>
            {confirm_box}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_matching_recent_report_confirms() {
        let v = |ts, b| LiveValue { key: "s".into(), ts, value: TelemetryValue::Bool(b) };
        assert!(confirms(&v(10_000, true), true, 11_000));
        assert!(!confirms(&v(8_000, true), true, 11_000));
        assert!(!confirms(&v(12_000, false), true, 11_000));
        assert_eq!(reported_state(&TelemetryValue::Text("ON".into())), Some(true));
        assert_eq!(reported_state(&TelemetryValue::Missing), None);
    }
}

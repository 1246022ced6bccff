//! The device's own active alarms on its page, with Acknowledge and Clear as in the alarms view.

use crate::components::alarms_panel::AlarmRows;
use crate::hooks::{use_alarm_actions, use_alarms};
use atrium_ipc::{AlarmStatusFilter, WatchAlarmsArgs};
use leptos::prelude::*;

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn DeviceAlarms(device_id: String) -> impl IntoView {
    let args = Signal::derive(move || WatchAlarmsArgs {
        node_id: Some(device_id.clone()),
        severities: Vec::new(),
        status: AlarmStatusFilter::Active,
    });
    let alarms = use_alarms(args);
    let actions = use_alarm_actions();
    let highlight = RwSignal::new(None::<String>);
    let count = move || alarms.list.with(|l| l.as_ref().map(|l| l.rows.len()).filter(|n| *n > 0));
    let body = move || {
        if let Some(err) = alarms.error.get() {
            return view! { <p class="inline-error" role="alert">{err.message}</p> }.into_any();
        }
        match alarms.list.get() {
            None => view! {
                <p class="muted loading" aria-busy="true">
                    <span class="spinner" aria-hidden="true"></span>
                    "Checking for alarms…"
                </p>
            }
            .into_any(),
            Some(list) if list.rows.is_empty() => {
                view! { <p id="device-alarms-empty" class="muted">"No active alarms."</p> }.into_any()
            }
            Some(list) => view! {
                <AlarmRows
                    id="device-alarm-list"
                    label="Active alarms of this device"
                    rows=list.rows
                    actions=actions
                    highlight=highlight
                />
            }
            .into_any(),
        }
    };
    view! {
        <section class="device-section" aria-labelledby="device-alarms-title">
            <div class="section-head">
                <h3 id="device-alarms-title" class="section-title">"Active alarms"</h3>
                {move || count().map(|n| view! { <span class="count-badge">{n}</span> })}
            </div>
            {body}
        </section>
    }
}

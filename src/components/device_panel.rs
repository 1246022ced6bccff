//! The device panel: who the selected device is, its controls, and its live values.

use crate::components::connectivity_pill::ConnectivityPill;
use crate::components::controls::Control;
use crate::components::device_alarms::DeviceAlarms;
use crate::components::device_attributes::{AttributesSection, AttributesState};
use crate::components::device_history::DeviceHistory;
use crate::components::quantity::quantity_with;
use crate::hooks::{
    use_clock, use_connection, use_connectivity, use_control_readings, use_device_telemetry, DeviceTelemetry,
};
use crate::ipc;
use atrium_ipc::{AppError, Connectivity, DeviceDetail, LiveValue, TelemetryValue};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::BTreeMap;

/// A value is late after this many of its key's reporting intervals.
const LATE_AFTER_INTERVALS: i64 = 3;
/// Without a known interval: the server's default inactivity timeout.
const STALE_WITHOUT_INTERVAL_MS: i64 = 600_000;

/// When a value of a key reported every `interval_ms` counts as stale: after a few intervals,
/// at least a minute (reports batch and jitter), at most a day.
pub(crate) fn stale_after_ms(interval_ms: Option<i64>) -> i64 {
    match interval_ms {
        Some(interval) if interval > 0 => {
            interval.saturating_mul(LATE_AFTER_INTERVALS).clamp(60_000, 86_400_000)
        }
        _ => STALE_WITHOUT_INTERVAL_MS,
    }
}

/// "5 min", "2 h", "45 s".
fn duration_text(ms: i64) -> String {
    match ms / 1000 {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s => format!("{} h", s / 3600),
    }
}

/// A value as a person reads it: numbers with sensible decimals, booleans as On/Off.
pub(crate) fn format_value(value: &TelemetryValue) -> String {
    match value {
        TelemetryValue::Number(n) => format_number(*n),
        TelemetryValue::Bool(true) => "On".to_owned(),
        TelemetryValue::Bool(false) => "Off".to_owned(),
        TelemetryValue::Text(t) if t.trim().is_empty() => "—".to_owned(),
        TelemetryValue::Text(t) => t.clone(),
        TelemetryValue::Missing => "—".to_owned(),
    }
}

pub(crate) fn format_number(n: f64) -> String {
    if !n.is_finite() {
        return n.to_string();
    }
    if n.fract() == 0.0 && n.abs() < 1e15 {
        return format!("{n:.0}");
    }
    let decimals = match n.abs() {
        a if a >= 100.0 => 1,
        a if a >= 0.01 => 2,
        _ => 4,
    };
    let text = format!("{n:.decimals$}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// "12 s ago", "3 min ago", ...
pub(crate) fn format_age(age_ms: f64) -> String {
    let seconds = (age_ms.max(0.0) / 1000.0).floor() as u64;
    match seconds {
        0 => "just now".to_owned(),
        s if s < 60 => format!("{s} s ago"),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s => format!("{} d ago", s / 86_400),
    }
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn DevicePanel(
    /// The id of the selected device.
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    // Only a different device re-creates the view (and its watch).
    let current = Memo::new(move |_| selected.get());
    view! {
        <section id="device-panel" class="panel device-panel" aria-label="Device">
            {move || match current.get() {
                None => view! {
                    <div class="empty-state">
                        <svg class="empty-icon" viewBox="0 0 48 48" width="48" height="48" aria-hidden="true">
                            <rect x="14" y="14" width="20" height="20" rx="3" fill="none" stroke="currentColor" stroke-width="2" />
                            <path d="M20 8v6M28 8v6M20 34v6M28 34v6M8 20h6M8 28h6M34 20h6M34 28h6"
                                stroke="currentColor" stroke-width="2" stroke-linecap="round" />
                        </svg>
                        <p class="empty-title">"Select a device"</p>
                        <p class="muted">"Choose a device in the building tree to see its live values and controls."</p>
                    </div>
                }
                .into_any(),
                Some(id) => view! { <DeviceView device_id=id /> }.into_any(),
            }}
        </section>
    }
}

#[derive(Debug, Clone, PartialEq)]
enum DetailState {
    Loading,
    Failed(AppError),
    Loaded(DeviceDetail),
}

#[component]
fn DeviceView(device_id: String) -> impl IntoView {
    let telemetry = use_device_telemetry(device_id.clone());
    let history_device = device_id.clone();
    let alarms_device = device_id.clone();
    // How often each key is reported, asked once the first values name the keys.
    let intervals = RwSignal::new(BTreeMap::<String, i64>::new());
    let intervals_asked = StoredValue::new(false);
    {
        let device_id = device_id.clone();
        Effect::new(move |_| {
            if !telemetry.received.get() || intervals_asked.get_value() {
                return;
            }
            intervals_asked.set_value(true);
            let keys: Vec<String> = telemetry.values.with_untracked(|m| m.keys().cloned().collect());
            let device_id = device_id.clone();
            spawn_local(async move {
                match ipc::reporting_intervals(&device_id, keys).await {
                    Ok(found) => {
                        intervals.try_set(found);
                    }
                    Err(err) => ipc::log_error("reading how often values are reported", &err),
                }
            });
        });
    }
    let connectivity = use_connectivity(device_id.clone());
    let attributes = RwSignal::new(AttributesState::Loading);
    let load_attributes = {
        let device_id = device_id.clone();
        move || {
            attributes.set(AttributesState::Loading);
            let device_id = device_id.clone();
            spawn_local(async move {
                let next = match ipc::device_attributes(&device_id).await {
                    Ok(a) => AttributesState::Loaded(a),
                    Err(e) => AttributesState::Failed(e),
                };
                attributes.try_set(next);
            });
        }
    };
    load_attributes();
    let reload_attributes = Callback::new(move |()| load_attributes());
    // The device's own units (`atriumUnits`) once its attributes are read.
    let units = Memo::new(move |_| {
        attributes.with(|a| match a {
            AttributesState::Loaded(a) => a.units.clone(),
            _ => BTreeMap::new(),
        })
    });
    let detail = RwSignal::new(DetailState::Loading);

    let load = {
        let device_id = device_id.clone();
        move || {
            detail.set(DetailState::Loading);
            let device_id = device_id.clone();
            spawn_local(async move {
                let next = match ipc::device_detail(&device_id).await {
                    Ok(d) => DetailState::Loaded(d),
                    Err(e) => DetailState::Failed(e),
                };
                detail.set(next);
            });
        }
    };
    load();

    let header = move || match detail.get() {
        DetailState::Loading => view! {
            <header class="device-header">
                <p class="muted loading" aria-busy="true">
                    <span class="spinner" aria-hidden="true"></span>
                    "Loading the device…"
                </p>
            </header>
        }
        .into_any(),
        DetailState::Failed(err) => {
            let load = load.clone();
            view! {
                <header class="device-header">
                    <div class="inline-error" role="alert">
                        <p id="device-error">{err.message}</p>
                        <button id="device-retry" type="button" class="button secondary small" on:click=move |_| load()>
                            "Retry"
                        </button>
                    </div>
                </header>
            }
            .into_any()
        }
        DetailState::Loaded(d) => device_header(d, connectivity).into_any(),
    };

    view! {
        <div class="device-view" data-device-id=device_id>
            {header}
            <DeviceAlarms device_id=alarms_device />
            <LiveValues telemetry=telemetry units=units intervals=intervals.read_only() />
            <DeviceHistory device_id=history_device telemetry=telemetry units=units />
            <AttributesSection state=attributes.read_only() reload=reload_attributes />
        </div>
    }
}

fn device_header(d: DeviceDetail, connectivity: ReadSignal<Option<Connectivity>>) -> impl IntoView {
    let title = d.name.clone();
    let subtitle = d.aside().map(str::to_owned);
    let device_id = d.id.clone();
    // Each control reads its own state (a time series, an attribute or its get method).
    let values = use_control_readings(device_id.clone()).values;
    let controls = d
        .controls
        .into_iter()
        .map(|control| view! { <Control device_id=device_id.clone() control=control values=values /> })
        .collect::<Vec<_>>();
    let has_controls = !controls.is_empty();
    let note = d.controls_note.clone();

    view! {
        <header class="device-header">
            <div class="device-heading">
                <h2 id="device-name" class="device-name">{title}</h2>
                <ConnectivityPill connectivity=connectivity read_once=d.active />
            </div>
            {(!d.place.is_empty()).then(|| view! { <p id="device-place" class="device-place">{d.place.join(" · ")}</p> })}
            <p class="device-meta">
                <span id="device-type" class="device-type">{d.type_name}</span>
                {subtitle.map(|label| view! { <span class="device-label">{label}</span> })}
            </p>
        </header>
        {(has_controls || note.is_some()).then(|| view! {
            <section class="device-section" aria-labelledby="controls-title">
                <h3 id="controls-title" class="section-title">"Controls"</h3>
                {note.map(|note| view! { <p id="controls-note" class="controls-note" role="note">{note}</p> })}
                <div class="controls">{controls}</div>
            </section>
        })}
    }
}

#[component]
fn LiveValues(
    telemetry: DeviceTelemetry,
    units: Memo<BTreeMap<String, String>>,
    intervals: ReadSignal<BTreeMap<String, i64>>,
) -> impl IntoView {
    let connection = use_connection();
    let keys = move || telemetry.values.with(|m| m.keys().cloned().collect::<Vec<_>>());
    let has_values = move || telemetry.values.with(|m| !m.is_empty());

    let notice = move || {
        (!connection.is_live()).then(|| {
            view! {
                <p class="stale-notice" role="status">
                    "Not connected: the values below may be out of date."
                </p>
            }
        })
    };
    let body = move || {
        if let Some(err) = telemetry.error.get() {
            return view! { <p class="inline-error watch-error" role="alert">{err.message}</p> }.into_any();
        }
        if !telemetry.received.get() {
            return view! {
                <p class="muted loading" aria-busy="true">
                    <span class="spinner" aria-hidden="true"></span>
                    "Waiting for values…"
                </p>
            }
            .into_any();
        }
        if !has_values() {
            return view! { <p class="muted">"This device has not reported any values yet."</p> }.into_any();
        }
        view! {
            <table class="live-values">
                <thead>
                    <tr>
                        <th scope="col">"Reading"</th>
                        <th scope="col" class="num">"Value"</th>
                        <th scope="col" class="num">"Updated"</th>
                    </tr>
                </thead>
                <tbody>
                    <For each=keys key=|k| k.clone() children=move |key| view! { <LiveRow key=key telemetry=telemetry units=units intervals=intervals /> } />
                </tbody>
            </table>
        }
        .into_any()
    };

    view! {
        <section class="device-section" aria-labelledby="values-title">
            <h3 id="values-title" class="section-title">"Live values"</h3>
            {notice}
            {body}
        </section>
    }
}

#[component]
fn LiveRow(
    key: String,
    telemetry: DeviceTelemetry,
    units: Memo<BTreeMap<String, String>>,
    intervals: ReadSignal<BTreeMap<String, i64>>,
) -> impl IntoView {
    let connection = use_connection();
    let clock = use_clock();
    let value = {
        let key = key.clone();
        Memo::new(move |_| telemetry.values.with(|m| m.get(&key).cloned()))
    };
    let age_ms = move || {
        value.with(|v| v.as_ref().map_or(f64::INFINITY, |v: &LiveValue| clock.now_ms() - v.ts as f64))
    };
    let late_after = {
        let key = key.clone();
        Memo::new(move |_| stale_after_ms(intervals.with(|i| i.get(&key).copied())))
    };
    let stale = move || !connection.is_live() || age_ms() > late_after.get() as f64;
    let text = {
        let key = key.clone();
        move || {
            value.with(|v| match v.as_ref().map(|v| &v.value) {
                Some(TelemetryValue::Number(n)) => units.with(|u| quantity_with(&key, u).format(*n)),
                Some(other) => format_value(other),
                None => "—".into(),
            })
        }
    };
    let label = {
        let key = key.clone();
        move || units.with(|u| quantity_with(&key, u).label.to_owned())
    };
    let raw_key = {
        let key = key.clone();
        move || units.with(|u| (quantity_with(&key, u).label != key).then(|| key.clone()))
    };
    let age = move || {
        value.with(|v| match v {
            Some(v) if v.ts > 0 => format_age(age_ms()),
            _ => "never".to_owned(),
        })
    };
    let title = move || {
        if !connection.is_live() {
            "Not live: the connection is not up.".to_owned()
        } else if stale() {
            format!("Not updated for more than {}.", duration_text(late_after.get()))
        } else {
            "Live".to_owned()
        }
    };

    view! {
        <tr class="live-value" class:stale=stale data-key=key.clone() data-stale=move || stale().to_string() title=title>
            <th scope="row" class="key">
                <span class="reading-label">{label}</span>
                {move || raw_key().map(|k| view! { <span class="reading-key">{k}</span> })}
            </th>
            <td class="value num">{text}</td>
            <td class="age num">{age}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_readable() {
        assert_eq!(format_number(21.0), "21");
        assert_eq!(format_number(21.456), "21.46");
        assert_eq!(format_number(1234.56), "1234.6");
        assert_eq!(format_number(0.5), "0.5");
        assert_eq!(format_number(0.00123), "0.0012");
        assert_eq!(format_number(-0.0001), "-0.0001");
        assert_eq!(format_value(&TelemetryValue::Bool(true)), "On");
    }

    #[test]
    fn a_value_is_late_after_a_few_of_its_own_intervals() {
        assert_eq!(stale_after_ms(Some(300_000)), 900_000);
        assert_eq!(stale_after_ms(Some(2_000)), 60_000, "at least a minute");
        assert_eq!(stale_after_ms(Some(i64::MAX)), 86_400_000, "at most a day");
        assert_eq!(stale_after_ms(None), 600_000);
        assert_eq!(duration_text(900_000), "15 min");
    }

    #[test]
    fn ages_are_short() {
        assert_eq!(format_age(12_400.0), "12 s ago");
        assert_eq!(format_age(-5.0), "just now");
        assert_eq!(format_age(180_000.0), "3 min ago");
    }
}

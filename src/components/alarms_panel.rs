//! The alarms of a place (or of everything): filters by status and severity, each alarm with its
//! place in the building, age and status, acknowledged or cleared in place (clearing asks first).

use crate::components::device_panel::format_age;
use crate::components::quantity::{key_words, quantity};
use crate::hooks::{
    effective_row, use_alarm_actions, use_alarms, use_clock, use_connection, AlarmActionState, AlarmActions,
    AlarmVerb,
};
use atrium_ipc::{AlarmList, AlarmRow, AlarmSeverity, AlarmStatusFilter, WatchAlarmsArgs};
use leptos::prelude::*;

const STATUSES: [(AlarmStatusFilter, &str, &str); 4] = [
    (AlarmStatusFilter::Active, "active", "Active"),
    (AlarmStatusFilter::Unacknowledged, "unacknowledged", "Unacknowledged"),
    (AlarmStatusFilter::Cleared, "cleared", "Cleared"),
    (AlarmStatusFilter::All, "all", "All"),
];

fn status_value(status: AlarmStatusFilter) -> &'static str {
    STATUSES.iter().find(|(s, _, _)| *s == status).map_or("active", |(_, v, _)| v)
}

fn status_from(value: &str) -> AlarmStatusFilter {
    STATUSES.iter().find(|(_, v, _)| *v == value).map_or(AlarmStatusFilter::Active, |(s, _, _)| *s)
}

/// "Active, unacknowledged", "Cleared, acknowledged".
pub(crate) fn status_text(row: &AlarmRow) -> &'static str {
    match (row.cleared, row.acknowledged) {
        (false, false) => "Active, unacknowledged",
        (false, true) => "Active, acknowledged",
        (true, false) => "Cleared, unacknowledged",
        (true, true) => "Cleared, acknowledged",
    }
}

/// "Room NT-204 · Floor 2 · North Tower": the nearest place first, as a person says it.
pub(crate) fn place_text(row: &AlarmRow) -> String {
    if row.place.is_empty() {
        return "Not placed in the building".to_owned();
    }
    row.place.iter().rev().cloned().collect::<Vec<_>>().join(" · ")
}

/// A rule's details for a person: "Co2: 1450 · Last disconnect time: 03/12/2026, 03:31" (times in
/// the user's locale); text that is not a JSON object is shown as it is.
pub(crate) fn details_text(details: &str, format_time: impl Fn(f64) -> String) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str::<serde_json::Value>(details) else {
        return details.to_owned();
    };
    fields
        .iter()
        .map(|(key, value)| {
            let is_time = key.ends_with("Time") || key.ends_with("Ts");
            let known = quantity(key);
            let shown = match value {
                serde_json::Value::Number(n) if is_time && n.as_f64().is_some_and(|ms| ms > 1e12) => {
                    format_time(n.as_f64().unwrap_or_default())
                }
                serde_json::Value::Number(n) if known.unit.is_some() => {
                    known.format(n.as_f64().unwrap_or_default())
                }
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let label = if known.unit.is_some() { known.label.to_owned() } else { key_words(key) };
            format!("{label}: {shown}")
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn local_time(ms: f64) -> String {
    js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms))
        .to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED)
        .as_string()
        .unwrap_or_default()
}

/// What the list is empty of: "No active alarms in Lobby."
fn empty_text(status: AlarmStatusFilter, severities: &[AlarmSeverity], scope: Option<&str>) -> String {
    let status = match status {
        AlarmStatusFilter::Active => "active ",
        AlarmStatusFilter::Unacknowledged => "unacknowledged ",
        AlarmStatusFilter::Cleared => "cleared ",
        AlarmStatusFilter::All => "",
    };
    let severity = if severities.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = severities.iter().map(|s| s.label().to_lowercase()).collect();
        format!("{} ", names.join(" or "))
    };
    let place = scope.map_or_else(|| " anywhere".to_owned(), |s| format!(" in {s}"));
    format!("No {status}{severity}alarms{place}.")
}

/// "Showing the newest 1024 of 1300 alarms." and the other limits a list can hit.
fn limits_text(list: &AlarmList) -> Vec<String> {
    let mut notes = Vec::new();
    let shown = list.rows.len() as i64;
    if list.total > shown {
        notes.push(format!("Showing the newest {shown} of {} alarms.", list.total));
    }
    if list.devices_cut {
        notes.push(
            "This place has more devices than the server searches for alarms; some may be missing.".into(),
        );
    }
    if !list.live {
        notes.push(
            "Not live: the server did not answer for a live alarm list, so the list is read again when \
             the alarm count changes."
                .into(),
        );
    }
    notes
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn AlarmsPanel(
    /// The place whose alarms to show (an asset or a device); `None` for everything.
    scope: Signal<Option<String>>,
    /// An alarm to bring into view and mark, once it is listed (a notification was clicked).
    highlight: RwSignal<Option<String>>,
    /// Closes the panel (back to the place or device).
    on_close: Callback<()>,
) -> impl IntoView {
    let status = RwSignal::new(AlarmStatusFilter::Active);
    let severities = RwSignal::new(Vec::<AlarmSeverity>::new());
    let args = Signal::derive(move || WatchAlarmsArgs {
        node_id: scope.get(),
        severities: severities.get(),
        status: status.get(),
    });
    // A notified alarm is active and critical or major: make sure the filters show it.
    Effect::new(move |_| {
        if highlight.with(Option::is_some) {
            status.set(AlarmStatusFilter::Active);
            severities.set(Vec::new());
        }
    });
    let alarms = use_alarms(args);
    let actions = use_alarm_actions();
    let connection = use_connection();

    let title = move || {
        alarms.list.with(|l| match l.as_ref().and_then(|l| l.scope_name.clone()) {
            Some(name) => format!("Alarms in {name}"),
            None if scope.with(Option::is_some) => "Alarms".to_owned(),
            None => "All alarms".to_owned(),
        })
    };
    let severity_chip = move |severity: AlarmSeverity| {
        let pressed = move || severities.with(|s| s.contains(&severity));
        let toggle = move |_| {
            severities.update(|s| {
                if let Some(i) = s.iter().position(|x| *x == severity) {
                    s.remove(i);
                } else {
                    s.push(severity);
                    s.sort();
                }
            });
        };
        view! {
            <button
                type="button"
                class=format!("chip severity {}", severity.as_str().to_lowercase())
                aria-pressed=move || pressed().to_string()
                data-severity=severity.as_str()
                on:click=toggle
            >
                {severity.label()}
            </button>
        }
    };
    let body = move || {
        if let Some(err) = alarms.error.get() {
            return view! { <p class="inline-error watch-error" role="alert">{err.message}</p> }.into_any();
        }
        let Some(list) = alarms.list.get() else {
            return view! {
                <p class="muted loading" aria-busy="true">
                    <span class="spinner" aria-hidden="true"></span>
                    "Loading alarms…"
                </p>
            }
            .into_any();
        };
        let notes = limits_text(&list)
            .into_iter()
            .map(|n| view! { <p class="muted alarm-note">{n}</p> })
            .collect_view();
        if list.rows.is_empty() {
            let text =
                empty_text(status.get_untracked(), &severities.get_untracked(), list.scope_name.as_deref());
            return view! {
                <p id="alarms-empty" class="muted empty-state">{text}</p>
                {notes}
            }
            .into_any();
        }
        view! {
            <AlarmRows id="alarm-list" label="Alarms" rows=list.rows actions=actions highlight=highlight />
            {notes}
        }
        .into_any()
    };

    view! {
        <section id="alarms-panel" class="panel alarms-panel" aria-labelledby="alarms-title">
            <header class="device-header alarms-header">
                <div class="device-heading">
                    <h2 id="alarms-title" class="device-name">{title}</h2>
                    <button type="button" id="alarms-close" class="button ghost touch" on:click=move |_| on_close.run(())>
                        "Close"
                    </button>
                </div>
                <div class="alarm-filters" role="group" aria-label="Filter alarms">
                    <label class="alarm-status-filter">
                        <span class="muted">"Status"</span>
                        <select
                            id="alarm-status"
                            prop:value=move || status_value(status.get())
                            on:change=move |ev| status.set(status_from(&event_target_value(&ev)))
                        >
                            {STATUSES
                                .iter()
                                .map(|(s, value, label)| {
                                    let selected = *s == AlarmStatusFilter::Active;
                                    view! { <option value=*value selected=selected>{*label}</option> }
                                })
                                .collect_view()}
                        </select>
                    </label>
                    <div class="severity-chips" role="group" aria-label="Severity">
                        {AlarmSeverity::ALL.into_iter().map(severity_chip).collect_view()}
                    </div>
                </div>
            </header>
            {move || (!connection.is_live()).then(|| view! {
                <p class="stale-notice" role="status">"Not connected: this list may be out of date."</p>
            })}
            {body}
        </section>
    }
}

/// Alarms as a list, each with its actions (the alarms view's, and a device page's).
#[allow(unreachable_pub)]
#[component]
pub(crate) fn AlarmRows(
    id: &'static str,
    label: &'static str,
    rows: Vec<AlarmRow>,
    actions: AlarmActions,
    highlight: RwSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <ul id=id class="alarm-list" aria-label=label>
            {rows.into_iter().map(|row| view! { <AlarmItem row=row actions=actions highlight=highlight /> }).collect_view()}
        </ul>
    }
}

#[component]
fn AlarmItem(row: AlarmRow, actions: AlarmActions, highlight: RwSignal<Option<String>>) -> impl IntoView {
    let clock = use_clock();
    let id = row.id.clone();
    let action = {
        let id = id.clone();
        Memo::new(move |_| actions.state(&id))
    };
    let shown = {
        let row = row.clone();
        Memo::new(move |_| effective_row(&row, action.get().as_ref()))
    };
    let confirming = RwSignal::new(false);
    let severity_class = row.severity.as_str().to_lowercase();
    let started = row.start_ts;
    let age = move || format_age(clock.now_ms() - started as f64);
    let raised_at = local_time(started as f64);
    let pending = move || matches!(action.get(), Some(AlarmActionState::Pending(_)));
    let status_line = move || match action.get() {
        Some(AlarmActionState::Pending(AlarmVerb::Acknowledge)) => {
            Some(("pending", "Acknowledging…".to_owned()))
        }
        Some(AlarmActionState::Pending(AlarmVerb::Clear)) => Some(("pending", "Clearing…".to_owned())),
        Some(AlarmActionState::Failed(_, why)) => Some(("failed", why)),
        Some(AlarmActionState::Confirmed(r)) if r.cleared => Some(("done", "Cleared.".to_owned())),
        Some(AlarmActionState::Confirmed(_)) => Some(("done", "Acknowledged.".to_owned())),
        None => None,
    };
    let ack = {
        let id = id.clone();
        move |_| actions.run(id.clone(), AlarmVerb::Acknowledge)
    };
    let clear = {
        let id = id.clone();
        move |_| {
            confirming.set(false);
            actions.run(id.clone(), AlarmVerb::Clear);
        }
    };
    let type_id = format!("alarm-type-{id}");
    let is_highlighted = {
        let id = id.clone();
        move || highlight.with(|h| h.as_deref() == Some(id.as_str()))
    };
    let item = NodeRef::<leptos::html::Li>::new();
    // The notified alarm: scrolled to and focused once it is drawn, so a screen reader reads it.
    Effect::new({
        let is_highlighted = is_highlighted.clone();
        move |_| {
            if let (true, Some(li)) = (is_highlighted(), item.get()) {
                li.scroll_into_view();
                let _ = li.focus();
            }
        }
    });

    view! {
        <li
            node_ref=item
            tabindex="-1"
            class=format!("alarm-row {severity_class}")
            class:highlighted=is_highlighted
            data-id=id.clone()
            data-severity=row.severity.as_str()
            data-acknowledged=move || shown.with(|r| r.acknowledged.to_string())
            data-cleared=move || shown.with(|r| r.cleared.to_string())
            aria-labelledby=type_id.clone()
        >
            <div class="alarm-main">
                <span class=format!("pill severity {severity_class}")>{row.severity.label()}</span>
                <h3 id=type_id.clone() class="alarm-type">{row.alarm_type.clone()}</h3>
            </div>
            <p class="alarm-where">
                <span class="alarm-originator">{row.originator_name.clone()}</span>
                " · "
                <span class="alarm-place">{place_text(&row)}</span>
            </p>
            <p class="alarm-when muted">
                <span class="alarm-age">{age}</span>
                " · "
                <time>{raised_at}</time>
                " · "
                <span class="alarm-status">{move || shown.with(status_text)}</span>
            </p>
            {row.details.as_deref().map(|d| view! { <p class="alarm-details muted">{details_text(d, local_time)}</p> })}
            <div class="alarm-actions">
                {move || (!shown.with(|r| r.acknowledged)).then(|| view! {
                    <button type="button" class="button secondary touch alarm-ack" disabled=pending on:click=ack.clone()>
                        "Acknowledge"
                    </button>
                })}
                {move || (!shown.with(|r| r.cleared) && !confirming.get()).then(|| view! {
                    <button type="button" class="button ghost touch alarm-clear" disabled=pending on:click=move |_| confirming.set(true)>
                        "Clear…"
                    </button>
                })}
                {move || confirming.get().then(|| view! {
                    <div class="alarm-confirm" role="group" aria-label="Clear this alarm?">
                        <span>"Clear this alarm? Its rule may raise it again."</span>
                        <button type="button" class="button danger touch alarm-clear-confirm" on:click=clear.clone()>"Clear"</button>
                        <button type="button" class="button ghost touch alarm-clear-cancel" on:click=move |_| confirming.set(false)>"Keep"</button>
                    </div>
                })}
            </div>
            {move || status_line().map(|(kind, text)| view! {
                <p class="alarm-action-status" data-status=kind role="status">{text}</p>
            })}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> AlarmRow {
        AlarmRow {
            id: "a".into(),
            alarm_type: "High CO2".into(),
            severity: AlarmSeverity::Major,
            acknowledged: false,
            cleared: false,
            originator_id: "d".into(),
            originator_name: "Probe".into(),
            place: vec!["North Tower".into(), "Floor 2".into(), "Room NT-204".into()],
            start_ts: 1,
            ack_ts: 0,
            clear_ts: 0,
            details: None,
        }
    }

    #[test]
    fn alarms_read_as_a_person_says_them() {
        assert_eq!(place_text(&row()), "Room NT-204 · Floor 2 · North Tower");
        assert_eq!(place_text(&AlarmRow { place: vec![], ..row() }), "Not placed in the building");
        assert_eq!(status_text(&AlarmRow { acknowledged: true, ..row() }), "Active, acknowledged");
        assert_eq!(empty_text(AlarmStatusFilter::Active, &[], Some("Lobby")), "No active alarms in Lobby.");
        assert_eq!(
            empty_text(AlarmStatusFilter::All, &[AlarmSeverity::Critical, AlarmSeverity::Major], None),
            "No critical or major alarms anywhere."
        );
        assert_eq!(status_from("cleared"), AlarmStatusFilter::Cleared);
        assert_eq!(status_from("bogus"), AlarmStatusFilter::Active);
        assert_eq!(status_value(AlarmStatusFilter::Unacknowledged), "unacknowledged");
        assert_eq!(
            details_text(r#"{"co2":1450,"lastDisconnectTime":1796268670260}"#, |_| "then".into()),
            "CO₂: 1450 ppm · Last disconnect time: then"
        );
        assert_eq!(details_text("free text", |_| String::new()), "free text");
    }

    #[test]
    fn a_confirmed_action_is_never_undone_by_an_older_list() {
        let answer = AlarmRow { acknowledged: true, ack_ts: 9, ..row() };
        let shown = effective_row(&row(), Some(&AlarmActionState::Confirmed(answer)));
        assert!(shown.acknowledged && shown.ack_ts == 9);
    }
}

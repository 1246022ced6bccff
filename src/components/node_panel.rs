//! The node panel: an opened site, building, floor or room, with a live summary of each child
//! (devices, offline, average temperature with its age, worst active alarm).

use crate::components::device_panel::format_age;
use crate::hooks::{use_clock, use_connection, use_node_rollup};
use atrium_ipc::{NodeKind, NodeRollup};
use leptos::prelude::*;

/// A temperature older than this is marked stale even while the connection is live.
const STALE_AFTER_MS: f64 = 120_000.0;

/// The kind as a person reads it.
fn kind_label(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Site => "Site",
        NodeKind::Building => "Building",
        NodeKind::Floor => "Floor",
        NodeKind::Room => "Room",
        NodeKind::Zone => "Zone",
        NodeKind::Device => "Device",
        _ => "Area",
    }
}

/// `ALARM_SEVERITY` -> "Alarm severity" and a class for its colour.
fn alarm_text(severity: &str) -> String {
    let lower = severity.to_lowercase();
    let mut chars = lower.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

fn format_temperature(t: f64) -> String {
    format!("{t:.1} °C")
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn NodePanel(
    /// The id of the opened node.
    opened: RwSignal<Option<String>>,
) -> impl IntoView {
    // Only a different node re-creates the view (and its watch).
    let current = Memo::new(move |_| opened.get());
    view! {
        <section id="node-panel" class="panel node-panel" aria-label="Place">
            {move || current.get().map(|id| view! { <NodeView node_id=id /> })}
        </section>
    }
}

#[component]
fn NodeView(node_id: String) -> impl IntoView {
    let rollups = use_node_rollup(node_id.clone());
    let connection = use_connection();
    let own = {
        let node_id = node_id.clone();
        Memo::new(move |_| {
            rollups.batch.with(|b| b.as_ref().and_then(|b| b.rows.iter().find(|r| r.id == node_id).cloned()))
        })
    };
    let children = {
        let node_id = node_id.clone();
        Memo::new(move |_| {
            rollups.batch.with(|b| {
                b.as_ref().map(|b| b.rows.iter().filter(|r| r.id != node_id).cloned().collect::<Vec<_>>())
            })
        })
    };

    let header = move || match own.get() {
        None => view! {
            <header class="device-header">
                <p class="muted loading" aria-busy="true">
                    <span class="spinner" aria-hidden="true"></span>
                    "Loading…"
                </p>
            </header>
        }
        .into_any(),
        Some(row) => {
            let summary = summary_text(&row);
            view! {
                <header class="device-header">
                    <div class="device-heading">
                        <h2 id="node-name" class="device-name">{row.name.clone()}</h2>
                        <span id="node-kind" class="pill unknown">{kind_label(row.kind)}</span>
                    </div>
                    <p id="node-summary" class="device-meta">{summary}</p>
                </header>
            }
            .into_any()
        }
    };
    let notice = move || {
        (!connection.is_live()).then(|| {
            view! {
                <p class="stale-notice" role="status">
                    "Not connected: the figures below may be out of date."
                </p>
            }
        })
    };
    let body = move || {
        if let Some(err) = rollups.error.get() {
            return view! { <p class="inline-error watch-error" role="alert">{err.message}</p> }.into_any();
        }
        match children.get() {
            None => view! {
                <p class="muted loading" aria-busy="true">
                    <span class="spinner" aria-hidden="true"></span>
                    "Waiting for values…"
                </p>
            }
            .into_any(),
            Some(rows) if rows.is_empty() => {
                view! { <p class="muted">"Nothing is inside this place."</p> }.into_any()
            }
            Some(rows) => view! {
                <table class="rollups">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col" class="num">"Devices"</th>
                            <th scope="col" class="num">"Offline"</th>
                            <th scope="col" class="num">"Temperature"</th>
                            <th scope="col">"Alarm"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(|row| view! { <RollupRow row=row /> }).collect_view()}
                    </tbody>
                </table>
            }
            .into_any(),
        }
    };

    view! {
        <div class="node-view" data-node-id=node_id>
            {header}
            <section class="device-section" aria-labelledby="rollups-title">
                <h3 id="rollups-title" class="section-title">"Inside"</h3>
                {notice}
                {body}
            </section>
        </div>
    }
}

fn summary_text(row: &NodeRollup) -> String {
    let devices = match row.devices {
        1 => "1 device".to_owned(),
        n => format!("{n} devices"),
    };
    let offline = if row.offline == 0 { "all online".to_owned() } else { format!("{} offline", row.offline) };
    let temperature = row.avg_temperature.map(|t| format!(", average {}", format_temperature(t)));
    format!("{devices}, {offline}{}", temperature.unwrap_or_default())
}

#[component]
fn RollupRow(row: NodeRollup) -> impl IntoView {
    let connection = use_connection();
    let clock = use_clock();
    let ts = row.temperature_ts;
    let age_ms = move || ts.map_or(f64::INFINITY, |ts| clock.now_ms() - ts as f64);
    let stale = move || !connection.is_live() || (ts.is_some() && age_ms() > STALE_AFTER_MS);
    let temperature = row.avg_temperature.map(format_temperature);
    let has_temperature = temperature.is_some();
    let age = move || match ts {
        Some(ts) if ts > 0 => format_age(age_ms()),
        _ => String::new(),
    };
    let has_offline = row.offline > 0;
    let alarm = row.worst_alarm.clone();
    let alarm_class =
        alarm.as_ref().map_or_else(|| "alarm none".to_owned(), |a| format!("alarm {}", a.to_lowercase()));
    let title = move || if connection.is_live() { "Live" } else { "Not live: the connection is not up." };

    view! {
        <tr
            class="rollup-row"
            class:stale=stale
            data-name=row.name.clone()
            data-id=row.id.clone()
            data-stale=move || stale().to_string()
            title=title
        >
            <th scope="row" class="rollup-name">{row.name.clone()}</th>
            <td class="devices num">{row.devices}</td>
            <td class="offline num" class:has-offline=has_offline>{row.offline}</td>
            <td class="temperature num">
                {temperature.unwrap_or_else(|| "—".to_owned())}
                {has_temperature.then(|| view! { <span class="age">{age}</span> })}
            </td>
            <td class=alarm_class>{alarm.map_or_else(|| "—".to_owned(), |a| alarm_text(&a))}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_and_summary_read_well() {
        assert_eq!(alarm_text("CRITICAL"), "Critical");
        let row = NodeRollup {
            id: "x".into(),
            name: "Lobby".into(),
            kind: NodeKind::Room,
            devices: 4,
            offline: 1,
            avg_temperature: Some(21.04),
            temperature_ts: Some(1),
            worst_alarm: None,
        };
        assert_eq!(summary_text(&row), "4 devices, 1 offline, average 21.0 °C");
    }
}

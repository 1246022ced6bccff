//! The node panel: an opened site, building, floor or room, with a live summary of each child
//! (devices, offline, the average of a key the person picks with its age, worst active alarm).

use crate::components::device_panel::format_age;
use crate::components::history_chart::HistoryCard;
use crate::components::quantity::quantity;
use crate::components::room_tiles::{RoomTiles, TileDevice};
use crate::components::sharing::AccessSection;
use crate::hooks::{use_building, use_clock, use_connection, use_node_rollup};
use crate::ipc;
use atrium_ipc::{walk_tree, HistorySubject, NodeKind, NodeRollup, Walk};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// An average whose newest reading is older than this is marked stale even while the connection is live.
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

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn NodePanel(
    /// The id of the opened node.
    opened: RwSignal<Option<String>>,
    /// The key the rollups average: owned by the page, so that it outlives the opened place and
    /// a look at a device (a manager comparing floors keeps it).
    average_key: RwSignal<String>,
    /// Opens a row of the place's table: a child place, or a device in it.
    open_row: Callback<(String, NodeKind)>,
) -> impl IntoView {
    // Only a different node re-creates the view; a different key restarts its watch only.
    let current = Memo::new(move |_| opened.get());
    view! {
        <section id="node-panel" class="panel node-panel" aria-label="Place">
            {move || current.get().map(|id| view! { <NodeView node_id=id average_key=average_key open_row=open_row /> })}
        </section>
    }
}

/// "Average of [key]": the keys the place's devices report (read once per opened place), the
/// chosen one always among them.
#[component]
fn AveragePicker(node_id: String, average_key: RwSignal<String>) -> impl IntoView {
    let keys = RwSignal::new(Vec::<String>::new());
    spawn_local(async move {
        match ipc::rollup_keys(&node_id).await {
            Ok(found) => {
                keys.try_set(found);
            }
            // The picker keeps the current key; the rollups themselves still work.
            Err(err) => ipc::log_error("reading the keys to average", &err),
        }
    });
    // Rebuilt only when the list arrives: choosing an option must not replace the select.
    let options = move || {
        let chosen = average_key.get_untracked();
        let mut all = keys.get();
        if !all.contains(&chosen) {
            all.insert(0, chosen.clone());
        }
        all.into_iter()
            .map(|k| {
                let selected = k == chosen;
                let label = quantity(&k).label.to_owned();
                view! { <option value=k selected=selected>{label}</option> }
            })
            .collect_view()
    };
    view! {
        <label class="average-picker">
            <span class="muted">"Average of"</span>
            <select id="average-key" on:change=move |ev| average_key.set(event_target_value(&ev))>
                {options}
            </select>
        </label>
    }
}

/// The devices directly in place `node_id` (as the tree has it), for its tiles; none when there
/// are more than one view can follow live, so such a place lists its devices as rows.
fn devices_in(nodes: &[atrium_ipc::TreeNode], node_id: &str) -> Vec<TileDevice> {
    let mut found = Vec::new();
    walk_tree(nodes, |node, _| {
        if node.id != node_id || node.link {
            return Walk::Continue;
        }
        found = node
            .children
            .iter()
            .filter(|c| c.kind == NodeKind::Device)
            .map(|c| TileDevice { id: c.id.clone(), name: c.name.clone(), label: c.label.clone() })
            .collect();
        Walk::Stop
    });
    if found.len() > atrium_ipc::MAX_WATCHED_DEVICES {
        found.clear();
    }
    found
}

#[component]
fn NodeView(
    node_id: String,
    average_key: RwSignal<String>,
    open_row: Callback<(String, NodeKind)>,
) -> impl IntoView {
    let rollups = use_node_rollup(node_id.clone(), average_key.into());
    let tiles = use_building().with_nodes(|nodes| devices_in(nodes, &node_id)).unwrap_or_default();
    let has_tiles = !tiles.is_empty();
    let offline = Signal::derive(move || {
        rollups.batch.with(|b| {
            b.as_ref()
                .map(|b| {
                    b.rows
                        .iter()
                        .filter(|r| r.kind == NodeKind::Device && r.offline > 0)
                        .map(|r| r.id.clone())
                        .collect()
                })
                .unwrap_or_default()
        })
    });
    let connection = use_connection();
    let own = {
        let node_id = node_id.clone();
        Memo::new(move |_| {
            rollups.batch.with(|b| b.as_ref().and_then(|b| b.rows.iter().find(|r| r.id == node_id).cloned()))
        })
    };
    // The rows with the key they average: a batch of the previous key stays consistent until
    // the new one arrives.
    let children = {
        let node_id = node_id.clone();
        Memo::new(move |_| {
            rollups.batch.with(|b| {
                b.as_ref().map(|b| {
                    // Devices with tiles of their own are not rows too.
                    let rows = b
                        .rows
                        .iter()
                        .filter(|r| r.id != node_id && !(has_tiles && r.kind == NodeKind::Device))
                        .cloned()
                        .collect::<Vec<_>>();
                    (b.average_key.clone(), rows)
                })
            })
        })
    };
    let batch_key = Memo::new(move |_| rollups.batch.with(|b| b.as_ref().map(|b| b.average_key.clone())));

    let picker_node = node_id.clone();
    let access_node = node_id.clone();
    let history_subject = {
        let node_id = node_id.clone();
        Memo::new(move |_| Some(HistorySubject::Place { node_id: node_id.clone(), key: average_key.get() }))
    };
    let history_title = move || format!("{} over time", quantity(&average_key.get()).label);
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
            let summary = summary_text(&row, &batch_key.get().unwrap_or_default());
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
            Some((_, rows)) if rows.is_empty() && has_tiles => ().into_any(),
            Some((_, rows)) if rows.is_empty() => {
                view! { <p class="muted">"Nothing is inside this place."</p> }.into_any()
            }
            Some((key, rows)) => view! {
                <table class="rollups">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col" class="num">"Devices"</th>
                            <th scope="col" class="num">"Offline"</th>
                            <th scope="col" class="num average-label">{quantity(&key).label.to_owned()}</th>
                            <th scope="col">"Alarm"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|row| view! { <RollupRow row=row key_name=key.clone() open_row=open_row /> })
                            .collect_view()}
                    </tbody>
                </table>
            }
            .into_any(),
        }
    };

    view! {
        <div class="node-view" data-node-id=node_id.clone()>
            {header}
            {has_tiles.then(|| view! { <RoomTiles devices=tiles place_id=node_id.clone() offline=offline /> })}
            <section class="device-section" aria-labelledby="rollups-title">
                <div class="section-head">
                    <h3 id="rollups-title" class="section-title">"Inside"</h3>
                    <AveragePicker node_id=picker_node average_key=average_key />
                </div>
                {notice}
                {body}
            </section>
            <section class="device-section" aria-labelledby="place-history-title">
                <h3 id="place-history-title" class="section-title">{history_title}</h3>
                <HistoryCard subject=history_subject id="place-history" />
            </section>
            <AccessSection node_id=access_node />
        </div>
    }
}

/// "4 devices, 1 offline · Temperature 21.0 °C (average of 3)".
fn summary_text(row: &NodeRollup, key: &str) -> String {
    let devices = match row.devices {
        1 => "1 device".to_owned(),
        n => format!("{n} devices"),
    };
    let offline = if row.offline == 0 { "all online".to_owned() } else { format!("{} offline", row.offline) };
    let quantity = quantity(key);
    let average = row
        .average
        .map(|a| format!(" · {} {} (average of {})", quantity.label, quantity.format(a), row.averaged));
    format!("{devices}, {offline}{}", average.unwrap_or_default())
}

#[component]
fn RollupRow(row: NodeRollup, key_name: String, open_row: Callback<(String, NodeKind)>) -> impl IntoView {
    let connection = use_connection();
    let clock = use_clock();
    let ts = row.average_ts;
    let age_ms = move || ts.map_or(f64::INFINITY, |ts| clock.now_ms() - ts as f64);
    let stale = move || !connection.is_live() || (ts.is_some() && age_ms() > STALE_AFTER_MS);
    let average = row.average.map(|a| quantity(&key_name).format(a));
    let average_label = quantity(&key_name).label.to_owned();
    let has_average = average.is_some();
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
            <th scope="row" class="rollup-name">
                <button
                    type="button"
                    class="rollup-open"
                    title=format!("Open {}", row.name)
                    on:click={
                        let (id, kind) = (row.id.clone(), row.kind);
                        move |_| open_row.run((id.clone(), kind))
                    }
                >
                    {row.name.clone()}
                </button>
            </th>
            <td class="devices num" data-label="Devices">{row.devices}</td>
            <td class="offline num" class:has-offline=has_offline data-label="Offline">{row.offline}</td>
            <td class="average num" data-label=average_label>
                {average.unwrap_or_else(|| "—".to_owned())}
                {has_average.then(|| view! { <span class="age">{age}</span> })}
            </td>
            <td class=alarm_class data-label="Alarm">{alarm.map_or_else(|| "—".to_owned(), |a| alarm_text(&a))}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree_fixture::node;

    #[test]
    fn alarm_and_summary_read_well() {
        assert_eq!(alarm_text("CRITICAL"), "Critical");
        let row = NodeRollup {
            id: "x".into(),
            name: "Lobby".into(),
            kind: NodeKind::Room,
            devices: 4,
            offline: 1,
            average: Some(21.04),
            average_ts: Some(1),
            averaged: 3,
            worst_alarm: None,
        };
        assert_eq!(
            summary_text(&row, "temperature"),
            "4 devices, 1 offline · Temperature 21.0 °C (average of 3)"
        );
        let row = NodeRollup { offline: 0, average: None, ..row };
        assert_eq!(summary_text(&row, "humidity"), "4 devices, all online");
    }

    fn room_of(devices: usize) -> Vec<atrium_ipc::TreeNode> {
        let devices = (0..devices).map(|i| node(&format!("d{i}"), NodeKind::Device, vec![])).collect();
        vec![node("room", NodeKind::Room, devices)]
    }

    #[test]
    fn a_place_with_more_devices_than_a_view_follows_has_no_tiles() {
        assert_eq!(devices_in(&room_of(atrium_ipc::MAX_WATCHED_DEVICES), "room").len(), 200);
        assert!(devices_in(&room_of(atrium_ipc::MAX_WATCHED_DEVICES + 1), "room").is_empty());
    }
}

//! Live rollups of an opened node against the emulator: one row per room with its device count,
//! and an offline count that follows the devices going offline and back.

use crate::common;

use atrium_core::{Core, NoUiEvents};
use atrium_ipc::{LoginArgs, NodeRollup, NodeRollupBatch, TreeNode, WatchId};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tb_emulator::{Emulator, EmulatorConfig};
use tokio::sync::mpsc;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

fn find<'a>(nodes: &'a [TreeNode], name: &str) -> Option<&'a TreeNode> {
    nodes.iter().find_map(|n| if n.name == name { Some(n) } else { find(&n.children, name) })
}

fn devices_below(node: &TreeNode, out: &mut BTreeSet<String>) {
    if node.entity_type == "DEVICE" {
        out.insert(node.id.clone());
    }
    for child in &node.children {
        devices_below(child, out);
    }
}

fn count(node: &TreeNode) -> u32 {
    let mut ids = BTreeSet::new();
    devices_below(node, &mut ids);
    u32::try_from(ids.len()).unwrap()
}

/// Waits for a batch whose rows satisfy `ok`, with a deadline.
async fn until(
    batches: &mut mpsc::UnboundedReceiver<NodeRollupBatch>,
    what: &str,
    ok: impl Fn(&[NodeRollup]) -> bool,
) -> Vec<NodeRollup> {
    common::next_matching(batches, &format!("a batch with {what}"), |batch| ok(&batch.rows)).await.rows
}

fn row<'a>(rows: &'a [NodeRollup], name: &str) -> &'a NodeRollup {
    rows.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("a row for {name}"))
}

async fn logged_in(emu: &Emulator) -> (Core, Vec<TreeNode>) {
    let core = Core::new(Arc::new(NoUiEvents));
    core.login(LoginArgs::new(emu.base_url(), "tenant@thingsboard.org", "tenant")).await.unwrap();
    let tree = core.load_tree(|_| {}).await.unwrap();
    (core, tree)
}

fn watch(
    core: &Core,
    node: &TreeNode,
    key: Option<&str>,
) -> (WatchId, mpsc::UnboundedReceiver<NodeRollupBatch>) {
    let (tx, batches) = mpsc::unbounded_channel();
    let id = core
        .watch_node(&node.id, key, move |batch| {
            let _ = tx.send(batch);
        })
        .unwrap();
    (id, batches)
}

#[tokio::test]
async fn floor_rollups_count_devices_and_follow_offline_changes() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (core, tree) = logged_in(&emu).await;
    let floor = find(&tree, "Floor 1").expect("Floor 1").clone();

    let (watch, mut batches) = watch(&core, &floor, None);

    // The structure comes at once: the floor, then one row per room, with the tree's device counts.
    let first = until(&mut batches, "the structure", |_| true).await;
    assert_eq!(first.len(), floor.children.len() + 1);
    assert_eq!(first[0].id, floor.id);
    assert_eq!(first[0].devices, count(&floor));
    for (child, row) in floor.children.iter().zip(&first[1..]) {
        assert_eq!(row.id, child.id);
        assert_eq!(row.devices, count(child), "{}", child.name);
    }

    // The live values arrive: Lobby has a thermostat and nobody offline.
    let rows =
        until(&mut batches, "the lobby's temperature", |rows| row(rows, "Lobby").average.is_some()).await;
    let lobby = row(&rows, "Lobby");
    assert_eq!(lobby.offline, 0);
    assert!(lobby.average_ts.is_some_and(|ts| ts > 0));
    let floor_offline = rows[0].offline;

    // A device going offline is counted in its room and on the floor, and back again.
    let thermostat = emu.device_id("Lobby Thermostat").unwrap();
    assert!(emu.faults().set_device_online(thermostat, false));
    // The emulator raises a CRITICAL "Device offline" alarm with it.
    until(&mut batches, "the lobby thermostat offline, with its alarm", |rows| {
        let lobby = row(rows, "Lobby");
        lobby.offline == 1
            && rows[0].offline == floor_offline + 1
            && lobby.worst_alarm.as_deref() == Some("CRITICAL")
            && rows[0].worst_alarm.as_deref() == Some("CRITICAL")
    })
    .await;
    assert!(emu.faults().set_device_online(thermostat, true));
    until(&mut batches, "the lobby thermostat back, its alarm cleared", |rows| {
        let lobby = row(rows, "Lobby");
        lobby.offline == 0
            && rows[0].offline == floor_offline
            && lobby.worst_alarm.as_deref() != Some("CRITICAL")
    })
    .await;

    // The alarms were asked for the floor's devices only, never the whole tenant's.
    let counters = emu.faults().counters();
    assert!(counters.requests("POST /api/alarmsQuery/find") > 0);
    assert_eq!(counters.requests("GET /api/alarms"), 0);

    // Unwatching ends the stream (the task and its subscription are dropped).
    core.unwatch(watch);
    timeout(WAIT, async { while batches.recv().await.is_some() {} }).await.expect("the sink is dropped");
}

#[tokio::test]
async fn the_person_picks_the_key_a_rollup_averages() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (core, tree) = logged_in(&emu).await;
    let floor = find(&tree, "Floor 1").expect("Floor 1").clone();

    let keys = core.rollup_keys(&floor.id).await.unwrap();
    for key in ["temperature", "humidity"] {
        assert!(keys.iter().any(|k| k == key), "{key} in {keys:?}");
    }

    // Humidity instead of temperature: the lobby's one reading, published here, is its average.
    let lobby_sensor = emu.device_id("Lobby Thermostat").unwrap();
    let (_, mut batches) = watch(&core, &floor, Some("humidity"));
    let first = timeout(WAIT, batches.recv()).await.unwrap().unwrap();
    assert_eq!(first.average_key, "humidity");
    emu.publish_telemetry(lobby_sensor, serde_json::json!({"humidity": 47.5, "temperature": -40.0}));
    let rows = until(&mut batches, "the lobby's humidity", |rows| {
        let lobby = row(rows, "Lobby");
        lobby.average.is_some_and(|h| (h - 47.5).abs() < 1e-9) || lobby.averaged > 1
    })
    .await;
    let lobby = row(&rows, "Lobby");
    assert_eq!(lobby.averaged, 1, "only the thermostat reports humidity in the lobby");
    assert_eq!(lobby.average, Some(47.5), "the temperature published with it is not averaged");

    let (tx, _rx) = mpsc::unbounded_channel::<NodeRollupBatch>();
    let err = core
        .watch_node(&floor.id, Some("  "), move |b| {
            let _ = tx.send(b);
        })
        .unwrap_err();
    assert_eq!(err.code, atrium_ipc::ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn a_device_added_or_removed_while_a_place_is_open_comes_and_goes_with_the_next_refresh() {
    let config = EmulatorConfig {
        dynamic_page_link_refresh: Duration::from_millis(50),
        ..EmulatorConfig::for_tests()
    };
    let emu = Emulator::start(config).await.unwrap();
    let (core, tree) = logged_in(&emu).await;
    let lobby = find(&tree, "Lobby").expect("Lobby").clone();
    let known = count(&lobby);
    let (_, mut batches) = watch(&core, &lobby, None);
    until(&mut batches, "the lobby's devices", |rows| rows[0].devices == known).await;

    // Installed while the manager looks at the lobby: no reload, the server's refresh brings it.
    let lobby_id = emu.asset_id("Lobby").unwrap();
    let sensor = emu.add_device(lobby_id, "Lobby Extra Sensor", "temperature-sensor").unwrap();
    emu.publish_telemetry(sensor, serde_json::json!({"temperature": 30.0}));
    let rows = until(&mut batches, "the new sensor counted", |rows| rows[0].devices == known + 1).await;
    assert!(rows[0].averaged >= 1);
    // Its values are live too, as the other devices'.
    let before = rows[0].average.unwrap();
    emu.publish_telemetry(sensor, serde_json::json!({"temperature": 90.0}));
    until(&mut batches, "the new sensor's next value averaged", |rows| {
        rows[0].average.is_some_and(|a| a > before)
    })
    .await;

    assert!(emu.remove_from_places(sensor), "the sensor is taken out of the lobby");
    until(&mut batches, "the sensor gone", |rows| rows[0].devices == known).await;
    emu.shutdown().await;
}

#[tokio::test]
async fn devices_added_after_the_tree_was_loaded_grow_the_subscription_page() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (core, tree) = logged_in(&emu).await;
    let lobby = find(&tree, "Lobby").expect("Lobby").clone();
    // More than the page's headroom (the tree knows a handful of lobby devices).
    let lobby_id = emu.asset_id("Lobby").unwrap();
    let added: Vec<_> = (0..150)
        .map(|i| emu.add_device(lobby_id, &format!("Sensor {i:03}"), "temperature-sensor").unwrap())
        .collect();
    for (i, id) in added.iter().enumerate() {
        emu.publish_telemetry(*id, serde_json::json!({"temperature": 20.0 + (i % 2) as f64}));
    }
    let known = count(&lobby);

    let (_, mut batches) = watch(&core, &lobby, None);
    // Every device below the lobby is averaged, not only those of the first page.
    let rows = until(&mut batches, "all the lobby's sensors", |rows| rows[0].averaged as usize >= 150).await;
    assert_eq!(rows[0].devices, known + 150, "the place counts the devices added below it");
    let mean = rows[0].average.unwrap();
    assert!(mean > 15.0 && mean < 30.0, "{mean}");
}

#[tokio::test]
async fn without_the_alarm_query_the_visible_alarms_are_read_and_filtered() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (core, tree) = logged_in(&emu).await;
    let floor = find(&tree, "Floor 1").expect("Floor 1").clone();
    // The lobby thermostat goes offline, which raises a CRITICAL alarm.
    assert!(emu.faults().set_device_online(emu.device_id("Lobby Thermostat").unwrap(), false));
    // The watch's first request is its alarm read: answered as by a server without the query.
    emu.faults().fail_next_requests(1, tb_emulator::FailureKind::MissingRoute);
    let (_, mut batches) = watch(&core, &floor, None);
    until(&mut batches, "the lobby's critical alarm", |rows| {
        row(rows, "Lobby").worst_alarm.as_deref() == Some("CRITICAL")
    })
    .await;
    assert!(emu.faults().counters().requests("GET /api/alarms") > 0, "the fallback read every visible alarm");
}

#[tokio::test]
async fn a_node_outside_the_loaded_tree_is_refused() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (core, _) = logged_in(&emu).await;
    let err = core.watch_node(&uuid::Uuid::from_u128(7).to_string(), None, |_| {}).unwrap_err();
    assert_eq!(err.code, atrium_ipc::ErrorCode::NotFound);
    let err = core.rollup_keys(&uuid::Uuid::from_u128(7).to_string()).await.unwrap_err();
    assert_eq!(err.code, atrium_ipc::ErrorCode::NotFound);
}

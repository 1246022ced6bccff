//! A building manager's journey through the core, against the emulator: log in, open the
//! building, watch the lobby light, switch it, and see the device confirm it.

use crate::common::{eventually, Recorder};
use atrium_core::Core;
use atrium_ipc::{
    ConnectionState, ControlAction, ControlCommand, ControlKind, ErrorCode, LoginArgs, NodeKind,
    TelemetryBatch, TelemetryValue, TreeNode,
};
use std::sync::Arc;
use std::time::Duration;
use tb_emulator::{Emulator, EmulatorConfig};
use tokio::sync::mpsc;
use tokio::time::timeout;

fn find<'a>(nodes: &'a [TreeNode], name: &str) -> Option<&'a TreeNode> {
    nodes.iter().find_map(|n| if n.name == name { Some(n) } else { find(&n.children, name) })
}

async fn logged_in(emu: &Emulator, ui: Arc<Recorder>) -> Core {
    let core = Core::new(ui);
    core.login(LoginArgs::new(emu.base_url(), "tenant@thingsboard.org", "tenant")).await.unwrap();
    core
}

#[tokio::test]
async fn switch_the_lobby_light_and_see_it_confirmed() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let ui = Arc::new(Recorder::default());
    let core = logged_in(&emu, ui.clone()).await;

    let steps = std::sync::Mutex::new(Vec::new());
    let tree = core.load_tree(|step| steps.lock().unwrap().push(step)).await.unwrap();
    assert_eq!(tree[0].kind, NodeKind::Site);
    // The load said how far it had come: listing first, every detail known at the end.
    let steps = steps.into_inner().unwrap();
    assert_eq!(steps.first(), Some(&atrium_ipc::LoadProgress::Listing), "{steps:?}");
    let Some(&atrium_ipc::LoadProgress::Details { known, total }) = steps.last() else { panic!("{steps:?}") };
    assert!(known == total && total > 100, "{steps:?}");
    let light = find(&tree, "Lobby Light").expect("the lobby light is in the tree");
    assert_eq!(light.kind, NodeKind::Device);

    let detail = core.device_detail(&light.id).await.unwrap();
    assert_eq!(detail.active, Some(true));
    let power = detail.controls.iter().find(|c| c.id == "power").expect("a light has a power switch");
    let ControlKind::Switch { state_key } = &power.kind else { panic!("power is a switch") };

    let (tx, mut rx) = mpsc::unbounded_channel::<TelemetryBatch>();
    let watch = core.watch_device(&light.id, move |batch| drop(tx.send(batch))).unwrap();
    let first = timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap();
    assert!(first.snapshot);
    let state_of =
        |batch: &TelemetryBatch| batch.values.iter().find(|v| &v.key == state_key).map(|v| v.value.clone());
    let Some(TelemetryValue::Bool(was_on)) = state_of(&first) else {
        panic!("state in the snapshot: {first:?}")
    };

    let ack = core
        .operate_control(ControlCommand {
            device_id: light.id.clone(),
            control_id: "power".into(),
            action: ControlAction::SetSwitch { on: !was_on },
        })
        .await
        .unwrap();
    assert!(ack.reply.is_none(), "a switch is one-way");
    loop {
        let batch = timeout(Duration::from_secs(10), rx.recv()).await.expect("the device reports").unwrap();
        if state_of(&batch) == Some(TelemetryValue::Bool(!was_on)) {
            assert!(!batch.snapshot);
            break;
        }
    }
    core.unwatch(watch);
    assert!(ui.states.lock().unwrap().contains(&ConnectionState::Connected));
}

#[tokio::test]
async fn a_command_to_a_device_read_as_offline_is_tried_and_the_server_says_it_is_offline() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let core = logged_in(&emu, Arc::default()).await;
    let light = emu.device_id("Lobby Light").unwrap();
    emu.faults().set_device_online(light, false);
    let detail = core.device_detail(&light.to_string()).await.unwrap();
    assert_eq!(detail.active, Some(false));
    emu.faults().reset_counters();
    let err = core
        .operate_control(ControlCommand {
            device_id: light.to_string(),
            control_id: "power".into(),
            action: ControlAction::SetSwitch { on: true },
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::DeviceOffline);
    let rpc_calls: u64 = emu
        .faults()
        .counters()
        .requests_by_route
        .iter()
        .filter(|(r, _)| r.contains("rpc"))
        .map(|(_, n)| n)
        .sum();
    // The server's `active` flag lags a connection either way: the server is asked, and answers.
    assert_eq!(rpc_calls, 1);
}

/// Offline, the command is stored on the server and goes when the device is back: queued, then
/// delivered, and the device's report shows the new state.
#[tokio::test]
async fn a_command_for_an_offline_device_is_queued_and_delivered_when_it_is_back() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let core = logged_in(&emu, Arc::default()).await;
    let light = emu.device_id("Lobby Light").unwrap();
    let detail = core.device_detail(&light.to_string()).await.unwrap();
    let power = detail.controls.iter().find(|c| c.id == "power").expect("the light's power switch");
    let (tx, mut rx) = mpsc::unbounded_channel::<TelemetryBatch>();
    core.watch_device(&light.to_string(), move |batch| drop(tx.send(batch))).unwrap();
    let state_key = power.kind.state_key().to_owned();
    let mut was_on = None;
    while was_on.is_none() {
        let batch = timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap();
        was_on = batch.values.iter().find(|v| v.key == state_key).and_then(|v| match v.value {
            TelemetryValue::Bool(b) => Some(b),
            _ => None,
        });
    }
    let wanted = !was_on.unwrap();
    emu.faults().set_device_online(light, false);
    let command = ControlCommand {
        device_id: light.to_string(),
        control_id: "power".into(),
        action: ControlAction::SetSwitch { on: wanted },
    };
    assert_eq!(core.operate_control(command.clone()).await.unwrap_err().code, ErrorCode::DeviceOffline);

    let queued = core.queue_control(command).await.unwrap();
    assert_eq!(queued.expires_in_ms, atrium_ipc::QUEUE_FOR_MS);
    assert_eq!(core.queued_control(&queued.rpc_id).await.unwrap(), atrium_ipc::QueuedState::Queued);
    emu.faults().set_device_online(light, true);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut poll = tokio::time::interval(Duration::from_millis(100));
    loop {
        poll.tick().await;
        let state = core.queued_control(&queued.rpc_id).await.unwrap();
        if matches!(state, atrium_ipc::QueuedState::Delivered | atrium_ipc::QueuedState::Answered) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the queued command is still {state:?}");
    }
    // The device's own report says it took.
    loop {
        let batch = timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap();
        if batch.values.iter().any(|v| v.key == state_key && v.value == TelemetryValue::Bool(wanted)) {
            break;
        }
    }
}

#[tokio::test]
async fn a_dead_session_returns_the_person_to_login_with_a_reason() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let ui = Arc::new(Recorder::default());
    let core = logged_in(&emu, ui.clone()).await;
    emu.faults().expire_access_tokens();
    emu.faults().revoke_refresh_tokens();
    let err = core.load_tree(|_| {}).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::SessionExpired);
    assert!(core.session().is_none(), "the session is gone locally too");
    eventually("session_ended to be signalled", || !ui.ended.lock().unwrap().is_empty()).await;
    assert_eq!(ui.ended.lock().unwrap()[0].code, ErrorCode::SessionExpired);
}

#[tokio::test]
async fn a_wrong_address_is_explained() {
    let core = Core::new(Arc::new(Recorder::default()));
    let err = core.login(LoginArgs::new("thingsboard.local", "a", "b")).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidUrl);
    assert!(err.message.contains("https://"), "{}", err.message);
}

/// A webview reload drops the page without its cleanups: every watch it held used to stay until
/// sign-out, one more set per reload.
#[tokio::test]
async fn a_page_reload_ends_the_watches_its_page_held() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let core = logged_in(&emu, Arc::default()).await;
    let tree = core.load_tree(|_| {}).await.unwrap();
    let mut channels = Vec::new();
    for name in ["Lobby Light", "Lobby Thermostat"] {
        let device = find(&tree, name).expect("in the demo building");
        let (tx, rx) = mpsc::unbounded_channel::<TelemetryBatch>();
        core.watch_device(&device.id, move |batch| drop(tx.send(batch))).unwrap();
        channels.push(rx);
    }
    for rx in &mut channels {
        assert!(timeout(Duration::from_secs(10), rx.recv()).await.unwrap().is_some(), "a first snapshot");
    }
    assert_eq!(core.watch_count(), 2);

    assert_eq!(core.unwatch_all(), 2);
    assert_eq!(core.watch_count(), 0);
    for mut rx in channels {
        // The watch task and its sink are gone: the channel ends once what was queued is read.
        while let Some(_late) = timeout(Duration::from_secs(10), rx.recv()).await.expect("the watch ended") {}
    }
    assert_eq!(core.unwatch_all(), 0);
}

/// A room's tiles: several devices through one watch, one message a frame for all of them
/// (latest value wins), however fast the devices report.
#[tokio::test]
async fn a_room_is_watched_as_one_stream_of_at_most_one_batch_a_frame() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let core = logged_in(&emu, Arc::default()).await;
    let tree = core.load_tree(|_| {}).await.unwrap();
    let lobby = find(&tree, "Lobby").expect("the lobby");
    let ids: Vec<String> =
        lobby.children.iter().filter(|c| c.kind == NodeKind::Device).map(|c| c.id.clone()).collect();
    assert!(ids.len() >= 3, "{ids:?}");
    let (tx, mut rx) = mpsc::unbounded_channel::<atrium_ipc::DevicesBatch>();
    core.watch_devices(&ids, move |batch| drop(tx.send(batch))).unwrap();
    let mut held: std::collections::HashMap<
        String,
        std::collections::BTreeMap<String, atrium_ipc::LiveValue>,
    > = Default::default();
    // Every device's snapshot first.
    while held.len() < ids.len() {
        let room = timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap();
        for batch in room.batches {
            assert!(batch.snapshot, "a device's first batch is its snapshot");
            let device = batch.device_id.clone();
            batch.apply_to(held.entry(device).or_default());
        }
    }
    // A burst: 600 reports across the room as fast as the server takes them.
    let started = std::time::Instant::now();
    for n in 1..=600 {
        let device = uuid::Uuid::parse_str(&ids[n % ids.len()]).unwrap();
        emu.publish_telemetry(device, serde_json::json!({"burst": n}));
    }
    let mut messages = 0;
    let last_of = |i: usize| (1..=600).rev().find(|n| n % ids.len() == i).unwrap() as f64;
    loop {
        let room = timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap();
        messages += 1;
        for batch in room.batches {
            let device = batch.device_id.clone();
            batch.apply_to(held.entry(device).or_default());
        }
        let done = ids.iter().enumerate().all(|(i, id)| {
            held.get(id).and_then(|v| v.get("burst")).map(|v| &v.value)
                == Some(&TelemetryValue::Number(last_of(i)))
        });
        if done {
            break;
        }
    }
    let frames = started.elapsed().as_millis() / 16 + 2;
    assert!(messages as u128 <= frames, "{messages} messages in {:?}", started.elapsed());
    assert!(core.watch_devices(&vec![ids[0].clone(); 201], |_| {}).is_err(), "at most 200 devices");
}

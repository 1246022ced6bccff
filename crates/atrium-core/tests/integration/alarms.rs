//! Live alarm lists through `Core` against the emulator: an alarm raised in a room appears in the
//! room's list placed in the building, an acknowledgement updates it, a second one is refused
//! with the reason, clearing removes it from the active list; another customer may not touch it.
//! A subscription the server never answers still shows the list, read over REST meanwhile.

use crate::common;

use crate::common::eventually;
use atrium_core::{Core, NoUiEvents};
use atrium_ipc::{AlarmList, AlarmStatusFilter, ErrorCode, LoginArgs, TreeNode, WatchAlarmsArgs, WatchId};
use serde_json::json;
use std::sync::Arc;
use tb_emulator::{Emulator, EmulatorConfig};
use tokio::sync::mpsc;

fn find<'a>(nodes: &'a [TreeNode], name: &str) -> Option<&'a TreeNode> {
    nodes.iter().find_map(|n| if n.name == name { Some(n) } else { find(&n.children, name) })
}

async fn signed_in(emu: &Emulator, user: &str, password: &str) -> (Core, Vec<TreeNode>) {
    let core = Core::new(Arc::new(NoUiEvents));
    core.login(LoginArgs::new(emu.base_url(), user, password)).await.unwrap();
    let tree = core.load_tree(|_| {}).await.unwrap();
    (core, tree)
}

fn watch(core: &Core, args: WatchAlarmsArgs) -> (WatchId, mpsc::UnboundedReceiver<AlarmList>) {
    let (tx, lists) = mpsc::unbounded_channel();
    let id = core
        .watch_alarms(args, move |list| {
            let _ = tx.send(list);
        })
        .unwrap();
    (id, lists)
}

async fn until(
    lists: &mut mpsc::UnboundedReceiver<AlarmList>,
    what: &str,
    ok: impl Fn(&AlarmList) -> bool,
) -> AlarmList {
    common::next_matching(lists, &format!("an alarm list with {what}"), ok).await
}

#[tokio::test]
async fn a_rooms_alarm_is_listed_in_its_place_acknowledged_and_cleared() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (core, tree) = signed_in(&emu, "tenant@thingsboard.org", "tenant").await;
    let lobby = find(&tree, "Lobby").expect("the demo has a Lobby");
    let sensor = find(&tree, "Lobby Air Quality").expect("and an air-quality sensor in it");
    let args = WatchAlarmsArgs { node_id: Some(lobby.id.clone()), ..WatchAlarmsArgs::default() };
    let (_watch, mut lists) = watch(&core, args);
    let first = until(&mut lists, "the first list", |_| true).await;
    assert!(first.live, "served by the alarm subscription");
    assert!(first.rows.iter().all(|r| r.originator_id != sensor.id), "{first:?}");

    emu.publish_telemetry(sensor.id.parse().unwrap(), json!({"co2": 1450}));
    let list =
        until(&mut lists, "the High CO2 alarm", |l| l.rows.iter().any(|r| r.alarm_type == "High CO2")).await;
    let alarm = list.rows.iter().find(|r| r.alarm_type == "High CO2").unwrap().clone();
    assert_eq!(alarm.originator_name, "Lobby Air Quality");
    assert_eq!(
        alarm.place.last().map(String::as_str),
        Some("Lobby"),
        "placed in its room: {:?}",
        alarm.place
    );
    assert!(alarm.details.as_deref().is_some_and(|d| d.contains("1450")), "{:?}", alarm.details);
    assert!(!alarm.acknowledged && !alarm.cleared);

    let acked = core.acknowledge_alarm(&alarm.id).await.unwrap();
    assert!(acked.acknowledged && acked.ack_ts > 0);
    until(&mut lists, "the acknowledgement", |l| l.rows.iter().any(|r| r.id == alarm.id && r.acknowledged))
        .await;
    let again = core.acknowledge_alarm(&alarm.id).await.unwrap_err();
    assert_eq!(again.code, ErrorCode::InvalidRequest);
    assert!(again.message.contains("already acknowledged"), "{again:?}");

    // Customer B rents another floor: the Lobby's alarm is not theirs to clear.
    let (other, _) = signed_in(&emu, "customerb@thingsboard.org", "customer").await;
    let refused = other.clear_alarm(&alarm.id).await.unwrap_err();
    assert!(matches!(refused.code, ErrorCode::PermissionDenied | ErrorCode::NotFound), "{refused:?}");

    core.clear_alarm(&alarm.id).await.unwrap();
    until(&mut lists, "the alarm gone from the active list", |l| l.rows.iter().all(|r| r.id != alarm.id))
        .await;
    let cleared = core.clear_alarm(&alarm.id).await.unwrap_err();
    assert!(cleared.message.contains("already been cleared"), "{cleared:?}");

    // The same room, every status: the cleared alarm is there, marked so.
    let args = WatchAlarmsArgs {
        node_id: Some(lobby.id.clone()),
        status: AlarmStatusFilter::All,
        ..WatchAlarmsArgs::default()
    };
    let (_all, mut all) = watch(&core, args);
    let list = until(&mut all, "the cleared alarm", |l| l.rows.iter().any(|r| r.id == alarm.id)).await;
    assert!(list.rows.iter().any(|r| r.id == alarm.id && r.cleared && r.acknowledged));
}

#[tokio::test]
async fn a_list_of_everything_filters_by_severity() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (core, tree) = signed_in(&emu, "tenant@thingsboard.org", "tenant").await;
    let sensor = find(&tree, "Lobby Air Quality").unwrap();
    let critical_only = WatchAlarmsArgs {
        severities: vec![atrium_ipc::AlarmSeverity::Critical],
        ..WatchAlarmsArgs::default()
    };
    let (_watch, mut critical) = watch(&core, critical_only);
    let (_all, mut everything) = watch(&core, WatchAlarmsArgs::default());
    until(&mut critical, "the first list", |_| true).await;
    emu.publish_telemetry(sensor.id.parse().unwrap(), json!({"co2": 1450}));
    until(&mut everything, "the MAJOR alarm", |l| l.rows.iter().any(|r| r.originator_id == sensor.id)).await;
    // Both subscriptions saw the same change; the critical list never shows a MAJOR alarm.
    while let Ok(list) = lists_now(&mut critical) {
        assert!(list.rows.iter().all(|r| r.severity == atrium_ipc::AlarmSeverity::Critical), "{list:?}");
    }
}

fn lists_now(lists: &mut mpsc::UnboundedReceiver<AlarmList>) -> Result<AlarmList, mpsc::error::TryRecvError> {
    lists.try_recv()
}

/// Records the alarms the core announced.
#[derive(Default)]
struct Announced(std::sync::Mutex<Vec<atrium_ipc::AlarmRow>>);

impl atrium_core::UiEvents for Announced {
    fn connection(&self, _: atrium_ipc::ConnectionState) {}
    fn session_ended(&self, _: atrium_ipc::AppError) {}
    fn alarm_raised(&self, alarm: atrium_ipc::AlarmRow) {
        self.0.lock().unwrap().push(alarm);
    }
}

#[tokio::test]
async fn a_new_critical_or_major_alarm_is_announced_once() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let announced = Arc::new(Announced::default());
    let core = Core::new(announced.clone());
    core.login(LoginArgs::new(emu.base_url(), "tenant@thingsboard.org", "tenant")).await.unwrap();
    let tree = core.load_tree(|_| {}).await.unwrap();
    // The session's own alarm watch has its first page: what exists now is not news.
    eventually("the session to watch alarms", || emu.faults().counters().alarm_data_subscriptions > 0).await;
    let count = || announced.0.lock().unwrap().len();

    let sensor = find(&tree, "Lobby Air Quality").unwrap();
    emu.publish_telemetry(sensor.id.parse().unwrap(), json!({"co2": 1450}));
    eventually("the High CO2 alarm announced", || count() == 1).await;
    let first = announced.0.lock().unwrap()[0].clone();
    assert_eq!(
        (first.alarm_type.as_str(), first.originator_name.as_str()),
        ("High CO2", "Lobby Air Quality")
    );
    assert_eq!(first.place.last().map(String::as_str), Some("Lobby"), "placed by the loaded tree");

    // Updates of the same alarm (a higher reading, an acknowledgement) are not news; a device
    // going offline afterwards raises a CRITICAL one, which is.
    emu.publish_telemetry(sensor.id.parse().unwrap(), json!({"co2": 1600}));
    core.acknowledge_alarm(&first.id).await.unwrap();
    let light = find(&tree, "Lobby Light").unwrap();
    assert!(emu.faults().set_device_online(light.id.parse().unwrap(), false));
    eventually("the offline alarm announced", || count() >= 2).await;
    let all = announced.0.lock().unwrap().clone();
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(
        (all[1].alarm_type.as_str(), all[1].severity),
        ("Device Offline", atrium_ipc::AlarmSeverity::Critical)
    );
}

#[tokio::test]
async fn a_lost_alarm_subscription_still_shows_the_list_and_is_asked_for_again() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let config = tb_client::live::LiveConfig {
        answer_wait: std::time::Duration::from_millis(300),
        ..tb_client::live::LiveConfig::default()
    };
    let core = Core::builder(Arc::new(NoUiEvents)).live_config(config).build();
    core.login(LoginArgs::new(emu.base_url(), "tenant@thingsboard.org", "tenant")).await.unwrap();
    let tree = core.load_tree(|_| {}).await.unwrap();
    let sensor = find(&tree, "Lobby Air Quality").expect("the demo has an air-quality sensor");
    emu.publish_telemetry(sensor.id.parse().unwrap(), json!({"co2": 1450}));
    let before = emu.faults().counters().alarm_data_subscriptions;

    // Lost on its way: the server neither answers nor subscribes it.
    emu.faults().lose_alarm_data_commands(1);
    let (_watch, mut lists) = watch(&core, WatchAlarmsArgs::default());
    let read = until(&mut lists, "the list read meanwhile", |_| true).await;
    assert!(!read.live, "read over REST, and shown as not live: {read:?}");
    assert!(read.rows.iter().any(|r| r.alarm_type == "High CO2"), "{read:?}");

    // Asked for again, it is answered and the list is live from then on.
    let live = until(&mut lists, "the live list", |l| l.live).await;
    assert!(live.rows.iter().any(|r| r.alarm_type == "High CO2"), "{live:?}");
    assert_eq!(
        emu.faults().counters().alarm_data_subscriptions,
        before + 1,
        "answered once, the second time"
    );
    emu.publish_telemetry(sensor.id.parse().unwrap(), json!({"co2": 1900}));
    until(&mut lists, "the change, live", |l| {
        l.live && l.rows.iter().any(|r| r.details.as_deref().is_some_and(|d| d.contains("1900")))
    })
    .await;
}

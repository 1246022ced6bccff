//! Control descriptors against the emulator: bounds from shared attributes, a setpoint confirmed
//! by the device's own report, out-of-bounds requests refused before sending, `atriumControls`
//! overrides on the device and on its device profile (good and malformed, precedence, customer
//! users, one profile read per session), critical locks, and read-only sensors.

use atrium_core::{Core, NoUiEvents};
use atrium_ipc::{
    ControlAction, ControlCommand, ControlKind, DeviceDetail, ErrorCode, Expectation, LoginArgs, StateSource,
    TelemetryBatch, TelemetryValue,
};
use std::sync::Arc;
use std::time::Duration;
use tb_client::proto::telemetry::AttributeScope;
use tb_client::proto::{DeviceId, EntityId, EntityType};
use tb_client::{Client, Secret};
use tb_emulator::{Emulator, EmulatorConfig};
use tokio::sync::mpsc;
use tokio::time::timeout;

const TENANT: (&str, &str) = ("tenant@thingsboard.org", "tenant");
/// Customer A's user: it owns the Lobby and the first floors' rooms.
const CUSTOMER: (&str, &str) = ("customer@thingsboard.org", "customer");
const ATTRIBUTE_READS: &str =
    "GET /api/plugins/telemetry/{entity_type}/{entity_id}/values/attributes/{scope}";

async fn logged_in(emu: &Emulator) -> Core {
    logged_in_as(emu, TENANT).await
}

async fn logged_in_as(emu: &Emulator, (username, password): (&str, &str)) -> Core {
    let core = Core::new(Arc::new(NoUiEvents));
    core.login(LoginArgs::new(emu.base_url(), username, password)).await.unwrap();
    core
}

async fn tenant_client(emu: &Emulator) -> Client {
    let admin = Client::builder(emu.base_url()).build().unwrap();
    admin.login(TENANT.0, &Secret::new(TENANT.1.to_owned())).await.unwrap();
    admin
}

/// Writes a device's shared attributes as the tenant administrator would.
async fn set_shared(emu: &Emulator, device: &str, values: serde_json::Value) {
    let id = emu.device_id(device).unwrap();
    tenant_client(emu)
        .await
        .save_attributes(EntityId::new(EntityType::Device, id), AttributeScope::SharedScope, &values)
        .await
        .unwrap();
}

/// Writes the SERVER_SCOPE attributes of `device`'s profile as the tenant administrator would.
async fn set_profile(emu: &Emulator, device: &str, values: serde_json::Value) {
    let admin = tenant_client(emu).await;
    let info = admin.device_info(DeviceId(emu.device_id(device).unwrap())).await.unwrap();
    let profile = info.device.device_profile_id.expect("the emulator names each device's profile");
    admin.save_attributes(profile.entity_id(), AttributeScope::ServerScope, &values).await.unwrap();
}

fn ids(d: &DeviceDetail) -> Vec<&str> {
    d.controls.iter().map(|c| c.id.as_str()).collect()
}

fn attribute_reads(emu: &Emulator) -> u64 {
    emu.faults().counters().requests(ATTRIBUTE_READS)
}

async fn detail(core: &Core, emu: &Emulator, device: &str) -> DeviceDetail {
    core.device_detail(&emu.device_id(device).unwrap().to_string()).await.unwrap()
}

fn rpc_requests(emu: &Emulator) -> u64 {
    emu.faults().counters().requests_by_route.iter().filter(|(r, _)| r.contains("rpc")).map(|(_, n)| n).sum()
}

#[tokio::test]
async fn the_thermostat_setpoint_is_bounded_and_confirmed_by_the_device() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let core = logged_in(&emu).await;
    let d = detail(&core, &emu, "Lobby Thermostat").await;
    assert_eq!(d.controls_note, None);
    assert_eq!(d.controls.len(), 1);
    let setpoint = &d.controls[0];
    assert_eq!(setpoint.id, "setpoint");
    let ControlKind::Setpoint { state_key, min, max, step, .. } = &setpoint.kind else {
        panic!("a thermostat has a setpoint: {setpoint:?}")
    };
    assert_eq!((state_key.as_str(), *min, *max, *step), ("setpoint", 16.0, 28.0, 0.5));

    assert_eq!(setpoint.state, StateSource::Telemetry { key: "setpoint".into() });

    // The control's readings, keyed by control id.
    let (tx, mut rx) = mpsc::unbounded_channel::<TelemetryBatch>();
    let watch = core.watch_controls(&d.id, move |batch| drop(tx.send(batch))).unwrap();
    let first = timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap();
    let before = first.values.iter().find(|v| v.key == "setpoint").expect("the setpoint's reading").ts;

    let command = |value| ControlCommand {
        device_id: d.id.clone(),
        control_id: "setpoint".into(),
        action: ControlAction::SetSetpoint { value },
    };
    let ack = core.operate_control(command(22.5)).await.unwrap();
    assert_eq!((ack.reply, ack.state, ack.timeout_ms), (None, None, 30_000), "setValue is one-way");
    let expect = ack.expect;
    assert!(matches!(expect, Expectation::Number { value, .. } if value == 22.5));
    let confirmed = timeout(Duration::from_secs(10), async {
        while let Some(batch) = rx.recv().await {
            let reading = batch.values.iter().find(|v| v.key == "setpoint");
            if reading.is_some_and(|r| expect.confirmed_by(r, Some(before))) {
                return reading.map(|r| r.value.clone());
            }
        }
        None
    })
    .await;
    assert_eq!(confirmed, Ok(Some(TelemetryValue::Number(22.5))), "the newer reading the backend expects");
    core.unwatch(watch);

    emu.faults().reset_counters();
    let err = core.operate_control(command(40.0)).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
    assert!(err.message.contains("between 16 and 28"), "{}", err.message);
    assert_eq!(rpc_requests(&emu), 0, "nothing is sent for an out-of-bounds setpoint");
}

#[tokio::test]
async fn bounds_follow_the_shared_attributes() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let core = logged_in(&emu).await;
    set_shared(
        &emu,
        "Lobby Thermostat",
        serde_json::json!({"minSetpoint": 18, "maxSetpoint": 24, "step": 1}),
    )
    .await;
    let d = detail(&core, &emu, "Lobby Thermostat").await;
    let ControlKind::Setpoint { min, max, step, .. } = d.controls[0].kind else { panic!() };
    assert_eq!((min, max, step), (18.0, 24.0, 1.0));
    let err = core
        .operate_control(ControlCommand {
            device_id: d.id.clone(),
            control_id: "setpoint".into(),
            action: ControlAction::SetSetpoint { value: 25.0 },
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn an_atrium_controls_override_replaces_the_controls_and_a_malformed_one_is_ignored() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let core = logged_in(&emu).await;
    let custom = serde_json::json!([
        {"id": "comfort", "kind": "setpoint", "label": "Comfort", "min": 19, "max": 23},
        {"id": "mode-off", "kind": "switch", "label": "Standby", "stateKey": "standby", "critical": true}
    ]);
    set_shared(&emu, "Lobby Thermostat", serde_json::json!({ "atriumControls": custom.to_string() })).await;
    let d = detail(&core, &emu, "Lobby Thermostat").await;
    assert_eq!(d.controls_note, None);
    let ids: Vec<_> = d.controls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["comfort", "mode-off"]);
    let ControlKind::Setpoint { min, max, step, .. } = d.controls[0].kind else { panic!() };
    assert_eq!((min, max, step), (19.0, 23.0, 0.5), "the step still comes from the attribute");
    assert!(d.controls[1].critical);
    // The old control is gone, and the new one is the one operated.
    emu.faults().reset_counters();
    let gone = core
        .operate_control(ControlCommand {
            device_id: d.id.clone(),
            control_id: "setpoint".into(),
            action: ControlAction::SetSetpoint { value: 21.0 },
        })
        .await
        .unwrap_err();
    assert_eq!(gone.code, ErrorCode::InvalidRequest);
    let ack = core
        .operate_control(ControlCommand {
            device_id: d.id.clone(),
            control_id: "comfort".into(),
            action: ControlAction::SetSetpoint { value: 21.0 },
        })
        .await
        .unwrap();
    assert_eq!(ack.reply, None, "setValue, one-way, as ThingsBoard's own setpoint widgets send it");
    assert_eq!(rpc_requests(&emu), 1);

    // A JSON value (not a string) works too, on another device.
    set_shared(
        &emu,
        "Lobby Light",
        serde_json::json!({"atriumControls": [{"id": "power", "kind": "switch"}]}),
    )
    .await;
    let light = detail(&core, &emu, "Lobby Light").await;
    assert_eq!(light.controls.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["power"]);

    for malformed in [
        serde_json::json!("[{\"id\": \"x\", \"kind\": "),
        serde_json::json!({"id": "x", "kind": "switch"}),
        serde_json::json!([{"id": "x", "kind": "teleporter"}]),
        serde_json::json!([{"id": "a", "kind": "switch"}, {"id": "a", "kind": "lock"}]),
    ] {
        set_shared(&emu, "Lobby Thermostat", serde_json::json!({ "atriumControls": malformed })).await;
        let d = detail(&core, &emu, "Lobby Thermostat").await;
        let note = d.controls_note.as_deref().unwrap_or_else(|| panic!("{malformed} is reported"));
        assert!(note.contains("atriumControls"), "{note}");
        let ids: Vec<_> = d.controls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["setpoint"], "the standard controls stay for {malformed}");
    }
}

#[tokio::test]
async fn the_lock_is_critical_and_sensors_are_read_only() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let core = logged_in(&emu).await;
    let lock = detail(&core, &emu, "Lobby Door Lock").await;
    assert_eq!(lock.controls.len(), 1);
    assert!(lock.controls[0].critical);
    assert_eq!(lock.controls[0].kind, ControlKind::Lock { state_key: "locked".into() });
    let ack = core
        .operate_control(ControlCommand {
            device_id: lock.id.clone(),
            control_id: "lock".into(),
            action: ControlAction::SetLocked { locked: false },
        })
        .await
        .unwrap();
    assert_eq!(ack.reply, Some(serde_json::json!({"locked": false})), "unlock is two-way");

    for sensor in ["Lobby Air Quality", "Lobby Occupancy"] {
        let d = detail(&core, &emu, sensor).await;
        assert!(d.controls.is_empty(), "{sensor} has no controls: {:?}", d.controls);
        assert_eq!(d.controls_note, None);
    }
}

#[tokio::test]
async fn a_profile_override_applies_to_its_devices_unless_a_device_has_its_own() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let comfort =
        serde_json::json!([{"id": "comfort", "kind": "setpoint", "label": "Comfort", "min": 19, "max": 23}]);
    set_profile(&emu, "Lobby Thermostat", serde_json::json!({ "atriumControls": comfort.to_string() })).await;
    set_shared(
        &emu,
        "Room 1.03 Thermostat",
        serde_json::json!({"atriumControls": [{"id": "own", "kind": "setpoint", "label": "Own"}]}),
    )
    .await;
    let core = logged_in(&emu).await;

    let d = detail(&core, &emu, "Room 1.02 Thermostat").await;
    assert_eq!(d.controls_note, None);
    assert_eq!(ids(&d), ["comfort"]);
    let ControlKind::Setpoint { min, max, step, .. } = d.controls[0].kind else { panic!() };
    assert_eq!((min, max, step), (19.0, 23.0, 0.5), "the step still comes from the device's attribute");

    let own = detail(&core, &emu, "Room 1.03 Thermostat").await;
    assert_eq!(
        (ids(&own), own.controls_note.as_deref()),
        (vec!["own"], None),
        "the device's own setting wins"
    );
    let ControlKind::Setpoint { min, max, .. } = own.controls[0].kind else { panic!() };
    assert_eq!((min, max), (16.0, 28.0));

    // A malformed device setting falls back to the profile's, and says so.
    set_shared(&emu, "Room 1.04 Thermostat", serde_json::json!({"atriumControls": "[{"})).await;
    let fallback = detail(&core, &emu, "Room 1.04 Thermostat").await;
    assert_eq!(ids(&fallback), ["comfort"]);
    let note = fallback.controls_note.expect("the ignored device setting is reported");
    assert!(note.contains("This device's atriumControls") && note.contains("device profile"), "{note}");

    // Other profiles are untouched.
    assert_eq!(ids(&detail(&core, &emu, "Lobby Light").await), ["power", "brightness"]);
}

#[tokio::test]
async fn a_malformed_profile_override_is_reported_and_the_standard_controls_stay() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    for malformed in [
        serde_json::json!("not json"),
        serde_json::json!([{"id": "x", "kind": "teleporter"}]),
        serde_json::json!([{"id": "x", "kind": "level", "min": 5, "max": 1}]),
    ] {
        set_profile(&emu, "Lobby Thermostat", serde_json::json!({ "atriumControls": malformed })).await;
        // A fresh session: the profile's setting is read once per session.
        let core = logged_in(&emu).await;
        let d = detail(&core, &emu, "Lobby Thermostat").await;
        let note = d.controls_note.as_deref().unwrap_or_else(|| panic!("{malformed} is reported"));
        assert!(note.contains("atriumControls setting of its device profile (thermostat)"), "{note}");
        assert!(note.ends_with("Showing the standard controls."), "{note}");
        assert_eq!(ids(&d), ["setpoint"], "the standard controls stay for {malformed}");
        let ControlKind::Setpoint { min, max, .. } = d.controls[0].kind else { panic!() };
        assert_eq!((min, max), (16.0, 28.0));
    }
}

#[tokio::test]
async fn a_customer_user_who_may_not_read_the_profile_gets_the_standard_controls() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    set_profile(
        &emu,
        "Lobby Thermostat",
        serde_json::json!({"atriumControls": [{"id": "comfort", "kind": "setpoint", "min": 19, "max": 23}]}),
    )
    .await;
    let customer = logged_in_as(&emu, CUSTOMER).await;
    emu.faults().reset_counters();
    for _ in 0..2 {
        let d = detail(&customer, &emu, "Lobby Thermostat").await;
        assert_eq!((ids(&d), d.controls_note.as_deref()), (vec!["setpoint"], None));
    }
    assert!(customer.session().is_some(), "a refused profile read does not end the session");
    assert_eq!(attribute_reads(&emu), 3, "the refusal is remembered: two device reads, one profile read");
    // The tenant administrator, who may read it, gets the profile's controls.
    let tenant = logged_in(&emu).await;
    assert_eq!(ids(&detail(&tenant, &emu, "Lobby Thermostat").await), ["comfort"]);
}

#[tokio::test]
async fn a_profile_is_read_once_per_session_for_all_its_devices() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    set_profile(
        &emu,
        "Lobby Thermostat",
        serde_json::json!({"atriumControls": [{"id": "comfort", "kind": "setpoint", "min": 19, "max": 23}]}),
    )
    .await;
    let core = logged_in(&emu).await;
    emu.faults().reset_counters();
    // Two devices of one profile opened at once share the profile's single read: with every
    // request slowed down, both reach the profile while its read is still under way.
    emu.faults().set_latency(std::time::Duration::from_millis(100), std::time::Duration::ZERO);
    let (a, b) =
        tokio::join!(detail(&core, &emu, "Lobby Thermostat"), detail(&core, &emu, "Room 1.02 Thermostat"));
    emu.faults().set_latency(std::time::Duration::ZERO, std::time::Duration::ZERO);
    assert_eq!((ids(&a), ids(&b)), (vec!["comfort"], vec!["comfort"]));
    assert_eq!(attribute_reads(&emu), 3, "one read per device and one for the profile");
    assert_eq!(ids(&detail(&core, &emu, "Room 2.01 Thermostat").await), ["comfort"]);
    assert_eq!(attribute_reads(&emu), 4, "a third thermostat costs only its own read");

    // A profile without a setting is remembered as such.
    detail(&core, &emu, "Lobby Light").await;
    detail(&core, &emu, "Room 1.02 Light").await;
    assert_eq!(attribute_reads(&emu), 7, "two light reads and one profile read");

    // A new session reads the profile again.
    let core = logged_in(&emu).await;
    detail(&core, &emu, "Lobby Thermostat").await;
    assert_eq!(attribute_reads(&emu), 9);
}

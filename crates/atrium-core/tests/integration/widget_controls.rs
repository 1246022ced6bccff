//! Controls on devices already set up for ThingsBoard's own widgets, with nothing configured in
//! Atrium: a switch whose device only answers `getValue`/`setValue` (no telemetry at all), a
//! light that reports its state as `on`, and a control that writes a shared attribute.

use atrium_core::{Core, NoUiEvents};
use atrium_ipc::{ControlAction, ControlCommand, LoginArgs, StateSource, TelemetryBatch, TelemetryValue};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tb_client::proto::telemetry::AttributeScope;
use tb_client::proto::{EntityId, EntityType};
use tb_client::{Client, Secret};
use tb_emulator::{Emulator, EmulatorConfig};
use tokio::sync::mpsc;
use tokio::time::timeout;

const TENANT: (&str, &str) = ("tenant@thingsboard.org", "tenant");
const WAIT: Duration = Duration::from_secs(10);

async fn logged_in(emu: &Emulator) -> Core {
    let core = Core::new(Arc::new(NoUiEvents));
    core.login(LoginArgs::new(emu.base_url(), TENANT.0, TENANT.1)).await.unwrap();
    core
}

/// The control readings of `device` on a channel.
fn readings(core: &Core, device: &str) -> mpsc::UnboundedReceiver<TelemetryBatch> {
    let (tx, rx) = mpsc::unbounded_channel();
    core.watch_controls(device, move |batch| drop(tx.send(batch))).unwrap();
    rx
}

/// Waits for a reading of `control` that `wanted` accepts.
async fn reading(
    rx: &mut mpsc::UnboundedReceiver<TelemetryBatch>,
    control: &str,
    wanted: impl Fn(&atrium_ipc::LiveValue) -> bool,
) -> atrium_ipc::LiveValue {
    timeout(WAIT, async {
        loop {
            let batch = rx.recv().await.expect("the readings go on");
            if let Some(found) = batch.values.into_iter().find(|v| v.key == control && wanted(v)) {
                return found;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no reading of {control} came"))
}

fn switch_on(device: &str, control: &str, on: bool) -> ControlCommand {
    ControlCommand {
        device_id: device.to_owned(),
        control_id: control.into(),
        action: ControlAction::SetSwitch { on },
    }
}

#[tokio::test]
async fn a_switch_works_on_a_device_that_answers_only_get_value_and_set_value() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let lobby = emu.asset_id("Lobby").unwrap();
    let plug = emu.add_device(lobby, "Widget Plug", "smart-plug").unwrap();
    let device = emu.widget_switch(plug, false);
    let plug = plug.to_string();
    let core = logged_in(&emu).await;

    let d = core.device_detail(&plug).await.unwrap();
    assert_eq!(d.controls[0].state, StateSource::Rpc { method: "getValue".into() }, "no key holds its state");
    let mut rx = readings(&core, &plug);
    let first = reading(&mut rx, "power", |_| true).await;
    assert_eq!(first.value, TelemetryValue::Bool(false), "read with getValue");

    let ack = core.operate_control(switch_on(&plug, "power", true)).await.unwrap();
    assert_eq!(ack.state, Some(TelemetryValue::Bool(true)), "read back with getValue: confirmed");
    assert!(device.is_on());
    assert_eq!(
        device.calls(),
        [
            ("getValue".into(), Value::Null),
            ("setValue".into(), json!(true)),
            ("getValue".into(), Value::Null)
        ],
        "ThingsBoard's switch widget's methods, with a bare true"
    );
}

#[tokio::test]
async fn a_light_reporting_its_state_as_on_is_read_and_confirmed_there() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let lobby = emu.asset_id("Lobby").unwrap();
    let light = emu.add_device(lobby, "Porch Light", "light").unwrap();
    emu.publish_telemetry(light, json!({"on": false, "brightness": 30}));
    let core = logged_in(&emu).await;
    let light_id = light.to_string();

    let d = core.device_detail(&light_id).await.unwrap();
    assert_eq!(d.controls[0].state, StateSource::Telemetry { key: "on".into() });
    let mut rx = readings(&core, &light_id);
    let before = reading(&mut rx, "power", |_| true).await;
    assert_eq!(before.value, TelemetryValue::Bool(false), "not Unknown: the light says on = false");

    let ack = core.operate_control(switch_on(&light_id, "power", true)).await.unwrap();
    assert_eq!((ack.state, ack.timeout_ms), (None, 10_000), "one-way: the report confirms it");
    emu.publish_telemetry(light, json!({"on": true}));
    let after = reading(&mut rx, "power", |v| v.ts > before.ts).await;
    assert_eq!(after.value, TelemetryValue::Bool(true));
}

#[tokio::test]
async fn a_control_that_writes_a_shared_attribute_is_confirmed_by_it_and_sends_no_rpc() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let lamp = emu.device_id("Lobby Light").unwrap();
    let admin = Client::builder(emu.base_url()).build().unwrap();
    admin.login(TENANT.0, &Secret::new(TENANT.1.to_owned())).await.unwrap();
    let controls = json!([{"id": "relay", "kind": "switch", "act": {"attribute": {"key": "relay"}}}]);
    admin
        .save_attributes(
            EntityId::new(EntityType::Device, lamp),
            AttributeScope::SharedScope,
            &json!({"atriumControls": controls, "relay": false}),
        )
        .await
        .unwrap();
    let core = logged_in(&emu).await;
    let lamp_id = lamp.to_string();

    let d = core.device_detail(&lamp_id).await.unwrap();
    assert_eq!(d.controls[0].state, StateSource::Attribute { key: "relay".into() });
    let mut rx = readings(&core, &lamp_id);
    let before = reading(&mut rx, "relay", |_| true).await;
    assert_eq!(before.value, TelemetryValue::Bool(false));

    emu.faults().reset_counters();
    core.operate_control(switch_on(&lamp_id, "relay", true)).await.unwrap();
    let after = reading(&mut rx, "relay", |v| v.ts > before.ts).await;
    assert_eq!(after.value, TelemetryValue::Bool(true), "the written attribute, newer than before");
    let counters = emu.faults().counters();
    let rpcs: u64 =
        counters.requests_by_route.iter().filter(|(r, _)| r.contains("rpc")).map(|(_, n)| n).sum();
    assert_eq!(rpcs, 0);
}

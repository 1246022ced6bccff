//! A device's connectivity through `Core` against the emulator, live: from the server-scope
//! attributes the device state service writes, and from time series where a server persists
//! that state to telemetry instead.

use crate::common;

use atrium_core::{Core, NoUiEvents};
use atrium_ipc::{Connectivity, LoginArgs};
use std::sync::Arc;
use tb_emulator::{Emulator, EmulatorConfig};
use tokio::sync::mpsc;

async fn until(
    updates: &mut mpsc::UnboundedReceiver<Connectivity>,
    what: &str,
    ok: impl Fn(&Connectivity) -> bool,
) -> Connectivity {
    common::next_matching(updates, &format!("connectivity with {what}"), ok).await
}

async fn watching(emu: &Emulator, device: &str) -> (Core, mpsc::UnboundedReceiver<Connectivity>) {
    let core = Core::new(Arc::new(NoUiEvents));
    core.login(LoginArgs::new(emu.base_url(), "tenant@thingsboard.org", "tenant")).await.unwrap();
    let id = emu.device_id(device).unwrap().to_string();
    let (tx, updates) = mpsc::unbounded_channel();
    core.watch_connectivity(&id, move |c| {
        let _ = tx.send(c);
    })
    .unwrap();
    (core, updates)
}

#[tokio::test]
async fn a_device_going_offline_and_reporting_again_is_followed_live() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (_core, mut updates) = watching(&emu, "Lobby Light").await;
    let first = until(&mut updates, "the device online", |c| c.active == Some(true)).await;
    let seen = first.last_activity_ms.expect("the demo devices have reported");

    let light = emu.device_id("Lobby Light").unwrap();
    assert!(emu.faults().set_device_online(light, false));
    let offline = until(&mut updates, "the device offline", |c| c.active == Some(false)).await;
    assert!(offline.last_disconnect_ms.is_some(), "{offline:?}");
    assert_eq!(offline.last_activity_ms, Some(seen), "going offline is not activity");

    emu.publish_telemetry(light, serde_json::json!({"state": true}));
    let reported = until(&mut updates, "a newer activity", |c| c.last_activity_ms > Some(seen)).await;
    assert_eq!(reported.device_id, light.to_string());
    emu.shutdown().await;
}

#[tokio::test]
async fn state_persisted_to_telemetry_is_read_too() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (_core, mut updates) = watching(&emu, "Lobby Thermostat").await;
    until(&mut updates, "the first report", |c| c.active.is_some()).await;
    // A server with `state.persistToTelemetry` writes the same keys as time series.
    let thermostat = emu.device_id("Lobby Thermostat").unwrap();
    let far_future = 4_102_444_800_000_i64;
    emu.publish_telemetry(thermostat, serde_json::json!({"active": false, "lastDisconnectTime": far_future}));
    let c = until(&mut updates, "the telemetry's state", |c| c.active == Some(false)).await;
    assert_eq!(c.last_disconnect_ms, Some(far_future));
    emu.shutdown().await;
}

//! The live connection against the emulator: snapshot then deltas, resubscribe after a drop,
//! and a session that ends during an outage.

use serde_json::json;
use std::time::Duration;
use tb_client::live::{
    Backoff, ConnectionState, LiveConfig, LiveEvent, LiveHandle, Subscription, SubscriptionSpec,
};
use tb_client::proto::{EntityId, EntityType};
use tb_client::{Client, Secret, TbValue};
use tb_emulator::{Emulator, EmulatorConfig};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

async fn setup() -> (Emulator, Client, LiveHandle) {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = Client::builder(emu.base_url()).build().unwrap();
    client.login("tenant@thingsboard.org", &Secret::new("tenant")).await.unwrap();
    let config = LiveConfig {
        backoff: Backoff {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(200),
            ..Backoff::default()
        },
        ..LiveConfig::default()
    };
    let live = LiveHandle::spawn(&client, config);
    (emu, client, live)
}

async fn next_values(sub: &mut Subscription) -> (bool, Vec<tb_client::LatestValue>) {
    match timeout(WAIT, sub.next()).await.expect("an event in time") {
        Some(LiveEvent::Values { snapshot, values }) => (snapshot, values),
        other => panic!("expected values, got {other:?}"),
    }
}

fn device(emu: &Emulator, name: &str) -> EntityId {
    EntityId::new(EntityType::Device, emu.device_id(name).unwrap())
}

#[tokio::test]
async fn snapshot_first_then_only_changes() {
    let (emu, _client, live) = setup().await;
    let light = device(&emu, "Lobby Light");
    let mut sub = live.subscribe(SubscriptionSpec::Timeseries { entity: light, keys: vec![] });
    let (snapshot, values) = next_values(&mut sub).await;
    assert!(snapshot);
    assert!(values.iter().any(|v| v.key == "state"), "{values:?}");

    emu.publish_telemetry(light.id, json!({"brightness": 42}));
    let (snapshot, values) = next_values(&mut sub).await;
    assert!(!snapshot);
    assert_eq!(values.len(), 1, "{values:?}");
    assert_eq!(values[0].value, TbValue::Number(42.0));
}

#[tokio::test]
async fn a_dropped_socket_is_replaced_and_every_subscription_gets_a_fresh_snapshot() {
    let (emu, _client, live) = setup().await;
    let names = ["Lobby Light", "Lobby Thermostat"];
    let mut subs: Vec<Subscription> = names
        .iter()
        .map(|n| live.subscribe(SubscriptionSpec::Timeseries { entity: device(&emu, n), keys: vec![] }))
        .collect();
    for sub in &mut subs {
        assert!(next_values(sub).await.0);
    }
    let mut state = live.state();
    emu.faults().drop_websockets();
    timeout(WAIT, state.wait_for(|s| matches!(s, ConnectionState::Reconnecting { .. })))
        .await
        .unwrap()
        .unwrap();
    timeout(WAIT, state.wait_for(|s| *s == ConnectionState::Connected)).await.unwrap().unwrap();
    for sub in &mut subs {
        let (snapshot, _) = next_values(sub).await;
        assert!(snapshot, "the first update after a reconnect replaces state");
    }
    assert_eq!(emu.faults().counters().ws_connections, 2);
}

#[tokio::test]
async fn dropping_a_subscription_unsubscribes() {
    let (emu, _client, live) = setup().await;
    let light = device(&emu, "Lobby Light");
    let mut kept =
        live.subscribe(SubscriptionSpec::Timeseries { entity: light, keys: vec!["brightness".into()] });
    let dropped =
        live.subscribe(SubscriptionSpec::Timeseries { entity: light, keys: vec!["brightness".into()] });
    next_values(&mut kept).await;
    drop(dropped);
    emu.publish_telemetry(light.id, json!({"brightness": 7}));
    let (_, values) = next_values(&mut kept).await;
    assert_eq!(values[0].value, TbValue::Number(7.0));
    // The emulator saw no parse errors: the unsubscribe command was well-formed.
    assert_eq!(emu.faults().counters().malformed_ws_messages, 0);
}

#[tokio::test]
async fn the_session_ending_during_an_outage_closes_the_connection_cleanly() {
    let (emu, _client, live) = setup().await;
    let mut sub =
        live.subscribe(SubscriptionSpec::Timeseries { entity: device(&emu, "Lobby Light"), keys: vec![] });
    next_values(&mut sub).await;
    emu.faults().expire_access_tokens();
    emu.faults().revoke_refresh_tokens();
    emu.faults().drop_websockets();
    let mut state = live.state();
    let ended = timeout(WAIT, state.wait_for(|s| matches!(s, ConnectionState::Closed { .. })))
        .await
        .unwrap()
        .unwrap()
        .clone();
    assert!(
        matches!(ended, ConnectionState::Closed { ref reason } if reason.contains("session")),
        "{ended:?}"
    );
    assert!(timeout(WAIT, sub.next()).await.unwrap().is_none(), "subscriptions end with the session");
}

#[tokio::test]
async fn a_thousand_subscriptions_survive_a_drop_mid_stream() {
    let (emu, client, live) = setup().await;
    let devices: Vec<EntityId> = client.all_devices().await.unwrap().into_iter().map(|d| d.id).collect();
    let mut subs: Vec<(EntityId, Subscription)> = (0..1000)
        .map(|i| {
            let entity = devices[i % devices.len()];
            (entity, live.subscribe(SubscriptionSpec::Timeseries { entity, keys: vec!["probe".into()] }))
        })
        .collect();
    for (_, sub) in &mut subs {
        assert!(next_values(sub).await.0, "every subscription starts with a snapshot");
    }
    let mut state = live.state();
    emu.faults().drop_websockets();
    timeout(WAIT, state.wait_for(|s| matches!(s, ConnectionState::Reconnecting { .. })))
        .await
        .unwrap()
        .unwrap();
    timeout(WAIT, state.wait_for(|s| *s == ConnectionState::Connected)).await.unwrap().unwrap();
    for (_, sub) in &mut subs {
        assert!(next_values(sub).await.0, "every subscription gets a fresh snapshot after the drop");
    }
    for device in &devices {
        emu.publish_telemetry(device.id, json!({"probe": 1}));
    }
    for (entity, sub) in &mut subs {
        let (snapshot, values) = next_values(sub).await;
        assert!(!snapshot);
        assert_eq!(values[0].value, TbValue::Number(1.0), "{entity}");
    }
    assert_eq!(emu.faults().counters().malformed_ws_messages, 0);
}

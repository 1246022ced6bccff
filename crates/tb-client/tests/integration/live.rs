//! The live connection against the emulator: snapshot then deltas, resubscribe after a drop,
//! and a session that ends during an outage.

use serde_json::json;
use std::time::Duration;
use tb_client::live::{
    Backoff, ClosedReason, ConnectionState, EntityValue, LiveConfig, LiveEvent, LiveHandle, Subscription,
    SubscriptionSpec,
};
use tb_client::proto::query::{AlarmCountQuery, AlarmData, EntityDataQuery, EntityKey, EntityKeyType};
use tb_client::proto::{EntityId, EntityType};
use tb_client::{Client, Secret, TbValue};
use tb_emulator::{Emulator, EmulatorConfig};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

async fn setup() -> (Emulator, Client, LiveHandle) {
    setup_with(EmulatorConfig::for_tests()).await
}

async fn setup_with(emulator: EmulatorConfig) -> (Emulator, Client, LiveHandle) {
    let emu = Emulator::start(emulator).await.unwrap();
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
    assert!(matches!(sub.closed_reason(), Some(ClosedReason::SessionEnded(_))), "{:?}", sub.closed_reason());
}

#[tokio::test]
async fn a_thousand_subscriptions_survive_a_drop_mid_stream() {
    let (emu, client, live) = setup().await;
    let devices: Vec<EntityId> =
        client.all_devices().await.unwrap().into_iter().map(|d| d.id.entity_id()).collect();
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

async fn next_update(sub: &mut Subscription) -> LiveEvent {
    timeout(WAIT, sub.next()).await.expect("an update in time").expect("subscription open")
}

async fn next_entity_values(sub: &mut Subscription) -> (bool, Vec<EntityValue>) {
    match next_update(sub).await {
        LiveEvent::EntityValues { snapshot, values, .. } => (snapshot, values),
        other => panic!("expected entity values, got {other:?}"),
    }
}

/// Every device the room contains: one subscription for the whole room.
fn room_spec(emu: &Emulator, room: &str) -> SubscriptionSpec {
    let room = emu.asset_id(room).unwrap();
    let query: EntityDataQuery = serde_json::from_value(json!({
        "entityFilter": {"type": "relationsQuery", "rootEntity": {"entityType": "ASSET", "id": room},
                         "direction": "FROM", "maxLevel": 1, "fetchLastLevelOnly": false,
                         "filters": [{"relationType": "Contains", "entityTypes": ["DEVICE"]}]},
        "pageLink": {"pageSize": 100, "page": 0},
        "entityFields": [{"type": "ENTITY_FIELD", "key": "name"}],
        "latestValues": []}))
    .unwrap();
    SubscriptionSpec::EntityData {
        query: Box::new(query),
        latest: vec![
            EntityKey::new(EntityKeyType::TimeSeries, "temperature"),
            EntityKey::new(EntityKeyType::TimeSeries, "brightness"),
        ],
    }
}

#[tokio::test]
async fn one_entity_data_subscription_follows_every_device_of_a_room() {
    let (emu, _client, live) = setup().await;
    let thermostat = device(&emu, "Lobby Thermostat");
    let light = device(&emu, "Lobby Light");
    let mut room = live.subscribe(room_spec(&emu, "Lobby"));
    let (snapshot, values) = next_entity_values(&mut room).await;
    assert!(snapshot);
    let entities: std::collections::BTreeSet<EntityId> = values.iter().map(|v| v.entity).collect();
    assert!(
        entities.len() >= 5 && entities.contains(&thermostat) && entities.contains(&light),
        "{entities:?}"
    );
    let light_temperature =
        values.iter().find(|v| v.entity == light && v.key == "temperature").expect("every requested key");
    assert_eq!((light_temperature.ts, &light_temperature.value), (0, &TbValue::Missing));
    assert!(values.iter().any(|v| v.key_type == EntityKeyType::EntityField && v.key == "name"));

    emu.publish_telemetry(thermostat.id, json!({"temperature": 23.5}));
    emu.publish_telemetry(light.id, json!({"brightness": 64}));
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let (snapshot, values) = next_entity_values(&mut room).await;
        assert!(!snapshot);
        seen.extend(values);
    }
    seen.sort_by_key(|v| v.key.clone());
    assert_eq!(
        (seen[0].entity, seen[0].key.as_str(), &seen[0].value),
        (light, "brightness", &TbValue::Number(64.0))
    );
    assert_eq!(
        (seen[1].entity, seen[1].key.as_str(), &seen[1].value),
        (thermostat, "temperature", &TbValue::Number(23.5))
    );

    // After a drop the room is resubscribed and starts again from a snapshot.
    let mut state = live.state();
    emu.faults().drop_websockets();
    timeout(WAIT, state.wait_for(|s| matches!(s, ConnectionState::Reconnecting { .. })))
        .await
        .unwrap()
        .unwrap();
    let (snapshot, values) = next_entity_values(&mut room).await;
    assert!(snapshot);
    assert!(values.iter().any(|v| v.entity == thermostat && v.value == TbValue::Number(23.5)), "{values:?}");
    drop(room);
    assert_eq!(emu.faults().counters().malformed_ws_messages, 0, "ENTITY_DATA_UNSUBSCRIBE was well-formed");
}

#[tokio::test]
async fn alarm_count_subscription_follows_raised_alarms() {
    let (emu, _client, live) = setup().await;
    let sensor = device(&emu, "Lobby Air Quality");
    let query: AlarmCountQuery =
        serde_json::from_value(json!({"typeList": ["High CO2"], "statusList": ["ACTIVE"]})).unwrap();
    let mut count = live.subscribe(SubscriptionSpec::AlarmCount { query: Box::new(query) });
    assert_eq!(next_update(&mut count).await, LiveEvent::Count(0));
    emu.publish_telemetry(sensor.id, json!({"co2": 1500}));
    assert_eq!(next_update(&mut count).await, LiveEvent::Count(1));
}

/// The active alarms of every device the room contains, newest first, over 30 days.
fn room_alarms_spec(emu: &Emulator, room: &str) -> SubscriptionSpec {
    let room = emu.asset_id(room).unwrap();
    let query = serde_json::from_value(json!({
        "entityFilter": {"type": "relationsQuery", "rootEntity": {"entityType": "ASSET", "id": room},
                         "direction": "FROM", "maxLevel": 1, "fetchLastLevelOnly": false,
                         "filters": [{"relationType": "Contains", "entityTypes": ["DEVICE"]}]},
        "pageLink": {"pageSize": 100, "page": 0, "timeWindow": 30_u64 * 24 * 3600 * 1000,
                     "statusList": ["ACTIVE"],
                     "sortOrder": {"key": {"type": "ALARM_FIELD", "key": "createdTime"}, "direction": "DESC"}},
        "alarmFields": [{"type": "ALARM_FIELD", "key": "createdTime"}],
        "latestValues": []}))
    .unwrap();
    SubscriptionSpec::AlarmData { query: Box::new(query) }
}

async fn next_alarms(sub: &mut Subscription) -> (Option<tb_client::live::AlarmPage>, Vec<AlarmData>) {
    match next_update(sub).await {
        LiveEvent::Alarms { page, changed } => (page, changed),
        other => panic!("expected alarms, got {other:?}"),
    }
}

#[tokio::test]
async fn an_alarm_data_subscription_follows_an_alarm_from_raised_to_cleared() {
    for legacy_ws_only in [false, true] {
        let (emu, client, live) =
            setup_with(EmulatorConfig { legacy_ws_only, ..EmulatorConfig::for_tests() }).await;
        let sensor = device(&emu, "Lobby Air Quality");
        let mut alarms = live.subscribe(room_alarms_spec(&emu, "Lobby"));
        let (page, changed) = next_alarms(&mut alarms).await;
        let page = page.expect("the first answer is a page");
        assert!(page.alarms.is_empty() && changed.is_empty(), "{page:?}");
        assert!(page.matching_entities >= 5, "the Lobby's devices: {page:?}");

        // A new alarm: the server sends the page again, with it.
        emu.publish_telemetry(sensor.id, json!({"co2": 1500}));
        let (page, _) = next_alarms(&mut alarms).await;
        let page = page.expect("a new alarm comes with the page");
        assert_eq!(page.alarms.len(), 1, "{page:?}");
        let raised = &page.alarms[0];
        assert_eq!((raised.info.alarm.alarm_type.as_str(), raised.entity_id), ("High CO2", sensor));
        assert_eq!(raised.info.originator_name.as_deref(), Some("Lobby Air Quality"));
        let id = raised.info.alarm.id.id;

        // Acknowledged, still active: that alarm alone.
        client.ack_alarm(id).await.unwrap();
        let (page, changed) = next_alarms(&mut alarms).await;
        assert!(page.is_none(), "an acknowledgement is a change, not a new page");
        assert_eq!(changed.len(), 1);
        assert!(changed[0].info.alarm.acknowledged && !changed[0].info.alarm.cleared);
        assert_eq!(changed[0].entity_id, sensor);

        // Cleared under an ACTIVE filter: the page again, without it.
        client.clear_alarm(id).await.unwrap();
        let (page, _) = next_alarms(&mut alarms).await;
        assert!(page.expect("a cleared alarm leaves the page").alarms.is_empty());

        // After a drop: resubscribed, a fresh page.
        emu.publish_telemetry(sensor.id, json!({"co2": 1600}));
        assert_eq!(next_alarms(&mut alarms).await.0.expect("page").alarms.len(), 1);
        emu.faults().drop_websockets();
        let (page, _) = next_alarms(&mut alarms).await;
        assert_eq!(page.expect("a fresh page after the reconnect").alarms.len(), 1);
        drop(alarms);
        assert_eq!(emu.faults().counters().malformed_ws_messages, 0, "legacy: {legacy_ws_only}");
    }
}

#[tokio::test]
async fn a_v2_error_in_the_legacy_shape_reaches_its_subscriber() {
    let (emu, _client, live) = setup().await;
    // No entity filter, no page link: the query fails in the handler, answered in the legacy shape.
    let mut bad = live.subscribe(SubscriptionSpec::EntityData { query: Box::default(), latest: vec![] });
    let mut good = live.subscribe(room_spec(&emu, "Lobby"));
    match next_update(&mut bad).await {
        LiveEvent::Error(e) => assert_ne!(e.code, 0),
        other => panic!("expected an error, got {other:?}"),
    }
    assert!(next_entity_values(&mut good).await.0, "the others are unaffected");
}

#[tokio::test]
async fn a_legacy_only_server_is_served_on_the_telemetry_endpoint() {
    let (emu, _client, live) =
        setup_with(EmulatorConfig { legacy_ws_only: true, ..EmulatorConfig::for_tests() }).await;
    let light = device(&emu, "Lobby Light");
    let mut sub = live.subscribe(SubscriptionSpec::Timeseries { entity: light, keys: vec![] });
    let mut room = live.subscribe(room_spec(&emu, "Lobby"));
    let (snapshot, values) = next_values(&mut sub).await;
    assert!(snapshot && values.iter().any(|v| v.key == "state"), "{values:?}");
    assert!(next_entity_values(&mut room).await.0);
    assert!(live.stats().legacy_endpoint.load(std::sync::atomic::Ordering::Relaxed));

    emu.publish_telemetry(light.id, json!({"brightness": 42}));
    let (snapshot, values) = next_values(&mut sub).await;
    assert!(!snapshot);
    assert_eq!(values[0].value, TbValue::Number(42.0));
    let (snapshot, values) = next_entity_values(&mut room).await;
    assert!(!snapshot && values.iter().all(|v| v.entity == light), "{values:?}");

    // The token rides in the URL: after it is refused (1011) the session refreshes and reconnects.
    let mut state = live.state();
    emu.faults().expire_access_tokens();
    emu.faults().drop_websockets();
    timeout(WAIT, state.wait_for(|s| matches!(s, ConnectionState::Reconnecting { .. })))
        .await
        .unwrap()
        .unwrap();
    assert!(next_values(&mut sub).await.0, "a fresh snapshot on the legacy endpoint");
    assert_eq!(emu.faults().counters().malformed_ws_messages, 0);
}

/// A proxy that reads the upgrade and then says nothing: the client gives up on the handshake
/// after its connect timeout instead of saying "Connecting" for good, and is live again once the
/// upgrades are answered.
#[tokio::test]
async fn a_stalled_upgrade_is_given_up_and_retried_until_it_is_answered() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = Client::builder(emu.base_url()).build().unwrap();
    client.login("tenant@thingsboard.org", &Secret::new("tenant")).await.unwrap();
    emu.faults().stall_websocket_upgrades(Duration::from_secs(3));
    let config = LiveConfig {
        connect_timeout: Duration::from_millis(500),
        backoff: Backoff {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(200),
            ..Backoff::default()
        },
        ..LiveConfig::default()
    };
    let live = LiveHandle::spawn(&client, config);
    let mut sub =
        live.subscribe(SubscriptionSpec::Timeseries { entity: device(&emu, "Lobby Light"), keys: vec![] });
    let mut state = live.state();
    let reconnecting = timeout(WAIT, state.wait_for(|s| matches!(s, ConnectionState::Reconnecting { .. })))
        .await
        .expect("the stalled handshake is given up")
        .unwrap()
        .clone();
    assert!(matches!(reconnecting, ConnectionState::Reconnecting { attempt: 1, .. }), "{reconnecting:?}");
    assert!(next_values(&mut sub).await.0, "a snapshot once upgrades are answered");
    assert!(emu.faults().counters().ws_upgrades_stalled >= 1);
}

/// The server queues every snapshot and closes a session whose queue passes 1,000: 1,500
/// subscriptions sent at once were closed at every connection, for good. They go out a window
/// at a time, and every one is answered on the first connection.
#[tokio::test]
async fn more_subscriptions_than_the_servers_queue_holds_are_all_answered() {
    let (emu, _client, live) = setup().await;
    let light = device(&emu, "Lobby Light");
    let mut subs: Vec<Subscription> = (0..1500)
        .map(|_| live.subscribe(SubscriptionSpec::Timeseries { entity: light, keys: vec!["state".into()] }))
        .collect();
    for sub in &mut subs {
        assert!(next_values(sub).await.0, "a snapshot");
    }
    assert_eq!(emu.faults().counters().ws_connections, 1, "one connection, never closed by the server");
    assert_eq!(*live.state().borrow(), ConnectionState::Connected);
}

//! Acknowledging and clearing alarms against the emulator.

use tb_client::proto::alarm::{AlarmSearchStatus, AlarmStatus};
use tb_client::{AlarmAction, Client, Error, Secret};
use tb_emulator::{Emulator, EmulatorConfig};

#[tokio::test]
async fn ack_then_clear_returns_the_updated_alarm_and_repeats_are_clear_errors() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = Client::builder(emu.base_url()).build().unwrap();
    client.login("tenant@thingsboard.org", &Secret::new("tenant")).await.unwrap();
    // Devices that start offline carry an active "Device Offline" alarm.
    let active = client.all_alarms(None, AlarmSearchStatus::Unack).await.unwrap();
    let alarm = active.first().expect("the demo building has an unacknowledged alarm").alarm.id.id;

    let acked = client.ack_alarm(alarm).await.unwrap();
    assert_eq!(acked.alarm.id.id, alarm);
    assert!(acked.alarm.acknowledged && acked.alarm.ack_ts > 0, "{acked:?}");
    assert_eq!(acked.alarm.status, AlarmStatus::ActiveAck);

    let err = client.ack_alarm(alarm).await.unwrap_err();
    assert!(matches!(err, Error::AlarmAlreadyDone { action: AlarmAction::Acknowledge }), "{err:?}");
    assert_eq!(err.to_string(), "the alarm was already acknowledged");

    let cleared = client.clear_alarm(alarm).await.unwrap();
    assert!(cleared.alarm.cleared && cleared.alarm.clear_ts > 0, "{cleared:?}");
    assert_eq!(cleared.alarm.status, AlarmStatus::ClearedAck);
    let err = client.clear_alarm(alarm).await.unwrap_err();
    assert!(matches!(err, Error::AlarmAlreadyDone { action: AlarmAction::Clear }), "{err:?}");

    assert_eq!(client.alarm_info(alarm).await.unwrap().alarm.status, AlarmStatus::ClearedAck);
    let err = client.ack_alarm(uuid::Uuid::new_v4()).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn a_customer_cannot_touch_another_customers_alarm() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let other = Client::builder(emu.base_url()).build().unwrap();
    other.login("customerb@thingsboard.org", &Secret::new("customer")).await.unwrap();
    let devices = other.all_devices().await.unwrap();
    let thermostat =
        devices.iter().find(|d| d.device_type == "thermostat").expect("customer B has a thermostat");
    // Above 27 degrees the thermostat's profile raises "High Temperature".
    emu.publish_telemetry(thermostat.id.uuid(), serde_json::json!({"temperature": 35.0}));
    let theirs = other.all_alarms(Some(thermostat.id.entity_id()), AlarmSearchStatus::Active).await.unwrap();
    let alarm = theirs.first().expect("the alarm was raised").alarm.id.id;

    let customer = Client::builder(emu.base_url()).build().unwrap();
    customer.login("customer@thingsboard.org", &Secret::new("customer")).await.unwrap();
    let visible = customer.all_alarms(None, AlarmSearchStatus::Any).await.unwrap();
    assert!(visible.iter().all(|a| a.alarm.id.id != alarm), "customer A does not see customer B's alarm");
    let err = customer.ack_alarm(alarm).await.unwrap_err();
    assert!(err.is_forbidden(), "{err:?}");
    assert!(!other.ack_alarm(alarm).await.unwrap().alarm.cleared);
}

fn below(root: tb_client::proto::EntityId) -> tb_client::proto::query::EntityFilter {
    tb_client::proto::query::EntityFilter::descendants(
        root,
        "Contains",
        vec![tb_client::proto::EntityType::Device],
    )
}

#[tokio::test]
async fn an_alarm_data_query_finds_the_alarms_of_the_devices_below_a_place() {
    use tb_client::proto::alarm::AlarmSeverity;
    use tb_client::proto::query::{
        AlarmDataPageLink, AlarmDataQuery, EntityDataSortOrder, EntityKey, EntityKeyType, SortDirection,
    };
    use tb_client::proto::{EntityId, EntityType};
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = Client::builder(emu.base_url()).build().unwrap();
    client.login("tenant@thingsboard.org", &Secret::new("tenant")).await.unwrap();
    let lobby = EntityId::new(EntityType::Asset, emu.asset_id("Lobby").unwrap());
    let thermostat = emu.device_id("Lobby Thermostat").unwrap();
    emu.faults().set_device_online(thermostat, false);
    emu.publish_telemetry(thermostat, serde_json::json!({"temperature": 35.0}));

    let mut link = AlarmDataPageLink::new(1, 0);
    link.status_list = Some(vec![AlarmSearchStatus::Active]);
    link.sort_order = Some(EntityDataSortOrder {
        key: EntityKey::new(EntityKeyType::AlarmField, "createdTime"),
        direction: SortDirection::Desc,
    });
    let query = AlarmDataQuery {
        entity_filter: Some(below(lobby)),
        page_link: Some(link),
        entity_fields: vec![EntityKey::new(EntityKeyType::EntityField, "name")],
        ..AlarmDataQuery::default()
    };
    // Two pages of one: the offline alarm and the high temperature, of the lobby's thermostat only.
    let first = client.find_alarm_data(&query).await.unwrap();
    assert_eq!((first.total_elements, first.has_next), (2, true), "{first:?}");
    let all = client.find_all_alarm_data(&query).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|a| a.entity_id.id == thermostat && a.info.alarm.originator.id == thermostat));
    assert!(all[0].info.alarm.created_time >= all[1].info.alarm.created_time, "newest first");
    assert!(all.iter().any(|a| a.info.alarm.severity == AlarmSeverity::Critical));
    assert_eq!(all[0].latest[&EntityKeyType::EntityField]["name"].value, "Lobby Thermostat");
    assert!(
        client.all_alarms(None, AlarmSearchStatus::Active).await.unwrap().len() > all.len(),
        "the building has other active alarms, outside the lobby"
    );
}

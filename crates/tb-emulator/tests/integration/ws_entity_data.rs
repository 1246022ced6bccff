//! WebSocket v2 subscriptions: `ENTITY_DATA` (snapshot, then latest-value deltas) and `ALARM_COUNT`.

use crate::common::ws::*;
use crate::common::*;
use serde_json::{json, Value};

/// An authenticated `/api/ws` session.
async fn session(emulator: &tb_emulator::Emulator, token: &str) -> Ws {
    let mut ws = connect(&ws_url(emulator, "/api/ws")).await;
    send(&mut ws, json!({"authCmd": {"cmdId": 0, "token": token}})).await;
    ws
}

/// The devices a room contains, by relation.
fn room_devices_query(room: uuid::Uuid) -> Value {
    json!({
        "entityFilter": {"type": "relationsQuery", "rootEntity": {"entityType": "ASSET", "id": room},
                         "direction": "FROM", "maxLevel": 1, "fetchLastLevelOnly": false,
                         "filters": [{"relationType": "Contains", "entityTypes": ["DEVICE"]}]},
        "pageLink": {"pageSize": 100, "page": 0,
                     "sortOrder": {"key": {"type": "ENTITY_FIELD", "key": "name"}, "direction": "ASC"}},
        "entityFields": [{"type": "ENTITY_FIELD", "key": "name"}],
        "latestValues": []
    })
}

fn latest_cmd(keys: &[(&str, &str)]) -> Value {
    json!({"keys": keys.iter().map(|(t, k)| json!({"type": t, "key": k})).collect::<Vec<_>>()})
}

fn row_named<'a>(rows: &'a [Value], name: &str) -> &'a Value {
    rows.iter().find(|r| r["latest"]["ENTITY_FIELD"]["name"]["value"] == name).expect(name)
}

#[tokio::test]
async fn entity_data_for_a_room_snapshots_then_sends_only_changed_keys() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let lobby = emulator.asset_id("Lobby").unwrap();
    let thermostat = emulator.device_id("Lobby Thermostat").unwrap();
    let light = emulator.device_id("Lobby Light").unwrap();
    let mut ws = session(&emulator, &token).await;
    let keys = latest_cmd(&[("TIME_SERIES", "temperature"), ("TIME_SERIES", "brightness")]);
    let mut query = room_devices_query(lobby);
    // The server ignores unknown fields directly inside the query and the filter.
    query["someClientExtra"] = json!(true);
    query["entityFilter"]["alsoIgnored"] = json!(1);
    send(&mut ws, json!({"cmds": [{"type": "ENTITY_DATA", "cmdId": 1, "query": query, "latestCmd": keys}]}))
        .await;

    let snapshot = next_json(&mut ws).await;
    assert_eq!(
        (snapshot["cmdId"].as_i64(), snapshot["cmdUpdateType"].as_str(), snapshot["errorCode"].as_i64()),
        (Some(1), Some("ENTITY_DATA"), Some(0))
    );
    assert_eq!(snapshot["allowedEntities"], 10000);
    assert!(snapshot["update"].is_null() && snapshot["errorMsg"].is_null());
    let rows = snapshot["data"]["data"].as_array().unwrap().clone();
    let names: Vec<&str> =
        rows.iter().map(|r| r["latest"]["ENTITY_FIELD"]["name"]["value"].as_str().unwrap()).collect();
    // Every device of the room, and nothing else.
    let expected: Value = post(&emulator, &token, "/api/entitiesQuery/find", &room_devices_query(lobby))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(snapshot["data"]["totalElements"], expected["totalElements"]);
    assert!(names.len() >= 5 && names.iter().all(|n| n.starts_with("Lobby ")), "{names:?}");
    assert!(names.contains(&"Lobby Thermostat") && names.contains(&"Lobby Light"));
    // latestCmd keys were appended to latestValues; a key without data is {"ts":0,"value":""}.
    assert_eq!(
        row_named(&rows, "Lobby Light")["latest"]["TIME_SERIES"]["temperature"],
        json!({"ts": 0, "value": ""})
    );
    assert!(
        row_named(&rows, "Lobby Thermostat")["latest"]["TIME_SERIES"]["temperature"]["ts"].as_i64().unwrap()
            > 0
    );

    emulator.publish_telemetry(thermostat, json!({"temperature": 23.5, "humidity": 40}));
    let delta = next_json(&mut ws).await;
    assert_eq!((delta["cmdId"].as_i64(), delta["cmdUpdateType"].as_str()), (Some(1), Some("ENTITY_DATA")));
    assert!(delta["data"].is_null());
    let update = delta["update"].as_array().unwrap();
    assert_eq!(update.len(), 1);
    assert_eq!(update[0]["entityId"], json!({"entityType": "DEVICE", "id": thermostat}));
    let latest = update[0]["latest"].as_object().unwrap();
    assert_eq!(latest.keys().collect::<Vec<_>>(), vec!["TIME_SERIES"], "{delta}");
    let ts = latest["TIME_SERIES"].as_object().unwrap();
    assert_eq!(ts.keys().collect::<Vec<_>>(), vec!["temperature"], "only the changed key: {delta}");
    assert_eq!(ts["temperature"]["value"], "23.5");
    assert!(update[0]["timeseries"].is_null() && update[0]["aggLatest"].is_null());

    // Unsubscribe 1 and subscribe 2 (the light only) in one message; once 2's snapshot
    // arrives, 1 is gone: the thermostat's next report reaches nobody.
    let light_query = json!({
        "entityFilter": {"type": "singleEntity", "singleEntity": {"entityType": "DEVICE", "id": light}},
        "pageLink": {"pageSize": 1, "page": 0}, "latestValues": []});
    let brightness = latest_cmd(&[("TIME_SERIES", "brightness")]);
    send(
        &mut ws,
        json!({"cmds": [{"type": "ENTITY_DATA_UNSUBSCRIBE", "cmdId": 1},
                        {"type": "ENTITY_DATA", "cmdId": 2, "query": light_query, "latestCmd": brightness}]}),
    )
    .await;
    let snapshot = next_json(&mut ws).await;
    assert_eq!((snapshot["cmdId"].as_i64(), snapshot["data"]["totalElements"].as_i64()), (Some(2), Some(1)));
    emulator.publish_telemetry(thermostat, json!({"temperature": 24.5}));
    emulator.publish_telemetry(light, json!({"brightness": 77}));
    let delta = next_json(&mut ws).await;
    assert_eq!(delta["cmdId"], 2, "{delta}");
    assert_eq!(delta["update"][0]["latest"]["TIME_SERIES"]["brightness"]["value"], "77");
    emulator.shutdown().await;
}

#[tokio::test]
async fn entity_data_without_latest_cmd_is_one_snapshot_and_resending_replaces() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let light = emulator.device_id("Lobby Light").unwrap();
    let mut ws = session(&emulator, &token).await;
    let query = json!({
        "entityFilter": {"type": "singleEntity", "singleEntity": {"entityType": "DEVICE", "id": light}},
        "pageLink": {"pageSize": 1, "page": 0},
        "latestValues": [{"type": "TIME_SERIES", "key": "brightness"}]});
    send(&mut ws, json!({"cmds": [{"type": "ENTITY_DATA", "cmdId": 3, "query": query}]})).await;
    let snapshot = next_json(&mut ws).await;
    assert!(snapshot["data"]["data"][0]["latest"]["TIME_SERIES"]["brightness"]["value"].is_string());
    emulator.publish_telemetry(light, json!({"brightness": 11}));

    // Re-sending cmdId 3 with latestCmd keeps the subscription, answers every row as an
    // `update` (the initial data was sent already) and turns live updates on.
    let brightness = latest_cmd(&[("TIME_SERIES", "brightness")]);
    send(
        &mut ws,
        json!({"cmds": [{"type": "ENTITY_DATA", "cmdId": 3, "query": query, "latestCmd": brightness}]}),
    )
    .await;
    let again = next_json(&mut ws).await;
    assert_eq!(again["cmdId"], 3, "no live update came before: {again}");
    assert!(again["data"].is_null());
    assert_eq!(again["update"][0]["latest"]["TIME_SERIES"]["brightness"]["value"], "11");
    emulator.publish_telemetry(light, json!({"brightness": 12}));
    let delta = next_json(&mut ws).await;
    assert_eq!(delta["update"][0]["latest"]["TIME_SERIES"]["brightness"]["value"], "12");

    // Validation errors use the legacy shape.
    send(&mut ws, json!({"cmds": [{"type": "ENTITY_DATA", "cmdId": 4}]})).await;
    assert_eq!(
        next_json(&mut ws).await,
        json!({"subscriptionId": 4, "errorCode": 2, "errorMsg": "Query is empty!", "data": null, "latestValues": {}})
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn unknown_field_inside_latest_cmd_is_a_parse_error() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let lobby = emulator.asset_id("Lobby").unwrap();
    let mut ws = session(&emulator, &token).await;
    let mut keys = latest_cmd(&[("TIME_SERIES", "temperature")]);
    keys["bogus"] = json!(1);
    send(
        &mut ws,
        json!({"cmds": [{"type": "ENTITY_DATA", "cmdId": 1, "query": room_devices_query(lobby), "latestCmd": keys}]}),
    )
    .await;
    assert_eq!(
        next_json(&mut ws).await,
        json!({"subscriptionId": 1, "errorCode": 2, "errorMsg": "Failed to parse the payload", "data": null, "latestValues": {}})
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn alarm_count_follows_raise_ack_and_clear() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let sensor = emulator.device_id("Lobby Air Quality").unwrap();
    let mut ws = session(&emulator, &token).await;
    let query = json!({"entityFilter": {"type": "deviceType", "deviceTypes": ["air-quality"]},
                       "typeList": ["High CO2"], "statusList": ["ACTIVE"], "severityList": [],
                       "searchPropagatedAlarms": false});
    let unacked = json!({"typeList": ["High CO2"], "statusList": ["UNACK"]});
    send(
        &mut ws,
        json!({"cmds": [{"type": "ALARM_COUNT", "cmdId": 5, "query": query},
                        {"type": "ALARM_COUNT", "cmdId": 6, "query": unacked}]}),
    )
    .await;
    let first = next_json(&mut ws).await;
    assert_eq!(
        first,
        json!({"cmdId": 5, "errorCode": 0, "errorMsg": null, "cmdUpdateType": "ALARM_COUNT_DATA", "count": 0})
    );
    assert_eq!((next_json(&mut ws).await["cmdId"].as_i64()), Some(6));

    emulator.publish_telemetry(sensor, json!({"co2": 1500}));
    let mut raised = [next_json(&mut ws).await, next_json(&mut ws).await];
    raised.sort_by_key(|m| m["cmdId"].as_i64());
    assert_eq!((raised[0]["cmdId"].as_i64(), raised[0]["count"].as_i64()), (Some(5), Some(1)));
    assert_eq!((raised[1]["cmdId"].as_i64(), raised[1]["count"].as_i64()), (Some(6), Some(1)));

    // Still above the limit: the alarm is updated, the counts do not move, nothing is sent.
    emulator.publish_telemetry(sensor, json!({"co2": 1600}));
    // Acknowledging leaves it active (5 unchanged) but no longer unacknowledged (6 drops).
    let alarms: Value =
        get(&emulator, &token, &format!("/api/alarm/DEVICE/{sensor}?pageSize=10&page=0&searchStatus=ACTIVE"))
            .await
            .json()
            .await
            .unwrap();
    let alarm_id = alarms["data"][0]["id"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        post(&emulator, &token, &format!("/api/alarm/{alarm_id}/ack"), &json!(null)).await.status(),
        200
    );
    let acked = next_json(&mut ws).await;
    assert_eq!((acked["cmdId"].as_i64(), acked["count"].as_i64()), (Some(6), Some(0)), "{acked}");

    // Unsubscribed counts stay quiet; the clear reaches only 5.
    send(&mut ws, json!({"cmds": [{"type": "ALARM_COUNT_UNSUBSCRIBE", "cmdId": 6}]})).await;
    post(&emulator, &token, &format!("/api/alarm/{alarm_id}/clear"), &json!(null)).await;
    let cleared = next_json(&mut ws).await;
    assert_eq!((cleared["cmdId"].as_i64(), cleared["count"].as_i64()), (Some(5), Some(0)), "{cleared}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn legacy_wrapper_serves_entity_data_cmds() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let light = emulator.device_id("Lobby Light").unwrap();
    let mut ws = connect(&ws_url(&emulator, &format!("/api/ws/plugins/telemetry?token={token}"))).await;
    let query = json!({
        "entityFilter": {"type": "singleEntity", "singleEntity": {"entityType": "DEVICE", "id": light}},
        "pageLink": {"pageSize": 1, "page": 0}, "latestValues": []});
    send(
        &mut ws,
        json!({"entityDataCmds": [{"cmdId": 9, "query": query, "latestCmd": latest_cmd(&[("SERVER_ATTRIBUTE", "active")])}],
               "alarmCountCmds": [{"cmdId": 10, "query": {}}]}),
    )
    .await;
    let snapshot = next_json(&mut ws).await;
    assert_eq!(snapshot["cmdId"], 9);
    assert_eq!(snapshot["data"]["data"][0]["latest"]["SERVER_ATTRIBUTE"]["active"]["value"], "true");
    assert_eq!(next_json(&mut ws).await["cmdUpdateType"], "ALARM_COUNT_DATA");
    emulator.faults().set_device_online(light, false);
    // Going offline raises "Device Offline" (count 10 moves) and flips `active` (9's delta).
    let mut seen = [next_json(&mut ws).await, next_json(&mut ws).await];
    seen.sort_by_key(|m| m["cmdId"].as_i64());
    assert_eq!(seen[0]["update"][0]["latest"]["SERVER_ATTRIBUTE"]["active"]["value"], "false", "{seen:?}");
    assert_eq!(seen[1]["cmdId"], 10);
    emulator.shutdown().await;
}

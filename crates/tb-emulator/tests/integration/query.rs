//! The entity data query: filters, fields, latest values as strings, paging, scoping.

use crate::common::*;
use serde_json::{json, Value};
use std::collections::HashSet;

async fn find(emulator: &tb_emulator::Emulator, token: &str, query: Value) -> (u16, Value) {
    let response = post(emulator, token, "/api/entitiesQuery/find", &query).await;
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn relations_query_lists_room_devices_with_fields_and_latest_values() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let lobby = emulator.asset_id("Lobby").unwrap();
    let (status, page) = find(&emulator, &token, json!({
        "entityFilter": {"type": "relationsQuery", "rootEntity": {"entityType": "ASSET", "id": lobby},
                         "direction": "FROM", "maxLevel": 1, "fetchLastLevelOnly": false,
                         "filters": [{"relationType": "Contains", "entityTypes": ["DEVICE"]}]},
        "pageLink": {"pageSize": 2, "page": 0, "sortOrder": {"key": {"type": "ENTITY_FIELD", "key": "name"}, "direction": "ASC"}},
        "entityFields": [{"type": "ENTITY_FIELD", "key": "name"}, {"type": "ENTITY_FIELD", "key": "label"},
                         {"type": "ENTITY_FIELD", "key": "type"}, {"type": "ENTITY_FIELD", "key": "createdTime"}],
        "latestValues": [{"type": "TIME_SERIES", "key": "co2"}, {"type": "SERVER_ATTRIBUTE", "key": "active"},
                         {"type": "TIME_SERIES", "key": "nope"}]
    })).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        (page["totalElements"].as_i64(), page["totalPages"].as_i64(), page["hasNext"].as_bool()),
        (Some(5), Some(3), Some(true))
    );
    let first = &page["data"][0];
    assert_eq!(first["entityId"]["entityType"], "DEVICE");
    assert_eq!(first["latest"]["ENTITY_FIELD"]["name"]["value"], "Lobby Air Quality");
    assert_eq!(first["latest"]["ENTITY_FIELD"]["type"]["value"], "air-quality");
    assert!(first["latest"]["ENTITY_FIELD"]["createdTime"]["value"].as_str().unwrap().parse::<i64>().is_ok());
    assert!(first["latest"]["TIME_SERIES"]["co2"]["value"].as_str().unwrap().parse::<i64>().is_ok());
    assert_eq!(first["latest"]["SERVER_ATTRIBUTE"]["active"]["value"], "true");
    assert_eq!(first["latest"]["TIME_SERIES"]["nope"], json!({"ts": 0, "value": ""}));
    assert_eq!((&first["timeseries"], &first["aggLatest"]), (&json!({}), &json!({})));
    emulator.shutdown().await;
}

#[tokio::test]
async fn single_entity_entity_list_device_type_and_scoping() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let thermostat = emulator.device_id("Lobby Thermostat").unwrap();
    emulator.publish_telemetry(thermostat, json!({"temperature": 21.0}));
    let fields = json!([{"type": "ENTITY_FIELD", "key": "name"}]);
    let (_, page) = find(&emulator, &token, json!({
        "entityFilter": {"type": "singleEntity", "singleEntity": {"entityType": "DEVICE", "id": thermostat}},
        "pageLink": {"pageSize": 1, "page": 0}, "entityFields": fields,
        "latestValues": [{"type": "TIME_SERIES", "key": "temperature"}, {"type": "SHARED_ATTRIBUTE", "key": "maxSetpoint"},
                         {"type": "ATTRIBUTE", "key": "minSetpoint"}]})).await;
    let latest = &page["data"][0]["latest"];
    assert_eq!(latest["TIME_SERIES"]["temperature"]["value"], "21.0");
    assert_eq!(latest["SHARED_ATTRIBUTE"]["maxSetpoint"]["value"], "28");
    assert_eq!(latest["ATTRIBUTE"]["minSetpoint"]["value"], "16");

    let chiller = emulator.device_id("Chiller Power Meter").unwrap();
    let list = json!({"entityFilter": {"type": "entityList", "entityType": "DEVICE", "entityList": [thermostat, chiller]},
        "pageLink": {"pageSize": 10, "page": 0}, "entityFields": fields});
    assert_eq!(find(&emulator, &token, list.clone()).await.1["totalElements"], 2);
    let customer = login(&emulator, "customer@thingsboard.org", "customer").await.0;
    // The tenant's chiller is invisible to the customer.
    assert_eq!(find(&emulator, &customer, list).await.1["totalElements"], 1);

    let (_, page) = find(&emulator, &token, json!({"entityFilter": {"type": "deviceType", "deviceTypes": ["thermostat"], "deviceNameFilter": "Lobby"},
        "pageLink": {"pageSize": 10, "page": 0}, "entityFields": fields})).await;
    assert_eq!(page["totalElements"], 1);
    let (status, body) = find(&emulator, &token, json!({"pageLink": {"pageSize": 10, "page": 0}})).await;
    assert_eq!((status, body["errorCode"].as_i64()), (400, Some(31)));
    let count = post(
        &emulator,
        &token,
        "/api/entitiesQuery/count",
        &json!({"entityFilter": {"type": "assetType", "assetTypes": ["floor"]}}),
    )
    .await;
    assert_eq!(count.text().await.unwrap(), "3");
    emulator.shutdown().await;
}

#[tokio::test]
async fn alarm_data_queries_need_a_page_link_and_see_only_the_callers_entities() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let filter = json!({"type": "deviceType", "deviceTypes": ["thermostat"], "deviceNameFilter": ""});
    // `checkNotNull(query.getPageLink())`: 404, not 400.
    let response = post(&emulator, &token, "/api/alarmsQuery/find", &json!({"entityFilter": filter})).await;
    assert_eq!(response.status(), 404);
    let response =
        post(&emulator, &token, "/api/alarmsQuery/find", &json!({"pageLink": {"pageSize": 10, "page": 0}}))
            .await;
    assert_eq!(response.status(), 400);

    for device in ["Lobby Thermostat", "Room 1.02 Thermostat"] {
        emulator.publish_telemetry(emulator.device_id(device).unwrap(), json!({"temperature": 35.0}));
    }
    let query = json!({"entityFilter": filter,
                       "pageLink": {"pageSize": 100, "page": 0, "statusList": ["ACTIVE"], "typeList": ["High Temperature"],
                                    "sortOrder": {"key": {"type": "ALARM_FIELD", "key": "createdTime"}, "direction": "DESC"}},
                       "entityFields": [{"type": "ENTITY_FIELD", "key": "name"}]});
    let page: Value = post(&emulator, &token, "/api/alarmsQuery/find", &query).await.json().await.unwrap();
    let names: HashSet<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["latest"]["ENTITY_FIELD"]["name"]["value"].as_str().unwrap())
        .collect();
    assert_eq!(names, HashSet::from(["Lobby Thermostat", "Room 1.02 Thermostat"]), "{page}");
    let row = &page["data"][0];
    assert_eq!(row["entityId"], row["originator"]);
    assert_eq!(
        (row["type"].as_str(), row["status"].as_str()),
        (Some("High Temperature"), Some("ACTIVE_UNACK"))
    );

    // A customer user's query sees its customer's devices only: customer B owns the top floor.
    let (customer, _) = login(&emulator, "customerb@thingsboard.org", "customer").await;
    let theirs: Value =
        post(&emulator, &customer, "/api/alarmsQuery/find", &query).await.json().await.unwrap();
    assert_eq!(theirs["totalElements"], 0, "{theirs}");
}

//! Alarms: raised by the simulated rules, listed, acknowledged and cleared, scoped by customer.

use crate::common::*;
use serde_json::{json, Value};

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

#[tokio::test]
async fn offline_devices_have_alarms_from_the_start() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let page =
        json_of(get(&emulator, &token, "/api/alarms?pageSize=100&page=0&searchStatus=ACTIVE").await).await;
    let offline =
        json_of(get(&emulator, &token, "/api/tenant/deviceInfos?pageSize=100&page=0&active=false").await)
            .await;
    assert!(offline["totalElements"].as_i64().unwrap() > 0);
    assert_eq!(page["totalElements"], offline["totalElements"]);
    let alarm = &page["data"][0];
    assert_eq!(
        (alarm["type"].as_str(), alarm["name"].as_str()),
        (Some("Device Offline"), Some("Device Offline"))
    );
    assert_eq!(
        (alarm["severity"].as_str(), alarm["status"].as_str()),
        (Some("CRITICAL"), Some("ACTIVE_UNACK"))
    );
    assert_eq!(alarm["id"]["entityType"], "ALARM");
    assert!(alarm["originatorName"].is_string() && alarm["originatorDisplayName"].is_string());
    for key in ["ackTs", "clearTs", "assignTs", "propagateRelationTypes", "assignee", "assigneeId", "details"]
    {
        assert!(alarm.get(key).is_some(), "{key} missing");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn co2_alarm_lifecycle_with_ack_and_clear_errors() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let sensor = emulator.device_id("Lobby Air Quality").unwrap();
    emulator.publish_telemetry(sensor, json!({"co2": 1350}));
    let path = format!("/api/alarm/DEVICE/{sensor}?pageSize=10&page=0");
    let page = json_of(get(&emulator, &token, &path).await).await;
    assert_eq!(page["totalElements"], 1);
    let alarm = &page["data"][0];
    assert_eq!(alarm["type"], "High CO2");
    assert_eq!(alarm["originatorName"], "Lobby Air Quality");
    assert_eq!(alarm["details"]["co2"], 1350.0);
    let id = alarm["id"]["id"].as_str().unwrap().to_owned();

    let acked = post(&emulator, &token, &format!("/api/alarm/{id}/ack"), &Value::Null).await;
    assert_eq!(acked.status(), 200);
    let acked = json_of(acked).await;
    assert_eq!((acked["acknowledged"].as_bool(), acked["status"].as_str()), (Some(true), Some("ACTIVE_ACK")));
    assert!(acked["ackTs"].as_i64().unwrap() > 0);
    let again = post(&emulator, &token, &format!("/api/alarm/{id}/ack"), &Value::Null).await;
    assert_eq!(again.status(), 400);
    let body = json_of(again).await;
    assert_eq!(
        (body["message"].as_str(), body["errorCode"].as_i64()),
        (Some("Alarm was already acknowledged!"), Some(31))
    );

    // The rule clears it when CO2 falls.
    emulator.publish_telemetry(sensor, json!({"co2": 700}));
    let info = json_of(get(&emulator, &token, &format!("/api/alarm/info/{id}")).await).await;
    assert_eq!(info["status"], "CLEARED_ACK");
    let again = post(&emulator, &token, &format!("/api/alarm/{id}/clear"), &Value::Null).await;
    assert_eq!(again.status(), 400);
    assert_eq!(json_of(again).await["message"], "Alarm was already cleared!");

    // A new excursion is a new alarm; clearing it by hand works once.
    emulator.publish_telemetry(sensor, json!({"co2": 1100}));
    let active = json_of(get(&emulator, &token, &format!("{path}&searchStatus=ACTIVE")).await).await;
    assert_eq!(active["totalElements"], 1);
    let second = active["data"][0]["id"]["id"].as_str().unwrap().to_owned();
    assert_ne!(second, id);
    let cleared =
        json_of(post(&emulator, &token, &format!("/api/alarm/{second}/clear"), &Value::Null).await).await;
    assert_eq!(cleared["status"], "CLEARED_UNACK");
    let by_status = json_of(get(&emulator, &token, &format!("{path}&status=CLEARED_UNACK")).await).await;
    assert_eq!(by_status["totalElements"], 1);
    let sorted =
        json_of(get(&emulator, &token, &format!("{path}&sortProperty=createdTime&sortOrder=DESC")).await)
            .await;
    assert_eq!(sorted["data"][0]["id"]["id"], second.as_str());
    let plain = json_of(get(&emulator, &token, &format!("/api/alarm/{id}")).await).await;
    assert_eq!(plain["status"], "CLEARED_ACK");
    assert!(plain.get("originatorName").is_none());
    emulator.shutdown().await;
}

#[tokio::test]
async fn list_parameters_are_validated_like_thingsboard() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let response =
        get(&emulator, &token, "/api/alarms?pageSize=10&page=0&searchStatus=ANY&status=ACTIVE_ACK").await;
    assert_eq!(response.status(), 400);
    let body = json_of(response).await;
    assert_eq!(body["errorCode"], 31);
    assert_eq!(
        body["message"],
        "Invalid alarms search query: Both parameters 'searchStatus' and 'status' can't be specified at the same time!"
    );
    assert_eq!(get(&emulator, &token, "/api/alarms?page=0").await.status(), 400);
    let missing = uuid::Uuid::new_v4();
    let response = get(&emulator, &token, &format!("/api/alarm/info/{missing}")).await;
    assert_eq!(response.status(), 404);
    assert_eq!(json_of(response).await["message"], format!("Alarm with id [{missing}] is not found"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn thermostat_alarms_are_scoped_to_the_owning_customer() {
    let emulator = start().await;
    let tenant = tenant_token(&emulator).await;
    let top_floor = emulator.device_id("Room 3.01 Thermostat").unwrap();
    emulator.publish_telemetry(top_floor, json!({"temperature": 27.6}));
    let customer_a = login(&emulator, "customer@thingsboard.org", "customer").await.0;
    let customer_b = login(&emulator, "customerb@thingsboard.org", "customer").await.0;
    let query = "/api/alarms?pageSize=100&page=0&textSearch=high%20temperature";
    let seen_by = |token: String| {
        let emulator = &emulator;
        async move { json_of(get(emulator, &token, query).await).await["totalElements"].as_i64().unwrap() }
    };
    assert_eq!(seen_by(tenant.clone()).await, 1);
    assert_eq!(seen_by(customer_b.clone()).await, 1);
    assert_eq!(seen_by(customer_a.clone()).await, 0);
    let page = json_of(get(&emulator, &tenant, query).await).await;
    let id = page["data"][0]["id"]["id"].as_str().unwrap().to_owned();
    assert_eq!(page["data"][0]["severity"], "MAJOR");
    assert_eq!(get(&emulator, &customer_a, &format!("/api/alarm/info/{id}")).await.status(), 403);
    assert_eq!(
        post(&emulator, &customer_a, &format!("/api/alarm/{id}/ack"), &Value::Null).await.status(),
        403
    );
    let path = format!("/api/alarm/DEVICE/{top_floor}?pageSize=10&page=0");
    assert_eq!(get(&emulator, &customer_a, &path).await.status(), 403);
    assert_eq!(
        post(&emulator, &customer_b, &format!("/api/alarm/{id}/ack"), &Value::Null).await.status(),
        200
    );
    emulator.shutdown().await;
}

//! WebSocket behaviour: auth, strict parsing, snapshots and deltas, keepalive, faults.

use crate::common::ws::*;
use crate::common::*;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Reads until the close frame and returns its code and reason.
async fn next_close(ws: &mut Ws) -> (u16, String) {
    loop {
        let message =
            tokio::time::timeout(Duration::from_secs(120), ws.next()).await.expect("a close in time");
        match message.expect("stream open").expect("no error") {
            Message::Close(Some(frame)) => return (u16::from(frame.code), frame.reason.as_str().to_owned()),
            Message::Close(None) => return (1005, String::new()),
            _ => continue,
        }
    }
}

fn ts_cmd(cmd_id: i32, device: uuid::Uuid, keys: &str) -> Value {
    json!({"type": "TIMESERIES", "cmdId": cmd_id, "entityType": "DEVICE", "entityId": device,
           "keys": keys, "scope": "LATEST_TELEMETRY"})
}

#[tokio::test]
async fn one_way_rpc_shows_up_on_a_timeseries_subscription() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let light = emulator.device_id("Lobby Light").unwrap();
    let mut ws = connect(&ws_url(&emulator, "/api/ws")).await;
    send(&mut ws, json!({"authCmd": {"cmdId": 0, "token": token}, "cmds": [ts_cmd(1, light, "state,brightness,never")]})).await;

    let snapshot = next_json(&mut ws).await;
    assert_eq!(snapshot["subscriptionId"], 1);
    assert_eq!(snapshot["errorCode"], 0);
    let state = snapshot["data"]["state"][0][1].as_str().unwrap().to_owned();
    assert!(state == "true" || state == "false");
    assert!(snapshot["data"]["brightness"][0][1].is_string());
    assert!(snapshot["data"]["never"][0][1].is_null());
    assert!(snapshot["latestValues"]["state"].is_i64());

    let wanted = state == "false";
    let response = post(
        &emulator,
        &token,
        &format!("/api/plugins/rpc/oneway/{light}"),
        &json!({"method": "setState", "params": wanted}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "");

    let update = next_json(&mut ws).await;
    assert_eq!(update["subscriptionId"], 1);
    assert_eq!(update["data"].as_object().unwrap().len(), 1, "only the changed key: {update}");
    assert_eq!(update["data"]["state"][0][1], wanted.to_string());

    // Unsubscribe 1 and subscribe 2 in one message; once 2's snapshot arrives, 1 is gone.
    let unsubscribe = json!({"type": "TIMESERIES", "cmdId": 1, "entityType": "DEVICE", "entityId": light, "unsubscribe": true});
    send(&mut ws, json!({"cmds": [unsubscribe, ts_cmd(2, light, "brightness")]})).await;
    assert_eq!(next_json(&mut ws).await["subscriptionId"], 2);
    emulator.publish_telemetry(light, json!({"state": !wanted}));
    emulator.publish_telemetry(light, json!({"brightness": 42}));
    let update = next_json(&mut ws).await;
    assert_eq!(
        (update["subscriptionId"].as_i64(), &update["data"]["brightness"][0][1]),
        (Some(2), &json!("42"))
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn ws_parsing_is_as_strict_as_thingsboard() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let light = emulator.device_id("Lobby Light").unwrap();
    let mut ws = connect(&ws_url(&emulator, "/api/ws")).await;
    send(&mut ws, json!({"authCmd": {"cmdId": 0, "token": token}})).await;
    let mut cmd = ts_cmd(5, light, "state");
    cmd["bogus"] = json!(true);
    send(&mut ws, json!({"cmds": [cmd]})).await;
    assert_eq!(
        next_json(&mut ws).await,
        json!({"subscriptionId": 1, "errorCode": 2, "errorMsg": "Failed to parse the payload", "data": null, "latestValues": {}})
    );
    send(&mut ws, json!({"tsSubCmds": []})).await;
    assert_eq!(next_json(&mut ws).await["errorMsg"], "Failed to parse the payload");
    assert_eq!(emulator.faults().counters().malformed_ws_messages, 2);

    // The session is still usable, and validation errors use the legacy shape with the cmdId.
    send(
        &mut ws,
        json!({"cmds": [{"type": "TIMESERIES", "cmdId": 6, "entityType": "DEVICE", "entityId": ""}]}),
    )
    .await;
    let error = next_json(&mut ws).await;
    assert_eq!(
        (error["subscriptionId"].as_i64(), error["errorMsg"].as_str()),
        (Some(6), Some("Device id is empty!"))
    );
    send(&mut ws, json!({"cmds": [ts_cmd(7, light, "state")]})).await;
    assert_eq!(next_json(&mut ws).await["subscriptionId"], 7);
    emulator.shutdown().await;
}

#[tokio::test]
async fn ws_auth_failures_close_with_thingsboard_codes() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let light = emulator.device_id("Lobby Light").unwrap();

    let mut ws = connect(&ws_url(&emulator, "/api/ws")).await;
    send(&mut ws, json!({"cmds": [ts_cmd(1, light, "state")]})).await;
    assert_eq!(next_close(&mut ws).await, (1008, "Auth cmd is missing".to_owned()));

    let mut ws = connect(&ws_url(&emulator, "/api/ws")).await;
    send(&mut ws, json!({"authCmd": {"cmdId": 0, "token": "not-a-jwt"}})).await;
    assert_eq!(next_close(&mut ws).await.0, 1007);

    emulator.faults().expire_access_tokens();
    let mut ws = connect(&ws_url(&emulator, "/api/ws")).await;
    send(&mut ws, json!({"authCmd": {"cmdId": 0, "token": token}})).await;
    assert_eq!(next_close(&mut ws).await, (1007, "JWT Token expired".to_owned()));

    let mut ws = connect(&ws_url(&emulator, &format!("/api/ws/plugins/telemetry?token={token}"))).await;
    assert_eq!(next_close(&mut ws).await.0, 1011);

    let mut ws = connect(&ws_url(&emulator, "/api/ws/plugins/nonsense")).await;
    assert_eq!(next_close(&mut ws).await, (1007, "Unknown session type".to_owned()));
    assert_eq!(emulator.faults().counters().ws_connections, 5);
    emulator.shutdown().await;
}

#[tokio::test]
async fn legacy_endpoint_serves_ts_and_attribute_subscriptions() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let light = emulator.device_id("Lobby Light").unwrap();
    let mut ws = connect(&ws_url(&emulator, &format!("/api/ws/plugins/telemetry?token={token}"))).await;
    send(
        &mut ws,
        json!({"attrSubCmds": [{"cmdId": 2, "entityType": "DEVICE", "entityId": light, "scope": "SERVER_SCOPE", "keys": "active"}]}),
    )
    .await;
    let snapshot = next_json(&mut ws).await;
    assert_eq!(snapshot["data"]["active"][0][1], "true");

    // A live session survives token expiry and sees the device go offline.
    emulator.faults().expire_access_tokens();
    emulator.faults().set_device_online(light, false);
    let update = next_json(&mut ws).await;
    assert_eq!(update["subscriptionId"], 2);
    assert_eq!(update["data"]["active"][0][1], "false");
    emulator.shutdown().await;
}

#[tokio::test]
async fn drop_websockets_cuts_the_connection_without_a_close_frame() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let mut ws = connect(&ws_url(&emulator, "/api/ws")).await;
    send(&mut ws, json!({"authCmd": {"cmdId": 0, "token": token}, "cmds": []})).await;
    emulator.faults().drop_websockets();
    let end = tokio::time::timeout(WAIT, ws.next()).await.expect("the socket ends in time");
    assert!(matches!(end, None | Some(Err(_))), "{end:?}");
    emulator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_session_without_pongs_is_closed_with_4500() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let mut ws = connect(&ws_url(&emulator, "/api/ws")).await;
    send(&mut ws, json!({"authCmd": {"cmdId": 0, "token": token}})).await;
    emulator.faults().stop_answering_pongs(true);
    let started = tokio::time::Instant::now();
    assert_eq!(next_close(&mut ws).await.0, 4500);
    assert!(started.elapsed() >= Duration::from_secs(30));
    emulator.shutdown().await;
}

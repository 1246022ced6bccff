//! Persistent RPC (`RpcV2Controller`, `DeviceActorMessageProcessor.processRpcResponses`): stored, delivered in the background, read back, listed and deleted;
//! and the flaky device that leaves every second RPC unanswered.

use crate::common::*;
use serde_json::{json, Value};
use std::time::Duration;
use tb_emulator::Emulator;

/// Polls `GET /api/rpc/persistent/{id}` until its status is `want` (bounded).
async fn wait_status(emulator: &Emulator, token: &str, rpc_id: &str, want: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let rpc: Value =
            get(emulator, token, &format!("/api/rpc/persistent/{rpc_id}")).await.json().await.unwrap();
        if rpc["status"] == want {
            return rpc;
        }
        assert!(tokio::time::Instant::now() < deadline, "still {} instead of {want}", rpc["status"]);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn send_persistent(emulator: &Emulator, token: &str, path: &str, body: Value) -> String {
    let response = post(emulator, token, path, &body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer.as_object().unwrap().len(), 1, "{answer}");
    answer["rpcId"].as_str().unwrap().to_owned()
}

fn soon(ms: i64) -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64 + ms
}

#[tokio::test]
async fn a_persistent_two_way_rpc_succeeds_and_can_be_read_listed_and_deleted() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let thermostat = emulator.device_id("Lobby Thermostat").unwrap();
    let body = json!({"method": "setTemperature", "params": {"value": 22.5}, "persistent": true,
                      "retries": 2, "additionalInfo": {"requestedBy": "test"}});
    let rpc_id = send_persistent(&emulator, &token, &format!("/api/rpc/twoway/{thermostat}"), body).await;

    let rpc = wait_status(&emulator, &token, &rpc_id, "SUCCESSFUL").await;
    assert_eq!(rpc["id"], json!({"entityType": "RPC", "id": rpc_id}));
    assert_eq!(rpc["deviceId"], json!({"entityType": "DEVICE", "id": thermostat}));
    assert_eq!(rpc["tenantId"]["entityType"], "TENANT");
    assert_eq!(rpc["response"], json!({"ok": true, "setpoint": 22.5}));
    assert_eq!(rpc["additionalInfo"], json!({"requestedBy": "test"}));
    let request = &rpc["request"];
    assert_eq!(request["id"], rpc_id);
    assert_eq!(request["oneway"], false);
    assert_eq!(request["persisted"], true);
    assert_eq!(request["retries"], 2);
    assert_eq!(request["body"], json!({"method": "setTemperature", "params": "{\"value\":22.5}"}));
    assert_eq!(request["expirationTime"], rpc["expirationTime"]);
    let typed: tb_proto::rpc::PersistentRpc = serde_json::from_value(rpc.clone()).unwrap();
    assert_eq!(typed.status, tb_proto::rpc::RpcStatus::Successful);

    // One-way to the same device ends DELIVERED.
    let oneway = json!({"method": "setMode", "params": "cool", "persistent": true});
    let oneway_id =
        send_persistent(&emulator, &token, &format!("/api/rpc/oneway/{thermostat}"), oneway).await;
    let delivered = wait_status(&emulator, &token, &oneway_id, "DELIVERED").await;
    assert!(delivered["response"].is_null());

    let list = format!("/api/rpc/persistent/device/{thermostat}?pageSize=10&page=0");
    let page: Value = get(&emulator, &token, &list).await.json().await.unwrap();
    assert_eq!(page["totalElements"], 2);
    assert_eq!(page["hasNext"], false);
    let only: Value =
        get(&emulator, &token, &format!("{list}&rpcStatus=DELIVERED")).await.json().await.unwrap();
    assert_eq!(only["totalElements"], 1);
    assert_eq!(only["data"][0]["id"]["id"], oneway_id);
    assert_eq!(get(&emulator, &token, &format!("{list}&rpcStatus=nope")).await.status(), 400);
    let missing = format!("/api/rpc/persistent/device/{}?pageSize=10&page=0", uuid::Uuid::from_u128(7));
    assert_eq!(get(&emulator, &token, &missing).await.status(), 404);

    // Customer B does not own the Lobby: 403 on read, and deleting is for tenant admins only.
    let customer_b = login(&emulator, "customerb@thingsboard.org", "customer").await.0;
    let forbidden = get(&emulator, &customer_b, &format!("/api/rpc/persistent/{rpc_id}")).await;
    assert_eq!(forbidden.status(), 403);
    assert_eq!(forbidden.json::<Value>().await.unwrap()["errorCode"], 20);
    let customer_a = login(&emulator, "customer@thingsboard.org", "customer").await.0;
    assert_eq!(get(&emulator, &customer_a, &format!("/api/rpc/persistent/{rpc_id}")).await.status(), 200);
    let delete = |token: String| {
        let url = format!("{}/api/rpc/persistent/{rpc_id}", emulator.base_url());
        async move {
            http().delete(url).header("X-Authorization", format!("Bearer {token}")).send().await.unwrap()
        }
    };
    assert_eq!(delete(customer_a).await.status(), 403);
    assert_eq!(delete(token.clone()).await.status(), 200);
    let gone = get(&emulator, &token, &format!("/api/rpc/persistent/{rpc_id}")).await;
    assert_eq!(gone.status(), 404);
    assert_eq!(gone.json::<Value>().await.unwrap()["errorCode"], 32);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_persistent_rpc_waits_queued_for_an_offline_device_or_expires() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let light = emulator.device_id("Lobby Light").unwrap();
    emulator.faults().set_device_online(light, false);

    let waiting = json!({"method": "setState", "params": true, "persistent": true, "timeout": 60000});
    let waiting_id = send_persistent(&emulator, &token, &format!("/api/rpc/oneway/{light}"), waiting).await;
    let expiring =
        json!({"method": "getState", "params": {}, "persistent": true, "expirationTime": soon(200)});
    let expiring_id = send_persistent(&emulator, &token, &format!("/api/rpc/twoway/{light}"), expiring).await;

    wait_status(&emulator, &token, &expiring_id, "EXPIRED").await;
    let queued: Value =
        get(&emulator, &token, &format!("/api/rpc/persistent/{waiting_id}")).await.json().await.unwrap();
    assert_eq!(queued["status"], "QUEUED");

    emulator.faults().set_device_online(light, true);
    wait_status(&emulator, &token, &waiting_id, "DELIVERED").await;
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_flaky_plug_answers_every_other_rpc() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let flaky = emulator.device_id("Room 2.03 Flaky Plug").expect("the flaky device exists");
    let path = format!("/api/rpc/twoway/{flaky}");
    let call = |expires: i64| json!({"method": "getState", "params": {}, "expirationTime": expires});

    assert_eq!(post(&emulator, &token, &path, &call(soon(5000))).await.status(), 200);
    let silent = post(&emulator, &token, &path, &call(soon(200))).await;
    assert_eq!(silent.status(), 504);
    assert_eq!(silent.text().await.unwrap(), "");
    assert_eq!(post(&emulator, &token, &path, &call(soon(5000))).await.status(), 200);
    let v1 = post(&emulator, &token, &format!("/api/plugins/rpc/twoway/{flaky}"), &call(soon(200))).await;
    assert_eq!(v1.status(), 408, "sent but never answered is a v1 timeout");

    // Persistent: the unanswered one ends TIMEOUT.
    let body = json!({"method": "getState", "params": {}, "persistent": true});
    let answered = send_persistent(&emulator, &token, &path, body).await;
    wait_status(&emulator, &token, &answered, "SUCCESSFUL").await;
    let body = json!({"method": "getState", "params": {}, "persistent": true, "expirationTime": soon(200)});
    let unanswered = send_persistent(&emulator, &token, &path, body).await;
    wait_status(&emulator, &token, &unanswered, "TIMEOUT").await;
    emulator.shutdown().await;
}

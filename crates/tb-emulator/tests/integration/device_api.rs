//! The device HTTP API: telemetry and attributes by access token, RPC by long poll.

use crate::common::*;
use serde_json::{json, Value};

fn soon(ms: i64) -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64 + ms
}

#[tokio::test]
async fn a_device_posts_telemetry_and_attributes_with_its_token() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let device_token = emulator.device_token("Lobby Light").unwrap();
    assert_eq!(device_token, emulator.device_token("Lobby Light").unwrap(), "stable");
    assert_ne!(device_token, emulator.device_token("Lobby Thermostat").unwrap());
    assert!(emulator.device_token("No Such Device").is_none());
    let light = emulator.device_id("Lobby Light").unwrap();
    let base = emulator.base_url();

    let sent = http()
        .post(format!("{base}/api/v1/{device_token}/telemetry"))
        .json(&json!({"brightness": 77}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    assert_eq!(sent.text().await.unwrap(), "");
    let series = json!([{"ts": 1_700_000_000_000_i64, "values": {"lux": 310}}]);
    let sent =
        http().post(format!("{base}/api/v1/{device_token}/telemetry")).json(&series).send().await.unwrap();
    assert_eq!(sent.status(), 200);
    let latest: Value = get(
        &emulator,
        &token,
        &format!("/api/plugins/telemetry/DEVICE/{light}/values/timeseries?keys=brightness,lux"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(latest["brightness"][0]["value"], "77");
    assert_eq!(latest["lux"][0], json!({"ts": 1_700_000_000_000_i64, "value": "310"}));

    let sent = http()
        .post(format!("{base}/api/v1/{device_token}/attributes"))
        .json(&json!({"firmware": "1.2.3"}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    let attributes: Value = get(
        &emulator,
        &token,
        &format!("/api/plugins/telemetry/DEVICE/{light}/values/attributes/CLIENT_SCOPE"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(
        attributes.as_array().unwrap().iter().any(|a| a["key"] == "firmware" && a["value"] == "1.2.3"),
        "{attributes}"
    );

    let unknown = http()
        .post(format!("{base}/api/v1/not-a-token/telemetry"))
        .json(&json!({"a": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401);
    let bad =
        http().post(format!("{base}/api/v1/{device_token}/telemetry")).body("{nope").send().await.unwrap();
    assert_eq!(bad.status(), 400);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_long_polling_device_answers_two_way_rpc() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let device_token = emulator.device_token("Lobby Light").unwrap();
    let light = emulator.device_id("Lobby Light").unwrap();
    let base = emulator.base_url();

    // The device: poll once, answer what it gets.
    let device = tokio::spawn({
        let base = base.clone();
        let device_token = device_token.clone();
        async move {
            let polled =
                http().get(format!("{base}/api/v1/{device_token}/rpc?timeout=10000")).send().await.unwrap();
            assert_eq!(polled.status(), 200);
            let request: Value = polled.json().await.unwrap();
            let id = request["id"].as_i64().unwrap();
            let reply = http()
                .post(format!("{base}/api/v1/{device_token}/rpc/{id}"))
                .json(&json!({"played": "externally", "got": request["params"]}))
                .send()
                .await
                .unwrap();
            assert_eq!(reply.status(), 200);
            request
        }
    });
    let response = post(
        &emulator,
        &token,
        &format!("/api/rpc/twoway/{light}"),
        &json!({"method": "setState", "params": true}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"played": "externally", "got": true}));
    let request = device.await.unwrap();
    assert_eq!(request, json!({"id": 1, "method": "setState", "params": true}));

    // Not polling now: the device counts as disconnected.
    let missed = post(
        &emulator,
        &token,
        &format!("/api/rpc/twoway/{light}"),
        &json!({"method": "getState", "params": {}, "expirationTime": soon(200)}),
    )
    .await;
    assert_eq!(missed.status(), 504);

    // Nothing to deliver: the long poll ends with 408.
    let idle = http().get(format!("{base}/api/v1/{device_token}/rpc?timeout=100")).send().await.unwrap();
    assert_eq!(idle.status(), 408);
    assert_eq!(
        http().get(format!("{base}/api/v1/wrong/rpc?timeout=100")).send().await.unwrap().status(),
        401
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_reply_that_is_not_json_is_406_and_a_persistent_rpc_reaches_the_device() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let device_token = emulator.device_token("Lobby Door Lock").unwrap();
    let lock = emulator.device_id("Lobby Door Lock").unwrap();
    let base = emulator.base_url();
    let poll_and_answer = |answer: &'static str| {
        let base = base.clone();
        let device_token = device_token.clone();
        tokio::spawn(async move {
            let request: Value = http()
                .get(format!("{base}/api/v1/{device_token}/rpc?timeout=10000"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let id = request["id"].as_i64().unwrap();
            http().post(format!("{base}/api/v1/{device_token}/rpc/{id}")).body(answer).send().await.unwrap();
            request
        })
    };
    let device = poll_and_answer("unlocked, I think");
    let response = post(
        &emulator,
        &token,
        &format!("/api/rpc/twoway/{lock}"),
        &json!({"method": "setLocked", "params": false}),
    )
    .await;
    assert_eq!(response.status(), 406);
    assert_eq!(response.text().await.unwrap(), "");
    device.await.unwrap();

    // A persistent RPC queued while nobody polls is picked up by the next poll.
    let answer: Value = post(
        &emulator,
        &token,
        &format!("/api/rpc/twoway/{lock}"),
        &json!({"method": "getState", "params": {}, "persistent": true, "timeout": 60000}),
    )
    .await
    .json()
    .await
    .unwrap();
    let rpc_id = answer["rpcId"].as_str().unwrap().to_owned();
    let rpc: Value =
        get(&emulator, &token, &format!("/api/rpc/persistent/{rpc_id}")).await.json().await.unwrap();
    assert_eq!(rpc["status"], "QUEUED");
    let request = poll_and_answer("{\"locked\":true}").await.unwrap();
    assert_eq!(request["method"], "getState");
    assert_eq!(request["id"], 2, "the per-device sequence goes on");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let rpc: Value =
            get(&emulator, &token, &format!("/api/rpc/persistent/{rpc_id}")).await.json().await.unwrap();
        if rpc["status"] == "SUCCESSFUL" {
            assert_eq!(rpc["response"], json!({"locked": true}));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{rpc}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    emulator.shutdown().await;
}

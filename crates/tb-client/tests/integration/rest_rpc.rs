//! Persistent RPC: the id comes back at once, the stored RPC is read back with its status.

use serde_json::json;
use std::time::Duration;
use tb_client::proto::rpc::{PersistentRpc, RpcStatus};
use tb_client::proto::DeviceId;
use tb_client::{Client, RpcCall, Secret};
use tb_emulator::{Emulator, EmulatorConfig};
use uuid::Uuid;

async fn setup() -> (Emulator, Client) {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = Client::builder(emu.base_url()).build().unwrap();
    client.login("tenant@thingsboard.org", &Secret::new("tenant")).await.unwrap();
    (emu, client)
}

/// Reads the RPC back until it reaches a final status (the emulator delivers right away).
async fn settled(client: &Client, id: Uuid) -> PersistentRpc {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let rpc = client.persistent_rpc(id).await.unwrap();
        if rpc.status.is_final() {
            return rpc;
        }
        assert!(tokio::time::Instant::now() < deadline, "still {:?}", rpc.status);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_two_way_persistent_rpc_ends_successful_with_the_reply() {
    let (emu, client) = setup().await;
    let light = DeviceId(emu.device_id("Lobby Light").unwrap());
    let id = client.rpc_persistent(light, &RpcCall::new("getState", json!({}))).await.unwrap();
    let rpc = settled(&client, id).await;
    assert_eq!(rpc.id.id, id);
    assert_eq!(rpc.device_id, light);
    assert_eq!(rpc.status, RpcStatus::Successful);
    assert_eq!(rpc.request.body.method, "getState");
    assert!(!rpc.request.oneway && rpc.request.persisted);
    assert!(rpc.response.as_ref().is_some_and(|r| r.get("state").is_some()), "{:?}", rpc.response);
}

#[tokio::test]
async fn a_one_way_persistent_rpc_ends_delivered() {
    let (emu, client) = setup().await;
    let light = DeviceId(emu.device_id("Lobby Light").unwrap());
    let id = client.rpc_persistent_oneway(light, &RpcCall::new("setState", json!(true))).await.unwrap();
    let rpc = settled(&client, id).await;
    assert_eq!(rpc.status, RpcStatus::Delivered);
    assert!(rpc.request.oneway);
}

#[tokio::test]
async fn a_persistent_rpc_for_an_offline_device_waits_queued() {
    let (emu, client) = setup().await;
    let light = DeviceId(emu.device_id("Lobby Light").unwrap());
    emu.faults().set_device_online(light.uuid(), false);
    let call = RpcCall::new("setState", json!(true)).timeout(Duration::from_secs(30));
    let started = tokio::time::Instant::now();
    let id = client.rpc_persistent(light, &call).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "answered at once, not when the device comes back");
    let rpc = client.persistent_rpc(id).await.unwrap();
    assert_eq!(rpc.status, RpcStatus::Queued);
    assert!(!rpc.status.is_final());
}

#[tokio::test]
async fn unknown_rpc_and_unknown_device_are_not_found() {
    let (_emu, client) = setup().await;
    let err = client.persistent_rpc(Uuid::new_v4()).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let err = client
        .rpc_persistent(DeviceId(Uuid::new_v4()), &RpcCall::new("getState", json!({})))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

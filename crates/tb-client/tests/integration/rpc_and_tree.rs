//! Device commands and the hierarchy against the emulator.

use serde_json::json;
use std::time::Duration;
use tb_client::proto::DeviceId;
use tb_client::{Client, Error, RpcApi, RpcCall, RpcFailure, Secret, TbValue};
use tb_emulator::{Emulator, EmulatorConfig};

async fn setup() -> (Emulator, Client) {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = Client::builder(emu.base_url()).build().unwrap();
    client.login("tenant@thingsboard.org", &Secret::new("tenant")).await.unwrap();
    (emu, client)
}

#[tokio::test]
async fn one_way_command_changes_the_light_and_it_reports_back() {
    let (emu, client) = setup().await;
    let light = DeviceId(emu.device_id("Lobby Light").unwrap());
    let entity = light.entity_id();
    let before = client.latest_timeseries(entity, &["state"]).await.unwrap();
    let TbValue::Bool(was_on) = before[0].value else { panic!("state is a boolean: {before:?}") };
    client.rpc_oneway(light, &RpcCall::new("setState", json!(!was_on))).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let now = client.latest_timeseries(entity, &["state"]).await.unwrap();
        if now[0].value == TbValue::Bool(!was_on) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the light never reported its new state");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn two_way_command_returns_the_devices_reply() {
    let (emu, client) = setup().await;
    let light = DeviceId(emu.device_id("Lobby Light").unwrap());
    let reply = client.rpc_twoway(light, &RpcCall::new("getState", json!({}))).await.unwrap();
    assert!(reply.get("state").is_some(), "{reply}");
}

#[tokio::test]
async fn offline_device_and_unknown_device_are_told_apart() {
    let (emu, client) = setup().await;
    let light = DeviceId(emu.device_id("Lobby Light").unwrap());
    emu.faults().set_device_online(light.uuid(), false);
    let call = RpcCall::new("setState", json!(true)).timeout(Duration::from_secs(5));
    let v2 = RpcCall { api: RpcApi::V2, ..call.clone() };
    // Side by side: each waits out the server's shortest timeout (5 s) before it answers.
    let (v1_err, v2_err) = tokio::join!(client.rpc_oneway(light, &call), client.rpc_twoway(light, &v2));
    let err = v1_err.unwrap_err();
    assert!(matches!(err, Error::Rpc(RpcFailure::DeviceOffline)), "v1 answers 409: {err:?}");
    let err = v2_err.unwrap_err();
    assert!(matches!(err, Error::Rpc(RpcFailure::Timeout)), "v2 answers 504: {err:?}");
    let err = client.rpc_oneway(DeviceId(uuid::Uuid::new_v4()), &call).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn the_whole_building_loads_in_a_few_requests() {
    let (emu, client) = setup().await;
    let h = client.load_hierarchy(|_| {}).await.unwrap();
    let site = emu.asset_id("Atrium Campus").unwrap();
    assert_eq!(h.roots[0].id, site, "the site is the root: {:?}", h.roots);
    assert!(h.requests <= 4, "assets + devices + one relation query per root, got {}", h.requests);
    let lobby = emu.asset_id("Lobby").unwrap();
    let lobby_children: Vec<&str> = h.children
        [&tb_client::proto::EntityId::new(tb_client::proto::EntityType::Asset, lobby)]
        .iter()
        .map(|c| h.nodes[c].name.as_str())
        .collect();
    assert!(lobby_children.contains(&"Lobby Light"), "{lobby_children:?}");
}

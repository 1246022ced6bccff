//! A device's attributes by scope through `Core` against the emulator, with the unit overrides
//! an administrator sets in `atriumUnits`.

use atrium_core::{Core, NoUiEvents};
use atrium_ipc::{AttributeScopeName, DeviceAttributes, LoginArgs};
use serde_json::json;
use std::sync::Arc;
use tb_client::proto::telemetry::AttributeScope;
use tb_client::proto::{EntityId, EntityType};
use tb_client::{Client, Secret};
use tb_emulator::{Emulator, EmulatorConfig};

fn keys(attributes: &DeviceAttributes, scope: AttributeScopeName) -> Vec<String> {
    let scope = attributes.scopes.iter().find(|s| s.scope == scope).expect("every scope is listed");
    assert_eq!(scope.error, None);
    scope.entries.iter().map(|e| e.key.clone()).collect()
}

#[tokio::test]
async fn the_three_scopes_are_listed_and_units_overridden_by_the_shared_scope() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let thermostat = emu.device_id("Lobby Thermostat").unwrap();
    let admin = Client::builder(emu.base_url()).build().unwrap();
    admin.login("tenant@thingsboard.org", &Secret::new("tenant")).await.unwrap();
    let entity = EntityId::new(EntityType::Device, thermostat);
    admin
        .save_attributes(
            entity,
            AttributeScope::ServerScope,
            &json!({"atriumUnits": {"temperature": "K", "humidity": "% RH"}}),
        )
        .await
        .unwrap();
    admin
        .save_attributes(
            entity,
            AttributeScope::SharedScope,
            &json!({"atriumUnits": "{\"temperature\": \"°F\"}"}),
        )
        .await
        .unwrap();

    let core = Core::new(Arc::new(NoUiEvents));
    core.login(LoginArgs::new(emu.base_url(), "customer@thingsboard.org", "customer")).await.unwrap();
    let attributes = core.device_attributes(&thermostat.to_string()).await.unwrap();

    assert_eq!(attributes.scopes.iter().map(|s| s.scope).collect::<Vec<_>>(), AttributeScopeName::ALL);
    let shared = keys(&attributes, AttributeScopeName::Shared);
    assert!(shared.contains(&"minSetpoint".to_owned()) && shared.contains(&"step".to_owned()), "{shared:?}");
    let server = keys(&attributes, AttributeScopeName::Server);
    assert!(
        server.contains(&"active".to_owned()) && server.contains(&"lastActivityTime".to_owned()),
        "{server:?}"
    );
    let mut sorted = server.clone();
    sorted.sort();
    assert_eq!(server, sorted, "sorted by key");
    assert_eq!(
        attributes.units.get("temperature").map(String::as_str),
        Some("°F"),
        "shared wins over server"
    );
    assert_eq!(attributes.units.get("humidity").map(String::as_str), Some("% RH"));
    emu.shutdown().await;
}

#[tokio::test]
async fn a_device_says_where_it_is_in_the_building() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let core = Core::new(Arc::new(NoUiEvents));
    core.login(LoginArgs::new(emu.base_url(), "tenant@thingsboard.org", "tenant")).await.unwrap();
    let thermostat = emu.device_id("Lobby Thermostat").unwrap().to_string();
    let before = core.device_detail(&thermostat).await.unwrap();
    assert!(before.place.is_empty(), "no building loaded yet: {:?}", before.place);
    core.load_tree(|_| {}).await.unwrap();
    let detail = core.device_detail(&thermostat).await.unwrap();
    assert_eq!(detail.place, ["Lobby", "Floor 1", "HQ", "Atrium Campus"], "nearest first");
    emu.shutdown().await;
}

//! Telemetry history with aggregation, keys and attribute writes against the emulator.

use serde_json::json;
use std::time::Duration;
use tb_client::proto::telemetry::AttributeScope;
use tb_client::proto::{EntityId, EntityType};
use tb_client::{Aggregation, AggregationFunction, Client, Error, Secret, SortOrder, TbValue};
use tb_emulator::{Emulator, EmulatorConfig};

/// 2023-11-14T22:13:20Z: far from anything the demo building writes.
const BASE: i64 = 1_700_000_000_000;

async fn login(emu: &Emulator, user: &str, password: &str) -> Client {
    let client = Client::builder(emu.base_url()).build().unwrap();
    client.login(user, &Secret::new(password)).await.unwrap();
    client
}

fn device(emu: &Emulator, name: &str) -> EntityId {
    EntityId::new(EntityType::Device, emu.device_id(name).unwrap())
}

/// Writes `probe` = 0.0001, 1.5, 3.0, ... at BASE, BASE + 1 s, ... (ten points) through the REST API.
async fn write_probe_history(emu: &Emulator, client: &Client, entity: EntityId) {
    let points: Vec<_> = (0..10)
        .map(|i| {
            let value = if i == 0 { json!(0.0001) } else { json!(1.5 * f64::from(i)) };
            json!({"ts": BASE + i64::from(i) * 1000, "values": {"probe": value}})
        })
        .collect();
    let url = format!("{}/api/plugins/telemetry/DEVICE/{}/timeseries/ANY", emu.base_url(), entity.id);
    let token = client.access_token().await.unwrap();
    let response = reqwest::Client::new()
        .post(url)
        .header("X-Authorization", format!("Bearer {}", token.expose()))
        .json(&points)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

#[tokio::test]
async fn raw_history_is_typed_limited_and_ordered() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = login(&emu, "tenant@thingsboard.org", "tenant").await;
    let thermostat = device(&emu, "Lobby Thermostat");
    write_probe_history(&emu, &client, thermostat).await;

    let newest = client
        .timeseries_history(
            thermostat,
            &["probe", "never"],
            BASE,
            BASE + 60_000,
            Aggregation::NONE,
            3,
            SortOrder::Desc,
        )
        .await
        .unwrap();
    let ts: Vec<i64> = newest["probe"].iter().map(|p| p.ts).collect();
    assert_eq!(ts, vec![BASE + 9000, BASE + 8000, BASE + 7000]);
    assert_eq!(newest["probe"][0].value, TbValue::Number(13.5));
    assert!(newest["never"].is_empty(), "a requested key without data is present and empty");

    let all = client
        .timeseries_history(
            thermostat,
            &["probe"],
            BASE,
            BASE + 10_000,
            Aggregation::default(),
            100,
            SortOrder::Asc,
        )
        .await
        .unwrap();
    assert_eq!(all["probe"].len(), 10);
    // The server sends Java double text ("1.0E-4"); it arrives as a number.
    assert_eq!(all["probe"][0].value, TbValue::Number(0.0001));
    assert_eq!(all["probe"][0].ts, BASE);
}

#[tokio::test]
async fn aggregated_history_has_one_point_per_bucket() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = login(&emu, "tenant@thingsboard.org", "tenant").await;
    let thermostat = device(&emu, "Lobby Thermostat");
    write_probe_history(&emu, &client, thermostat).await;
    let five_s = Duration::from_secs(5);

    let max = client
        .timeseries_history(
            thermostat,
            &["probe"],
            BASE,
            BASE + 10_000,
            Aggregation::new(AggregationFunction::Max, five_s),
            100,
            SortOrder::Desc,
        )
        .await
        .unwrap();
    let points: Vec<(i64, TbValue)> = max["probe"].iter().map(|p| (p.ts, p.value.clone())).collect();
    assert_eq!(
        points,
        vec![(BASE + 2500, TbValue::Number(6.0)), (BASE + 7500, TbValue::Number(13.5))],
        "bucket midpoints, oldest first"
    );

    let count = client
        .timeseries_history(
            thermostat,
            &["probe"],
            BASE,
            BASE + 10_000,
            Aggregation { interval: five_s, agg: AggregationFunction::Count },
            100,
            SortOrder::Asc,
        )
        .await
        .unwrap();
    assert!(count["probe"].iter().all(|p| p.value == TbValue::Number(5.0)), "{count:?}");
}

#[tokio::test]
async fn history_queries_the_server_would_refuse_are_not_sent() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = login(&emu, "tenant@thingsboard.org", "tenant").await;
    let thermostat = device(&emu, "Lobby Thermostat");
    let before = client.request_count();
    let avg = |interval| Aggregation::new(AggregationFunction::Avg, interval);
    for (keys, end, aggregation) in [
        (&[][..], BASE + 1000, Aggregation::NONE),
        (&["probe"][..], BASE - 1, Aggregation::NONE),
        (&["probe"][..], BASE + 1000, avg(Duration::ZERO)),
        (&["probe"][..], BASE + 86_400_000, avg(Duration::from_secs(60))),
    ] {
        let err = client
            .timeseries_history(thermostat, keys, BASE, end, aggregation, 100, SortOrder::Desc)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    }
    assert_eq!(client.request_count(), before);
}

#[tokio::test]
async fn keys_of_time_series_and_attribute_scopes() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = login(&emu, "tenant@thingsboard.org", "tenant").await;
    let thermostat = device(&emu, "Lobby Thermostat");
    let ts_keys = client.timeseries_keys(thermostat).await.unwrap();
    for key in ["temperature", "humidity", "setpoint", "mode"] {
        assert!(ts_keys.iter().any(|k| k == key), "{key} in {ts_keys:?}");
    }
    let shared = client.attribute_keys(thermostat, Some(AttributeScope::SharedScope)).await.unwrap();
    assert!(shared.iter().any(|k| k == "minSetpoint"), "{shared:?}");
    let server = client.attribute_keys(thermostat, Some(AttributeScope::ServerScope)).await.unwrap();
    assert!(server.iter().any(|k| k == "active") && !server.iter().any(|k| k == "minSetpoint"), "{server:?}");
    let all = client.attribute_keys(thermostat, None).await.unwrap();
    assert!(all.iter().any(|k| k == "active") && all.iter().any(|k| k == "minSetpoint"), "{all:?}");
}

#[tokio::test]
async fn shared_and_server_attributes_are_written_and_read_back() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = login(&emu, "tenant@thingsboard.org", "tenant").await;
    let thermostat = device(&emu, "Lobby Thermostat");
    client
        .save_attributes(
            thermostat,
            AttributeScope::SharedScope,
            &json!({"minSetpoint": 17.5, "label": "north"}),
        )
        .await
        .unwrap();
    client
        .save_attributes(thermostat, AttributeScope::ServerScope, &json!({"maintenance": {"due": "2026-01"}}))
        .await
        .unwrap();
    let shared = client.attributes(thermostat, Some(AttributeScope::SharedScope), &[]).await.unwrap();
    let value = |key: &str| shared.iter().find(|a| a.key == key).map(|a| a.value.clone());
    assert_eq!(value("minSetpoint"), Some(json!(17.5)));
    assert_eq!(value("label"), Some(json!("north")));
    let server =
        client.attributes(thermostat, Some(AttributeScope::ServerScope), &["maintenance"]).await.unwrap();
    assert_eq!(server[0].value, json!({"due": "2026-01"}));
}

#[tokio::test]
async fn client_scope_and_empty_writes_are_refused_without_a_request() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = login(&emu, "tenant@thingsboard.org", "tenant").await;
    let thermostat = device(&emu, "Lobby Thermostat");
    let before = client.request_count();
    let err =
        client.save_attributes(thermostat, AttributeScope::ClientScope, &json!({"x": 1})).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(ref m) if m.contains("CLIENT_SCOPE")), "{err:?}");
    for body in [json!({}), json!([1]), json!("x")] {
        let err = client.save_attributes(thermostat, AttributeScope::SharedScope, &body).await.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    }
    assert_eq!(client.request_count(), before);
}

#[tokio::test]
async fn a_customer_cannot_write_to_another_customers_device() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let other = login(&emu, "customerb@thingsboard.org", "customer").await;
    let theirs = other.all_devices().await.unwrap()[0].id.entity_id();
    let client = login(&emu, "customer@thingsboard.org", "customer").await;
    let err =
        client.save_attributes(theirs, AttributeScope::SharedScope, &json!({"x": 1})).await.unwrap_err();
    assert!(err.is_forbidden(), "{err:?}");
    let err = client.timeseries_keys(theirs).await.unwrap_err();
    assert!(err.is_forbidden(), "{err:?}");
}

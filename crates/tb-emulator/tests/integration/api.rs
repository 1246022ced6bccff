//! REST behaviour: auth, entities, relations, telemetry, RPC.

use crate::common::*;
use serde_json::{json, Value};
use std::collections::HashSet;

#[tokio::test]
async fn login_succeeds_and_bad_credentials_are_401_code_10() {
    let emulator = start().await;
    let (token, refresh) = login(&emulator, "tenant@thingsboard.org", "tenant").await;
    assert_eq!(token.split('.').count(), 3);
    assert!(!refresh.is_empty());

    let response = http()
        .post(format!("{}/api/auth/login", emulator.base_url()))
        .json(&json!({"username": "tenant@thingsboard.org", "password": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], 401);
    assert_eq!(body["message"], "Invalid username or password");
    assert_eq!(body["errorCode"], 10);
    assert!(body["timestamp"].as_i64().unwrap() > 0);

    let me: Value = get(&emulator, &token, "/api/auth/user").await.json().await.unwrap();
    assert_eq!(me["authority"], "TENANT_ADMIN");
    assert_eq!(me["customerId"]["id"], "13814000-1dd2-11b2-8080-808080808080");
    let counters = emulator.faults().counters();
    assert_eq!(counters.login_calls, 2);
    assert_eq!(counters.requests("GET /api/auth/user"), 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn refresh_gives_a_new_pair_and_revocation_is_token_outdated() {
    let emulator = start().await;
    let (_, refresh) = login(&emulator, "customer@thingsboard.org", "customer").await;
    let url = format!("{}/api/auth/token", emulator.base_url());
    let response = http().post(&url).json(&json!({"refreshToken": refresh})).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let pair: Value = response.json().await.unwrap();
    let fresh = pair["token"].as_str().unwrap();
    assert_eq!(get(&emulator, fresh, "/api/auth/user").await.status(), 200);

    let response = http().post(&url).json(&json!({"refreshToken": "garbage"})).send().await.unwrap();
    assert_eq!(response.status(), 401);

    emulator.faults().revoke_refresh_tokens();
    let response = http().post(&url).json(&json!({"refreshToken": refresh})).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!((body["message"].as_str(), body["errorCode"].as_i64()), (Some("Token is outdated"), Some(10)));
    assert_eq!(emulator.faults().counters().refresh_calls, 3);
    emulator.shutdown().await;
}

#[tokio::test]
async fn expired_or_missing_tokens_are_rejected_like_thingsboard() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let response = http().get(format!("{}/api/auth/user", emulator.base_url())).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["message"].as_str(), body["errorCode"].as_i64()),
        (Some("Authentication failed"), Some(10))
    );

    // The standard header works as well.
    let response = http()
        .get(format!("{}/api/auth/user", emulator.base_url()))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    emulator.faults().expire_access_tokens();
    let response = get(&emulator, &token, "/api/tenant/devices?pageSize=10&page=0").await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!((body["message"].as_str(), body["errorCode"].as_i64()), (Some("Token has expired"), Some(11)));

    // A token minted after the fault is fine.
    let token = tenant_token(&emulator).await;
    assert_eq!(get(&emulator, &token, "/api/auth/user").await.status(), 200);
    emulator.shutdown().await;
}

#[tokio::test]
async fn zero_ttl_tokens_are_expired_at_once() {
    let config = tb_emulator::EmulatorConfig {
        access_token_ttl: std::time::Duration::ZERO,
        ..tb_emulator::EmulatorConfig::for_tests()
    };
    let emulator = tb_emulator::Emulator::start(config).await.unwrap();
    let token = tenant_token(&emulator).await;
    let body: Value = get(&emulator, &token, "/api/auth/user").await.json().await.unwrap();
    assert_eq!(body["errorCode"], 11);
    emulator.shutdown().await;
}

#[tokio::test]
async fn logout_outdates_the_session() {
    let emulator = start().await;
    let (token, refresh) = login(&emulator, "tenant@thingsboard.org", "tenant").await;
    assert_eq!(post(&emulator, &token, "/api/auth/logout", &json!({})).await.status(), 200);
    let body: Value = get(&emulator, &token, "/api/auth/user").await.json().await.unwrap();
    assert_eq!(body["errorCode"], 11);
    let response = http()
        .post(format!("{}/api/auth/token", emulator.base_url()))
        .json(&json!({"refreshToken": refresh}))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "Token is outdated");
    emulator.shutdown().await;
}

#[tokio::test]
async fn entity_lists_pages_and_scoping() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let page: Value =
        get(&emulator, &token, "/api/tenant/devices?pageSize=10&page=0").await.json().await.unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 10);
    assert!(page["hasNext"].as_bool().unwrap());
    let total = page["totalElements"].as_i64().unwrap();
    assert!((100..=140).contains(&total), "{total}");

    let lights: Value =
        get(&emulator, &token, "/api/tenant/devices?pageSize=500&page=0&type=light&textSearch=lobby")
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(lights["data"][0]["name"], "Lobby Light");
    assert_eq!(lights["totalElements"], 1);

    let light = emulator.device_id("Lobby Light").unwrap();
    let info: Value =
        get(&emulator, &token, &format!("/api/device/info/{light}")).await.json().await.unwrap();
    assert_eq!(info["active"], true);
    assert_eq!(info["type"], "light");
    assert_eq!(info["label"], "Lobby Light");
    assert_eq!(info["customerTitle"], "Customer A");

    let missing = uuid::Uuid::from_u128(7);
    let response = get(&emulator, &token, &format!("/api/asset/{missing}")).await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], format!("Asset with id [{missing}] is not found"));
    assert_eq!(body["errorCode"], 32);

    let bad = get(&emulator, &token, "/api/tenant/devices?pageSize=0&page=0").await;
    assert_eq!(bad.status(), 400);

    let customer = login(&emulator, "customer@thingsboard.org", "customer").await.0;
    let response = get(&emulator, &customer, "/api/tenant/assets?pageSize=10&page=0").await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errorCode"], 20);
    let me: Value = get(&emulator, &customer, "/api/auth/user").await.json().await.unwrap();
    let customer_id = me["customerId"]["id"].as_str().unwrap();
    let assets: Value =
        get(&emulator, &customer, &format!("/api/customer/{customer_id}/assets?pageSize=100&page=0"))
            .await
            .json()
            .await
            .unwrap();
    let names: HashSet<&str> =
        assets["data"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert!(names.contains("Lobby") && !names.contains("Chiller Plant"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn relation_query_returns_the_whole_tree_with_names() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let site = emulator.asset_id("Atrium Campus").unwrap();
    let query = json!({"parameters": {"rootId": site, "rootType": "ASSET", "direction": "FROM",
        "relationTypeGroup": "COMMON", "maxLevel": 0, "fetchLastLevelOnly": false}, "filters": []});
    let edges: Vec<Value> =
        post(&emulator, &token, "/api/relations/info", &query).await.json().await.unwrap();
    let names: HashSet<&str> = edges.iter().map(|e| e["toName"].as_str().unwrap()).collect();
    for expected in [
        "HQ",
        "Floor 1",
        "Floor 3",
        "Lobby",
        "Lobby Light",
        "Lobby Thermostat",
        "Server Room",
        "Chiller Plant",
    ] {
        assert!(names.contains(expected), "{expected} missing");
    }
    let devices = edges.iter().filter(|e| e["to"]["entityType"] == "DEVICE").count();
    assert!(devices > 100, "{devices}");
    assert!(edges.iter().all(|e| e["type"] == "Contains" && e.get("fromName").is_none()));

    // Only devices, only the lobby's level.
    let lobby = emulator.asset_id("Lobby").unwrap();
    let query = json!({"parameters": {"rootId": lobby, "rootType": "ASSET", "direction": "FROM", "maxLevel": 1},
        "filters": [{"relationType": "Contains", "entityTypes": ["DEVICE"]}]});
    let edges: Vec<Value> = post(&emulator, &token, "/api/relations", &query).await.json().await.unwrap();
    assert_eq!(edges.len(), 5);

    let light = emulator.device_id("Lobby Light").unwrap();
    let up: Vec<Value> = get(&emulator, &token, &format!("/api/relations?toId={light}&toType=DEVICE"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(up.len(), 1);
    assert_eq!(up[0]["from"]["id"], lobby.to_string());
    let down: Vec<Value> =
        get(&emulator, &token, &format!("/api/relations/info?fromId={lobby}&fromType=ASSET"))
            .await
            .json()
            .await
            .unwrap();
    assert!(down.iter().any(|e| e["toName"] == "Lobby Light"));

    // Customer B sees only its own floor's part of the tree.
    let customer_b = login(&emulator, "customerb@thingsboard.org", "customer").await.0;
    assert_eq!(post(&emulator, &customer_b, "/api/relations", &query).await.status(), 403);
    emulator.shutdown().await;
}

#[tokio::test]
async fn latest_telemetry_uses_java_number_strings() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let device = emulator.device_id("Lobby Thermostat").unwrap();
    emulator.publish_telemetry(
        device,
        json!({"temperature": 25.0, "tiny": 0.0001, "big": 123456789.0, "humidity": 61, "on": true, "mode": "eco"}),
    );
    let path = format!("/api/plugins/telemetry/DEVICE/{device}/values/timeseries?keys=temperature,tiny,big,humidity,on,mode,never");
    let body: Value = get(&emulator, &token, &path).await.json().await.unwrap();
    assert_eq!(body["temperature"][0]["value"], "25.0");
    assert_eq!(body["tiny"][0]["value"], "1.0E-4");
    assert_eq!(body["big"][0]["value"], "1.23456789E8");
    assert_eq!(body["humidity"][0]["value"], "61");
    assert_eq!(body["on"][0]["value"], "true");
    assert_eq!(body["mode"][0]["value"], "eco");
    assert!(body["never"][0]["value"].is_null());
    assert!(body["never"][0]["ts"].as_i64().unwrap() > 0);

    let strict: Value =
        get(&emulator, &token, &format!("{path}&useStrictDataTypes=true")).await.json().await.unwrap();
    assert_eq!(strict["temperature"][0]["value"], json!(25.0));
    assert_eq!(strict["on"][0]["value"], json!(true));

    let attrs: Vec<Value> = get(
        &emulator,
        &token,
        &format!("/api/plugins/telemetry/DEVICE/{device}/values/attributes/SERVER_SCOPE?keys=active,lastActivityTime"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(attrs.iter().any(|a| a["key"] == "active" && a["value"] == json!(true)));
    assert!(attrs.iter().any(|a| a["key"] == "lastActivityTime" && a["value"].is_i64()));
    let shared: Vec<Value> = get(
        &emulator,
        &token,
        &format!("/api/plugins/telemetry/DEVICE/{device}/values/attributes/SHARED_SCOPE"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(shared.iter().any(|a| a["key"] == "step" && a["value"] == json!(0.5)));

    let keys: Vec<String> =
        get(&emulator, &token, &format!("/api/plugins/telemetry/DEVICE/{device}/keys/timeseries"))
            .await
            .json()
            .await
            .unwrap();
    assert!(keys.contains(&"setpoint".to_owned()));

    let saved = post(
        &emulator,
        &token,
        &format!("/api/plugins/telemetry/DEVICE/{device}/attributes/SHARED_SCOPE"),
        &json!({"step": 1}),
    )
    .await;
    assert_eq!(saved.status(), 200);
    let bad = post(
        &emulator,
        &token,
        &format!("/api/plugins/telemetry/DEVICE/{device}/attributes/CLIENT_SCOPE"),
        &json!({"a": 1}),
    )
    .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.text().await.unwrap(), "Invalid scope: CLIENT_SCOPE");

    let missing = get(
        &emulator,
        &token,
        &format!("/api/plugins/telemetry/DEVICE/{}/values/timeseries", uuid::Uuid::from_u128(1)),
    )
    .await;
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.text().await.unwrap(), "Device with requested id wasn't found!");
    let bad_type =
        get(&emulator, &token, &format!("/api/plugins/telemetry/device/{device}/values/timeseries")).await;
    assert_eq!(bad_type.status(), 400);
    emulator.shutdown().await;
}

/// As `AccessValidator.validateDeviceProfile`: the tenant administrator reads and writes a device
/// profile's attributes; a customer user has only `READ` on profiles, so the telemetry API refuses
/// it with the plain-text 403 of DeferredResult endpoints.
#[tokio::test]
async fn device_profile_attributes_are_the_tenants() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let mut profiles = Vec::new();
    for name in ["Lobby Thermostat", "Room 1.02 Thermostat"] {
        let path = format!("/api/device/info/{}", emulator.device_id(name).unwrap());
        let info: Value = get(&emulator, &token, &path).await.json().await.unwrap();
        assert_eq!(info["deviceProfileId"]["entityType"], "DEVICE_PROFILE");
        profiles.push(info["deviceProfileId"]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(profiles[0], profiles[1], "one profile per device type");
    let profile = &profiles[0];

    let base = format!("/api/plugins/telemetry/DEVICE_PROFILE/{profile}");
    let saved =
        post(&emulator, &token, &format!("{base}/attributes/SERVER_SCOPE"), &json!({"atriumControls": "[]"}))
            .await;
    assert_eq!(saved.status(), 200);
    let attrs: Vec<Value> =
        get(&emulator, &token, &format!("{base}/values/attributes/SERVER_SCOPE?keys=atriumControls"))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(attrs.len(), 1);
    assert_eq!((&attrs[0]["key"], &attrs[0]["value"]), (&json!("atriumControls"), &json!("[]")));

    let customer = login(&emulator, "customer@thingsboard.org", "customer").await.0;
    let refused = get(&emulator, &customer, &format!("{base}/values/attributes/SERVER_SCOPE")).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    assert_eq!(refused.text().await.unwrap(), "You don't have permission to perform this operation!");
    let write =
        post(&emulator, &customer, &format!("{base}/attributes/SHARED_SCOPE"), &json!({"a": 1})).await;
    assert_eq!(write.status(), 403);

    let missing = get(
        &emulator,
        &token,
        &format!("/api/plugins/telemetry/DEVICE_PROFILE/{}/values/attributes", uuid::Uuid::from_u128(1)),
    )
    .await;
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.text().await.unwrap(), "Device profile with requested id wasn't found!");
    emulator.shutdown().await;
}

#[tokio::test]
async fn two_way_rpc_answers_and_reports() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let thermostat = emulator.device_id("Lobby Thermostat").unwrap();
    let response = post(
        &emulator,
        &token,
        &format!("/api/plugins/rpc/twoway/{thermostat}"),
        &json!({"method": "setTemperature", "params": 23.5}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"ok": true, "setpoint": 23.5}));
    let latest: Value = get(
        &emulator,
        &token,
        &format!("/api/plugins/telemetry/DEVICE/{thermostat}/values/timeseries?keys=setpoint"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(latest["setpoint"][0]["value"], "23.5");

    let reply: Value = post(
        &emulator,
        &token,
        &format!("/api/rpc/twoway/{thermostat}"),
        &json!({"method": "dance", "params": {}}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(reply, json!({"error": "Unsupported method"}));

    let unknown = post(
        &emulator,
        &token,
        &format!("/api/rpc/oneway/{}", uuid::Uuid::from_u128(3)),
        &json!({"method": "x", "params": {}}),
    )
    .await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.text().await.unwrap(), "Device with requested id wasn't found!");

    let response = http()
        .post(format!("{}/api/rpc/oneway/{thermostat}", emulator.base_url()))
        .header("X-Authorization", format!("Bearer {token}"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.json::<Value>().await.unwrap()["message"], "Invalid request body");
    emulator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn rpc_to_an_offline_device_times_out_with_empty_body() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let light = emulator.device_id("Lobby Light").unwrap();
    assert!(emulator.faults().set_device_online(light, false));
    let body = json!({"method": "setState", "params": true});

    let started = tokio::time::Instant::now();
    let response = post(&emulator, &token, &format!("/api/rpc/oneway/{light}"), &body).await;
    assert_eq!(response.status(), 504);
    assert!(started.elapsed() >= std::time::Duration::from_secs(10));
    assert_eq!(response.text().await.unwrap(), "");

    let started = tokio::time::Instant::now();
    let v1 = json!({"method": "setState", "params": true, "timeout": 1000});
    let response = post(&emulator, &token, &format!("/api/plugins/rpc/twoway/{light}"), &v1).await;
    assert_eq!(response.status(), 409);
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_secs(5) && waited < std::time::Duration::from_secs(10),
        "{waited:?}"
    );

    let info: Value =
        get(&emulator, &token, &format!("/api/device/info/{light}")).await.json().await.unwrap();
    assert_eq!(info["active"], false);
    emulator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn queued_rpc_is_delivered_when_the_device_reconnects() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let light = emulator.device_id("Lobby Light").unwrap();
    let faults = emulator.faults();
    faults.set_device_online(light, false);
    let reconnect = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        faults.set_device_online(light, true);
    });
    let response = post(
        &emulator,
        &token,
        &format!("/api/rpc/twoway/{light}"),
        &json!({"method": "getState", "params": {}}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(response.json::<Value>().await.unwrap()["state"].is_boolean());
    reconnect.await.unwrap();
    emulator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn simulation_moves_temperature_toward_the_setpoint() {
    let config = tb_emulator::EmulatorConfig { simulate: true, ..tb_emulator::EmulatorConfig::for_tests() };
    let emulator = tb_emulator::Emulator::start(config).await.unwrap();
    let token = tenant_token(&emulator).await;
    let thermostat = emulator.device_id("Lobby Thermostat").unwrap();
    emulator.publish_telemetry(thermostat, json!({"temperature": 16.0}));
    let rpc = json!({"method": "setTemperature", "params": {"value": 26}});
    assert_eq!(post(&emulator, &token, &format!("/api/rpc/twoway/{thermostat}"), &rpc).await.status(), 200);
    // Paused time: thirty ticks pass at once.
    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    let path = format!("/api/plugins/telemetry/DEVICE/{thermostat}/values/timeseries?keys=temperature&useStrictDataTypes=true");
    let body: Value = get(&emulator, &token, &path).await.json().await.unwrap();
    let temperature = body["temperature"][0]["value"].as_f64().unwrap();
    assert!(temperature > 20.0 && temperature <= 26.1, "{temperature}");
    emulator.shutdown().await;
}

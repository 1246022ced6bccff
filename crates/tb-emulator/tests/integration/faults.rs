//! Fault controls: latency, failed requests, refused upgrades, malformed frames, and their admin API.

use crate::common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tb_emulator::{Emulator, EmulatorConfig, FailureKind};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::{self, Message};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn latency_delays_every_rest_request() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    emulator.faults().set_latency(Duration::from_millis(300), Duration::from_millis(20));
    let started = Instant::now();
    assert_eq!(get(&emulator, &token, "/api/auth/user").await.status(), 200);
    // A lower bound only: the sleep guarantees it, scheduling can only add.
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
    emulator.faults().set_latency(Duration::ZERO, Duration::ZERO);
    emulator.shutdown().await;
}

#[tokio::test]
async fn next_requests_fail_with_a_json_500_or_an_nginx_502() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    emulator.faults().fail_next_requests(2, FailureKind::ServerError);
    for _ in 0..2 {
        let response = get(&emulator, &token, "/api/auth/user").await;
        assert_eq!(response.status(), 500);
        let body: Value = response.json().await.unwrap();
        assert_eq!((body["status"].as_i64(), body["errorCode"].as_i64()), (Some(500), Some(2)));
        assert!(body["message"].is_string() && body["timestamp"].is_i64());
    }
    assert_eq!(get(&emulator, &token, "/api/auth/user").await.status(), 200);

    emulator.faults().fail_next_requests(1, FailureKind::BadGateway);
    let response = http()
        .post(format!("{}/api/auth/login", emulator.base_url()))
        .json(&json!({"username": "tenant@thingsboard.org", "password": "tenant"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(response.headers()["content-type"], "text/html");
    assert!(response.text().await.unwrap().contains("<title>502 Bad Gateway</title>"));
    let counters = emulator.faults().counters();
    assert_eq!(counters.injected_failures, 3);
    // Failed requests never reached a handler.
    assert_eq!(counters.login_calls, 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn refused_websocket_upgrades_get_503_until_lifted() {
    let emulator = start().await;
    let url = ws_url(&emulator, "/api/ws");
    emulator.faults().refuse_websocket_upgrades(Duration::from_secs(600));
    match connect_async(url.as_str()).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 503),
        other => panic!("expected an HTTP 503, got {:?}", other.map(|_| ())),
    }
    let counters = emulator.faults().counters();
    assert_eq!((counters.ws_upgrades_refused, counters.ws_connections), (1, 0));
    emulator.faults().refuse_websocket_upgrades(Duration::ZERO);
    assert!(connect_async(url.as_str()).await.is_ok());
    assert_eq!(emulator.faults().counters().ws_connections, 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn every_live_session_receives_one_malformed_frame() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let (mut ws, _) = connect_async(ws_url(&emulator, "/api/ws").as_str()).await.unwrap();
        let light = emulator.device_id("Lobby Light").unwrap();
        let first = json!({"authCmd": {"cmdId": 0, "token": token}, "cmds": [{"type": "TIMESERIES", "cmdId": 1,
            "entityType": "DEVICE", "entityId": light, "keys": "state"}]});
        ws.send(Message::text(first.to_string())).await.unwrap();
        // The snapshot proves the session is authenticated and live.
        let snapshot = next_text(&mut ws).await;
        assert!(serde_json::from_str::<Value>(&snapshot).is_ok());
        sessions.push(ws);
    }
    emulator.faults().send_malformed_frame();
    for ws in &mut sessions {
        let text = next_text(ws).await;
        assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    }
    emulator.shutdown().await;
}

async fn next_text<S>(ws: &mut S) -> String
where
    S: futures_util::Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(WAIT, ws.next()).await.expect("a message in time");
        match message.expect("stream open").expect("no error") {
            Message::Text(text) => return text.as_str().to_owned(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected text, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn admin_api_serves_the_new_controls() {
    let emulator =
        Emulator::start(EmulatorConfig { admin_api: true, ..EmulatorConfig::for_tests() }).await.unwrap();
    let admin = |path: &str| format!("{}/emulator/admin/{path}", emulator.base_url());
    let ok = |r: reqwest::Response| assert_eq!(r.status(), 200, "{}", r.url());
    ok(http().post(admin("fail-next-requests?count=1&kind=bad-gateway")).send().await.unwrap());
    let response = http().get(format!("{}/api/auth/user", emulator.base_url())).send().await.unwrap();
    assert_eq!(response.status(), 502);
    let response = http().post(admin("fail-next-requests?count=1&kind=teapot")).send().await.unwrap();
    assert_eq!(response.status(), 400);
    ok(http().post(admin("latency?fixedMs=0&jitterMs=0")).send().await.unwrap());
    ok(http().post(admin("refuse-websocket-upgrades?seconds=30")).send().await.unwrap());
    assert!(connect_async(ws_url(&emulator, "/api/ws").as_str()).await.is_err());
    ok(http().post(admin("refuse-websocket-upgrades?seconds=0")).send().await.unwrap());
    ok(http().post(admin("send-malformed-frame")).send().await.unwrap());
    let counters: Value = http().get(admin("counters")).send().await.unwrap().json().await.unwrap();
    assert_eq!(counters["wsUpgradesRefused"], 1);
    assert_eq!(counters["injectedFailures"], 1);
    emulator.shutdown().await;
}

//! WebSocket limits (`DefaultWebSocketService.checkLimits`, `processSubscription`): too many sessions per user or subscriptions per session close
//! the socket with 1008 and the server's reason.

use crate::common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tb_emulator::{Emulator, EmulatorConfig};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn start_with(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.unwrap()
}

async fn connect(url: &str) -> Ws {
    connect_async(url).await.expect("websocket connects").0
}

async fn next(ws: &mut Ws) -> Message {
    loop {
        let message =
            tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("a frame in time");
        match message.expect("stream open").expect("no error") {
            Message::Ping(_) | Message::Pong(_) => continue,
            other => return other,
        }
    }
}

fn close_of(message: Message) -> (u16, String) {
    match message {
        Message::Close(Some(frame)) => (u16::from(frame.code), frame.reason.as_str().to_owned()),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

fn ts_cmd(cmd_id: i32, device: uuid::Uuid) -> Value {
    json!({"type": "TIMESERIES", "cmdId": cmd_id, "entityType": "DEVICE", "entityId": device,
           "keys": "state", "scope": "LATEST_TELEMETRY"})
}

#[tokio::test]
async fn a_second_session_of_the_same_user_is_closed_when_the_limit_is_one() {
    let config = EmulatorConfig { max_ws_sessions_per_user: 1, ..EmulatorConfig::for_tests() };
    let emulator = start_with(config).await;
    let token = tenant_token(&emulator).await;
    let light = emulator.device_id("Lobby Light").unwrap();
    let auth = |cmds: Vec<Value>| json!({"authCmd": {"cmdId": 0, "token": token}, "cmds": cmds}).to_string();

    let mut first = connect(&ws_url(&emulator, "/api/ws")).await;
    first.send(Message::text(auth(vec![ts_cmd(1, light)]))).await.unwrap();
    assert!(matches!(next(&mut first).await, Message::Text(_)), "the first session works");

    let mut second = connect(&ws_url(&emulator, "/api/ws")).await;
    second.send(Message::text(auth(vec![]))).await.unwrap();
    assert_eq!(
        close_of(next(&mut second).await),
        (1008, "Max regular user sessions limit reached".to_owned())
    );

    // The legacy endpoint counts too; another user is not affected.
    let mut legacy = connect(&ws_url(&emulator, &format!("/api/ws/plugins/telemetry?token={token}"))).await;
    assert_eq!(close_of(next(&mut legacy).await).0, 1008);
    let other = login(&emulator, "customer@thingsboard.org", "customer").await.0;
    let mut third = connect(&ws_url(&emulator, "/api/ws")).await;
    let cmds = json!({"authCmd": {"cmdId": 0, "token": other}, "cmds": [ts_cmd(1, light)]});
    third.send(Message::text(cmds.to_string())).await.unwrap();
    assert!(matches!(next(&mut third).await, Message::Text(_)));

    // Closing the first session frees its slot.
    first.close(None).await.unwrap();
    while let Some(Ok(_)) = first.next().await {}
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut again = connect(&ws_url(&emulator, "/api/ws")).await;
        again.send(Message::text(auth(vec![ts_cmd(1, light)]))).await.unwrap();
        match next(&mut again).await {
            Message::Text(_) => break,
            // The server may not have seen the first close yet.
            closed => assert!(tokio::time::Instant::now() < deadline, "{closed:?}"),
        }
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn one_subscription_too_many_closes_the_session() {
    let config = EmulatorConfig { max_ws_subscriptions_per_session: 2, ..EmulatorConfig::for_tests() };
    let emulator = start_with(config).await;
    let token = tenant_token(&emulator).await;
    let light = emulator.device_id("Lobby Light").unwrap();
    let mut ws = connect(&ws_url(&emulator, "/api/ws")).await;
    let first =
        json!({"authCmd": {"cmdId": 0, "token": token}, "cmds": [ts_cmd(1, light), ts_cmd(2, light)]});
    ws.send(Message::text(first.to_string())).await.unwrap();
    assert!(matches!(next(&mut ws).await, Message::Text(_)));
    assert!(matches!(next(&mut ws).await, Message::Text(_)));
    // Re-sending a known cmdId replaces it and an unsubscribe frees a slot.
    let unsubscribe = json!({"type": "TIMESERIES", "cmdId": 2, "unsubscribe": true});
    let more = json!({"cmds": [ts_cmd(1, light), unsubscribe, ts_cmd(3, light)]});
    ws.send(Message::text(more.to_string())).await.unwrap();
    assert!(matches!(next(&mut ws).await, Message::Text(_)));
    assert!(matches!(next(&mut ws).await, Message::Text(_)));
    let too_many = json!({"cmds": [ts_cmd(4, light)]});
    ws.send(Message::text(too_many.to_string())).await.unwrap();
    assert_eq!(
        close_of(next(&mut ws).await),
        (1008, "Max regular user subscriptions limit reached".to_owned())
    );
    emulator.shutdown().await;
}

//! The connection actor on an in-memory transport under paused time: liveness, backoff,
//! bad frames, auth rejection and batching, with no sockets and no real waiting.

use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tb_client::live::transport::{ConnectError, Frame, FrameSink, FrameStream, Transport};
use tb_client::live::{
    Backoff, ClosedReason, ConnectionState, EntityValue, LiveConfig, LiveEvent, LiveHandle, SubscriptionSpec,
    TokenSource,
};
use tb_client::proto::query::{EntityDataQuery, EntityKey, EntityKeyType};
use tb_client::proto::{EntityId, EntityType};
use tb_client::{Error, Secret};
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};

/// The server's end of one accepted connection.
struct ServerEnd {
    /// What the client sent.
    received: mpsc::UnboundedReceiver<Frame>,
    /// Push frames to the client; dropping it ends the client's stream.
    send: mpsc::UnboundedSender<Result<Frame, Error>>,
}

enum Plan {
    Refuse,
    /// The upgrade is answered 404 (no such endpoint).
    NotFound,
    /// The upgrade is answered 401.
    Unauthorized,
    /// A failure whose text quotes the URL it was given.
    FailQuotingUrl,
    /// TCP accepted, then nothing: the handshake never completes.
    Stall,
    /// Accepted, but the peer never reads: every write waits forever.
    Deaf,
    Accept,
}

struct MemoryTransport {
    plans: Mutex<VecDeque<Plan>>,
    accepted: mpsc::UnboundedSender<ServerEnd>,
    attempts: AtomicUsize,
    urls: Mutex<Vec<url::Url>>,
}

impl Transport for MemoryTransport {
    fn connect(&self, url: url::Url) -> BoxFuture<'static, Result<(FrameSink, FrameStream), ConnectError>> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        self.urls.lock().unwrap().push(url.clone());
        let plan = self.plans.lock().unwrap().pop_front().unwrap_or(Plan::Accept);
        let accepted = self.accepted.clone();
        Box::pin(async move {
            match plan {
                Plan::Refuse => {
                    return Err(
                        Error::Live("the server refused the WebSocket upgrade (HTTP 503)".into()).into()
                    )
                }
                Plan::NotFound => return Err(ConnectError::NotFound),
                Plan::Unauthorized => return Err(ConnectError::Unauthorized),
                Plan::FailQuotingUrl => return Err(Error::Live(format!("cannot open {url}")).into()),
                Plan::Stall => std::future::pending::<()>().await,
                Plan::Deaf => {
                    let (server_tx, client_rx) = mpsc::unbounded_channel::<Result<Frame, Error>>();
                    let (_, received) = mpsc::unbounded_channel::<Frame>();
                    let _ = accepted.send(ServerEnd { received, send: server_tx });
                    let never = futures_util::sink::unfold((), |(), _frame: Frame| async {
                        std::future::pending::<()>().await;
                        Ok::<_, Error>(())
                    });
                    return Ok((Box::pin(never) as FrameSink, tokio_stream_from(client_rx)));
                }
                Plan::Accept => {}
            }
            let (client_tx, server_rx) = mpsc::unbounded_channel::<Frame>();
            let (server_tx, client_rx) = mpsc::unbounded_channel::<Result<Frame, Error>>();
            let _ = accepted.send(ServerEnd { received: server_rx, send: server_tx });
            let sink = futures_util::sink::unfold(client_tx, |tx, frame: Frame| async move {
                tx.send(frame).map_err(|_| Error::Live("closed".into()))?;
                Ok::<_, Error>(tx)
            });
            let stream = tokio_stream_from(client_rx);
            Ok((Box::pin(sink) as FrameSink, stream))
        })
    }
}

fn tokio_stream_from(mut rx: mpsc::UnboundedReceiver<Result<Frame, Error>>) -> FrameStream {
    Box::pin(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}

/// Like a session: the same `token` until a refresh is forced, then `token-r1`, `token-r2`, ...
#[derive(Default)]
struct Tokens {
    calls: Mutex<Vec<bool>>,
}

impl TokenSource for Tokens {
    fn token(&self, force_refresh: bool) -> BoxFuture<'_, Result<Secret, Error>> {
        let mut calls = self.calls.lock().unwrap();
        calls.push(force_refresh);
        let refreshes = calls.iter().filter(|forced| **forced).count();
        let token = if refreshes == 0 { "token".to_owned() } else { format!("token-r{refreshes}") };
        Box::pin(async move { Ok(Secret::new(token)) })
    }
}

struct Harness {
    live: LiveHandle,
    accepted: mpsc::UnboundedReceiver<ServerEnd>,
    transport: Arc<MemoryTransport>,
    tokens: Arc<Tokens>,
}

fn harness(plans: Vec<Plan>, config: LiveConfig) -> Harness {
    let (accepted_tx, accepted) = mpsc::unbounded_channel();
    let transport = Arc::new(MemoryTransport {
        plans: Mutex::new(plans.into()),
        accepted: accepted_tx,
        attempts: AtomicUsize::new(0),
        urls: Mutex::default(),
    });
    let tokens = Arc::new(Tokens::default());
    let url = url::Url::parse("ws://127.0.0.1:1/api/ws").unwrap();
    let live = LiveHandle::spawn_with(tokens.clone(), transport.clone(), url, config);
    Harness { live, accepted, transport, tokens }
}

fn device(n: u128) -> SubscriptionSpec {
    SubscriptionSpec::Timeseries {
        entity: EntityId::new(EntityType::Device, uuid::Uuid::from_u128(n)),
        keys: vec![],
    }
}

/// The next message that carries commands (skipping an auth-only first message).
async fn next_cmds(end: &mut ServerEnd) -> serde_json::Value {
    loop {
        let message = next_text(end).await;
        if message.as_object().is_some_and(|m| m.keys().any(|k| k != "authCmd")) {
            return message;
        }
    }
}

async fn next_text(end: &mut ServerEnd) -> serde_json::Value {
    loop {
        match timeout(Duration::from_secs(60), end.received.recv()).await.expect("a frame").expect("open") {
            Frame::Text(t) => return serde_json::from_str(&t).unwrap(),
            _ => continue,
        }
    }
}

fn update(cmd_id: i64, key: &str, ts: i64, value: &str) -> Frame {
    Frame::Text(
        serde_json::json!({"subscriptionId": cmd_id, "errorCode": 0, "errorMsg": null,
            "data": {key: [[ts, value]]}, "latestValues": {key: ts}})
        .to_string(),
    )
}

#[tokio::test(start_paused = true)]
async fn a_silent_connection_is_declared_dead_and_replaced() {
    let config = LiveConfig::default();
    let dead_after = config.dead_after;
    let mut h = harness(vec![], config);
    let _first = h.accepted.recv().await.unwrap();
    let started = Instant::now();
    // The server answers nothing at all, not even pongs.
    let _second =
        timeout(Duration::from_secs(300), h.accepted.recv()).await.expect("a new connection").unwrap();
    let waited = started.elapsed();
    assert!(waited >= dead_after, "not declared dead too early: {waited:?}");
    assert!(
        waited <= dead_after + Duration::from_secs(20),
        "declared dead within a ping interval: {waited:?}"
    );
}

/// A proxy that accepts the TCP connection and then says nothing used to leave the app on
/// "Connecting" for good, and a shutdown then never ended the task.
#[tokio::test(start_paused = true)]
async fn a_stalled_handshake_times_out_and_a_shutdown_meanwhile_ends_the_task() {
    let config = LiveConfig::default();
    let connect_timeout = config.connect_timeout;
    let mut h = harness(vec![Plan::Stall], config);
    let mut states = h.live.state();
    let started = Instant::now();
    let state = timeout(
        Duration::from_secs(300),
        states.wait_for(|s| matches!(s, ConnectionState::Reconnecting { .. })),
    )
    .await
    .expect("not stuck connecting")
    .unwrap()
    .clone();
    assert_eq!(started.elapsed(), connect_timeout, "{state:?}");
    let _end = timeout(Duration::from_secs(60), h.accepted.recv()).await.unwrap().unwrap();

    let h = harness(vec![Plan::Stall], LiveConfig::default());
    let mut sub = h.live.subscribe(device(1));
    tokio::time::sleep(Duration::from_secs(1)).await;
    h.live.shutdown();
    let mut states = h.live.state();
    timeout(Duration::from_millis(10), states.wait_for(|s| matches!(s, ConnectionState::Closed { .. })))
        .await
        .expect("closed at once, not after the handshake")
        .unwrap();
    assert!(sub.next().await.is_none());
}

/// A peer that stops reading used to block the loop on a send: nothing was read, the dead-connection
/// check never ran, and a shutdown waited for it.
#[tokio::test(start_paused = true)]
async fn a_peer_that_stops_reading_never_blocks_the_loop() {
    let config = LiveConfig::default();
    let dead_after = config.dead_after;
    let mut h = harness(vec![Plan::Deaf], config);
    let mut sub = h.live.subscribe(device(1));
    let end = h.accepted.recv().await.unwrap();
    // Updates still arrive while the writes wait.
    end.send.send(Ok(update(1, "t", 5, "21.5"))).unwrap();
    let Some(LiveEvent::Values { snapshot: true, .. }) =
        timeout(Duration::from_secs(5), sub.next()).await.unwrap()
    else {
        panic!("read while the writes wait")
    };
    // Then silence: the connection is declared dead and replaced.
    let started = Instant::now();
    let _next = timeout(Duration::from_secs(300), h.accepted.recv()).await.expect("replaced").unwrap();
    assert!(started.elapsed() <= dead_after + Duration::from_secs(20), "{:?}", started.elapsed());

    let mut h = harness(vec![Plan::Deaf], LiveConfig::default());
    let _end = h.accepted.recv().await.unwrap();
    h.live.shutdown();
    let mut states = h.live.state();
    timeout(Duration::from_secs(2), states.wait_for(|s| matches!(s, ConnectionState::Closed { .. })))
        .await
        .expect("a shutdown does not wait for a peer that never reads")
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn refused_upgrades_back_off_with_growing_ceilings_then_recover() {
    let backoff =
        Backoff { initial: Duration::from_millis(500), max: Duration::from_secs(30), ..Backoff::default() };
    let mut h = harness(
        (0..5).map(|_| Plan::Refuse).chain([Plan::Accept]).collect(),
        LiveConfig { backoff: backoff.clone(), ..LiveConfig::default() },
    );
    let mut states = h.live.state();
    let mut attempts_seen = Vec::new();
    let mut sub = h.live.subscribe(device(1));
    loop {
        timeout(Duration::from_secs(120), states.changed()).await.unwrap().unwrap();
        let state = states.borrow_and_update().clone();
        match state {
            ConnectionState::Reconnecting { attempt, retry_in } => {
                assert!(retry_in <= backoff.ceiling(attempt), "attempt {attempt}: {retry_in:?}");
                attempts_seen.push(attempt);
            }
            ConnectionState::Connected => break,
            _ => {}
        }
    }
    assert_eq!(attempts_seen, [1, 2, 3, 4, 5]);
    assert_eq!(h.transport.attempts.load(Ordering::SeqCst), 6);
    let mut end = h.accepted.recv().await.unwrap();
    let first = next_text(&mut end).await;
    assert_eq!(first["cmds"][0]["cmdId"], 1, "the subscription made while offline is replayed: {first}");
    end.send.send(Ok(update(1, "t", 5, "21.5"))).unwrap();
    let Some(LiveEvent::Values { snapshot: true, values }) = sub.next().await else { panic!("snapshot") };
    assert_eq!(values[0].ts, 5);
}

#[tokio::test(start_paused = true)]
async fn malformed_frames_are_counted_and_the_connection_carries_on() {
    let mut h = harness(vec![], LiveConfig::default());
    let mut sub = h.live.subscribe(device(1));
    let mut end = h.accepted.recv().await.unwrap();
    next_text(&mut end).await;
    end.send.send(Ok(Frame::Text("{not json".into()))).unwrap();
    end.send.send(Ok(Frame::Text(r#"{"unexpected":"shape"}"#.into()))).unwrap();
    end.send.send(Ok(update(1, "t", 7, "1.0E-4"))).unwrap();
    let Some(LiveEvent::Values { values, .. }) = sub.next().await else { panic!("values") };
    assert_eq!(values[0].value, tb_client::TbValue::Number(1.0e-4));
    assert_eq!(h.live.stats().malformed_frames.load(Ordering::Relaxed), 2);
    assert_eq!(h.transport.attempts.load(Ordering::SeqCst), 1, "no reconnect for bad frames");
}

#[tokio::test(start_paused = true)]
async fn an_error_for_one_subscription_leaves_the_others_alone() {
    let mut h = harness(vec![], LiveConfig::default());
    let mut bad = h.live.subscribe(device(1));
    let mut good = h.live.subscribe(device(2));
    let mut end = h.accepted.recv().await.unwrap();
    next_text(&mut end).await;
    let error = r#"{"subscriptionId":1,"errorCode":1,"errorMsg":"Failed to fetch data!","data":null,"latestValues":{}}"#;
    end.send.send(Ok(Frame::Text(error.into()))).unwrap();
    end.send.send(Ok(update(2, "t", 1, "20"))).unwrap();
    assert!(matches!(bad.next().await, Some(LiveEvent::Error(e)) if e.code == 1));
    assert!(matches!(good.next().await, Some(LiveEvent::Values { .. })));
}

#[tokio::test(start_paused = true)]
async fn a_refused_auth_cmd_forces_a_token_refresh_before_the_next_attempt() {
    let mut h = harness(vec![], LiveConfig::default());
    let first = h.accepted.recv().await.unwrap();
    first.send.send(Ok(Frame::Close(Some((1007, "JWT Token expired".into()))))).unwrap();
    let _second = timeout(Duration::from_secs(60), h.accepted.recv()).await.unwrap().unwrap();
    assert_eq!(*h.tokens.calls.lock().unwrap(), [false, true]);
}

#[tokio::test(start_paused = true)]
async fn replay_sends_auth_first_then_at_most_ten_commands_per_message() {
    let mut h = harness(vec![], LiveConfig::default());
    let subs: Vec<_> = (1..=25).map(|n| h.live.subscribe(device(n))).collect();
    let first_end = h.accepted.recv().await.unwrap();
    // Drop the first connection so all 25 are replayed together on the second.
    drop(first_end);
    let mut end = timeout(Duration::from_secs(60), h.accepted.recv()).await.unwrap().unwrap();
    let mut sizes = Vec::new();
    let mut ids = Vec::new();
    while ids.len() < 25 {
        let message = next_text(&mut end).await;
        if sizes.is_empty() {
            assert_eq!(message["authCmd"]["token"], "token", "auth rides in the first message");
        } else {
            assert!(message.get("authCmd").is_none());
        }
        let cmds = message["cmds"].as_array().unwrap();
        sizes.push(cmds.len());
        ids.extend(cmds.iter().map(|c| c["cmdId"].as_i64().unwrap()));
    }
    assert_eq!(sizes, [10, 10, 5]);
    assert_eq!(ids, (1..=25).collect::<Vec<_>>());
    drop(subs);
    let _ = end.received.recv().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_closes_every_subscription() {
    let mut h = harness(vec![], LiveConfig::default());
    let mut sub = h.live.subscribe(device(1));
    let mut end = h.accepted.recv().await.unwrap();
    next_text(&mut end).await;
    assert_eq!(sub.closed_reason(), None);
    h.live.shutdown();
    assert!(sub.next().await.is_none());
    assert_eq!(sub.closed_reason(), Some(ClosedReason::Shutdown));
    let mut states = h.live.state();
    timeout(Duration::from_secs(5), states.wait_for(|s| matches!(s, ConnectionState::Closed { .. })))
        .await
        .unwrap()
        .unwrap();
    // The socket got a normal close frame.
    let frames: Vec<Frame> = futures_util::stream::poll_fn(|cx| end.received.poll_recv(cx)).collect().await;
    assert!(frames.iter().any(|f| matches!(f, Frame::Close(Some((1000, _))))), "{frames:?}");
}

#[tokio::test(start_paused = true)]
async fn a_pause_closes_the_socket_keeps_the_subscriptions_and_resume_resubscribes_them() {
    let mut h = harness(vec![], LiveConfig::default());
    let mut sub = h.live.subscribe(device(1));
    let mut end = h.accepted.recv().await.unwrap();
    next_text(&mut end).await;
    h.live.pause();
    let mut states = h.live.state();
    timeout(Duration::from_secs(5), states.wait_for(|s| *s == ConnectionState::Paused))
        .await
        .unwrap()
        .unwrap();
    let frames: Vec<Frame> = futures_util::stream::poll_fn(|cx| end.received.poll_recv(cx)).collect().await;
    assert!(frames.iter().any(|f| matches!(f, Frame::Close(Some((1000, _))))), "a clean close: {frames:?}");

    // Paused for an hour: no reconnect attempts, no dead-connection checks, the subscription open.
    let later = h.live.subscribe(device(2));
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(h.transport.attempts.load(Ordering::SeqCst), 1, "nothing tried while paused");
    assert_eq!(*states.borrow(), ConnectionState::Paused);
    assert_eq!(sub.closed_reason(), None, "a pause ends no subscription");

    // Resumed: at once (no backoff), both subscriptions replayed, fresh snapshots delivered.
    let resumed_at = Instant::now();
    h.live.resume();
    let mut end = timeout(Duration::from_secs(60), h.accepted.recv()).await.unwrap().unwrap();
    assert!(
        resumed_at.elapsed() < Duration::from_millis(10),
        "reconnected at once: {:?}",
        resumed_at.elapsed()
    );
    let replay = next_text(&mut end).await;
    let ids: Vec<i64> =
        replay["cmds"].as_array().unwrap().iter().map(|c| c["cmdId"].as_i64().unwrap()).collect();
    assert_eq!(ids, [1, 2], "{replay}");
    end.send.send(Ok(update(1, "t", 9, "19.5"))).unwrap();
    let Some(LiveEvent::Values { snapshot: true, values }) = sub.next().await else {
        panic!("a fresh snapshot")
    };
    assert_eq!(values[0].ts, 9);
    timeout(Duration::from_secs(5), states.wait_for(|s| *s == ConnectionState::Connected))
        .await
        .unwrap()
        .unwrap();

    // Resuming while connected changes nothing.
    h.live.resume();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(h.transport.attempts.load(Ordering::SeqCst), 2);
    drop(later);
}

#[tokio::test(start_paused = true)]
async fn resume_cuts_a_backoff_wait_short_and_a_pause_during_one_stops_retrying() {
    let backoff = Backoff {
        initial: Duration::from_secs(20),
        max: Duration::from_secs(30),
        jitter: false,
        ..Backoff::default()
    };
    let h = harness(vec![Plan::Refuse, Plan::Refuse], LiveConfig { backoff, ..LiveConfig::default() });
    let mut states = h.live.state();
    timeout(Duration::from_secs(5), states.wait_for(|s| matches!(s, ConnectionState::Reconnecting { .. })))
        .await
        .unwrap()
        .unwrap();
    h.live.pause();
    timeout(Duration::from_secs(5), states.wait_for(|s| *s == ConnectionState::Paused))
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert_eq!(h.transport.attempts.load(Ordering::SeqCst), 1, "no retries while paused");
    h.live.resume();
    // The second attempt is refused too; resuming during its backoff tries again at once.
    timeout(Duration::from_secs(5), states.wait_for(|s| matches!(s, ConnectionState::Reconnecting { .. })))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(h.transport.attempts.load(Ordering::SeqCst), 2);
    let waiting_since = Instant::now();
    h.live.resume();
    timeout(Duration::from_secs(5), states.wait_for(|s| *s == ConnectionState::Connected))
        .await
        .unwrap()
        .unwrap();
    assert!(
        waiting_since.elapsed() < Duration::from_secs(1),
        "not the backoff's 20 s: {:?}",
        waiting_since.elapsed()
    );
    assert_eq!(h.transport.attempts.load(Ordering::SeqCst), 3);
}

fn room_query() -> EntityDataQuery {
    serde_json::from_value(serde_json::json!({
        "entityFilter": {"type": "entityType", "entityType": "DEVICE"},
        "pageLink": {"pageSize": 100, "page": 0}}))
    .unwrap()
}

fn entity_data_spec() -> SubscriptionSpec {
    SubscriptionSpec::EntityData {
        query: Box::new(room_query()),
        latest: vec![EntityKey::new(EntityKeyType::TimeSeries, "temperature")],
    }
}

fn row(n: u128, key: &str, ts: i64, value: &str) -> serde_json::Value {
    serde_json::json!({"entityId": {"entityType": "DEVICE", "id": uuid::Uuid::from_u128(n)},
        "latest": {"TIME_SERIES": {key: {"ts": ts, "value": value}}}, "timeseries": null, "aggLatest": null})
}

fn entity_value(n: u128, key: &str, ts: i64, value: tb_client::TbValue) -> EntityValue {
    EntityValue {
        entity: EntityId::new(EntityType::Device, uuid::Uuid::from_u128(n)),
        key_type: EntityKeyType::TimeSeries,
        key: key.into(),
        ts,
        value,
    }
}

#[tokio::test(start_paused = true)]
async fn entity_data_and_alarm_counts_are_routed_by_cmd_id() {
    let mut h = harness(vec![], LiveConfig::default());
    let mut room = h.live.subscribe(entity_data_spec());
    let mut count = h.live.subscribe(SubscriptionSpec::AlarmCount { query: Box::default() });
    let mut broken = h.live.subscribe(entity_data_spec());
    let mut end = h.accepted.recv().await.unwrap();
    let first = next_cmds(&mut end).await;
    let cmds = &first["cmds"];
    assert_eq!(cmds[0]["type"], "ENTITY_DATA");
    assert_eq!(
        cmds[0]["latestCmd"],
        serde_json::json!({"keys": [{"type": "TIME_SERIES", "key": "temperature"}]})
    );
    assert_eq!(cmds[0]["query"]["latestValues"], serde_json::json!([]), "the server needs the list: {first}");
    assert_eq!((cmds[1]["type"].as_str(), cmds[1]["cmdId"].as_i64()), (Some("ALARM_COUNT"), Some(2)));

    let page = serde_json::json!({"cmdId": 1, "errorCode": 0, "errorMsg": null, "cmdUpdateType": "ENTITY_DATA",
        "allowedEntities": 10000, "update": null,
        "data": {"data": [row(1, "temperature", 5, "21.5"), row(2, "temperature", 0, "")],
                 "totalPages": 1, "totalElements": 2, "hasNext": false}});
    let delta = |ts: i64, value: &str| {
        serde_json::json!({"cmdId": 1, "errorCode": 0, "errorMsg": null, "cmdUpdateType": "ENTITY_DATA",
            "allowedEntities": 10000, "data": null, "update": [row(2, "temperature", ts, value)]})
    };
    for message in [
        page,
        delta(7, "19"),
        delta(6, "18"),
        serde_json::json!({"cmdId": 2, "errorCode": 0, "errorMsg": null, "cmdUpdateType": "ALARM_COUNT_DATA", "count": 4}),
        serde_json::json!({"cmdId": 2, "errorCode": 0, "errorMsg": null, "cmdUpdateType": "ALARM_COUNT_DATA", "count": 3}),
        // Errors for v2 commands may come in the legacy shape.
        serde_json::json!({"subscriptionId": 3, "errorCode": 2, "errorMsg": "Query is empty!", "data": null, "latestValues": {}}),
        serde_json::json!({"cmdId": 9, "cmdUpdateType": "ENTITY_DATA", "data": null, "update": []}),
    ] {
        end.send.send(Ok(Frame::Text(message.to_string()))).unwrap();
    }
    // Everything queued so far is coalesced into one event: the snapshot with the newest delta merged.
    let Some(LiveEvent::EntityValues { snapshot: true, values, .. }) = room.next().await else {
        panic!("entity snapshot")
    };
    use tb_client::TbValue::Number;
    assert_eq!(
        values,
        vec![
            entity_value(1, "temperature", 5, Number(21.5)),
            entity_value(2, "temperature", 7, Number(19.0))
        ]
    );
    assert_eq!(count.next().await, Some(LiveEvent::Count(3)));
    assert!(
        matches!(broken.next().await, Some(LiveEvent::Error(e)) if e.code == 2 && e.message == "Query is empty!")
    );
    assert_eq!(h.live.stats().malformed_frames.load(Ordering::Relaxed), 0);

    // Later rows are deltas, with their entity.
    end.send.send(Ok(Frame::Text(delta(8, "20").to_string()))).unwrap();
    let Some(LiveEvent::EntityValues { snapshot: false, values, matching: None }) = room.next().await else {
        panic!("a delta")
    };
    assert_eq!(values.len(), 1);

    drop(room);
    drop(count);
    let mut cmds: Vec<serde_json::Value> = Vec::new();
    while cmds.len() < 2 {
        cmds.extend(next_cmds(&mut end).await["cmds"].as_array().unwrap().clone());
    }
    assert_eq!(
        cmds,
        vec![
            serde_json::json!({"type": "ENTITY_DATA_UNSUBSCRIBE", "cmdId": 1}),
            serde_json::json!({"type": "ALARM_COUNT_UNSUBSCRIBE", "cmdId": 2})
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_404_on_api_ws_tries_the_legacy_endpoint_and_each_connection_probes_again() {
    // A server before 3.6.2: every connection finds no /api/ws, then uses the legacy endpoint.
    let mut h = harness(vec![Plan::NotFound, Plan::Accept, Plan::NotFound], LiveConfig::default());
    let mut sub = h.live.subscribe(device(1));
    let _room = h.live.subscribe(entity_data_spec());
    let mut end = h.accepted.recv().await.unwrap();
    let first = next_text(&mut end).await;
    assert!(first.get("authCmd").is_none() && first.get("cmds").is_none(), "{first}");
    let first = if first.get("entityDataCmds").is_some() { first } else { next_text(&mut end).await };
    assert_eq!(first["tsSubCmds"][0]["cmdId"], 1);
    assert!(first["tsSubCmds"][0].get("type").is_none());
    assert_eq!(first["entityDataCmds"][0]["cmdId"], 2);
    end.send.send(Ok(update(1, "t", 5, "21.5"))).unwrap();
    let Some(LiveEvent::Values { snapshot: true, .. }) = sub.next().await else { panic!("snapshot") };
    assert!(h.live.stats().legacy_endpoint.load(Ordering::Relaxed));

    // The next connection asks /api/ws again before putting the token in a URL.
    drop(end);
    let mut end = timeout(Duration::from_secs(60), h.accepted.recv()).await.unwrap().unwrap();
    assert!(next_text(&mut end).await.get("tsSubCmds").is_some());
    let urls: Vec<String> = h.transport.urls.lock().unwrap().iter().map(url::Url::to_string).collect();
    assert_eq!(
        urls,
        [
            "ws://127.0.0.1:1/api/ws",
            "ws://127.0.0.1:1/api/ws/plugins/telemetry?token=token",
            "ws://127.0.0.1:1/api/ws",
            "ws://127.0.0.1:1/api/ws/plugins/telemetry?token=token",
        ]
    );
}

/// One 404 (a proxy during maintenance) used to pin the legacy endpoint, with the token in its
/// URL, for the rest of the session.
#[tokio::test(start_paused = true)]
async fn a_passing_404_does_not_pin_the_legacy_endpoint() {
    let mut h = harness(vec![Plan::NotFound], LiveConfig::default());
    let end = h.accepted.recv().await.unwrap();
    assert!(h.live.stats().legacy_endpoint.load(Ordering::Relaxed));
    drop(end);
    let mut end = timeout(Duration::from_secs(60), h.accepted.recv()).await.unwrap().unwrap();
    assert!(
        next_text(&mut end).await.get("authCmd").is_some(),
        "back on /api/ws, the token in the first message"
    );
    assert!(!h.live.stats().legacy_endpoint.load(Ordering::Relaxed));
    let last = h.transport.urls.lock().unwrap().last().unwrap().to_string();
    assert_eq!(last, "ws://127.0.0.1:1/api/ws");
}

#[tokio::test(start_paused = true)]
async fn the_legacy_token_never_reaches_an_error_message() {
    let config = LiveConfig {
        backoff: Backoff { max_attempts: Some(1), ..Backoff::default() },
        ..LiveConfig::default()
    };
    let h = harness(vec![Plan::NotFound, Plan::FailQuotingUrl, Plan::NotFound, Plan::FailQuotingUrl], config);
    let mut sub = h.live.subscribe(device(1));
    let mut states = h.live.state();
    let offline =
        timeout(Duration::from_secs(60), states.wait_for(|s| matches!(s, ConnectionState::Offline { .. })))
            .await
            .unwrap()
            .unwrap()
            .clone();
    let ConnectionState::Offline { reason } = offline else { unreachable!() };
    // (The test token is the word "token" itself, so the parameter name goes too.)
    assert!(reason.contains("telemetry?<redacted>=<redacted>"), "{reason}");
    assert!(sub.next().await.is_none());
    assert!(
        matches!(sub.closed_reason(), Some(ClosedReason::GaveUp(why)) if why == reason),
        "a subscription says the backoff gave up, with the same redacted reason"
    );
}

#[tokio::test(start_paused = true)]
async fn a_bad_legacy_token_is_a_1011_close_and_forces_a_refresh() {
    let mut h = harness(vec![Plan::NotFound, Plan::Accept, Plan::NotFound], LiveConfig::default());
    let first = h.accepted.recv().await.unwrap();
    first.send.send(Ok(Frame::Close(Some((1011, "JWT Token expired".into()))))).unwrap();
    let _second = timeout(Duration::from_secs(60), h.accepted.recv()).await.unwrap().unwrap();
    // One token for the 404 attempt, one for the legacy connection, a forced refresh for the
    // next /api/ws probe, and the refreshed one for the legacy connection after it.
    assert_eq!(*h.tokens.calls.lock().unwrap(), [false, false, true, false]);
    let last = h.transport.urls.lock().unwrap().last().unwrap().to_string();
    assert!(last.ends_with("/api/ws/plugins/telemetry?token=token-r1"), "the refreshed token: {last}");
}

#[tokio::test(start_paused = true)]
async fn before_3_6_2_a_401_means_no_api_ws_then_a_refused_legacy_token() {
    // /api/ws unknown and guarded (401), then the legacy upgrade refuses the token (401 before 3.6.2).
    let mut h =
        harness(vec![Plan::Unauthorized, Plan::Unauthorized, Plan::Unauthorized], LiveConfig::default());
    let _end = timeout(Duration::from_secs(60), h.accepted.recv()).await.unwrap().unwrap();
    assert!(h.live.stats().legacy_endpoint.load(Ordering::Relaxed));
    assert_eq!(
        *h.tokens.calls.lock().unwrap(),
        [false, false, true, false],
        "the refused token was refreshed"
    );
    let last = h.transport.urls.lock().unwrap().last().unwrap().to_string();
    assert!(last.ends_with("/api/ws/plugins/telemetry?token=token-r1"), "{last}");
}

//! Server-side RPC delivery, shared by the REST RPC endpoints, persistent RPC and the device
//! HTTP API.
//!
//! A device is "connected" (subscribed to RPC: `DeviceActorMessageProcessor.processRpcRequest`) when the simulation plays it and it is
//! online, or, once something has long-polled `GET /api/v1/{token}/rpc` for it, exactly while a
//! long poll is waiting. Requests for a device that is not connected wait until it connects or
//! the request expires. The simulated devices answer at once, except the flaky one, which leaves
//! every second RPC unanswered.

use crate::kv::KvValue;
use crate::{sim, AppState};
use axum::body::Bytes;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tb_proto::rpc::{DeviceHttpRpcRequest, PersistentRpc, RpcRequest, RpcStatus};
use tb_proto::{EntityId, EntityType};
use tokio::sync::{oneshot, Notify};
use tokio::task::AbortHandle;
use tokio::time::Instant;
use uuid::Uuid;

/// How one RPC ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// The device never connected before the expiration (never sent).
    NotConnected,
    /// Sent, but no reply before the expiration.
    Timeout,
    /// A one-way RPC handed to the device.
    Delivered,
    /// A two-way reply; `None` for an empty reply.
    Reply(Option<Value>),
    /// A two-way reply that is not JSON.
    NotJson(String),
}

#[derive(Debug)]
struct PersistentEntry {
    rpc: PersistentRpc,
    task: Option<AbortHandle>,
}

/// The RPC side of one device played through the device HTTP API.
#[derive(Debug, Default)]
struct DeviceChannel {
    /// Has long-polled at least once: from then on only long polls count as "connected".
    external: bool,
    /// Long polls waiting now.
    polling: u32,
    /// `rpcSeq`: the per-device request id.
    seq: i32,
    /// Requests not yet picked up by a long poll.
    queue: VecDeque<DeviceHttpRpcRequest>,
    /// Two-way requests waiting for `POST /api/v1/{token}/rpc/{id}`.
    awaiting: HashMap<i32, oneshot::Sender<Bytes>>,
    notify: Arc<Notify>,
}

/// Persistent RPCs and the device channels.
#[derive(Debug, Default)]
pub(crate) struct RpcHub {
    persistent: BTreeMap<Uuid, PersistentEntry>,
    channels: HashMap<Uuid, DeviceChannel>,
}

impl RpcHub {
    pub(crate) fn persistent(&self, id: Uuid) -> Option<&PersistentRpc> {
        self.persistent.get(&id).map(|e| &e.rpc)
    }

    /// Every persistent RPC of a device, in id order (the DAO's default sort).
    pub(crate) fn persistent_of(&self, device: Uuid) -> Vec<PersistentRpc> {
        self.persistent.values().filter(|e| e.rpc.device_id.uuid() == device).map(|e| e.rpc.clone()).collect()
    }

    /// Forgets a persistent RPC and stops its delivery; false when unknown.
    pub(crate) fn delete_persistent(&mut self, id: Uuid) -> bool {
        match self.persistent.remove(&id) {
            Some(entry) => {
                if let Some(task) = entry.task {
                    task.abort();
                }
                true
            }
            None => false,
        }
    }

    fn set_status(&mut self, id: Uuid, status: RpcStatus, response: Option<Value>) {
        if let Some(entry) = self.persistent.get_mut(&id) {
            entry.rpc.status = status;
            if response.is_some() {
                entry.rpc.response = response;
            }
        }
    }

    fn external_polling(&self, device: Uuid) -> Option<bool> {
        self.channels.get(&device).filter(|c| c.external).map(|c| c.polling > 0)
    }
}

/// Whether `device` is subscribed to RPC right now.
pub(crate) fn connected(state: &AppState, device: Uuid) -> bool {
    match state.rpc().external_polling(device) {
        Some(polling) => polling,
        None => state.store().devices.get(&device).is_some_and(|d| d.online),
    }
}

/// Waits until the device is connected (true) or `expires` passes (false).
async fn wait_until_connected(state: &AppState, device: Uuid, expires: Instant) -> bool {
    let mut changes = state.online_changed.subscribe();
    loop {
        changes.borrow_and_update();
        if connected(state, device) {
            return true;
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return false },
            () = tokio::time::sleep_until(expires) => return false,
        }
    }
}

/// Delivers one RPC: waits for the device to connect, hands it over and (two-way) waits for the
/// reply, all bounded by `expires`. `on_sent` runs when the request reaches the device.
pub(crate) async fn dispatch(
    state: &Arc<AppState>,
    device: Uuid,
    request: &RpcRequest,
    oneway: bool,
    expires: Instant,
    on_sent: impl FnOnce(),
) -> Outcome {
    if !wait_until_connected(state, device, expires).await {
        return Outcome::NotConnected;
    }
    on_sent();
    let external = state.rpc().external_polling(device).is_some();
    if external {
        let (tx, rx) = oneshot::channel();
        let id = {
            let mut hub = state.rpc();
            let channel = hub.channels.entry(device).or_default();
            channel.seq = channel.seq.wrapping_add(1);
            let id = channel.seq;
            channel.queue.push_back(DeviceHttpRpcRequest {
                id,
                method: request.method.clone(),
                params: request.params.clone(),
            });
            if !oneway {
                channel.awaiting.insert(id, tx);
            }
            channel.notify.notify_one();
            id
        };
        if oneway {
            return Outcome::Delivered;
        }
        return match tokio::time::timeout_at(expires, rx).await {
            Ok(Ok(body)) => parse_reply(&body),
            _ => {
                if let Some(channel) = state.rpc().channels.get_mut(&device) {
                    channel.awaiting.remove(&id);
                }
                Outcome::Timeout
            }
        };
    }
    if state.flaky == Some(device) && state.flaky_calls.fetch_add(1, Ordering::Relaxed) % 2 == 1 {
        // The flaky device takes the request and never answers.
        if oneway {
            return Outcome::Delivered;
        }
        tokio::time::sleep_until(expires).await;
        return Outcome::Timeout;
    }
    let reply = deliver_to_sim(state, device, request);
    if oneway {
        Outcome::Delivered
    } else {
        Outcome::Reply(Some(reply))
    }
}

fn parse_reply(body: &[u8]) -> Outcome {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Outcome::Reply(None);
    }
    match serde_json::from_slice(body) {
        Ok(value) => Outcome::Reply(Some(value)),
        Err(_) => Outcome::NotJson(String::from_utf8_lossy(body).into_owned()),
    }
}

/// Hands the request to the simulated device; its state report follows after `rpc_report_delay`.
fn deliver_to_sim(state: &Arc<AppState>, device: Uuid, request: &RpcRequest) -> Value {
    let Some(kind) = state.kinds.get(&device).copied() else {
        return serde_json::json!({"error": "Unsupported method"});
    };
    let outcome = sim::apply_rpc(&state.store(), device, kind, &request.method, &request.params);
    let entity = EntityId::new(EntityType::Device, device);
    let delay = state.config.rpc_report_delay;
    if delay.is_zero() {
        sim::report(state, entity, outcome.report);
    } else if !outcome.report.is_empty() {
        let state = state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            sim::report(&state, entity, outcome.report);
        });
    }
    outcome.reply
}

/// Stores a persistent RPC (status `QUEUED`) and starts delivering it in the background.
pub(crate) fn start_persistent(
    state: &Arc<AppState>,
    rpc: PersistentRpc,
    request: RpcRequest,
    oneway: bool,
    expires: Instant,
) {
    let id = rpc.id.id;
    let device = rpc.device_id.uuid();
    state.rpc().persistent.insert(id, PersistentEntry { rpc, task: None });
    let task_state = state.clone();
    let task = tokio::spawn(async move {
        let state = task_state;
        let sent = || state.rpc().set_status(id, RpcStatus::Sent, None);
        let outcome = dispatch(&state, device, &request, oneway, expires, sent).await;
        let (status, response) = match outcome {
            Outcome::NotConnected => (RpcStatus::Expired, None),
            Outcome::Timeout => (RpcStatus::Timeout, None),
            Outcome::Delivered => (RpcStatus::Delivered, None),
            Outcome::Reply(value) => (RpcStatus::Successful, value),
            Outcome::NotJson(text) => (RpcStatus::Successful, Some(serde_json::json!({ "error": text }))),
        };
        state.rpc().set_status(id, status, response);
    });
    if let Some(entry) = state.rpc().persistent.get_mut(&id) {
        entry.task = Some(task.abort_handle());
    }
}

/// Marks a long poll of `device` as waiting while it lives.
pub(crate) struct PollGuard {
    state: Arc<AppState>,
    device: Uuid,
}

impl PollGuard {
    pub(crate) fn new(state: Arc<AppState>, device: Uuid) -> Self {
        {
            let mut hub = state.rpc();
            let channel = hub.channels.entry(device).or_default();
            channel.external = true;
            channel.polling += 1;
        }
        state.online_changed.send_modify(|g| *g += 1);
        Self { state, device }
    }

    /// The next request for the device, waiting until `deadline`.
    pub(crate) async fn next(&self, deadline: Instant) -> Option<DeviceHttpRpcRequest> {
        loop {
            let notify = {
                let mut hub = self.state.rpc();
                let channel = hub.channels.entry(self.device).or_default();
                if let Some(request) = channel.queue.pop_front() {
                    return Some(request);
                }
                channel.notify.clone()
            };
            if tokio::time::timeout_at(deadline, notify.notified()).await.is_err() {
                return None;
            }
        }
    }
}

impl Drop for PollGuard {
    fn drop(&mut self) {
        if let Some(channel) = self.state.rpc().channels.get_mut(&self.device) {
            channel.polling = channel.polling.saturating_sub(1);
        }
    }
}

/// `POST /api/v1/{token}/rpc/{requestId}`: the device's reply to a two-way request.
pub(crate) fn device_reply(state: &AppState, device: Uuid, request_id: i32, body: Bytes) {
    let waiting = state.rpc().channels.get_mut(&device).and_then(|c| c.awaiting.remove(&request_id));
    if let Some(tx) = waiting {
        let _ = tx.send(body);
    }
}

/// The device's deterministic access token: its id in base 62, 20 characters.
pub(crate) fn device_token(device: Uuid) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut n = device.as_u128();
    (0..20)
        .map(|_| {
            let c = ALPHABET[(n % 62) as usize] as char;
            n /= 62;
            c
        })
        .collect()
}

/// Values from a device telemetry or attributes body.
pub(crate) fn kv_pairs(map: &serde_json::Map<String, Value>) -> Vec<(String, KvValue)> {
    map.iter().filter_map(|(k, v)| KvValue::from_json(v).map(|v| (k.clone(), v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stable_and_distinct() {
        let a = device_token(Uuid::from_u128(1));
        assert_eq!(a.len(), 20);
        assert_eq!(a, device_token(Uuid::from_u128(1)));
        assert_ne!(a, device_token(Uuid::from_u128(2)));
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn replies_parse_like_the_server() {
        assert_eq!(parse_reply(b""), Outcome::Reply(None));
        assert_eq!(parse_reply(b"{\"ok\":true}"), Outcome::Reply(Some(serde_json::json!({"ok": true}))));
        assert_eq!(parse_reply(b"done"), Outcome::NotJson("done".to_owned()));
    }
}

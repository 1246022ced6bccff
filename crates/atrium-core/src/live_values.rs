//! Live values for the UI: subscription events become `TelemetryBatch`es, at most one per frame.

use atrium_ipc::{DevicesBatch, LiveValue, TelemetryBatch, TelemetryValue};
use std::time::Duration;
use tb_client::live::{LiveEvent, Subscription};
use tb_client::TbValue;
use tokio::sync::mpsc;

/// The UI gets at most one batch per this interval per watch; everything in between is coalesced
/// (latest value per key) by the subscription's mailbox.
pub(crate) const FRAME: Duration = Duration::from_millis(50);

pub(crate) fn to_ipc_value(value: &TbValue) -> TelemetryValue {
    match value {
        TbValue::Number(n) => TelemetryValue::Number(*n),
        TbValue::Bool(b) => TelemetryValue::Bool(*b),
        TbValue::Text(t) => TelemetryValue::Text(t.clone()),
        TbValue::Json(v) => TelemetryValue::Text(v.to_string()),
        TbValue::Missing => TelemetryValue::Missing,
    }
}

/// A room's watch sends at most one batch per this interval for all its devices: about one per
/// animation frame, whatever the devices report.
pub(crate) const ROOM_FRAME: Duration = Duration::from_millis(16);
/// Devices one `watch_devices` follows at most (a room; a floor's tiles are its rooms).
pub(crate) const MAX_ROOM_DEVICES: usize = atrium_ipc::MAX_WATCHED_DEVICES;

fn batch_of(device_id: &str, snapshot: bool, values: &[tb_client::LatestValue]) -> TelemetryBatch {
    let values = values
        .iter()
        .map(|v| LiveValue { key: v.key.clone(), ts: v.ts, value: to_ipc_value(&v.value) })
        .collect();
    TelemetryBatch { device_id: device_id.to_owned(), snapshot, values }
}

/// Forwards several devices' subscriptions to `sink` as one [`DevicesBatch`] per
/// [`ROOM_FRAME`] at most, each device's values coalesced (latest per key), until every
/// subscription ends or the task is aborted.
pub(crate) async fn forward_room(subscriptions: Vec<(String, Subscription)>, sink: impl Fn(DevicesBatch)) {
    let (tx, mut rx) = mpsc::unbounded_channel::<TelemetryBatch>();
    // One reader per device, ended with this task (its JoinSet is dropped with it).
    let mut readers = tokio::task::JoinSet::new();
    for (device_id, mut subscription) in subscriptions {
        let tx = tx.clone();
        readers.spawn(async move {
            while let Some(event) = subscription.next().await {
                match event {
                    LiveEvent::Values { snapshot, values } => {
                        let sent = tx.send(batch_of(&device_id, snapshot, &values));
                        // The room's watch has ended.
                        if sent.is_err() {
                            return;
                        }
                    }
                    LiveEvent::Error(e) => {
                        tracing::warn!(device = %device_id, code = e.code, "live subscription error: {}", e.message);
                    }
                    _ => {}
                }
                // The mailbox coalesces meanwhile: each reader adds at most one batch a frame.
                tokio::time::sleep(ROOM_FRAME).await;
            }
        });
    }
    drop(tx);
    while let Some(first) = rx.recv().await {
        let mut room = DevicesBatch { batches: Vec::new() };
        room.add(first);
        while let Ok(more) = rx.try_recv() {
            room.add(more);
        }
        sink(room);
        tokio::time::sleep(ROOM_FRAME).await;
    }
}

/// Forwards a subscription to `sink` until the subscription ends or the task is aborted.
pub(crate) async fn forward(
    device_id: String,
    mut subscription: Subscription,
    sink: impl Fn(TelemetryBatch),
) {
    while let Some(event) = subscription.next().await {
        match event {
            LiveEvent::Values { snapshot, values } => sink(batch_of(&device_id, snapshot, &values)),
            LiveEvent::Error(e) => {
                tracing::warn!(device = %device_id, code = e.code, "live subscription error: {}", e.message);
            }
            // A time-series subscription yields nothing else.
            _ => {}
        }
        tokio::time::sleep(FRAME).await;
    }
}

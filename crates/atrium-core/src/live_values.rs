//! Live values for the UI: subscription events become `TelemetryBatch`es, at most one per frame.

use atrium_ipc::{LiveValue, TelemetryBatch, TelemetryValue};
use std::time::Duration;
use tb_client::live::{LiveEvent, Subscription};
use tb_client::TbValue;

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

/// Forwards a subscription to `sink` until the subscription ends or the task is aborted.
pub(crate) async fn forward(
    device_id: String,
    mut subscription: Subscription,
    sink: impl Fn(TelemetryBatch),
) {
    while let Some(event) = subscription.next().await {
        match event {
            LiveEvent::Values { snapshot, values } => {
                let values = values
                    .iter()
                    .map(|v| LiveValue { key: v.key.clone(), ts: v.ts, value: to_ipc_value(&v.value) })
                    .collect();
                sink(TelemetryBatch { device_id: device_id.clone(), snapshot, values });
            }
            LiveEvent::Error(e) => {
                tracing::warn!(device = %device_id, code = e.code, "live subscription error: {}", e.message);
            }
            // A time-series subscription yields nothing else.
            _ => {}
        }
        tokio::time::sleep(FRAME).await;
    }
}

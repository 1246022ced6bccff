use super::watch_lifetime::hold_watch;
use crate::ipc;
use atrium_ipc::{AppError, LiveValue, TelemetryBatch};
use leptos::prelude::*;
use std::collections::BTreeMap;

/// The live values of one device, latest per key, sorted by key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DeviceTelemetry {
    pub(crate) values: ReadSignal<BTreeMap<String, LiveValue>>,
    /// True once the first batch (normally the snapshot) has arrived.
    pub(crate) received: ReadSignal<bool>,
    /// Why the watch could not be started.
    pub(crate) error: ReadSignal<Option<AppError>>,
}

/// Watches a device for as long as the calling component lives: starts `watch_device`, applies
/// snapshots (replace) and deltas (merge, newest timestamp wins), and unwatches on cleanup.
pub(crate) fn use_device_telemetry(device_id: String) -> DeviceTelemetry {
    let values = RwSignal::new(BTreeMap::<String, LiveValue>::new());
    let received = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);

    let on_batch = {
        let device_id = device_id.clone();
        move |batch: Result<TelemetryBatch, AppError>| match batch {
            Ok(batch) if batch.device_id == device_id => {
                values.try_update(|held| apply_batch(held, batch));
                received.set(true);
            }
            Ok(_) => {}
            Err(err) => ipc::log_error("telemetry update", &err),
        }
    };

    hold_watch(async move { ipc::watch_device(&device_id, on_batch).await }, move |err| error.set(Some(err)));

    DeviceTelemetry { values: values.read_only(), received: received.read_only(), error: error.read_only() }
}

/// A snapshot replaces what is held; a delta merges into it, and an older value never
/// overwrites a newer one (batches can arrive out of order).
fn apply_batch(held: &mut BTreeMap<String, LiveValue>, batch: TelemetryBatch) {
    if batch.snapshot {
        held.clear();
    }
    for value in batch.values {
        match held.get(&value.key) {
            Some(current) if current.ts > value.ts => {}
            _ => {
                held.insert(value.key.clone(), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atrium_ipc::TelemetryValue;

    fn lv(key: &str, ts: i64, n: f64) -> LiveValue {
        LiveValue { key: key.into(), ts, value: TelemetryValue::Number(n) }
    }

    fn batch(snapshot: bool, values: Vec<LiveValue>) -> TelemetryBatch {
        TelemetryBatch { device_id: "d".into(), snapshot, values }
    }

    #[test]
    fn snapshot_replaces_and_delta_keeps_newest() {
        let mut held = BTreeMap::new();
        apply_batch(&mut held, batch(true, vec![lv("a", 10, 1.0), lv("b", 10, 2.0)]));
        apply_batch(&mut held, batch(false, vec![lv("a", 5, 9.0), lv("b", 11, 3.0), lv("c", 1, 4.0)]));
        assert_eq!(held["a"], lv("a", 10, 1.0));
        assert_eq!(held["b"], lv("b", 11, 3.0));
        assert_eq!(held.len(), 3);
        apply_batch(&mut held, batch(true, vec![lv("z", 1, 0.0)]));
        assert_eq!(held.keys().collect::<Vec<_>>(), ["z"]);
    }
}

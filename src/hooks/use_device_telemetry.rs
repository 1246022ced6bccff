use crate::ipc::{self, ChannelGuard};
use atrium_ipc::{AppError, LiveValue, TelemetryBatch, WatchId};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The live values of one device, latest per key, sorted by key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DeviceTelemetry {
    pub(crate) values: ReadSignal<BTreeMap<String, LiveValue>>,
    /// True once the first batch (normally the snapshot) has arrived.
    pub(crate) received: ReadSignal<bool>,
    /// Why the watch could not be started.
    pub(crate) error: ReadSignal<Option<AppError>>,
}

/// Where the watch is in its life; shared by the task that starts it and the cleanup that ends it.
#[derive(Debug)]
pub(super) enum WatchSlot {
    Starting,
    Active(WatchId, ChannelGuard),
    Ended,
}

/// Watches a device for as long as the calling component lives: starts `watch_device`, applies
/// snapshots (replace) and deltas (merge, newest timestamp wins), and unwatches on cleanup.
pub(crate) fn use_device_telemetry(device_id: String) -> DeviceTelemetry {
    let values = RwSignal::new(BTreeMap::<String, LiveValue>::new());
    let received = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let slot = Arc::new(Mutex::new(WatchSlot::Starting));

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

    {
        let slot = Arc::clone(&slot);
        spawn_local(async move {
            match ipc::watch_device(&device_id, on_batch).await {
                Ok((id, guard)) => {
                    let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
                    if matches!(*slot, WatchSlot::Ended) {
                        // The view went away while the watch was starting: end it right away.
                        drop(slot);
                        end_watch(id, guard);
                    } else {
                        *slot = WatchSlot::Active(id, guard);
                    }
                }
                Err(err) => error.set(Some(err)),
            }
        });
    }

    on_cleanup(move || {
        let previous = {
            let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
            std::mem::replace(&mut *slot, WatchSlot::Ended)
        };
        if let WatchSlot::Active(id, guard) = previous {
            end_watch(id, guard);
        }
    });

    DeviceTelemetry { values: values.read_only(), received: received.read_only(), error: error.read_only() }
}

/// Unwatches, keeping the channel's handler until the backend has stopped sending.
pub(super) fn end_watch(id: WatchId, guard: ChannelGuard) {
    spawn_local(async move {
        if let Err(err) = ipc::unwatch(id).await {
            ipc::log_error("unwatch", &err);
        }
        drop(guard);
    });
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

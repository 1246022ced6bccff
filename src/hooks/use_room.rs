//! A room's devices on screen at once: their live values through one watch (`watch_devices`),
//! one message a frame for the whole room, kept per device (latest per key) and shown at most
//! once per painted frame and four times a second.

use super::watch_lifetime::hold_watch;
use crate::ipc;
use atrium_ipc::{AppError, DevicesBatch, LiveValue};
use leptos::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// How often the tiles show new values at most: as often as a person can read them, and each
/// repaint of a room costs a frame (about 140 ms of software rendering under Xvfb for 40 tiles).
const SHOWN_EVERY: Duration = Duration::from_millis(250);

/// Each device's values, by device id then key.
pub(crate) type RoomValues = HashMap<String, BTreeMap<String, LiveValue>>;

#[derive(Debug, Clone, Copy)]
pub(crate) struct RoomTelemetry {
    pub(crate) values: ReadSignal<RoomValues>,
    pub(crate) error: ReadSignal<Option<AppError>>,
}

/// Watches `device_ids` for as long as the calling component lives.
pub(crate) fn use_room_telemetry(device_ids: Vec<String>) -> RoomTelemetry {
    let values = RwSignal::new(RoomValues::new());
    let error = RwSignal::new(None::<AppError>);
    // What came since the last painted frame, folded per device (latest per key): when painting
    // is slower than the backend's frames, the tiles still update once per painted frame.
    let pending = StoredValue::new(None::<DevicesBatch>);
    let last_shown_ms = StoredValue::new(f64::NEG_INFINITY);
    let flush = move || {
        last_shown_ms.try_set_value(js_sys::Date::now());
        let Some(Some(room)) = pending.try_update_value(Option::take) else { return };
        values.try_update(|held| {
            for batch in room.batches {
                let device = batch.device_id.clone();
                batch.apply_to(held.entry(device).or_default());
            }
        });
    };
    let on_batch = move |batch: Result<DevicesBatch, AppError>| match batch {
        Ok(room) => {
            let first_since_paint = pending.try_update_value(|pending| {
                let first = pending.is_none();
                let held = pending.get_or_insert_with(|| DevicesBatch { batches: Vec::new() });
                room.batches.into_iter().for_each(|batch| held.add(batch));
                first
            });
            if first_since_paint == Some(true) {
                let since = js_sys::Date::now() - last_shown_ms.try_get_value().unwrap_or(f64::NEG_INFINITY);
                match SHOWN_EVERY.saturating_sub(Duration::from_millis(since.max(0.0) as u64)) {
                    Duration::ZERO => request_animation_frame(flush),
                    wait => set_timeout(move || request_animation_frame(flush), wait),
                }
            }
        }
        Err(err) => ipc::log_error("room update", &err),
    };
    if !device_ids.is_empty() {
        hold_watch(async move { ipc::watch_devices(device_ids, on_batch).await }, move |err| {
            error.set(Some(err))
        });
    }
    RoomTelemetry { values: values.read_only(), error: error.read_only() }
}

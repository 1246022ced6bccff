//! A room's devices on screen at once: their live values through one watch (`watch_devices`),
//! one message a frame for the whole room, kept per device (latest per key).

use super::watch_lifetime::hold_watch;
use crate::ipc;
use atrium_ipc::{AppError, DevicesBatch, LiveValue};
use leptos::prelude::*;
use std::collections::{BTreeMap, HashMap};

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
    let on_batch = move |batch: Result<DevicesBatch, AppError>| match batch {
        Ok(room) => {
            values.try_update(|held| {
                for batch in room.batches {
                    let device = batch.device_id.clone();
                    batch.apply_to(held.entry(device).or_default());
                }
            });
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

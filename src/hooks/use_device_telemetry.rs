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

/// Which of a device's live streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    /// Its latest telemetry, by key.
    Telemetry,
    /// Its controls' readings, by control id.
    Controls,
}

/// Watches a device for as long as the calling component lives: starts `watch_device`, applies
/// snapshots (replace) and deltas (merge, newest timestamp wins), and unwatches on cleanup.
pub(crate) fn use_device_telemetry(device_id: String) -> DeviceTelemetry {
    use_stream(device_id, Stream::Telemetry)
}

/// The readings of a device's controls, by control id, each from where its descriptor says the
/// state is (time series, attribute or get method), as [`use_device_telemetry`] keeps values.
pub(crate) fn use_control_readings(device_id: String) -> DeviceTelemetry {
    use_stream(device_id, Stream::Controls)
}

fn use_stream(device_id: String, stream: Stream) -> DeviceTelemetry {
    let values = RwSignal::new(BTreeMap::<String, LiveValue>::new());
    let received = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);

    let on_batch = {
        let device_id = device_id.clone();
        move |batch: Result<TelemetryBatch, AppError>| match batch {
            Ok(batch) if batch.device_id == device_id => {
                values.try_update(|held| batch.apply_to(held));
                received.set(true);
            }
            Ok(_) => {}
            Err(err) => ipc::log_error("telemetry update", &err),
        }
    };

    hold_watch(
        async move {
            match stream {
                Stream::Telemetry => ipc::watch_device(&device_id, on_batch).await,
                Stream::Controls => ipc::watch_controls(&device_id, on_batch).await,
            }
        },
        move |err| error.set(Some(err)),
    );

    DeviceTelemetry { values: values.read_only(), received: received.read_only(), error: error.read_only() }
}

use super::watch_lifetime::hold_watch;
use crate::ipc;
use atrium_ipc::{AppError, Connectivity};
use leptos::prelude::*;

/// A device's live connectivity for as long as the calling component lives; `None` until the
/// server's first report.
pub(crate) fn use_connectivity(device_id: String) -> ReadSignal<Option<Connectivity>> {
    let state = RwSignal::new(None::<Connectivity>);
    let on_update = move |update: Result<Connectivity, AppError>| match update {
        Ok(update) => {
            state.try_set(Some(update));
        }
        Err(err) => ipc::log_error("connectivity update", &err),
    };
    hold_watch(async move { ipc::watch_connectivity(&device_id, on_update).await }, |err| {
        ipc::log_error("watching connectivity", &err)
    });
    state.read_only()
}

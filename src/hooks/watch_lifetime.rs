//! A backend watch tied to the life of the component that started it.

use crate::ipc::{self, ChannelGuard};
use atrium_ipc::{AppError, WatchId};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// Where the watch is in its life; shared by the task that starts it and the cleanup that ends it.
#[derive(Debug)]
enum WatchSlot {
    Starting,
    Active(WatchId, ChannelGuard),
    Ended,
}

/// Starts a watch with `start` and ends it (unwatch) when the calling component is cleaned up,
/// also when that happens while the watch is still starting. `on_error` gets a failed start.
pub(crate) fn hold_watch(
    start: impl Future<Output = Result<(WatchId, ChannelGuard), AppError>> + 'static,
    on_error: impl FnOnce(AppError) + 'static,
) {
    let slot = Arc::new(Mutex::new(WatchSlot::Starting));
    {
        let slot = Arc::clone(&slot);
        spawn_local(async move {
            match start.await {
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
                Err(err) => on_error(err),
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
}

/// Unwatches, keeping the channel's handler until the backend has stopped sending.
fn end_watch(id: WatchId, guard: ChannelGuard) {
    spawn_local(async move {
        if let Err(err) = ipc::unwatch(id).await {
            ipc::log_error("unwatch", &err);
        }
        drop(guard);
    });
}

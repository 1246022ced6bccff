use super::use_device_telemetry::{end_watch, WatchSlot};
use crate::ipc;
use atrium_ipc::{AppError, NodeRollupBatch};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::sync::{Arc, Mutex};

/// The live rollups of one opened node.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeRollups {
    /// The latest batch (each replaces the previous one); `None` until the first arrives.
    pub(crate) batch: ReadSignal<Option<NodeRollupBatch>>,
    /// Why the watch could not be started.
    pub(crate) error: ReadSignal<Option<AppError>>,
}

/// Watches a node's rollups for as long as the calling component lives; unwatches on cleanup.
pub(crate) fn use_node_rollup(node_id: String) -> NodeRollups {
    let batch = RwSignal::new(None::<NodeRollupBatch>);
    let error = RwSignal::new(None::<AppError>);
    let slot = Arc::new(Mutex::new(WatchSlot::Starting));

    let on_batch = {
        let node_id = node_id.clone();
        move |next: Result<NodeRollupBatch, AppError>| match next {
            Ok(next) if next.node_id == node_id => {
                batch.try_set(Some(next));
            }
            Ok(_) => {}
            Err(err) => ipc::log_error("rollup update", &err),
        }
    };

    {
        let slot = Arc::clone(&slot);
        spawn_local(async move {
            match ipc::watch_node(&node_id, on_batch).await {
                Ok((id, guard)) => {
                    let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
                    if matches!(*slot, WatchSlot::Ended) {
                        drop(slot);
                        end_watch(id, guard);
                    } else {
                        *slot = WatchSlot::Active(id, guard);
                    }
                }
                Err(err) => {
                    error.try_set(Some(err));
                }
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

    NodeRollups { batch: batch.read_only(), error: error.read_only() }
}

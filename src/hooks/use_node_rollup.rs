use super::watch_lifetime::hold_watch;
use crate::ipc;
use atrium_ipc::{AppError, NodeRollupBatch};
use leptos::prelude::*;

/// The live rollups of one opened node.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeRollups {
    /// The latest batch (each replaces the previous one); `None` until the first arrives.
    pub(crate) batch: ReadSignal<Option<NodeRollupBatch>>,
    /// Why the watch could not be started.
    pub(crate) error: ReadSignal<Option<AppError>>,
}

/// Watches a node's rollups, averaging `average_key`, for as long as the calling component
/// lives; unwatches on cleanup.
pub(crate) fn use_node_rollup(node_id: String, average_key: String) -> NodeRollups {
    let batch = RwSignal::new(None::<NodeRollupBatch>);
    let error = RwSignal::new(None::<AppError>);

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

    hold_watch(async move { ipc::watch_node(&node_id, &average_key, on_batch).await }, move |err| {
        error.try_set(Some(err));
    });

    NodeRollups { batch: batch.read_only(), error: error.read_only() }
}

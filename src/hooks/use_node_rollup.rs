use super::watch_lifetime::hold_watch;
use crate::ipc;
use atrium_ipc::{AppError, NodeRollupBatch};
use leptos::prelude::*;

/// The live rollups of one opened node.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeRollups {
    /// The latest batch (each replaces the previous one); `None` until the first arrives. It
    /// names the key it averages: after a change of key, the previous key's batch stays until
    /// the new one comes.
    pub(crate) batch: ReadSignal<Option<NodeRollupBatch>>,
    /// Why the watch could not be started.
    pub(crate) error: ReadSignal<Option<AppError>>,
}

/// Watches a node's rollups for as long as the calling component lives, averaging `average_key`:
/// a new key ends the watch and starts another; cleanup unwatches.
pub(crate) fn use_node_rollup(node_id: String, average_key: Signal<String>) -> NodeRollups {
    let batch = RwSignal::new(None::<NodeRollupBatch>);
    let error = RwSignal::new(None::<AppError>);

    // Each run holds one watch; re-running (a new key) cleans the previous one up.
    Effect::new(move |_| {
        let key = average_key.get();
        error.set(None);
        let on_batch = {
            let (node_id, key) = (node_id.clone(), key.clone());
            move |next: Result<NodeRollupBatch, AppError>| match next {
                Ok(next) if next.node_id == node_id && next.average_key == key => {
                    batch.try_set(Some(next));
                }
                Ok(_) => {}
                Err(err) => ipc::log_error("rollup update", &err),
            }
        };
        let node_id = node_id.clone();
        hold_watch(async move { ipc::watch_node(&node_id, &key, on_batch).await }, move |err| {
            error.try_set(Some(err));
        });
    });

    NodeRollups { batch: batch.read_only(), error: error.read_only() }
}

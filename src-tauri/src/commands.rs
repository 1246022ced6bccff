//! One-line command handlers over `Core`. Names and argument shapes are fixed by `atrium_ipc`.

use atrium_core::Core;
use atrium_ipc::{
    AppError, CachedTree, ConnectionState, ControlAck, ControlCommand, DeviceArgs, DeviceDetail,
    LoadProgress, LoginArgs, NodeArgs, NodeRollupBatch, SearchArgs, SearchHit, SessionInfo, TelemetryBatch,
    TreeNode, WatchArgs, WatchId, WatchNodeArgs,
};
use tauri::ipc::Channel;
use tauri::State;

#[tauri::command]
pub(crate) async fn login(core: State<'_, Core>, args: LoginArgs) -> Result<SessionInfo, AppError> {
    core.login(args).await
}

#[tauri::command]
pub(crate) async fn open_demo(core: State<'_, Core>) -> Result<SessionInfo, AppError> {
    core.open_demo().await
}

#[tauri::command]
pub(crate) async fn logout(core: State<'_, Core>) -> Result<(), AppError> {
    core.logout().await;
    Ok(())
}

#[tauri::command]
pub(crate) fn session(core: State<'_, Core>) -> Option<SessionInfo> {
    core.session()
}

#[tauri::command]
pub(crate) fn connection_state(core: State<'_, Core>) -> ConnectionState {
    core.connection_state()
}

#[tauri::command]
pub(crate) async fn load_tree(
    core: State<'_, Core>,
    on_progress: Channel<LoadProgress>,
) -> Result<Vec<TreeNode>, AppError> {
    core.load_tree(move |step| {
        let _ = on_progress.send(step);
    })
    .await
}

#[tauri::command]
pub(crate) async fn device_detail(core: State<'_, Core>, args: DeviceArgs) -> Result<DeviceDetail, AppError> {
    core.device_detail(&args.device_id).await
}

// Async so it runs on the runtime that the watch task is spawned on.
#[tauri::command]
pub(crate) async fn watch_device(
    core: State<'_, Core>,
    args: WatchArgs,
    on_batch: Channel<TelemetryBatch>,
) -> Result<WatchId, AppError> {
    core.watch_device(&args.device_id, move |batch| {
        // A failed send means the page is gone; the watch ends with the next unwatch or logout.
        let _ = on_batch.send(batch);
    })
}

#[tauri::command]
pub(crate) async fn unwatch(core: State<'_, Core>, args: WatchId) -> Result<(), AppError> {
    core.unwatch(args);
    Ok(())
}

#[tauri::command]
pub(crate) async fn operate_control(
    core: State<'_, Core>,
    args: ControlCommand,
) -> Result<ControlAck, AppError> {
    core.operate_control(args).await
}

#[tauri::command]
pub(crate) fn cached_tree(core: State<'_, Core>) -> Option<CachedTree> {
    core.cached_tree().map(|(nodes, age_ms)| CachedTree { nodes, age_ms })
}

// Async so it runs on the runtime that the watch task is spawned on.
#[tauri::command]
pub(crate) async fn watch_node(
    core: State<'_, Core>,
    args: WatchNodeArgs,
    on_batch: Channel<NodeRollupBatch>,
) -> Result<WatchId, AppError> {
    core.watch_node(&args.node_id, args.average_key.as_deref(), move |batch| {
        let _ = on_batch.send(batch);
    })
}

#[tauri::command]
pub(crate) async fn rollup_keys(core: State<'_, Core>, args: NodeArgs) -> Result<Vec<String>, AppError> {
    core.rollup_keys(&args.node_id).await
}

#[tauri::command]
pub(crate) fn search(core: State<'_, Core>, args: SearchArgs) -> Vec<SearchHit> {
    core.search(&args.query)
}

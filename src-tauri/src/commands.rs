//! One-line command handlers over `Core`. Names and argument shapes are fixed by `atrium_ipc`.

use atrium_core::Core;
use atrium_ipc::{
    AccountArgs, AlarmArgs, AlarmBadges, AlarmList, AlarmRow, AppError, CachedTree, CertificateArgs,
    CertificateInfo, CodeSent, ConnectionState, Connectivity, ControlAck, ControlCommand, CustomerRef,
    CustomersArgs, DeviceArgs, DeviceAttributes, DeviceDetail, DevicesBatch, ErrorCode, HistoryArgs,
    HistoryChart, LoadProgress, LoadedTree, LoginArgs, LoginOutcome, NodeArgs, NodeRollupBatch, PaintedArgs,
    PlaceAccess, PlanShareArgs, PlanUnshareArgs, QueuedArgs, QueuedCommand, QueuedState, ReportingArgs,
    SavedAccount, SearchArgs, SearchHit, ServerAddress, ServerAddressArgs, SessionInfo, ShareArgs, SharePlan,
    ShareSummary, SharingProgress, Startup, TelemetryBatch, TwoFactorSendArgs, TwoFactorVerifyArgs,
    UnshareArgs, UnsharePlan, UnshareSummary, VisibilityArgs, WatchAlarmsArgs, WatchArgs, WatchDevicesArgs,
    WatchId, WatchNodeArgs,
};
use tauri::ipc::{Channel, IpcResponse};
use tauri::{AppHandle, Runtime, State};

/// Sends `message` to the page on `channel`. A failure usually means the page that asked has
/// gone (the watch ends with the next unwatch or sign-out), but it is logged: a page still there
/// would wait for what never came.
fn deliver<T: IpcResponse>(channel: &Channel<T>, message: T) {
    if let Err(e) = channel.send(message) {
        tracing::debug!(channel = channel.id(), "a message was not delivered to the page: {e}");
    }
}

#[tauri::command]
pub(crate) async fn startup(core: State<'_, Core>) -> Result<Startup, AppError> {
    Ok(core.startup().await)
}

#[tauri::command]
pub(crate) async fn login(core: State<'_, Core>, args: LoginArgs) -> Result<LoginOutcome, AppError> {
    core.login(args).await
}

#[tauri::command]
pub(crate) async fn two_factor_send(
    core: State<'_, Core>,
    args: TwoFactorSendArgs,
) -> Result<CodeSent, AppError> {
    core.two_factor_send(args.kind).await
}

#[tauri::command]
pub(crate) async fn two_factor_verify(
    core: State<'_, Core>,
    args: TwoFactorVerifyArgs,
) -> Result<SessionInfo, AppError> {
    core.two_factor_verify(args.kind, &args.code).await
}

#[tauri::command]
pub(crate) fn two_factor_cancel(core: State<'_, Core>) {
    core.two_factor_cancel();
}

#[tauri::command]
pub(crate) async fn accounts(core: State<'_, Core>) -> Result<Vec<SavedAccount>, AppError> {
    Ok(core.accounts().await)
}

#[tauri::command]
pub(crate) async fn resume_account(
    core: State<'_, Core>,
    args: AccountArgs,
) -> Result<SessionInfo, AppError> {
    core.resume_account(&args.account_id).await
}

#[tauri::command]
pub(crate) async fn forget_account(
    core: State<'_, Core>,
    args: AccountArgs,
) -> Result<Vec<SavedAccount>, AppError> {
    Ok(core.forget_account(&args.account_id).await)
}

#[tauri::command]
pub(crate) async fn switch_account(core: State<'_, Core>) -> Result<(), AppError> {
    core.switch_account().await;
    Ok(())
}

#[tauri::command]
pub(crate) fn inspect_certificate(
    core: State<'_, Core>,
    args: CertificateArgs,
) -> Result<CertificateInfo, AppError> {
    core.inspect_certificate(&args.pem)
}

/// The certificate file a person picks (desktop file dialog); its text, or `None` when cancelled.
#[tauri::command]
pub(crate) async fn pick_certificate_file<R: Runtime>(app: AppHandle<R>) -> Result<Option<String>, AppError> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Choose the CA certificate")
        .add_filter("Certificates", &["pem", "crt", "cer", "der"])
        .pick_file(move |picked| {
            let _ = tx.send(picked);
        });
    let Ok(Some(picked)) = rx.await else { return Ok(None) };
    let path = picked.into_path().map_err(|_| {
        AppError::new(
            ErrorCode::InvalidRequest,
            "That file cannot be opened here; paste the certificate instead.",
            false,
        )
    })?;
    atrium_core::certificate_file_text(&path).map(Some)
}

#[tauri::command]
pub(crate) fn forget_trusted_ca(core: State<'_, Core>, args: AccountArgs) -> Result<(), AppError> {
    core.forget_trusted_ca(&args.account_id)
}

#[tauri::command]
pub(crate) fn check_server_address(
    core: State<'_, Core>,
    args: ServerAddressArgs,
) -> Result<ServerAddress, AppError> {
    core.check_server_address(&args.url)
}

#[tauri::command]
pub(crate) fn reconnect_now(core: State<'_, Core>) {
    core.reconnect_now();
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
) -> Result<LoadedTree, AppError> {
    let nodes = core
        .load_tree(move |step| {
            deliver(&on_progress, step);
        })
        .await?;
    tracing::debug!(nodes = nodes.len(), "load_tree answered");
    Ok(LoadedTree { nodes, notes: core.tree_warnings() })
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
        deliver(&on_batch, batch);
    })
}

// Async so it runs on the runtime that the watch task is spawned on.
#[tauri::command]
pub(crate) async fn watch_devices(
    core: State<'_, Core>,
    args: WatchDevicesArgs,
    on_batch: Channel<DevicesBatch>,
) -> Result<WatchId, AppError> {
    core.watch_devices(&args.device_ids, move |batch| {
        deliver(&on_batch, batch);
    })
}

#[tauri::command]
pub(crate) async fn watch_connectivity(
    core: State<'_, Core>,
    args: WatchArgs,
    on_batch: Channel<Connectivity>,
) -> Result<WatchId, AppError> {
    core.watch_connectivity(&args.device_id, move |update| {
        deliver(&on_batch, update);
    })
}

#[tauri::command]
pub(crate) async fn watch_controls(
    core: State<'_, Core>,
    args: WatchArgs,
    on_batch: Channel<TelemetryBatch>,
) -> Result<WatchId, AppError> {
    core.watch_controls(&args.device_id, move |batch| {
        deliver(&on_batch, batch);
    })
}

#[tauri::command]
pub(crate) async fn unwatch(core: State<'_, Core>, args: WatchId) -> Result<(), AppError> {
    core.unwatch(args);
    Ok(())
}

#[tauri::command]
pub(crate) async fn queue_control(
    core: State<'_, Core>,
    args: ControlCommand,
) -> Result<QueuedCommand, AppError> {
    core.queue_control(args).await
}

#[tauri::command]
pub(crate) async fn queued_control(core: State<'_, Core>, args: QueuedArgs) -> Result<QueuedState, AppError> {
    core.queued_control(&args.rpc_id).await
}

#[tauri::command]
pub(crate) async fn operate_control(
    core: State<'_, Core>,
    args: ControlCommand,
) -> Result<ControlAck, AppError> {
    core.operate_control(args).await
}

// Async, so the cache file is read off the main thread.
#[tauri::command]
pub(crate) async fn cached_tree(core: State<'_, Core>) -> Result<Option<CachedTree>, AppError> {
    Ok(core.cached_tree().await)
}

// Async so it runs on the runtime that the watch task is spawned on.
#[tauri::command]
pub(crate) async fn watch_node(
    core: State<'_, Core>,
    args: WatchNodeArgs,
    on_batch: Channel<NodeRollupBatch>,
) -> Result<WatchId, AppError> {
    core.watch_node(&args.node_id, args.average_key.as_deref(), move |batch| {
        deliver(&on_batch, batch);
    })
}

// Async so it runs on the runtime that the watch task is spawned on.
#[tauri::command]
pub(crate) async fn watch_alarms(
    core: State<'_, Core>,
    args: WatchAlarmsArgs,
    on_batch: Channel<AlarmList>,
) -> Result<WatchId, AppError> {
    core.watch_alarms(args, move |list| {
        deliver(&on_batch, list);
    })
}

// Async so it runs on the runtime that the watch task is spawned on.
#[tauri::command]
pub(crate) async fn watch_alarm_badges(
    core: State<'_, Core>,
    on_batch: Channel<AlarmBadges>,
) -> Result<WatchId, AppError> {
    core.watch_alarm_badges(move |badges| {
        deliver(&on_batch, badges);
    })
}

#[tauri::command]
pub(crate) async fn acknowledge_alarm(core: State<'_, Core>, args: AlarmArgs) -> Result<AlarmRow, AppError> {
    core.acknowledge_alarm(&args.alarm_id).await
}

#[tauri::command]
pub(crate) async fn clear_alarm(core: State<'_, Core>, args: AlarmArgs) -> Result<AlarmRow, AppError> {
    core.clear_alarm(&args.alarm_id).await
}

#[tauri::command]
pub(crate) async fn device_attributes(
    core: State<'_, Core>,
    args: DeviceArgs,
) -> Result<DeviceAttributes, AppError> {
    core.device_attributes(&args.device_id).await
}

#[tauri::command]
pub(crate) async fn reporting_intervals(
    core: State<'_, Core>,
    args: ReportingArgs,
) -> Result<std::collections::BTreeMap<String, i64>, AppError> {
    core.reporting_intervals(&args.device_id, &args.keys).await
}

#[tauri::command]
pub(crate) async fn load_history(core: State<'_, Core>, args: HistoryArgs) -> Result<HistoryChart, AppError> {
    core.load_history(args).await
}

#[tauri::command]
pub(crate) async fn rollup_keys(core: State<'_, Core>, args: NodeArgs) -> Result<Vec<String>, AppError> {
    core.rollup_keys(&args.node_id).await
}

// Async, so a large building is searched off the main thread.
#[tauri::command]
pub(crate) async fn search(core: State<'_, Core>, args: SearchArgs) -> Result<Vec<SearchHit>, AppError> {
    Ok(core.search(&args.query).await)
}

/// Async, so it runs on the runtime the core's grace timer is spawned on.
#[tauri::command]
pub(crate) async fn app_visibility(core: State<'_, Core>, args: VisibilityArgs) -> Result<(), AppError> {
    if args.visible {
        core.app_visible();
    } else {
        core.app_hidden();
    }
    Ok(())
}

#[tauri::command]
pub(crate) async fn customers(
    core: State<'_, Core>,
    args: CustomersArgs,
) -> Result<Vec<CustomerRef>, AppError> {
    core.customers(args.search.as_deref()).await
}

#[tauri::command]
pub(crate) async fn place_access(core: State<'_, Core>, args: NodeArgs) -> Result<PlaceAccess, AppError> {
    core.place_access(&args.node_id).await
}

#[tauri::command]
pub(crate) async fn plan_share(core: State<'_, Core>, args: PlanShareArgs) -> Result<SharePlan, AppError> {
    core.plan_share(&args.node_id, args.customer, args.user).await
}

#[tauri::command]
pub(crate) async fn share(
    core: State<'_, Core>,
    args: ShareArgs,
    on_progress: Channel<SharingProgress>,
) -> Result<ShareSummary, AppError> {
    // A failed send means the page is gone; the run still finishes on the server's side.
    core.share(&args.plan, args.on_conflict, move |p| {
        deliver(&on_progress, p);
    })
    .await
}

#[tauri::command]
pub(crate) async fn plan_unshare(
    core: State<'_, Core>,
    args: PlanUnshareArgs,
) -> Result<UnsharePlan, AppError> {
    core.plan_unshare(&args.node_id, args.customer).await
}

#[tauri::command]
pub(crate) async fn unshare(
    core: State<'_, Core>,
    args: UnshareArgs,
    on_progress: Channel<SharingProgress>,
) -> Result<UnshareSummary, AppError> {
    core.unshare(&args.plan, move |p| {
        deliver(&on_progress, p);
    })
    .await
}

#[tauri::command]
pub(crate) fn painted(args: PaintedArgs) {
    crate::startup_probe::painted(args.what);
}

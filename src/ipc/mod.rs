//! The bridge to the Tauri shell: the only place that knows `window.__TAURI__`.
//!
//! Every command has a typed async wrapper returning `Result<T, AppError>`; anything that cannot
//! be decoded (a rejected promise that is not an `AppError`, an unexpected answer) becomes an
//! `AppError` with code `internal`, so pages only ever branch on the contract's types.

mod accounts;
mod sharing;

pub(crate) use accounts::*;
pub(crate) use sharing::*;

use atrium_ipc::{
    cmd, AlarmArgs, AlarmBadges, AlarmList, AlarmRow, AppError, CachedTree, ConnectionState, Connectivity,
    ControlAck, ControlCommand, DeviceArgs, DeviceAttributes, DeviceDetail, DevicesBatch, ErrorCode,
    HistoryArgs, HistoryChart, HistorySpan, HistorySubject, LoadProgress, LoadedTree, NodeArgs,
    NodeRollupBatch, QueuedArgs, QueuedCommand, QueuedState, ReportingArgs, SearchArgs, SearchHit,
    SessionInfo, TelemetryBatch, VisibilityArgs, WatchAlarmsArgs, WatchArgs, WatchDevicesArgs, WatchId,
    WatchNodeArgs,
};
use send_wrapper::SendWrapper;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn tauri_invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "event"], js_name = listen, catch)]
    async fn tauri_listen(event: &str, handler: &Closure<dyn FnMut(JsValue)>) -> Result<JsValue, JsValue>;

    /// `window.__TAURI__.core.Channel`: the backend streams messages into `onmessage`.
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = Channel)]
    type TauriChannel;

    #[wasm_bindgen(constructor, js_namespace = ["window", "__TAURI__", "core"], js_class = Channel, catch)]
    fn new() -> Result<TauriChannel, JsValue>;

    #[wasm_bindgen(method, setter, js_name = onmessage)]
    fn set_onmessage(this: &TauriChannel, handler: &JsValue);
}

/// The message shown when the page runs outside the Atrium shell (e.g. in a plain browser).
const NO_BACKEND: &str = "Atrium's backend is not available. Start Atrium from its desktop or mobile app.";

fn tauri_available() -> bool {
    let Some(window) = web_sys::window() else { return false };
    js_sys::Reflect::get(&window, &JsValue::from_str("__TAURI__")).map(|v| v.is_object()).unwrap_or(false)
}

fn internal(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::Internal, message, false)
}

/// Turns a rejected `invoke` into an `AppError`: the backend rejects with the error's JSON, Tauri
/// itself with a plain string (unknown command, permission refused).
fn decode_error(raw: JsValue) -> AppError {
    if let Ok(err) = serde_wasm_bindgen::from_value::<AppError>(raw.clone()) {
        return err;
    }
    if let Some(text) = raw.as_string() {
        return internal(text);
    }
    if let Some(err) = raw.dyn_ref::<js_sys::Error>() {
        return internal(String::from(err.message()));
    }
    internal("Atrium's backend answered with an error it could not describe.")
}

fn decode<T: DeserializeOwned>(raw: JsValue, what: &str) -> Result<T, AppError> {
    serde_wasm_bindgen::from_value(raw)
        .map_err(|e| internal(format!("Atrium could not read the answer to {what}: {e}")))
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, AppError> {
    // JSON-compatible: maps become plain objects, as Tauri expects.
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value.serialize(&serializer).map_err(|e| internal(format!("Atrium could not send the request: {e}")))
}

/// `{args: ...}`, the shape of every command's arguments.
#[derive(Serialize)]
struct Args<'a, T: Serialize> {
    args: &'a T,
}

async fn invoke_raw(command: &str, args: JsValue) -> Result<JsValue, AppError> {
    if !tauri_available() {
        return Err(internal(NO_BACKEND));
    }
    tauri_invoke(command, args).await.map_err(decode_error)
}

async fn invoke<A: Serialize, T: DeserializeOwned>(command: &str, args: &A) -> Result<T, AppError> {
    let raw = invoke_raw(command, to_js(&Args { args })?).await?;
    decode(raw, command)
}

async fn invoke_no_args<T: DeserializeOwned>(command: &str) -> Result<T, AppError> {
    let raw = invoke_raw(command, js_sys::Object::new().into()).await?;
    decode(raw, command)
}

/// A `()` answer arrives as `null`; accept anything rather than fail on a detail.
async fn invoke_unit(command: &str, args: JsValue) -> Result<(), AppError> {
    invoke_raw(command, args).await.map(|_| ())
}

pub(crate) async fn open_demo() -> Result<SessionInfo, AppError> {
    invoke_no_args(cmd::OPEN_DEMO).await
}

pub(crate) async fn logout() -> Result<(), AppError> {
    invoke_unit(cmd::LOGOUT, js_sys::Object::new().into()).await
}

pub(crate) async fn connection_state() -> Result<ConnectionState, AppError> {
    invoke_no_args(cmd::CONNECTION_STATE).await
}

/// The page was hidden or shown again (see [`cmd::APP_VISIBILITY`]).
pub(crate) async fn app_visibility(visible: bool) -> Result<(), AppError> {
    invoke_unit(cmd::APP_VISIBILITY, to_js(&Args { args: &VisibilityArgs { visible } })?).await
}

/// Loads the building afresh; `on_progress` hears how far it has come until it answers.
pub(crate) async fn load_tree(
    on_progress: impl Fn(Result<LoadProgress, AppError>) + 'static,
) -> Result<LoadedTree, AppError> {
    let (loaded, _guard) =
        with_channel(cmd::LOAD_TREE, None, "onProgress", "load progress", on_progress).await?;
    Ok(loaded)
}

/// The building as last cached, to show at once while [`load_tree`] refreshes it.
pub(crate) async fn cached_tree() -> Result<Option<CachedTree>, AppError> {
    invoke_no_args(cmd::CACHED_TREE).await
}

pub(crate) async fn device_detail(device_id: &str) -> Result<DeviceDetail, AppError> {
    invoke(cmd::DEVICE_DETAIL, &DeviceArgs { device_id: device_id.to_owned() }).await
}

/// A device's attributes by scope, and its unit overrides.
pub(crate) async fn device_attributes(device_id: &str) -> Result<DeviceAttributes, AppError> {
    invoke(cmd::DEVICE_ATTRIBUTES, &DeviceArgs { device_id: device_id.to_owned() }).await
}

/// The time-series keys the devices below a node report, to choose what its rollups average.
pub(crate) async fn rollup_keys(node_id: &str) -> Result<Vec<String>, AppError> {
    invoke(cmd::ROLLUP_KEYS, &NodeArgs { node_id: node_id.to_owned() }).await
}

/// How often each of a device's keys is reported (key -> ms), from its newest points.
pub(crate) async fn reporting_intervals(
    device_id: &str,
    keys: Vec<String>,
) -> Result<std::collections::BTreeMap<String, i64>, AppError> {
    invoke(cmd::REPORTING_INTERVALS, &ReportingArgs { device_id: device_id.to_owned(), keys }).await
}

/// A chart's data: a device's keys or a place's average over a span.
pub(crate) async fn load_history(
    subject: HistorySubject,
    span: HistorySpan,
) -> Result<HistoryChart, AppError> {
    invoke(cmd::LOAD_HISTORY, &HistoryArgs { subject, span }).await
}

/// Places and devices of the shown building whose name, label or type contains `query`.
pub(crate) async fn search(query: &str) -> Result<Vec<SearchHit>, AppError> {
    invoke(cmd::SEARCH, &SearchArgs { query: query.to_owned() }).await
}

pub(crate) async fn unwatch(id: WatchId) -> Result<(), AppError> {
    invoke_unit(cmd::UNWATCH, to_js(&Args { args: &id })?).await
}

pub(crate) async fn operate_control(command: &ControlCommand) -> Result<ControlAck, AppError> {
    invoke(cmd::OPERATE_CONTROL, command).await
}

/// Stores a command on the server for a device that is offline.
pub(crate) async fn queue_control(command: &ControlCommand) -> Result<QueuedCommand, AppError> {
    invoke(cmd::QUEUE_CONTROL, command).await
}

/// Where a queued command is.
pub(crate) async fn queued_control(rpc_id: &str) -> Result<QueuedState, AppError> {
    invoke(cmd::QUEUED_CONTROL, &QueuedArgs { rpc_id: rpc_id.to_owned() }).await
}

/// Keeps a channel's message handler alive; dropping it detaches the handler first, so a message
/// the backend still had in flight is ignored instead of calling a freed closure.
pub(crate) struct ChannelGuard {
    channel: SendWrapper<TauriChannel>,
    _handler: SendWrapper<Closure<dyn FnMut(JsValue)>>,
}

impl std::fmt::Debug for ChannelGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelGuard").finish_non_exhaustive()
    }
}

thread_local! {
    /// What a detached channel calls: Tauri's `Channel` calls its handler unchecked, so a message
    /// still in flight must find a function, not null. One for the page's whole life.
    static IGNORE_MESSAGE: Closure<dyn FnMut(JsValue)> = Closure::new(|_: JsValue| {});
}

impl Drop for ChannelGuard {
    fn drop(&mut self) {
        IGNORE_MESSAGE.with(|ignore| self.channel.set_onmessage(ignore.as_ref()));
    }
}

/// Starts `watch_connectivity`; every update is passed to `on_update`. Keep the guard as for
/// [`watch_device`].
pub(crate) async fn watch_connectivity(
    device_id: &str,
    on_update: impl Fn(Result<Connectivity, AppError>) + 'static,
) -> Result<(WatchId, ChannelGuard), AppError> {
    let args = WatchArgs { device_id: device_id.to_owned() };
    watch(cmd::WATCH_CONNECTIVITY, &args, "a connectivity update", on_update).await
}

/// Starts `watch_device`; every batch the backend streams is passed to `on_batch`.
/// The returned guard must be kept until the watch has been ended with [`unwatch`].
pub(crate) async fn watch_device(
    device_id: &str,
    on_batch: impl Fn(Result<TelemetryBatch, AppError>) + 'static,
) -> Result<(WatchId, ChannelGuard), AppError> {
    let args = WatchArgs { device_id: device_id.to_owned() };
    watch(cmd::WATCH_DEVICE, &args, "a telemetry update", on_batch).await
}

/// Starts `watch_devices`: several devices' live values, one batch per frame for all of them
/// (a room's tiles). Keep the guard as for [`watch_device`].
pub(crate) async fn watch_devices(
    device_ids: Vec<String>,
    on_batch: impl Fn(Result<DevicesBatch, AppError>) + 'static,
) -> Result<(WatchId, ChannelGuard), AppError> {
    let args = WatchDevicesArgs { device_ids };
    watch(cmd::WATCH_DEVICES, &args, "a room update", on_batch).await
}

/// Starts `watch_controls`: the readings of a device's controls, keyed by control id, each batch
/// passed to `on_batch`. Keep the guard as for [`watch_device`].
pub(crate) async fn watch_controls(
    device_id: &str,
    on_batch: impl Fn(Result<TelemetryBatch, AppError>) + 'static,
) -> Result<(WatchId, ChannelGuard), AppError> {
    let args = WatchArgs { device_id: device_id.to_owned() };
    watch(cmd::WATCH_CONTROLS, &args, "a control reading", on_batch).await
}

/// Starts `watch_node`: live rollups of a node's children, each batch passed to `on_batch`.
/// The returned guard must be kept until the watch has been ended with [`unwatch`].
pub(crate) async fn watch_node(
    node_id: &str,
    average_key: &str,
    on_batch: impl Fn(Result<NodeRollupBatch, AppError>) + 'static,
) -> Result<(WatchId, ChannelGuard), AppError> {
    let args = WatchNodeArgs { node_id: node_id.to_owned(), average_key: Some(average_key.to_owned()) };
    watch(cmd::WATCH_NODE, &args, "a rollup update", on_batch).await
}

/// Starts `watch_alarms`: every new alarm list of the scope is passed to `on_list`.
/// The returned guard must be kept until the watch has been ended with [`unwatch`].
pub(crate) async fn watch_alarms(
    args: &WatchAlarmsArgs,
    on_list: impl Fn(Result<AlarmList, AppError>) + 'static,
) -> Result<(WatchId, ChannelGuard), AppError> {
    watch(cmd::WATCH_ALARMS, args, "an alarm list", on_list).await
}

/// Starts `watch_alarm_badges`: every new map of the building's alarm badges goes to `on_badges`.
/// The returned guard must be kept until the watch has been ended with [`unwatch`].
pub(crate) async fn watch_alarm_badges(
    on_badges: impl Fn(Result<AlarmBadges, AppError>) + 'static,
) -> Result<(WatchId, ChannelGuard), AppError> {
    with_channel(cmd::WATCH_ALARM_BADGES, None, "onBatch", "alarm badges", on_badges).await
}

pub(crate) async fn acknowledge_alarm(alarm_id: &str) -> Result<AlarmRow, AppError> {
    invoke(cmd::ACKNOWLEDGE_ALARM, &AlarmArgs { alarm_id: alarm_id.to_owned() }).await
}

pub(crate) async fn clear_alarm(alarm_id: &str) -> Result<AlarmRow, AppError> {
    invoke(cmd::CLEAR_ALARM, &AlarmArgs { alarm_id: alarm_id.to_owned() }).await
}

/// A watch command: `{args, onBatch: Channel}`, answering a [`WatchId`].
async fn watch<A: Serialize, T: DeserializeOwned + 'static>(
    command: &str,
    args: &A,
    what: &'static str,
    on_batch: impl Fn(Result<T, AppError>) + 'static,
) -> Result<(WatchId, ChannelGuard), AppError> {
    with_channel(command, Some(to_js(args)?), "onBatch", what, on_batch).await
}

/// A command that streams messages on a channel named `channel_key` (beside its `args`, if
/// any) while it runs, and answers an `R`.
async fn with_channel<R: DeserializeOwned, T: DeserializeOwned + 'static>(
    command: &str,
    args: Option<JsValue>,
    channel_key: &str,
    what: &'static str,
    on_message: impl Fn(Result<T, AppError>) + 'static,
) -> Result<(R, ChannelGuard), AppError> {
    if !tauri_available() {
        return Err(internal(NO_BACKEND));
    }
    let channel = TauriChannel::new().map_err(decode_error)?;
    let handler = Closure::<dyn FnMut(JsValue)>::new(move |raw: JsValue| {
        on_message(decode::<T>(raw, what));
    });
    channel.set_onmessage(handler.as_ref());
    let guard = ChannelGuard { channel: SendWrapper::new(channel), _handler: SendWrapper::new(handler) };

    let body = js_sys::Object::new();
    let set = |key: &str, value: &JsValue| {
        js_sys::Reflect::set(&body, &JsValue::from_str(key), value)
            .map(|_| ())
            .map_err(|_| internal("Atrium could not prepare the request."))
    };
    if let Some(args) = args {
        set("args", &args)?;
    }
    set(channel_key, &guard.channel)?;
    let raw = tauri_invoke(command, body.into()).await.map_err(decode_error)?;
    let answer = decode::<R>(raw, command)?;
    Ok((answer, guard))
}

/// Listens to a backend event for the rest of the page's life (the app-level listeners).
pub(crate) async fn listen_forever<T: DeserializeOwned + 'static>(
    event: &'static str,
    on_payload: impl Fn(Result<T, AppError>) + 'static,
) -> Result<(), AppError> {
    if !tauri_available() {
        return Err(internal(NO_BACKEND));
    }
    let handler = Closure::<dyn FnMut(JsValue)>::new(move |raw: JsValue| {
        // An event arrives as `{event, id, payload}`.
        let payload = js_sys::Reflect::get(&raw, &JsValue::from_str("payload")).unwrap_or(JsValue::NULL);
        on_payload(decode::<T>(payload, event));
    });
    tauri_listen(event, &handler).await.map_err(decode_error)?;
    // Page-long listener: the closure must outlive this function and is never unregistered.
    handler.forget();
    Ok(())
}

/// Logs a problem that has no place on screen (a malformed stream message).
pub(crate) fn log_error(context: &str, err: &AppError) {
    web_sys::console::error_2(&JsValue::from_str(context), &JsValue::from_str(&err.message));
}

//! The session as the app lives it: log in (or open the demo), load the building, watch devices,
//! operate controls, and go back to login cleanly when the session ends.

use crate::app_error::to_app_error;
use crate::controls::{self, Attributes, ControlBinding, ControlMap, CONTROLS_ATTRIBUTE};
use crate::live_values::forward;
use crate::rollup;
use atrium_ipc::{
    AppError, ConnectionState, ControlAck, ControlCommand, DeviceDetail, ErrorCode, LoginArgs,
    NodeRollupBatch, SessionInfo, TelemetryBatch, TreeNode, WatchId,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tb_client::live::{self, LiveConfig, LiveHandle, SubscriptionSpec};
use tb_client::proto::telemetry::AttributeScope;
use tb_client::proto::{EntityId, EntityType};
use tb_client::{Client, RpcCall, Secret, SessionEvent};
use tokio::task::JoinHandle;
use uuid::Uuid;

mod tree;

/// The embedded demo building's server, when this build has one.
#[cfg(feature = "demo")]
type DemoServer = tb_emulator::Emulator;
#[cfg(not(feature = "demo"))]
enum DemoServer {}

#[cfg(feature = "demo")]
async fn stop_demo(server: DemoServer) {
    server.shutdown().await;
}

#[cfg(not(feature = "demo"))]
async fn stop_demo(server: DemoServer) {
    match server {}
}

/// Where the core tells the UI about things nobody asked for.
pub trait UiEvents: Send + Sync + 'static {
    fn connection(&self, state: ConnectionState);
    /// The session is over (refresh token dead); the UI returns to login and shows `error`.
    fn session_ended(&self, error: AppError);
}

/// For callers with no UI (the CLI, tests).
#[derive(Debug, Clone, Copy)]
pub struct NoUiEvents;

impl UiEvents for NoUiEvents {
    fn connection(&self, _: ConnectionState) {}
    fn session_ended(&self, _: AppError) {}
}

/// The app's state. Cheap to share (`Arc` inside); all methods take `&self`.
pub struct Core {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core").field("logged_in", &self.shared.active().is_some()).finish()
    }
}

struct Shared {
    ui: Arc<dyn UiEvents>,
    /// The latest state sent to the UI, for a UI that starts listening late.
    connection: Mutex<ConnectionState>,
    active: Mutex<Option<Arc<Active>>>,
    next_watch: AtomicU64,
    /// The building: last tree, offline cache, load warnings.
    tree: tree::TreeState,
}

struct Active {
    client: Client,
    live: LiveHandle,
    info: SessionInfo,
    demo: Mutex<Option<DemoServer>>,
    /// Device id -> its resolved controls, from the last detail load.
    device_controls: Mutex<HashMap<Uuid, Vec<ControlBinding>>>,
    /// Device id -> connectivity, from the last detail load; used to refuse commands to offline devices up front.
    device_active: Mutex<HashMap<Uuid, bool>>,
    watches: Mutex<HashMap<u64, JoinHandle<()>>>,
    background: Mutex<Vec<JoinHandle<()>>>,
}

impl Active {
    fn stop(&self) {
        for (_, task) in self.watches.lock().expect("watches lock").drain() {
            task.abort();
        }
        for task in self.background.lock().expect("background lock").drain(..) {
            task.abort();
        }
        self.live.shutdown();
    }
}

impl Shared {
    fn active(&self) -> Option<Arc<Active>> {
        self.active.lock().expect("active lock").clone()
    }

    fn require(&self) -> Result<Arc<Active>, AppError> {
        self.active().ok_or_else(|| AppError::new(ErrorCode::NotLoggedIn, "You are not signed in.", false))
    }

    /// Ends `session` if it is still the current one and tells the UI, once, whoever notices first.
    fn end_session(&self, session: &Arc<Active>, error: AppError) {
        let mut active = self.active.lock().expect("active lock");
        if !active.as_ref().is_some_and(|a| Arc::ptr_eq(a, session)) {
            return;
        }
        *active = None;
        drop(active);
        session.stop();
        self.ui.session_ended(error);
    }
}

impl Core {
    pub fn new(ui: Arc<dyn UiEvents>) -> Self {
        Self {
            shared: Arc::new(Shared {
                ui,
                connection: Mutex::new(ConnectionState::Closed),
                active: Mutex::new(None),
                next_watch: AtomicU64::new(1),
                tree: tree::TreeState::default(),
            }),
        }
    }

    /// Logs in to a ThingsBoard server.
    pub async fn login(&self, args: LoginArgs) -> Result<SessionInfo, AppError> {
        let client = Client::builder(&args.server_url).build().map_err(|e| to_app_error(&e))?;
        let principal = client
            .login(args.username.trim(), &Secret::new(args.password))
            .await
            .map_err(|e| to_app_error(&e))?;
        let info = SessionInfo {
            server_url: client.base_url().display(),
            user_email: principal.email.clone(),
            display_name: principal.display_name(),
            authority: format!("{:?}", principal.authority),
            demo: false,
        };
        self.start(client, info, None).await
    }

    /// Starts the embedded demo building and logs in to it as its tenant administrator.
    #[cfg(feature = "demo")]
    pub async fn open_demo(&self) -> Result<SessionInfo, AppError> {
        let emulator =
            tb_emulator::Emulator::start(tb_emulator::EmulatorConfig::demo()).await.map_err(|e| {
                AppError::new(ErrorCode::Internal, format!("The demo building could not start: {e}"), false)
            })?;
        let user = emulator.users().into_iter().find(|u| u.authority == "TENANT_ADMIN").ok_or_else(|| {
            AppError::new(ErrorCode::Internal, "The demo building has no administrator.", false)
        })?;
        let client = Client::builder(emulator.base_url()).build().map_err(|e| to_app_error(&e))?;
        let principal = client
            .login(&user.email, &Secret::new(user.password.clone()))
            .await
            .map_err(|e| to_app_error(&e))?;
        let info = SessionInfo {
            server_url: "Demo building".into(),
            user_email: principal.email.clone(),
            display_name: principal.display_name(),
            authority: format!("{:?}", principal.authority),
            demo: true,
        };
        self.start(client, info, Some(emulator)).await
    }

    async fn start(
        &self,
        client: Client,
        info: SessionInfo,
        demo: Option<DemoServer>,
    ) -> Result<SessionInfo, AppError> {
        // A new login replaces the session but keeps its cache: only an explicit logout deletes that.
        self.stop_session().await;
        let live = LiveHandle::spawn(&client, LiveConfig::default());
        let active = Arc::new(Active {
            client: client.clone(),
            live: live.clone(),
            info: info.clone(),
            demo: Mutex::new(demo),
            device_controls: Mutex::default(),
            device_active: Mutex::default(),
            watches: Mutex::default(),
            background: Mutex::default(),
        });
        let tasks = vec![
            tokio::spawn(forward_connection_state(live, self.shared.clone())),
            tokio::spawn(watch_session_end(client, self.shared.clone(), Arc::downgrade(&active))),
        ];
        active.background.lock().expect("background lock").extend(tasks);
        *self.shared.active.lock().expect("active lock") = Some(active);
        Ok(info)
    }

    /// The current session, if any.
    pub fn session(&self) -> Option<SessionInfo> {
        self.shared.active().map(|a| a.info.clone())
    }

    /// The live connection's current state (`Closed` when signed out).
    pub fn connection_state(&self) -> ConnectionState {
        if self.shared.active().is_none() {
            return ConnectionState::Closed;
        }
        self.shared.connection.lock().expect("connection lock").clone()
    }

    /// Ends the session: stops live data, tells the server, stops the demo building, and deletes
    /// the user's cached building.
    pub async fn logout(&self) {
        let info = self.session();
        self.stop_session().await;
        if let Some(info) = info {
            self.forget_cached(&info);
        }
    }

    /// Ends the session without touching the cache.
    async fn stop_session(&self) {
        let Some(active) = self.shared.active.lock().expect("active lock").take() else { return };
        active.stop();
        active.client.logout().await;
        let demo = active.demo.lock().expect("demo lock").take();
        if let Some(server) = demo {
            stop_demo(server).await;
        }
    }

    /// The building tree, freshly loaded; with a cache directory it also rewrites the cache
    /// (see [`Core::cached_tree`] for the instant, possibly stale one).
    pub async fn load_tree(&self) -> Result<Vec<TreeNode>, AppError> {
        let active = self.shared.require()?;
        self.load_and_cache_tree(&active).await
    }

    /// A device with its controls and connectivity.
    pub async fn device_detail(&self, device_id: &str) -> Result<DeviceDetail, AppError> {
        let active = self.shared.require()?;
        let id = parse_id(device_id)?;
        let info = active.client.device_info(id).await.map_err(|e| self.fail(&active, &e))?;
        let device = info.device;
        let (bindings, controls_note) = self.resolve_controls(&active, id, &device.device_type).await?;
        let controls = bindings.iter().map(|b| b.descriptor.clone()).collect();
        active.device_controls.lock().expect("controls lock").insert(id, bindings);
        active.device_active.lock().expect("active map lock").insert(id, info.active);
        Ok(DeviceDetail {
            id: device_id.to_owned(),
            name: device.name,
            label: device.label.filter(|l| !l.is_empty()),
            controls,
            controls_note,
            type_name: device.device_type,
            active: Some(info.active),
        })
    }

    /// A device's controls: its `atriumControls` override when it has a usable one, else the
    /// standard mapping for its type, with bounds from its shared attributes. A problem with the
    /// override or the attributes is reported in the note, never fatal.
    async fn resolve_controls(
        &self,
        active: &Arc<Active>,
        id: Uuid,
        device_type: &str,
    ) -> Result<(Vec<ControlBinding>, Option<String>), AppError> {
        let standard = ControlMap::standard().specs_for(device_type);
        let mut keys = controls::attribute_keys(standard);
        keys.insert(CONTROLS_ATTRIBUTE.to_owned());
        let mut attrs = Attributes::new();
        let mut note = None;
        if let Err(e) = self.read_shared(active, id, &keys, &mut attrs).await? {
            tracing::warn!(device = %id, error = %e, "shared attributes for controls could not be read");
            note = Some(
                "The device's control settings could not be read; showing the standard controls.".into(),
            );
        }
        if let Some(value) = attrs.get(CONTROLS_ATTRIBUTE).cloned() {
            let custom = match controls::parse_override(&value) {
                Ok(specs) => {
                    let missing: Vec<String> =
                        controls::attribute_keys(&specs).into_iter().filter(|k| !keys.contains(k)).collect();
                    if !missing.is_empty() {
                        let missing = missing.into_iter().collect();
                        if let Err(e) = self.read_shared(active, id, &missing, &mut attrs).await? {
                            tracing::warn!(device = %id, error = %e, "attributes named by atriumControls could not be read");
                        }
                    }
                    controls::resolve(&specs, &attrs)
                }
                Err(problem) => Err(problem),
            };
            match custom {
                Ok(bindings) => return Ok((bindings, None)),
                Err(problem) => {
                    tracing::warn!(device = %id, %problem, "ignoring a malformed atriumControls attribute");
                    note = Some(format!(
                        "This device's {CONTROLS_ATTRIBUTE} setting was ignored because {problem}; \
                         showing the standard controls."
                    ));
                }
            }
        }
        let bindings = match controls::resolve(standard, &attrs) {
            Ok(bindings) => bindings,
            Err(problem) => {
                tracing::warn!(device = %id, %problem, "the device's bound attributes are unusable");
                note.get_or_insert_with(|| {
                    format!("The device's control bounds were ignored because {problem}; using the standard bounds.")
                });
                controls::standard_bindings(device_type)
            }
        };
        Ok((bindings, note))
    }

    /// Adds the device's shared attributes `keys` to `attrs`. An expired session is an error; any
    /// other failure is handed back to be reported.
    async fn read_shared(
        &self,
        active: &Arc<Active>,
        id: Uuid,
        keys: &std::collections::BTreeSet<String>,
        attrs: &mut Attributes,
    ) -> Result<Result<(), tb_client::Error>, AppError> {
        let entity = EntityId::new(EntityType::Device, id);
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        match active.client.attributes(entity, Some(AttributeScope::SharedScope), &keys).await {
            Ok(data) => {
                attrs.extend(data.into_iter().map(|a| (a.key, a.value)));
                Ok(Ok(()))
            }
            Err(e) if to_app_error(&e).code == ErrorCode::SessionExpired => Err(self.fail(active, &e)),
            Err(e) => Ok(Err(e)),
        }
    }

    /// Streams a device's latest telemetry to `sink` (first a snapshot, then deltas) until `unwatch`.
    pub fn watch_device(
        &self,
        device_id: &str,
        sink: impl Fn(TelemetryBatch) + Send + 'static,
    ) -> Result<WatchId, AppError> {
        let active = self.shared.require()?;
        let id = parse_id(device_id)?;
        let subscription = active.live.subscribe(SubscriptionSpec::Timeseries {
            entity: EntityId::new(EntityType::Device, id),
            keys: vec![],
        });
        let watch = self.shared.next_watch.fetch_add(1, Ordering::Relaxed);
        // The last values go to the offline cache too (saved with the next tree load or `save_cache`).
        let core = Core { shared: self.shared.clone() };
        let sink = move |batch: TelemetryBatch| {
            core.remember_values(&batch);
            sink(batch);
        };
        let task = tokio::spawn(forward(device_id.to_owned(), subscription, sink));
        active.watches.lock().expect("watches lock").insert(watch, task);
        Ok(WatchId(watch))
    }

    /// Streams live rollups of a node of the loaded tree to `sink`: the node itself, then each
    /// child, with device and offline counts, average temperature and worst active alarm; at once
    /// with the structure, then at most every 250 ms while something changes, until `unwatch`.
    pub fn watch_node(
        &self,
        node_id: &str,
        sink: impl Fn(NodeRollupBatch) + Send + 'static,
    ) -> Result<WatchId, AppError> {
        let active = self.shared.require()?;
        let id = parse_id(node_id)?;
        let node = self.find_node(node_id).ok_or_else(|| {
            AppError::new(ErrorCode::NotFound, "This place is not in the loaded building; reload it.", false)
        })?;
        let entity_type = if node.entity_type == "DEVICE" { EntityType::Device } else { EntityType::Asset };
        let root = EntityId::new(entity_type, id);
        let watch = self.shared.next_watch.fetch_add(1, Ordering::Relaxed);
        let task = tokio::spawn(rollup::run(active.client.clone(), active.live.clone(), root, node, sink));
        active.watches.lock().expect("watches lock").insert(watch, task);
        Ok(WatchId(watch))
    }

    /// Ends a watch; its subscription is dropped, which unsubscribes on the server. The values
    /// seen so far are written to the offline cache in the background.
    pub fn unwatch(&self, watch: WatchId) {
        if let Some(active) = self.shared.active() {
            if let Some(task) = active.watches.lock().expect("watches lock").remove(&watch.0) {
                task.abort();
                // The person left a panel: keep the values it showed for the next start.
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    let core = Core { shared: self.shared.clone() };
                    runtime.spawn(async move { core.save_cache().await });
                }
            }
        }
    }

    /// Sends a control's command. `Ok` means the server accepted it; the new state is confirmed
    /// when the device reports it. Never retried when delivery is unknown.
    pub async fn operate_control(&self, command: ControlCommand) -> Result<ControlAck, AppError> {
        let active = self.shared.require()?;
        let id = parse_id(&command.device_id)?;
        let find = |active: &Active| {
            let controls = active.device_controls.lock().expect("controls lock");
            controls.get(&id).map(|c| c.iter().find(|b| b.descriptor.id == command.control_id).cloned())
        };
        let binding = match find(&active) {
            Some(found) => found,
            None => {
                self.device_detail(&command.device_id).await?;
                find(&active).flatten()
            }
        }
        .ok_or_else(|| AppError::new(ErrorCode::InvalidRequest, "This device has no such control.", false))?;
        // Checked before anything is sent: an action out of bounds never reaches the device.
        let plan = binding.plan(&command.action)?;
        if active.device_active.lock().expect("active map lock").get(&id) == Some(&false) {
            return Err(AppError::new(
                ErrorCode::DeviceOffline,
                "The device is offline, so the command was not sent.",
                false,
            ));
        }
        let call = RpcCall::new(plan.method, plan.params);
        let reply = if plan.two_way {
            let reply = active.client.rpc_twoway(id, &call).await.map_err(|e| self.fail(&active, &e))?;
            if let Some(refusal) = controls::refusal_in(&reply) {
                return Err(AppError::new(ErrorCode::InvalidRequest, refusal, false));
            }
            Some(reply)
        } else {
            active.client.rpc_oneway(id, &call).await.map_err(|e| self.fail(&active, &e))?;
            None
        };
        Ok(ControlAck { reply, accepted_at_ms: now_ms() })
    }

    /// Maps an error, and ends the session locally when it is an expired one.
    fn fail(&self, active: &Arc<Active>, error: &tb_client::Error) -> AppError {
        let app = to_app_error(error);
        if app.code == ErrorCode::SessionExpired {
            self.shared.end_session(active, app.clone());
        }
        app
    }
}

fn parse_id(text: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text)
        .map_err(|_| AppError::new(ErrorCode::InvalidRequest, format!("'{text}' is not a device id."), false))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn to_ipc_state(state: &live::ConnectionState) -> ConnectionState {
    match state {
        live::ConnectionState::Connecting => ConnectionState::Connecting,
        live::ConnectionState::Connected => ConnectionState::Connected,
        live::ConnectionState::Reconnecting { attempt, retry_in } => ConnectionState::Reconnecting {
            attempt: *attempt,
            retry_in_ms: u64::try_from(retry_in.as_millis()).unwrap_or(u64::MAX),
        },
        live::ConnectionState::Offline { reason } => ConnectionState::Offline { reason: reason.clone() },
        _ => ConnectionState::Closed,
    }
}

async fn forward_connection_state(live: LiveHandle, shared: Arc<Shared>) {
    let mut state = live.state();
    loop {
        let current = to_ipc_state(&state.borrow_and_update());
        *shared.connection.lock().expect("connection lock") = current.clone();
        shared.ui.connection(current);
        if state.changed().await.is_err() {
            return;
        }
    }
}

async fn watch_session_end(client: Client, shared: Arc<Shared>, session: std::sync::Weak<Active>) {
    let mut events = client.events();
    loop {
        match events.recv().await {
            Ok(SessionEvent::Expired { reason }) => {
                if let Some(active) = session.upgrade() {
                    shared.end_session(&active, to_app_error(&tb_client::Error::SessionExpired { reason }));
                }
                return;
            }
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

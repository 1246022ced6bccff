//! The session as the app lives it: log in (or open the demo), load the building, watch devices,
//! operate controls, and go back to login cleanly when the session ends.

use crate::app_error::to_app_error;
use crate::controls::ControlBinding;
use crate::live_values::forward;
use crate::rollup;
use atrium_ipc::{
    AppError, ConnectionState, ErrorCode, LoadProgress, LoginArgs, NodeRollupBatch, SessionInfo,
    TelemetryBatch, TreeNode, WatchId, DEFAULT_AVERAGE_KEY,
};
use device::ProfileOverride;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tb_client::live::{self, LiveConfig, LiveHandle, SubscriptionSpec};
use tb_client::proto::{EntityId, EntityType};
use tb_client::{Client, Secret, SessionEvent};
use tokio::sync::OnceCell;
use tokio::task::JoinHandle;
use uuid::Uuid;

mod device;
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
    /// Device profile id -> its `atriumControls`, read once per session however many of its
    /// devices are opened (a cell, so that concurrent opens share the one read).
    profile_controls: Mutex<HashMap<Uuid, Arc<OnceCell<ProfileOverride>>>>,
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
        let demo = crate::demo::DemoBuilding::open().await?;
        let principal = demo.principal();
        let info = SessionInfo {
            server_url: "Demo building".into(),
            user_email: principal.email.clone(),
            display_name: principal.display_name(),
            authority: format!("{:?}", principal.authority),
            demo: true,
        };
        let client = demo.client().clone();
        self.start(client, info, Some(demo.into_server())).await
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
            profile_controls: Mutex::default(),
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
    /// `progress` hears how far the load has come.
    pub async fn load_tree(
        &self,
        progress: impl Fn(LoadProgress) + Send + Sync,
    ) -> Result<Vec<TreeNode>, AppError> {
        let active = self.shared.require()?;
        self.load_and_cache_tree(&active, &progress).await
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
    /// child, with device and offline counts, the average of `average_key` (a time-series key;
    /// `temperature` when `None`) and worst active alarm; at once with the structure, then at most
    /// every 250 ms while something changes, until `unwatch`.
    pub fn watch_node(
        &self,
        node_id: &str,
        average_key: Option<&str>,
        sink: impl Fn(NodeRollupBatch) + Send + 'static,
    ) -> Result<WatchId, AppError> {
        let active = self.shared.require()?;
        let average_key = match average_key.map(str::trim) {
            None => DEFAULT_AVERAGE_KEY,
            Some("") => {
                return Err(AppError::new(ErrorCode::InvalidRequest, "Choose a value to average.", false))
            }
            Some(key) => key,
        };
        let (root, node) = self.node_entity(node_id)?;
        let watch = self.shared.next_watch.fetch_add(1, Ordering::Relaxed);
        let run =
            rollup::run(active.client.clone(), active.live.clone(), root, node, average_key.to_owned(), sink);
        let task = tokio::spawn(run);
        active.watches.lock().expect("watches lock").insert(watch, task);
        Ok(WatchId(watch))
    }

    /// The time-series keys the devices below a node report (the server looks at up to 100 of
    /// them), sorted: what its rollups can average.
    pub async fn rollup_keys(&self, node_id: &str) -> Result<Vec<String>, AppError> {
        let active = self.shared.require()?;
        let (root, _) = self.node_entity(node_id)?;
        rollup::keys_below(&active.client, root).await.map_err(|e| self.fail(&active, &e))
    }

    /// A node of the loaded tree and its entity id.
    fn node_entity(&self, node_id: &str) -> Result<(EntityId, TreeNode), AppError> {
        let id = parse_id(node_id)?;
        let node = self.find_node(node_id).ok_or_else(|| {
            AppError::new(ErrorCode::NotFound, "This place is not in the loaded building; reload it.", false)
        })?;
        let entity_type = if node.entity_type == "DEVICE" { EntityType::Device } else { EntityType::Asset };
        Ok((EntityId::new(entity_type, id), node))
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

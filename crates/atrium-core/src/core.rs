//! The session as the app lives it: log in (or open the demo), load the building, watch devices,
//! operate controls, and go back to login cleanly when the session ends.

use crate::accounts::{MemorySettings, SettingsStore};
use crate::app_error::to_app_error;
use crate::controls::ControlBinding;
use crate::live_values::forward;
use crate::rollup;
use crate::secrets::{MemorySecrets, SecretStore};
use atrium_ipc::{
    AlarmRow, AppError, ConnectionState, DevicesBatch, ErrorCode, LoadProgress, NodeRollupBatch, SessionInfo,
    TelemetryBatch, TreeNode, WatchId, DEFAULT_AVERAGE_KEY,
};
use device::ProfileOverride;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tb_client::live::{self, LiveConfig, LiveHandle, SubscriptionSpec};
use tb_client::proto::{DeviceId, DeviceProfileId, EntityId, EntityType};
use tb_client::{Client, SessionEvent};
use tokio::sync::OnceCell;
use tokio::task::JoinHandle;
use uuid::Uuid;

mod alarms;
mod attributes;
mod device;
mod history;
pub(crate) mod lifecycle;
pub(crate) mod session;
mod sharing;
pub(crate) mod tree;

fn not_in_tree() -> AppError {
    AppError::new(ErrorCode::NotFound, "This place is not in the loaded building; reload it.", false)
}

/// How long signing out waits for the server to invalidate the session.
const SIGN_OUT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(3);

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
    /// A critical or major alarm was raised while the session runs (once per alarm; none for
    /// those that existed when it started): worth an OS notification.
    fn alarm_raised(&self, _alarm: AlarmRow) {}
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
    /// Saved accounts, kept sessions, a sign-in waiting for its second factor.
    accounts: session::AccountState,
    /// The latest state sent to the UI, for a UI that starts listening late.
    connection: Mutex<ConnectionState>,
    active: Mutex<Option<Arc<Active>>>,
    /// The session that ended by itself last (its refresh was refused), until the next starts:
    /// signing out then still deletes what it kept.
    ended: Mutex<Option<SessionInfo>>,
    next_watch: AtomicU64,
    /// The building: last tree, offline cache, load warnings.
    tree: tree::TreeState,
    /// In the background or in front, and what that did to the live connection.
    lifecycle: lifecycle::Lifecycle,
    background_grace: std::time::Duration,
    live_config: LiveConfig,
}

struct Active {
    client: Client,
    live: LiveHandle,
    info: SessionInfo,
    demo: Mutex<Option<DemoServer>>,
    /// Device id -> its resolved controls, from the last detail load.
    device_controls: Mutex<HashMap<DeviceId, Vec<ControlBinding>>>,
    /// States that get methods answered after a command, for the readings of `watch_controls`.
    control_answers: tokio::sync::broadcast::Sender<device::ControlAnswer>,
    /// Device profile id -> its `atriumControls`, read once per session however many of its
    /// devices are opened (a cell, so that concurrent opens share the one read).
    profile_controls: Mutex<HashMap<DeviceProfileId, Arc<OnceCell<ProfileOverride>>>>,
    watches: Mutex<HashMap<u64, JoinHandle<()>>>,
    background: Mutex<Vec<JoinHandle<()>>>,
}

impl Active {
    fn stop(&self) {
        for (_, task) in self.watches.lock().drain() {
            task.abort();
        }
        for task in self.background.lock().drain(..) {
            task.abort();
        }
        self.live.shutdown();
    }
}

impl Shared {
    fn active(&self) -> Option<Arc<Active>> {
        self.active.lock().clone()
    }

    fn require(&self) -> Result<Arc<Active>, AppError> {
        self.active().ok_or_else(|| AppError::new(ErrorCode::NotLoggedIn, "You are not signed in.", false))
    }

    /// Whether `session` is still the current one.
    fn is_current(&self, session: &Arc<Active>) -> bool {
        self.active.lock().as_ref().is_some_and(|a| Arc::ptr_eq(a, session))
    }

    /// Ends `session` (its refresh was refused) if it is still the current one and tells the UI,
    /// once, whoever notices first. Its kept session is deleted; its cached building stays for
    /// the same user's next sign-in.
    fn end_session(self: &Arc<Self>, session: &Arc<Active>, error: AppError) {
        let mut active = self.active.lock();
        if !active.as_ref().is_some_and(|a| Arc::ptr_eq(a, session)) {
            return;
        }
        *active = None;
        drop(active);
        *self.ended.lock() = Some(session.info.clone());
        session.stop();
        if let Some(account) = session.info.account_id.clone() {
            let shared = self.clone();
            tokio::spawn(async move { shared.drop_session(&account).await });
        }
        self.ui.session_ended(error);
    }
}

/// Configures a [`Core`]: where it caches buildings, keeps settings and keeps sessions.
pub struct CoreBuilder {
    ui: Arc<dyn UiEvents>,
    cache_dir: Option<std::path::PathBuf>,
    settings: Arc<dyn SettingsStore>,
    secrets: Arc<dyn SecretStore>,
    background_grace: std::time::Duration,
    live_config: LiveConfig,
}

impl std::fmt::Debug for CoreBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreBuilder").field("cache_dir", &self.cache_dir).finish_non_exhaustive()
    }
}

impl CoreBuilder {
    /// Caches each user's building (and last values) in `dir`.
    pub fn cache_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Keeps saved accounts here (default: in memory, for this run).
    pub fn settings(mut self, store: Arc<dyn SettingsStore>) -> Self {
        self.settings = store;
        self
    }

    /// Keeps sessions here (default: in memory, for this run).
    pub fn secrets(mut self, store: Arc<dyn SecretStore>) -> Self {
        self.secrets = store;
        self
    }

    /// The live connection's timing (default [`LiveConfig::default`]); a soak run shortens it to
    /// go through more outages in its time.
    pub fn live_config(mut self, config: LiveConfig) -> Self {
        self.live_config = config;
        self
    }

    /// How long the app may be in the background before its live connection is paused
    /// (default [`lifecycle::BACKGROUND_GRACE`], 30 s).
    pub fn background_grace(mut self, grace: std::time::Duration) -> Self {
        self.background_grace = grace;
        self
    }

    pub fn build(self) -> Core {
        Core {
            shared: Arc::new(Shared {
                ui: self.ui,
                accounts: session::AccountState::new(self.settings, self.secrets),
                connection: Mutex::new(ConnectionState::Closed),
                active: Mutex::new(None),
                ended: Mutex::new(None),
                next_watch: AtomicU64::new(1),
                tree: tree::TreeState::new(self.cache_dir.map(crate::cache::TreeCache::new)),
                lifecycle: lifecycle::Lifecycle::default(),
                background_grace: self.background_grace,
                live_config: self.live_config,
            }),
        }
    }
}

impl Core {
    /// A core that keeps nothing beyond this run (settings and sessions in memory, no cache).
    pub fn new(ui: Arc<dyn UiEvents>) -> Self {
        Self::builder(ui).build()
    }

    pub fn builder(ui: Arc<dyn UiEvents>) -> CoreBuilder {
        CoreBuilder {
            ui,
            cache_dir: None,
            settings: Arc::new(MemorySettings::default()),
            secrets: Arc::new(MemorySecrets::default()),
            background_grace: lifecycle::BACKGROUND_GRACE,
            live_config: LiveConfig::default(),
        }
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
            authority: principal.authority.as_str().to_owned(),
            demo: true,
            account_id: None,
            username: principal.email.clone(),
        };
        let client = demo.client().clone();
        self.start(client, info, Some(demo.into_server()), None).await
    }

    async fn start(
        &self,
        client: Client,
        info: SessionInfo,
        demo: Option<DemoServer>,
        account: Option<String>,
    ) -> Result<SessionInfo, AppError> {
        // A new sign-in replaces the session but keeps its cache and kept session: only an
        // explicit sign-out deletes those. A sign-in that waited for its second factor is over.
        self.stop_session(false).await;
        self.two_factor_cancel();
        // The cached building into memory first, off the async threads: nothing after this
        // reads a file where it runs, and the session is not running yet to end meanwhile.
        self.load_cached(&info).await;
        let live = LiveHandle::spawn(&client, self.shared.live_config.clone());
        let active = Arc::new(Active {
            client: client.clone(),
            live: live.clone(),
            info: info.clone(),
            demo: Mutex::new(demo),
            device_controls: Mutex::default(),
            profile_controls: Mutex::default(),
            control_answers: tokio::sync::broadcast::channel(64).0,
            watches: Mutex::default(),
            background: Mutex::default(),
        });
        let notifier = crate::alarms::run(
            client.clone(),
            live.clone(),
            (crate::alarms::Scope::Everything, None),
            crate::alarms::notify_args(),
            HashMap::new(),
            {
                let (shared, new) =
                    (Arc::clone(&self.shared), Mutex::new(crate::alarms::NewAlarms::default()));
                move |list| {
                    let fresh = new.lock().take_new(&list);
                    if fresh.is_empty() {
                        return;
                    }
                    // Placed by the tree shown now: it may have loaded after the session started.
                    let places = shared.tree.shown_places();
                    for mut alarm in fresh {
                        alarm.place = places.get(&alarm.originator_id).cloned().unwrap_or_default();
                        shared.ui.alarm_raised(alarm);
                    }
                }
            },
        );
        let tasks = vec![
            tokio::spawn(notifier),
            tokio::spawn(forward_connection_state(live, self.shared.clone())),
            tokio::spawn(follow_session(client, self.shared.clone(), Arc::downgrade(&active), account)),
        ];
        active.background.lock().extend(tasks);
        *self.shared.active.lock() = Some(active);
        *self.shared.ended.lock() = None;
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
        self.shared.connection.lock().clone()
    }

    /// Signs out: stops live data, tells the server, stops the demo building, and deletes the
    /// account's kept session and cached building (the account stays saved, to sign in again).
    /// After a session ended by itself (its refresh token died), signing out deletes what that
    /// session left on this device.
    pub async fn logout(&self) {
        let info = self.session().or_else(|| self.shared.ended.lock().take());
        self.stop_session(true).await;
        if let Some(info) = info {
            self.forget_cached(&info);
            if let Some(account) = &info.account_id {
                self.shared.drop_session(account).await;
                self.shared.update_settings(|settings| settings.last_account = None);
            }
        }
    }

    /// Ends the session without touching its cache or kept session; `sign_out` also tells the
    /// server, which invalidates the session's tokens there.
    async fn stop_session(&self, sign_out: bool) {
        let Some(active) = self.shared.active.lock().take() else { return };
        active.stop();
        // Signing out must not wait on an unreachable server: the tokens are wiped locally anyway.
        if sign_out && tokio::time::timeout(SIGN_OUT_DEADLINE, active.client.logout()).await.is_err() {
            tracing::info!("the server did not confirm the sign-out within {SIGN_OUT_DEADLINE:?}");
        }
        let demo = active.demo.lock().take();
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
        let id = parse_device_id(device_id)?;
        let subscription =
            active.live.subscribe(SubscriptionSpec::Timeseries { entity: id.entity_id(), keys: vec![] });
        // The last values go to the offline cache too (saved with the next tree load or `save_cache`).
        let core = Core { shared: self.shared.clone() };
        let sink = move |batch: TelemetryBatch| {
            core.remember_values(&batch);
            sink(batch);
        };
        Ok(self.hold_watch(&active, tokio::spawn(forward(device_id.to_owned(), subscription, sink))))
    }

    /// Streams the live values of several devices (a room's tiles) to `sink`: one [`DevicesBatch`]
    /// per frame at most for all of them (each device's first batch a snapshot), until `unwatch`.
    /// At most 200 devices; the values are remembered for the offline cache as `watch_device`'s are.
    pub fn watch_devices(
        &self,
        device_ids: &[String],
        sink: impl Fn(DevicesBatch) + Send + 'static,
    ) -> Result<WatchId, AppError> {
        let active = self.shared.require()?;
        if device_ids.len() > crate::live_values::MAX_ROOM_DEVICES {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                format!(
                    "A view follows at most {} devices at once; open a smaller place.",
                    crate::live_values::MAX_ROOM_DEVICES
                ),
                false,
            ));
        }
        let mut subscriptions = Vec::with_capacity(device_ids.len());
        for device_id in device_ids {
            let id = parse_device_id(device_id)?;
            let spec = SubscriptionSpec::Timeseries { entity: id.entity_id(), keys: vec![] };
            subscriptions.push((device_id.clone(), active.live.subscribe(spec)));
        }
        let core = Core { shared: self.shared.clone() };
        let sink = move |room: DevicesBatch| {
            for batch in &room.batches {
                core.remember_values(batch);
            }
            sink(room);
        };
        Ok(self.hold_watch(&active, tokio::spawn(crate::live_values::forward_room(subscriptions, sink))))
    }

    /// Keeps a watch's task until [`Core::unwatch`] (or the session's end) aborts it.
    fn hold_watch(&self, active: &Active, task: JoinHandle<()>) -> WatchId {
        let watch = self.shared.next_watch.fetch_add(1, Ordering::Relaxed);
        active.watches.lock().insert(watch, task);
        WatchId(watch)
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
        let (root, groups) = self.node_groups(node_id)?;
        let run = rollup::run(
            active.client.clone(),
            active.live.clone(),
            root,
            groups,
            average_key.to_owned(),
            sink,
        );
        Ok(self.hold_watch(&active, tokio::spawn(run)))
    }

    /// The time-series keys the devices below a node report (the server looks at up to 100 of
    /// them), sorted: what its rollups can average.
    pub async fn rollup_keys(&self, node_id: &str) -> Result<Vec<String>, AppError> {
        let active = self.shared.require()?;
        let (root, _) = self.node_entity(node_id)?;
        rollup::keys_below(&active.client, root).await.map_err(|e| self.fail(&active, &e))
    }

    /// A node of the loaded tree: its entity id and display name.
    fn node_entity(&self, node_id: &str) -> Result<(EntityId, String), AppError> {
        let id = parse_id(node_id)?;
        let (entity_type, name) = self
            .with_loaded_tree(|tree| {
                crate::building::find_node(tree, node_id).map(|n| (n.entity_type.clone(), n.name.clone()))
            })
            .flatten()
            .ok_or_else(not_in_tree)?;
        let entity_type = if entity_type == "DEVICE" { EntityType::Device } else { EntityType::Asset };
        Ok((EntityId::new(entity_type, id), name))
    }

    /// A node of the loaded tree: its entity id, and the devices below it and each child.
    fn node_groups(&self, node_id: &str) -> Result<(EntityId, Vec<rollup::Group>), AppError> {
        let id = parse_id(node_id)?;
        let (entity_type, groups) = self
            .with_loaded_tree(|tree| {
                let node = crate::building::find_node(tree, node_id)?;
                let entity_type =
                    if node.entity_type == "DEVICE" { EntityType::Device } else { EntityType::Asset };
                Some((entity_type, rollup::groups_of(tree, node)))
            })
            .flatten()
            .ok_or_else(not_in_tree)?;
        Ok((EntityId::new(entity_type, id), groups))
    }

    /// Ends every watch the UI started: the page that held them is gone (the webview reloaded)
    /// and the cleanups that would have ended them never ran. Answers how many ended.
    pub fn unwatch_all(&self) -> usize {
        let Some(active) = self.shared.active() else { return 0 };
        let tasks: Vec<JoinHandle<()>> = active.watches.lock().drain().map(|(_, task)| task).collect();
        for task in &tasks {
            task.abort();
        }
        tasks.len()
    }

    /// How many watches are running, for diagnostics and tests.
    pub fn watch_count(&self) -> usize {
        self.shared.active().map_or(0, |active| active.watches.lock().len())
    }

    /// Ends a watch; its subscription is dropped, which unsubscribes on the server. The values
    /// seen so far are written to the offline cache in the background.
    pub fn unwatch(&self, watch: WatchId) {
        if let Some(active) = self.shared.active() {
            if let Some(task) = active.watches.lock().remove(&watch.0) {
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

fn parse_device_id(text: &str) -> Result<DeviceId, AppError> {
    parse_id(text).map(DeviceId)
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
        live::ConnectionState::Paused => ConnectionState::Paused,
        _ => ConnectionState::Closed,
    }
}

async fn forward_connection_state(live: LiveHandle, shared: Arc<Shared>) {
    let mut state = live.state();
    loop {
        let current = to_ipc_state(&state.borrow_and_update());
        *shared.connection.lock() = current.clone();
        shared.ui.connection(current);
        if state.changed().await.is_err() {
            return;
        }
    }
}

/// Follows the session's tokens: every rotation replaces the kept session, so the next start
/// resumes with a token the server still honours; a refused refresh deletes it (keeping the
/// cached building for the same user's next sign-in) and ends the session for the UI.
async fn follow_session(
    client: Client,
    shared: Arc<Shared>,
    session: std::sync::Weak<Active>,
    account: Option<String>,
) {
    use tokio::sync::broadcast::error::RecvError;
    let mut events = client.events();
    loop {
        match events.recv().await {
            // A missed event (lagged) may have been a rotation: the token read is always the latest.
            Ok(SessionEvent::Refreshed) | Err(RecvError::Lagged(_)) => {
                let current = session.upgrade().is_some_and(|s| shared.is_current(&s));
                if let (true, Some(account), Some(token)) = (current, &account, client.refresh_token()) {
                    shared.keep_session(account, token).await;
                }
            }
            Ok(SessionEvent::Expired { reason }) => {
                match session.upgrade() {
                    Some(active) => shared
                        .end_session(&active, to_app_error(&tb_client::Error::SessionExpired { reason })),
                    None => {
                        if let Some(account) = &account {
                            shared.drop_session(account).await;
                        }
                    }
                }
                return;
            }
            Ok(_) => {}
            Err(RecvError::Closed) => return,
        }
    }
}

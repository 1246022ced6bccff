//! A ThingsBoard-compatible server emulator: the REST and WebSocket subset a ThingsBoard client
//! uses (login with optional TOTP 2FA and refresh, assets, devices, relations, latest and
//! historical telemetry, attributes, RPC, alarms, entity data queries, live subscriptions
//! including `ENTITY_DATA` and `ALARM_COUNT`, customers with assignment, customer users and their
//! activation), served by axum on 127.0.0.1, over a deterministic,
//! seeded smart building with simulated devices, plus fault controls (dropped sockets, expired or
//! revoked tokens, offline devices, latency, failed requests, refused upgrades, malformed frames)
//! for tests.
//!
//! It is not ThingsBoard: no rule engine, no persistence, no MQTT/CoAP (a subset of the device
//! HTTP API: telemetry, attributes and RPC by long poll),
//! bounded in-memory history, one tenant. Where it answers, it answers with the real server's wire
//! format, status codes and error bodies (each module names the server class it follows; this crate's README lists
//! the known differences), and it is as strict as the real server when parsing WebSocket commands.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use tb_emulator::{Emulator, EmulatorConfig};
//! let emulator = Emulator::start(EmulatorConfig::for_tests()).await?;
//! let lobby_light = emulator.device_id("Lobby Light").expect("demo device");
//! println!("ThingsBoard at {}; log in as {:?}", emulator.base_url(), emulator.users()[0]);
//! emulator.publish_telemetry(lobby_light, serde_json::json!({"brightness": 40}));
//! emulator.faults().expire_access_tokens();
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod alarm_query;
mod auth;
mod clock;
mod data_validator;
mod demo;
mod entity_query;
mod error;
mod faults;
mod history;
mod kv;
mod paging;
mod past;
mod routes;
mod rpc_hub;
mod sim;
mod store;
mod tls;
mod two_factor;
mod users;
mod widget_device;
mod ws;

pub use auth::DemoUser;
pub use faults::{Counters, FailureKind, FaultHandle};
pub use tls::TlsFront;
pub use two_factor::{TwoFactorSettings, TOTP_CODE};
pub use widget_device::WidgetSwitch;

use crate::demo::DeviceKind;
use crate::store::Store;
use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tb_proto::{EntityId, EntityType};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// Which demo building to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Preset {
    /// One site, one building, three floors of ten rooms, about 125 devices.
    #[default]
    Small,
    /// Twenty floors of twenty-five rooms with eight devices each, about 4000 devices.
    Large,
    /// Fifty buildings of ten floors of twenty rooms with five devices each, about 50,000
    /// devices. The first building is "HQ" with the usual names; the others prefix every name
    /// with their code ("B02 Room 1.02 Light").
    Portfolio,
}

impl std::str::FromStr for Preset {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "small" => Ok(Self::Small),
            "large" => Ok(Self::Large),
            "portfolio" => Ok(Self::Portfolio),
            other => Err(format!("unknown preset {other:?} (expected small, large or portfolio)")),
        }
    }
}

/// How to start an [`Emulator`].
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub preset: Preset,
    /// Seeds the building (ids, names, initial values, offline devices) and the simulation.
    pub seed: u64,
    /// Must be a loopback address; port 0 picks a free port. Default `127.0.0.1:0`.
    pub bind: SocketAddr,
    /// Access token lifetime (`exp - iat`, whole seconds). Default 9000 s.
    pub access_token_ttl: Duration,
    /// Refresh token lifetime. Default 604800 s.
    pub refresh_token_ttl: Duration,
    /// Run the physics ticker that moves temperatures, CO2 and occupancy.
    pub simulate: bool,
    /// Days of history before the start that history queries answer for the demo's devices
    /// (computed per query, not stored; see `past.rs`). Default 0; [`EmulatorConfig::demo`]: 7.
    pub history_days: u32,
    /// How often `ENTITY_DATA` queries with `pageLink.dynamic` are re-run
    /// (`server.ws.dynamic_page_link.refresh_interval`). Default 60 s, as in `thingsboard.yml`.
    pub dynamic_page_link_refresh: Duration,
    /// Simulation period. Default 2 s.
    pub tick: Duration,
    /// How long a device takes to report its new state after an RPC. Default 300 ms.
    pub rpc_report_delay: Duration,
    /// Serve the HTTP fault controls under `/emulator/admin`. Off by default.
    pub admin_api: bool,
    /// Behave like a server older than 3.6.2: no `/api/ws` (the upgrade gets 404), only the
    /// legacy `/api/ws/plugins/telemetry?token=` endpoint. Off by default.
    pub legacy_ws_only: bool,
    /// WebSocket sessions one user may hold at once (`maxWsSessionsPerRegularUser`); the next
    /// one is closed with 1008 "Max regular user sessions limit reached". 0 = unlimited (default).
    pub max_ws_sessions_per_user: u32,
    /// `TIMESERIES`/`ATTRIBUTES` subscriptions one session may hold; the next one closes the
    /// session with 1008 "Max regular user subscriptions limit reached". 0 = unlimited (default).
    pub max_ws_subscriptions_per_session: u32,
    /// The platform's two-factor settings (send period, code lifetime, lockout, pre-verification
    /// token lifetime).
    pub two_factor: TwoFactorSettings,
    /// The key that signs tokens. `None` (default) draws one at start; a fixed key lets a
    /// restarted emulator accept the tokens of the one before, as a restarted ThingsBoard does.
    pub signing_key: Option<[u8; 64]>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            preset: Preset::Small,
            seed: 1,
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            access_token_ttl: Duration::from_secs(9000),
            refresh_token_ttl: Duration::from_secs(604_800),
            simulate: false,
            history_days: 0,
            dynamic_page_link_refresh: Duration::from_secs(60),
            tick: Duration::from_secs(2),
            rpc_report_delay: Duration::from_millis(300),
            admin_api: false,
            legacy_ws_only: false,
            max_ws_sessions_per_user: 0,
            max_ws_subscriptions_per_session: 0,
            two_factor: TwoFactorSettings::default(),
            signing_key: None,
        }
    }
}

impl EmulatorConfig {
    /// The small building with the simulation running: for the demo app.
    pub fn demo() -> Self {
        Self { simulate: true, history_days: 7, ..Self::default() }
    }

    /// The small building, no simulation, RPC effects reported at once: for tests.
    pub fn for_tests() -> Self {
        Self { simulate: false, rpc_report_delay: Duration::ZERO, ..Self::default() }
    }
}

/// Shared state of one running emulator.
pub(crate) struct AppState {
    pub(crate) config: EmulatorConfig,
    pub(crate) auth: auth::Auth,
    pub(crate) two_factor: two_factor::TwoFactor,
    store: Mutex<Store>,
    pub(crate) kinds: BTreeMap<Uuid, DeviceKind>,
    /// The demo's history before the start, when [`EmulatorConfig::history_days`] asks for it.
    pub(crate) past: Option<past::Past>,
    pub(crate) counters: Mutex<Counters>,
    /// Bumped to make every WebSocket session drop its connection.
    pub(crate) ws_kill: watch::Sender<u64>,
    /// Bumped whenever a device goes on- or offline (queued RPCs wait on it).
    pub(crate) online_changed: watch::Sender<u64>,
    pub(crate) next_session: AtomicU64,
    pub(crate) ignore_pongs: AtomicBool,
    /// Bumped to make every WebSocket session send one malformed frame.
    pub(crate) ws_malformed: watch::Sender<u64>,
    /// Bumped to make every open session go silent (`FaultHandle::freeze_websockets`).
    pub(crate) ws_freeze: watch::Sender<u64>,
    faults: Mutex<faults::FaultState>,
    pub(crate) sim: Mutex<sim::SimState>,
    rpc: Mutex<rpc_hub::RpcHub>,
    /// The device that leaves every second RPC unanswered.
    pub(crate) flaky: Option<Uuid>,
    pub(crate) flaky_calls: AtomicU64,
    /// Device access tokens (device HTTP API) to device ids.
    pub(crate) device_tokens: HashMap<String, Uuid>,
    /// Open WebSocket sessions per user, for `max_ws_sessions_per_user`.
    pub(crate) ws_sessions: Mutex<HashMap<Uuid, u32>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("config", &self.config).finish_non_exhaustive()
    }
}

impl AppState {
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn counters(&self) -> MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn rpc(&self) -> MutexGuard<'_, rpc_hub::RpcHub> {
        self.rpc.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, faults::FaultState> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running emulator. Dropping it without [`Emulator::shutdown`] leaves the server running
/// until the runtime ends.
#[derive(Debug)]
pub struct Emulator {
    state: Arc<AppState>,
    addr: SocketAddr,
    server: JoinHandle<()>,
    sim: Option<JoinHandle<()>>,
    dynamic_refresh: JoinHandle<()>,
    stop: watch::Sender<bool>,
}

impl Emulator {
    /// Generates the building, binds `config.bind` (loopback only) and starts serving.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        if !config.bind.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("the emulator only binds loopback addresses, not {}", config.bind),
            ));
        }
        let demo = demo::build(config.preset, config.seed);
        let secret: [u8; 64] = config.signing_key.unwrap_or_else(|| std::array::from_fn(|_| rand::random()));
        let auth = auth::Auth::new(
            &secret,
            demo.store.tenant_id,
            demo.users,
            config.access_token_ttl,
            config.refresh_token_ttl,
            config.two_factor.pre_verification_ttl,
        );
        let past = past::Past::new(config.history_days, clock::now_ms(), &demo.kinds, &demo.store);
        let device_tokens = demo.store.devices.keys().map(|id| (rpc_hub::device_token(*id), *id)).collect();
        let state = Arc::new(AppState {
            auth,
            two_factor: two_factor::TwoFactor::new(config.two_factor),
            rpc: Mutex::default(),
            flaky: demo.flaky,
            flaky_calls: AtomicU64::new(0),
            device_tokens,
            ws_sessions: Mutex::default(),
            store: Mutex::new(demo.store),
            kinds: demo.kinds,
            past,
            counters: Mutex::default(),
            ws_kill: watch::Sender::new(0),
            online_changed: watch::Sender::new(0),
            next_session: AtomicU64::new(1),
            ignore_pongs: AtomicBool::new(false),
            ws_malformed: watch::Sender::new(0),
            ws_freeze: watch::Sender::new(0),
            faults: Mutex::default(),
            sim: Mutex::new(sim::SimState::new(config.seed)),
            config,
        });
        let listener = tokio::net::TcpListener::bind(state.config.bind).await?;
        let addr = listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        let app = routes::router(state.clone());
        let server = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            // Small WebSocket frames must not wait for Nagle + delayed ACK (tens of ms); servlet
            // containers in front of ThingsBoard disable Nagle too.
            let listener =
                axum::serve::ListenerExt::tap_io(listener, |stream: &mut tokio::net::TcpStream| {
                    if let Err(e) = stream.set_nodelay(true) {
                        tracing::debug!("could not set TCP_NODELAY: {e}");
                    }
                });
            if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
                tracing::warn!("emulator server stopped: {e}");
            }
        });
        let sim = state.config.simulate.then(|| tokio::spawn(sim::run_ticker(state.clone())));
        let dynamic_refresh = tokio::spawn(refresh_dynamic_queries(state.clone()));
        tracing::info!("ThingsBoard emulator listening on http://{addr}");
        Ok(Emulator { state, addr, server, sim, dynamic_refresh, stop })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on (a restarted emulator can bind it again).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Fault injection and counters.
    pub fn faults(&self) -> FaultHandle {
        FaultHandle::new(self.state.clone())
    }

    /// The demo accounts and their passwords.
    pub fn users(&self) -> Vec<DemoUser> {
        self.state.auth.users().iter().map(auth::UserRec::demo_user).collect()
    }

    /// The code last sent by e-mail or SMS to the user with this e-mail address during a
    /// two-factor sign-in (the emulator delivers no mail), until it is used.
    pub fn two_factor_code(&self, email: &str) -> Option<String> {
        let user = self.state.auth.users().into_iter().find(|u| u.email.eq_ignore_ascii_case(email))?;
        self.state.two_factor.sent_code(user.id)
    }

    /// The id of the device with this exact name.
    pub fn device_id(&self, name: &str) -> Option<Uuid> {
        self.state.store().device_by_name(name).map(|d| d.id)
    }

    /// The access token of the device with this exact name, for the device HTTP API
    /// (`/api/v1/{token}/...`). Derived from the device id, so stable for a seed.
    pub fn device_token(&self, name: &str) -> Option<String> {
        self.state.store().device_by_name(name).map(|d| rpc_hub::device_token(d.id))
    }

    /// The id of the customer with this exact title.
    pub fn customer_id(&self, title: &str) -> Option<Uuid> {
        self.state.store().customer_by_title(title).map(|c| c.id)
    }

    /// The customer an asset or device is assigned to: `None` for the tenant's own (or an
    /// unknown id).
    pub fn owner(&self, entity: Uuid) -> Option<Uuid> {
        let store = self.state.store();
        match store.assets.get(&entity) {
            Some(asset) => asset.customer,
            None => store.devices.get(&entity).and_then(|d| d.customer),
        }
    }

    /// The id of the asset with this exact name.
    pub fn asset_id(&self, name: &str) -> Option<Uuid> {
        self.state.store().asset_by_name(name).map(|a| a.id)
    }

    /// Creates an online device of `device_type` contained by the asset `parent` (owned by the
    /// asset's customer), as an installer adding one would; `None` when there is no such asset.
    /// The simulation does not drive it: publish its telemetry with [`Self::publish_telemetry`].
    pub fn add_device(&self, parent: Uuid, name: &str, device_type: &str) -> Option<Uuid> {
        let mut store = self.state.store();
        let customer = store.assets.get(&parent)?.customer;
        let id = Uuid::new_v4();
        let profile_id = match store.device_profiles.iter().find(|(_, n)| *n == device_type) {
            Some((id, _)) => *id,
            None => {
                let id = Uuid::new_v4();
                store.device_profiles.insert(id, device_type.to_owned());
                id
            }
        };
        let now = clock::now_ms();
        store.devices.insert(
            id,
            store::DeviceRec {
                id,
                created_time: now,
                name: name.to_owned(),
                device_type: device_type.to_owned(),
                label: None,
                customer,
                profile_id,
                online: false,
            },
        );
        store.add_relation(EntityId::new(EntityType::Asset, parent), EntityId::new(EntityType::Device, id));
        store.set_online(id, true, now);
        Some(id)
    }

    /// Makes `device` answer as a switch set up for ThingsBoard's switch widget (`getValue`,
    /// `setValue` with a bare boolean, no telemetry), starting `on` or off, until the handle
    /// is dropped.
    pub fn widget_switch(&self, device: Uuid, on: bool) -> WidgetSwitch {
        WidgetSwitch::start(self.state.clone(), device, on)
    }

    /// Takes a device out of every place that contains it (its `Contains` relations deleted), as
    /// an installer moving it away would; whether it was in one.
    pub fn remove_from_places(&self, device: Uuid) -> bool {
        self.state.store().remove_relations_to(EntityId::new(EntityType::Device, device))
    }

    /// Stores `values` (`{"key": value, ...}`) as the device's latest telemetry, stamped with
    /// the wall clock, and pushes them to WebSocket subscribers, exactly as a device report would.
    /// Non-object values and `null`s are ignored.
    pub fn publish_telemetry(&self, device: Uuid, values: serde_json::Value) {
        let values = match values {
            serde_json::Value::Object(map) => {
                map.into_iter().filter_map(|(k, v)| kv::KvValue::from_json(&v).map(|v| (k, v))).collect()
            }
            _ => return,
        };
        sim::report(&self.state, EntityId::new(EntityType::Device, device), values);
    }

    /// Stops serving: drops every WebSocket, ends the simulation and waits (briefly) for
    /// in-flight requests.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        self.state.ws_kill.send_modify(|g| *g += 1);
        if let Some(sim) = &self.sim {
            sim.abort();
        }
        self.dynamic_refresh.abort();
        let mut server = self.server;
        if tokio::time::timeout(Duration::from_secs(2), &mut server).await.is_err() {
            server.abort();
        }
    }
}

/// The refresh of dynamic entity data queries: one timer for all of them, where the server runs
/// one per subscription (so a query is refreshed up to one interval sooner than there).
async fn refresh_dynamic_queries(state: Arc<AppState>) {
    let mut interval =
        tokio::time::interval(state.config.dynamic_page_link_refresh.max(Duration::from_millis(10)));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await;
    loop {
        interval.tick().await;
        state.store().refresh_dynamic_queries(clock::now_ms());
    }
}

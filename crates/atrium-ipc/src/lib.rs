//! The contract between Atrium's UI (wasm32) and its backend (the Tauri shell over `atrium-core`).
//!
//! Everything the UI sends or receives is defined here once, as serde types that compile for both
//! wasm32 and native. It is not a ThingsBoard wire format: it never re-exports `tb-proto`, so the UI
//! stays independent of the server's shapes and the backend converts in one place (`atrium-core`).
//! Every command takes a single argument named `args` (see [`cmd`]).
//!
//! ```no_run
//! use atrium_ipc::{cmd, LoginArgs};
//! let args = LoginArgs {
//!     server_url: "https://tb.example.com".into(),
//!     username: "me".into(),
//!     password: "pw".into(),
//!     trusted_ca_pem: None,
//!     allow_plain_http: false,
//! };
//! let body = serde_json::json!({ "args": args });
//! assert_eq!(cmd::LOGIN, "login");
//! # let _ = body;
//! ```

mod account;
mod alarm;
mod attributes;
mod connectivity;
mod control;
mod error;
mod history;
mod live;
mod rollup;
mod sharing;
pub mod time;
mod tree;

pub use account::{
    AccountArgs, CertificateArgs, CertificateInfo, CodeSent, LoginOutcome, SavedAccount, SecretStoreStatus,
    ServerAddress, ServerAddressArgs, Startup, TwoFactorChallenge, TwoFactorKind, TwoFactorProvider,
    TwoFactorSendArgs, TwoFactorVerifyArgs,
};
pub use alarm::{
    AlarmArgs, AlarmBadge, AlarmBadges, AlarmList, AlarmRow, AlarmSeverity, AlarmStatusFilter,
    WatchAlarmsArgs,
};
pub use attributes::{
    AttributeEntry, AttributeScopeName, DeviceAttributes, ScopeAttributes, UNITS_ATTRIBUTE,
};
pub use connectivity::Connectivity;
pub use control::{
    reported_state, ControlAck, ControlAction, ControlCommand, ControlDescriptor, ControlKind, Expectation,
    QueuedArgs, QueuedCommand, QueuedState, StateSource, QUEUE_FOR_MS,
};
pub use error::{AppError, ErrorCode};
pub use history::{
    HistoryArgs, HistoryChart, HistoryCoverage, HistoryPoint, HistorySeries, HistorySpan, HistorySubject,
    ReportingArgs,
};
pub use live::{
    merge_latest, ConnectionState, DevicesBatch, LiveValue, TelemetryBatch, TelemetryValue, WatchArgs,
    WatchDevicesArgs, WatchId, MAX_WATCHED_DEVICES,
};
pub use rollup::{NodeArgs, NodeRollup, NodeRollupBatch, WatchNodeArgs, DEFAULT_AVERAGE_KEY};
pub use sharing::{
    AccessUser, CustomerAccess, CustomerChoice, CustomerRef, CustomersArgs, FailedItem, NewCustomerUser,
    OnConflict, PlaceAccess, PlanShareArgs, PlanUnshareArgs, PlannedCustomer, PlannedUser, ShareArgs,
    ShareConflict, SharePlan, ShareSummary, SharedItem, SharedUser, SharingProgress, UnshareArgs,
    UnsharePlan, UnshareSummary,
};
pub use tree::{
    walk_tree, CachedTree, DeviceArgs, DeviceDetail, LoadProgress, LoadedTree, NodeKind, SearchArgs,
    SearchHit, TreeNode, Walk,
};

use serde::{Deserialize, Serialize};

/// Command names, shared by `src/ipc` (invoke) and `src-tauri` (handlers).
pub mod cmd {
    /// What the app finds at start ([`crate::Startup`]): it reopens the last account's kept
    /// session by itself. Call once, before anything else.
    pub const STARTUP: &str = "startup";
    /// Signs in ([`crate::LoginArgs`] -> [`crate::LoginOutcome`]).
    pub const LOGIN: &str = "login";
    /// Asks the server to send a code by e-mail or SMS ([`crate::TwoFactorSendArgs`] -> [`crate::CodeSent`]).
    pub const TWO_FACTOR_SEND: &str = "two_factor_send";
    /// Completes a sign-in with its second factor ([`crate::TwoFactorVerifyArgs`] -> [`crate::SessionInfo`]).
    pub const TWO_FACTOR_VERIFY: &str = "two_factor_verify";
    /// Gives up a sign-in waiting for its second factor.
    pub const TWO_FACTOR_CANCEL: &str = "two_factor_cancel";
    /// Saved accounts, most recently used first (`Vec<SavedAccount>`).
    pub const ACCOUNTS: &str = "accounts";
    /// Reopens a saved account's kept session without its password ([`crate::AccountArgs`] -> [`crate::SessionInfo`]).
    pub const RESUME_ACCOUNT: &str = "resume_account";
    /// Forgets a saved account: its kept session, cached building and trusted CA ([`crate::AccountArgs`]).
    pub const FORGET_ACCOUNT: &str = "forget_account";
    /// Leaves the current session for the sign-in screen, keeping it to continue later.
    pub const SWITCH_ACCOUNT: &str = "switch_account";
    /// Reads a PEM certificate for the person to check before trusting it ([`crate::CertificateArgs`] -> [`crate::CertificateInfo`]).
    pub const INSPECT_CERTIFICATE: &str = "inspect_certificate";
    /// Lets the person choose a certificate file; its PEM text (`Option<String>`, `None` when cancelled).
    pub const PICK_CERTIFICATE_FILE: &str = "pick_certificate_file";
    /// Stops trusting an account's private CA ([`crate::AccountArgs`]).
    pub const FORGET_TRUSTED_CA: &str = "forget_trusted_ca";
    /// Checks a server address as it is typed ([`crate::ServerAddressArgs`] -> [`crate::ServerAddress`]).
    pub const CHECK_SERVER_ADDRESS: &str = "check_server_address";
    /// Tries the connection to the server again now instead of waiting for the next retry.
    pub const RECONNECT_NOW: &str = "reconnect_now";
    /// The UI has painted a building ([`crate::PaintedArgs`]): the shell logs how long after the
    /// process started, which is how start-up time is measured.
    pub const PAINTED: &str = "painted";
    /// The page went to the background or came back ([`crate::VisibilityArgs`], from the page's
    /// `visibilitychange`): the live connection pauses after a grace period and resumes at once.
    pub const APP_VISIBILITY: &str = "app_visibility";
    pub const OPEN_DEMO: &str = "open_demo";
    pub const LOGOUT: &str = "logout";
    pub const SESSION: &str = "session";
    /// The live connection's current state (events carry its changes).
    pub const CONNECTION_STATE: &str = "connection_state";
    /// The building, freshly loaded ([`crate::LoadedTree`]); [`crate::LoadProgress`] streams on the
    /// `onProgress` channel meanwhile.
    pub const LOAD_TREE: &str = "load_tree";
    pub const DEVICE_DETAIL: &str = "device_detail";
    /// Takes [`crate::DeviceArgs`]; answers the device's [`crate::DeviceAttributes`].
    pub const DEVICE_ATTRIBUTES: &str = "device_attributes";
    pub const WATCH_DEVICE: &str = "watch_device";
    /// Stores a control's command on the server for a device that is offline
    /// ([`crate::ControlCommand`] -> [`crate::QueuedCommand`]): it goes when the device is back.
    pub const QUEUE_CONTROL: &str = "queue_control";
    /// Where a queued command is ([`crate::QueuedArgs`] -> [`crate::QueuedState`]).
    pub const QUEUED_CONTROL: &str = "queued_control";
    /// The live values of several devices (a room's tiles, [`crate::WatchDevicesArgs`]) as one
    /// [`crate::DevicesBatch`] per frame on the `onBatch` channel; answers a [`crate::WatchId`].
    pub const WATCH_DEVICES: &str = "watch_devices";
    /// Starts a device's live [`crate::Connectivity`] (on a channel, returns a `WatchId`); takes
    /// [`crate::WatchArgs`]. Stopped with [`UNWATCH`].
    pub const WATCH_CONNECTIVITY: &str = "watch_connectivity";
    /// Starts the readings of a device's controls, each from its [`crate::StateSource`]
    /// ([`crate::TelemetryBatch`]es keyed by control id on a channel, returns a `WatchId`); takes
    /// [`crate::WatchArgs`]. Stopped with [`UNWATCH`].
    pub const WATCH_CONTROLS: &str = "watch_controls";
    pub const UNWATCH: &str = "unwatch";
    pub const OPERATE_CONTROL: &str = "operate_control";
    /// The cached building at once (`Option<CachedTree>`), while `load_tree` refreshes it.
    pub const CACHED_TREE: &str = "cached_tree";
    /// Live rollups of a node's children ([`crate::NodeRollupBatch`] on a channel); ended by `unwatch`.
    /// Takes [`crate::WatchNodeArgs`].
    pub const WATCH_NODE: &str = "watch_node";
    /// The time-series keys a node's devices report (`Vec<String>`, sorted), to pick what its
    /// rollups average. Takes [`crate::NodeArgs`].
    pub const ROLLUP_KEYS: &str = "rollup_keys";
    /// Places and devices of the last loaded (or cached) building matching a query (`Vec<SearchHit>`).
    pub const SEARCH: &str = "search";
    /// Starts a live alarm list ([`crate::AlarmList`] on a channel, returns a `WatchId`);
    /// takes [`crate::WatchAlarmsArgs`]. Stopped with [`UNWATCH`].
    pub const WATCH_ALARMS: &str = "watch_alarms";
    /// Starts the building's alarm badges ([`crate::AlarmBadges`] on a channel, returns a
    /// `WatchId`); takes no arguments. Stopped with [`UNWATCH`].
    pub const WATCH_ALARM_BADGES: &str = "watch_alarm_badges";
    /// Takes [`crate::AlarmArgs`]; answers the alarm's new [`crate::AlarmRow`].
    pub const ACKNOWLEDGE_ALARM: &str = "acknowledge_alarm";
    /// Takes [`crate::AlarmArgs`]; answers the alarm's new [`crate::AlarmRow`].
    pub const CLEAR_ALARM: &str = "clear_alarm";
    /// Takes [`crate::ReportingArgs`]; answers how often each key is reported (key -> ms).
    pub const REPORTING_INTERVALS: &str = "reporting_intervals";
    /// Takes [`crate::HistoryArgs`]; answers a [`crate::HistoryChart`].
    pub const LOAD_HISTORY: &str = "load_history";
    /// The tenant's customers to share with, by title (`Vec<CustomerRef>`); takes
    /// [`crate::CustomersArgs`]. Tenant administrators only, as every sharing command.
    pub const CUSTOMERS: &str = "customers";
    /// Who has access to a place ([`crate::NodeArgs`] -> [`crate::PlaceAccess`]).
    pub const PLACE_ACCESS: &str = "place_access";
    /// What sharing a place with a customer would do ([`crate::PlanShareArgs`] ->
    /// [`crate::SharePlan`]); changes nothing.
    pub const PLAN_SHARE: &str = "plan_share";
    /// Carries out a share plan ([`crate::ShareArgs`] -> [`crate::ShareSummary`]);
    /// [`crate::SharingProgress`] streams on the `onProgress` channel meanwhile.
    pub const SHARE: &str = "share";
    /// What stopping sharing a place with a customer would do ([`crate::PlanUnshareArgs`] ->
    /// [`crate::UnsharePlan`]); changes nothing.
    pub const PLAN_UNSHARE: &str = "plan_unshare";
    /// Carries out an unshare plan ([`crate::UnshareArgs`] -> [`crate::UnshareSummary`]);
    /// [`crate::SharingProgress`] streams on the `onProgress` channel meanwhile.
    pub const UNSHARE: &str = "unshare";

    /// Every command above; the shell registers exactly these (its tests invoke each one).
    pub const ALL: &[&str] = &[
        STARTUP,
        LOGIN,
        TWO_FACTOR_SEND,
        TWO_FACTOR_VERIFY,
        TWO_FACTOR_CANCEL,
        ACCOUNTS,
        RESUME_ACCOUNT,
        FORGET_ACCOUNT,
        SWITCH_ACCOUNT,
        INSPECT_CERTIFICATE,
        PICK_CERTIFICATE_FILE,
        FORGET_TRUSTED_CA,
        CHECK_SERVER_ADDRESS,
        RECONNECT_NOW,
        PAINTED,
        APP_VISIBILITY,
        OPEN_DEMO,
        LOGOUT,
        SESSION,
        CONNECTION_STATE,
        LOAD_TREE,
        DEVICE_DETAIL,
        DEVICE_ATTRIBUTES,
        WATCH_DEVICE,
        QUEUE_CONTROL,
        QUEUED_CONTROL,
        WATCH_DEVICES,
        WATCH_CONNECTIVITY,
        WATCH_CONTROLS,
        UNWATCH,
        OPERATE_CONTROL,
        CACHED_TREE,
        WATCH_NODE,
        ROLLUP_KEYS,
        SEARCH,
        WATCH_ALARMS,
        WATCH_ALARM_BADGES,
        ACKNOWLEDGE_ALARM,
        CLEAR_ALARM,
        LOAD_HISTORY,
        REPORTING_INTERVALS,
        CUSTOMERS,
        PLACE_ACCESS,
        PLAN_SHARE,
        SHARE,
        PLAN_UNSHARE,
        UNSHARE,
    ];
}

/// Event names emitted by the backend.
pub mod event {
    /// Payload: [`crate::ConnectionState`].
    pub const CONNECTION: &str = "atrium://connection";
    /// Payload: [`crate::AppError`]; the session is over and the UI returns to login.
    pub const SESSION_ENDED: &str = "atrium://session-ended";
    /// Payload: an alarm id (`String`); a click on its notification asks the window to show it.
    pub const OPEN_ALARM: &str = "atrium://open-alarm";
}

/// Arguments of [`cmd::LOGIN`]. The password never comes back in any answer.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginArgs {
    pub server_url: String,
    pub username: String,
    pub password: String,
    /// A private CA (PEM) the person chose to trust for this server; kept with the account once
    /// the sign-in succeeds. `None` keeps the one trusted before, if any.
    #[serde(default)]
    pub trusted_ca_pem: Option<String>,
    /// The person agreed to send the password without encryption (`http://` to another machine).
    #[serde(default)]
    pub allow_plain_http: bool,
}

impl LoginArgs {
    /// A sign-in with a password, trusting no extra CA and refusing plain http to another machine.
    pub fn new(
        server_url: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self {
            server_url: server_url.into(),
            username: username.into(),
            password: password.into(),
            trusted_ca_pem: None,
            allow_plain_http: false,
        }
    }
}

impl std::fmt::Debug for LoginArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginArgs")
            .field("server_url", &self.server_url)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("trusted_ca_pem", &self.trusted_ca_pem.as_ref().map(|pem| pem.len()))
            .field("allow_plain_http", &self.allow_plain_http)
            .finish()
    }
}

/// What the UI has just painted, for start-up timing ([`cmd::PAINTED`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Painted {
    /// The sign-in screen, when there was no kept session to resume.
    SignIn,
    /// The cached building, before anything came from the network.
    CachedBuilding,
    /// A building loaded from the server.
    Building,
}

/// Arguments of [`cmd::PAINTED`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaintedArgs {
    pub what: Painted,
}

/// Arguments of [`cmd::APP_VISIBILITY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisibilityArgs {
    pub visible: bool,
}

/// Who is logged in, where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub server_url: String,
    pub user_email: String,
    pub display_name: String,
    /// `TENANT_ADMIN`, `CUSTOMER_USER`, ...
    pub authority: String,
    /// True when connected to the embedded demo building.
    pub demo: bool,
    /// The saved account this session belongs to (`None` for the demo).
    #[serde(default)]
    pub account_id: Option<String>,
    /// The name signed in with, for the sign-in form when the session ends.
    #[serde(default)]
    pub username: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_listed_once_in_all() {
        let source = include_str!("lib.rs");
        let module = &source[source.find("pub mod cmd {").unwrap()..source.find("pub const ALL").unwrap()];
        let declared = module.matches("pub const ").count();
        assert_eq!(cmd::ALL.len(), declared, "cmd::ALL must list every command constant");
        let mut names = cmd::ALL.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), cmd::ALL.len(), "a command name is used twice");
    }

    #[test]
    fn login_args_use_camel_case_and_hide_password() {
        let args = LoginArgs {
            server_url: "u".into(),
            username: "n".into(),
            password: "secret".into(),
            trusted_ca_pem: None,
            allow_plain_http: false,
        };
        let v = serde_json::to_value(&args).unwrap();
        assert_eq!(v["serverUrl"], "u");
        assert!(!format!("{args:?}").contains("secret"));
    }

    #[test]
    fn load_progress_is_tagged_by_step() {
        let json = serde_json::to_value(LoadProgress::Details { known: 3, total: 9 }).unwrap();
        assert_eq!(json, serde_json::json!({"step": "details", "known": 3, "total": 9}));
        let json = serde_json::to_value(LoadProgress::Levels { levels: 2, places: 40 }).unwrap();
        assert_eq!(json, serde_json::json!({"step": "levels", "levels": 2, "places": 40}));
        assert_eq!(
            serde_json::to_value(LoadProgress::Listing).unwrap(),
            serde_json::json!({"step": "listing"})
        );
        let back: LoadProgress = serde_json::from_value(json).unwrap();
        assert_eq!(back, LoadProgress::Levels { levels: 2, places: 40 });
    }

    #[test]
    fn search_args_and_hits_have_the_contract_shape() {
        let args = serde_json::to_value(SearchArgs { query: "thermo".into() }).unwrap();
        assert_eq!(args, serde_json::json!({ "query": "thermo" }));
        let hit = SearchHit {
            id: "d".into(),
            name: "Lobby Thermostat".into(),
            label: None,
            kind: NodeKind::Device,
            path: vec!["Campus".into(), "Lobby".into()],
        };
        let json = serde_json::to_value(&hit).unwrap();
        assert_eq!(json["path"], serde_json::json!(["Campus", "Lobby"]));
        assert_eq!(serde_json::from_value::<SearchHit>(json).unwrap(), hit);
    }
}

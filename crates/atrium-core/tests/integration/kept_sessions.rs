//! Staying signed in, through the core against the emulator: a sign-in keeps its refresh token in
//! the secret store and its account in the settings; the next start reopens it without a
//! password and without waiting for the network; rotations replace the kept token; a refused
//! refresh ends the session with a reason and deletes the kept token but not the cache; the server
//! being down leaves the cached building on screen until it is back; sign-out, switching and
//! forgetting accounts each keep or delete exactly what they promise.

use crate::common::{eventually, Recorder};
use atrium_core::accounts::{account_id, MemorySettings, SettingsStore};
use atrium_core::secrets::{MemorySecrets, NoSecrets, SecretStore};
use atrium_core::Core;
use atrium_ipc::{ConnectionState, ErrorCode, LoginArgs, LoginOutcome, SecretStoreStatus};
use std::path::PathBuf;
use std::sync::Arc;
use tb_emulator::{Emulator, EmulatorConfig};

const TENANT: (&str, &str) = ("tenant@thingsboard.org", "tenant");

/// What survives a restart of the app on one machine: its cache directory, settings and secrets.
struct Machine {
    dir: PathBuf,
    settings: Arc<MemorySettings>,
    secrets: Arc<MemorySecrets>,
}

impl Machine {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("atrium-kept-{tag}-{}-{nanos}", std::process::id()));
        Self { dir, settings: Arc::default(), secrets: Arc::default() }
    }

    /// A fresh start of the app.
    fn start(&self, ui: Arc<Recorder>) -> Core {
        Core::builder(ui)
            .cache_dir(&self.dir)
            .settings(self.settings.clone())
            .secrets(self.secrets.clone())
            .build()
    }

    fn kept(&self, server: &str, user: &str) -> Option<String> {
        self.secrets.get(&account_id(server, user)).unwrap().map(|s| s.expose().to_owned())
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A demo server whose signing key survives a restart, as a real server's does.
fn config(bind: std::net::SocketAddr) -> EmulatorConfig {
    EmulatorConfig { bind, signing_key: Some([7; 64]), ..EmulatorConfig::for_tests() }
}

async fn sign_in(core: &Core, emu: &Emulator) {
    let outcome = core.login(LoginArgs::new(emu.base_url(), TENANT.0, TENANT.1)).await.unwrap();
    assert!(matches!(outcome, LoginOutcome::SignedIn { .. }), "{outcome:?}");
}

#[tokio::test]
async fn the_next_start_reopens_the_account_without_a_password() {
    let emu = Emulator::start(config("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let machine = Machine::new("reopen");
    let first = machine.start(Arc::default());
    sign_in(&first, &emu).await;
    first.load_tree(|_| {}).await.unwrap();
    let kept = machine.kept(&emu.base_url(), TENANT.0).expect("the refresh token is kept");
    assert!(
        !serde_json::to_string(&machine.settings.load()).unwrap().contains(&kept),
        "no secret in the settings"
    );
    drop(first);

    let logins = emu.faults().counters().login_calls;
    let core = machine.start(Arc::default());
    let startup = core.startup().await;
    let session = startup.session.expect("the last account is reopened");
    assert_eq!(session.user_email, TENANT.0);
    assert_eq!(startup.notice, None);
    assert!(startup.accounts[0].signed_in);
    // At once, from the cache, before any request.
    let cached = core.cached_tree().await.expect("the cached building").nodes;
    assert!(!cached.is_empty());

    let fresh = core.load_tree(|_| {}).await.unwrap();
    assert_eq!(fresh.len(), cached.len());
    assert_eq!(emu.faults().counters().login_calls, logins, "no password was sent");
    // The live connection and the load share one refresh of the kept token.
    assert_eq!(emu.faults().counters().refresh_calls, 1, "one refresh traded the kept token");
    // The rotation replaced the kept token: the old one is no longer what a restart would use.
    eventually("the rotated token to be kept", || {
        machine.kept(&emu.base_url(), TENANT.0).as_deref() != Some(&kept)
    })
    .await;

    // A page reload asks again and gets the same session, not a second reopening.
    let again = core.startup().await;
    assert_eq!(again.session.as_ref().map(|s| &s.user_email), Some(&session.user_email));
    emu.shutdown().await;
}

#[tokio::test]
async fn with_the_server_down_the_cached_building_stays_until_it_is_back() {
    let emu = Emulator::start(config("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let addr = emu.local_addr();
    let machine = Machine::new("offline");
    let first = machine.start(Arc::default());
    sign_in(&first, &emu).await;
    first.load_tree(|_| {}).await.unwrap();
    drop(first);
    emu.shutdown().await;

    let ui = Arc::new(Recorder::default());
    let core = machine.start(ui.clone());
    assert!(core.startup().await.session.is_some(), "reopened without the network");
    assert!(core.cached_tree().await.is_some());
    let err = core.load_tree(|_| {}).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Network, "{err:?}");
    assert!(err.retryable);
    eventually("the live connection to retry", || {
        ui.states.lock().unwrap().iter().any(|s| matches!(s, ConnectionState::Reconnecting { .. }))
    })
    .await;
    assert!(ui.ended.lock().unwrap().is_empty(), "an unreachable server does not end the session");

    // The server comes back on the same address: the next try gets through by itself.
    let emu = Emulator::start(config(addr)).await.unwrap();
    core.reconnect_now();
    eventually("the live connection", || core.connection_state() == ConnectionState::Connected).await;
    assert!(!core.load_tree(|_| {}).await.unwrap().is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn a_refused_refresh_ends_the_session_with_a_reason_and_keeps_the_cache() {
    let emu = Emulator::start(config("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let machine = Machine::new("refused");
    let first = machine.start(Arc::default());
    sign_in(&first, &emu).await;
    first.load_tree(|_| {}).await.unwrap();
    drop(first);
    emu.faults().revoke_refresh_tokens();

    let ui = Arc::new(Recorder::default());
    let core = machine.start(ui.clone());
    assert!(core.startup().await.session.is_some());
    let err = core.load_tree(|_| {}).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::SessionExpired, "{err:?}");
    eventually("the end of the session", || !ui.ended.lock().unwrap().is_empty()).await;
    let reason = ui.ended.lock().unwrap()[0].message.clone();
    assert!(reason.contains("ended on the server"), "{reason}");
    assert!(core.session().is_none());
    eventually("the kept token to go", || machine.kept(&emu.base_url(), TENANT.0).is_none()).await;

    // The same user signing in again finds the cached building at once.
    let next = machine.start(Arc::default());
    let startup = next.startup().await;
    assert!(startup.session.is_none());
    assert_eq!(startup.accounts[0].username, TENANT.0, "the form can be filled in");
    sign_in(&next, &emu).await;
    assert!(next.cached_tree().await.is_some(), "the cache outlived the expired session");
    emu.shutdown().await;
}

/// A session that ended by itself left its cache for the same user; signing out then (from the
/// sign-in screen's account menu) deletes it, as signing out of a live session does.
#[tokio::test]
async fn signing_out_after_the_session_ended_deletes_its_cache() {
    let emu = Emulator::start(config("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let machine = Machine::new("ended-out");
    let ui = Arc::new(Recorder::default());
    let core = machine.start(ui.clone());
    sign_in(&core, &emu).await;
    core.load_tree(|_| {}).await.unwrap();
    emu.faults().revoke_refresh_tokens();
    emu.faults().expire_access_tokens();
    assert_eq!(core.load_tree(|_| {}).await.unwrap_err().code, ErrorCode::SessionExpired);
    eventually("the end of the session", || !ui.ended.lock().unwrap().is_empty()).await;

    core.logout().await;
    let next = machine.start(Arc::default());
    sign_in(&next, &emu).await;
    assert!(next.cached_tree().await.is_none(), "signing out deleted what the ended session kept");
    emu.shutdown().await;
}

#[tokio::test]
async fn sign_out_switch_and_forget_keep_what_they_promise() {
    let emu = Emulator::start(config("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let machine = Machine::new("accounts");
    let core = machine.start(Arc::default());

    // Switching keeps the session to continue later, without a password.
    sign_in(&core, &emu).await;
    core.load_tree(|_| {}).await.unwrap();
    core.switch_account().await;
    assert!(core.session().is_none());
    let id = account_id(&emu.base_url(), TENANT.0);
    assert!(machine.kept(&emu.base_url(), TENANT.0).is_some());
    let restarted = machine.start(Arc::default());
    let startup = restarted.startup().await;
    assert!(startup.session.is_none(), "a switched-away account is not reopened by itself");
    assert!(startup.accounts[0].signed_in);
    let session = restarted.resume_account(&id).await.unwrap();
    assert_eq!(session.account_id.as_deref(), Some(id.as_str()));
    assert!(restarted.cached_tree().await.is_some());

    // Signing out deletes the kept session and the cache; the account stays to sign in again.
    restarted.logout().await;
    assert_eq!(machine.kept(&emu.base_url(), TENANT.0), None);
    let accounts = restarted.accounts().await;
    assert_eq!(accounts.len(), 1);
    assert!(!accounts[0].signed_in);
    let err = restarted.resume_account(&id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotLoggedIn);
    sign_in(&restarted, &emu).await;
    assert!(restarted.cached_tree().await.is_none(), "sign-out deleted the cache");

    // Forgetting deletes everything about the account.
    restarted.load_tree(|_| {}).await.unwrap();
    assert!(restarted.forget_account(&id).await.is_empty());
    assert!(restarted.session().is_none());
    assert_eq!(machine.kept(&emu.base_url(), TENANT.0), None);
    assert!(machine.start(Arc::default()).startup().await.accounts.is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn without_a_secret_store_a_session_lasts_for_this_run() {
    let emu = Emulator::start(config("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let settings = Arc::new(MemorySettings::default());
    let none = || Arc::new(NoSecrets("no store on this test machine".into()));
    let core =
        Core::builder(Arc::new(Recorder::default())).settings(settings.clone()).secrets(none()).build();
    let status = core.secret_store_status().await;
    assert!(
        matches!(&status, SecretStoreStatus::Unavailable { reason } if reason.contains("no store")),
        "{status:?}"
    );
    sign_in(&core, &emu).await;
    assert!(!core.load_tree(|_| {}).await.unwrap().is_empty(), "signing in works all the same");

    let restarted = Core::builder(Arc::new(Recorder::default())).settings(settings).secrets(none()).build();
    let startup = restarted.startup().await;
    assert!(startup.session.is_none(), "nothing was kept");
    assert_eq!(startup.accounts.len(), 1, "the account is remembered, to fill in the form");
    emu.shutdown().await;
}

#[tokio::test]
async fn plain_http_to_another_machine_needs_consent_once() {
    let core = Core::new(Arc::new(Recorder::default()));
    let address = core.check_server_address("http://tb.example.com:8080/thingsboard/").unwrap();
    assert_eq!(address.normalized, "http://tb.example.com:8080/thingsboard");
    assert!(address.exposes_password());
    assert!(!core.check_server_address("http://127.0.0.1:8080").unwrap().exposes_password());
    assert!(!core.check_server_address("https://tb.example.com").unwrap().exposes_password());
    assert_eq!(core.check_server_address("tb.example.com").unwrap_err().code, ErrorCode::InvalidUrl);
    // The unencrypted sign-in is refused before anything is sent.
    let err = core.login(LoginArgs::new("http://tb.invalid", "a@b.c", "secret")).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InsecureConnection, "{err:?}");
    assert!(!err.message.contains("secret"));
}

/// A settings store that panics on its first save (a plugin failing on a full disk).
#[derive(Default)]
struct PanicsOnce {
    panicked: std::sync::atomic::AtomicBool,
    inner: MemorySettings,
}

impl SettingsStore for PanicsOnce {
    fn load(&self) -> Option<serde_json::Value> {
        self.inner.load()
    }
    fn save(&self, document: serde_json::Value) -> Result<(), String> {
        if !self.panicked.swap(true, std::sync::atomic::Ordering::SeqCst) {
            panic!("the disk is full");
        }
        self.inner.save(document)
    }
}

/// A panic while the core held a lock (saving the settings, under their lock) used to poison it:
/// every later command touching the accounts panicked too, until the app was restarted.
#[tokio::test]
async fn a_panic_under_a_lock_does_not_break_the_commands_after_it() {
    let emu = Emulator::start(config("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let core = Arc::new(
        Core::builder(Arc::new(Recorder::default())).settings(Arc::new(PanicsOnce::default())).build(),
    );
    let first = {
        let (core, url) = (core.clone(), emu.base_url());
        tokio::spawn(async move { core.login(LoginArgs::new(url, TENANT.0, TENANT.1)).await }).await
    };
    assert!(first.is_err_and(|e| e.is_panic()), "the first save panics");
    let accounts = tokio::spawn({
        let core = core.clone();
        async move { core.accounts().await }
    })
    .await
    .expect("the accounts are still readable");
    assert!(accounts.len() <= 1);
    let outcome = core.login(LoginArgs::new(emu.base_url(), TENANT.0, TENANT.1)).await.unwrap();
    assert!(matches!(outcome, LoginOutcome::SignedIn { .. }), "{outcome:?}");
    assert_eq!(core.accounts().await.len(), 1);
    emu.shutdown().await;
}

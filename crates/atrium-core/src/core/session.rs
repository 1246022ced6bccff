//! Signing in and staying signed in: the password and its second factor, saved accounts, kept
//! sessions (the refresh token in the OS secret store, replaced at every rotation), reopening
//! the last account at start without the network, switching and forgetting accounts, and the
//! private CA a person trusts for a server.

use super::{now_ms, Core, Shared};
use crate::accounts::{Account, Settings};
use crate::app_error::to_app_error;
use crate::secrets::SecretStore;
use atrium_ipc::{
    AppError, CertificateInfo, CodeSent, ErrorCode, LoginArgs, LoginOutcome, SavedAccount, SecretStoreStatus,
    ServerAddress, SessionInfo, Startup, TwoFactorChallenge, TwoFactorKind, TwoFactorProvider,
};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tb_client::proto::auth::{TwoFaProviderInfo, TwoFaProviderType};
use tb_client::{Client, Error, Principal, Secret, ServerUrl};

/// A secret store that does not answer within this long (a locked keyring waiting for its
/// unlock prompt) is treated as absent for that call.
const SECRET_STORE_DEADLINE: Duration = Duration::from_secs(10);
/// The resend period when the server does not say.
const DEFAULT_RESEND_S: u32 = 30;

/// A sign-in whose password was right, waiting for its second factor.
pub(super) struct PendingLogin {
    /// Which sign-in this is: a verify answered after another sign-in began must not finish it.
    id: u64,
    client: Client,
    sign_in: SignIn,
    providers: Vec<TwoFaProviderInfo>,
}

/// What a successful sign-in records.
#[derive(Debug, Clone)]
struct SignIn {
    server_url: String,
    username: String,
    trusted_ca_pem: Option<String>,
    plain_http_accepted: bool,
}

fn provider_type(kind: TwoFactorKind) -> TwoFaProviderType {
    match kind {
        TwoFactorKind::Totp => TwoFaProviderType::Totp,
        TwoFactorKind::Email => TwoFaProviderType::Email,
        TwoFactorKind::Sms => TwoFaProviderType::Sms,
        _ => TwoFaProviderType::BackupCode,
    }
}

fn provider_kind(provider: TwoFaProviderType) -> Option<TwoFactorKind> {
    Some(match provider {
        TwoFaProviderType::Totp => TwoFactorKind::Totp,
        TwoFaProviderType::Email => TwoFactorKind::Email,
        TwoFaProviderType::Sms => TwoFactorKind::Sms,
        TwoFaProviderType::BackupCode => TwoFactorKind::BackupCode,
        _ => return None,
    })
}

/// The providers as the code screen offers them, the default first.
fn challenge(sign_in: &SignIn, providers: &[TwoFaProviderInfo]) -> TwoFactorChallenge {
    let mut offered: Vec<TwoFactorProvider> = providers
        .iter()
        .filter_map(|p| {
            Some(TwoFactorProvider {
                kind: provider_kind(p.provider_type)?,
                contact: p.contact.clone(),
                is_default: p.is_default,
                resend_after_s: p.min_verification_code_send_period.unwrap_or(DEFAULT_RESEND_S),
            })
        })
        .collect();
    offered.sort_by_key(|p| !p.is_default);
    TwoFactorChallenge {
        server_url: sign_in.server_url.clone(),
        username: sign_in.username.clone(),
        providers: offered,
    }
}

/// What the sign-in form shows for an address.
pub(super) fn server_address(url: &ServerUrl) -> ServerAddress {
    let parsed = url::Url::parse(url.as_str()).ok();
    let secure = parsed.as_ref().is_some_and(|u| u.scheme() == "https");
    let loopback = parsed.as_ref().and_then(|u| u.host()).is_some_and(|host| match host {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    });
    ServerAddress { normalized: url.display(), secure, loopback }
}

fn certificate_info(pem: &str) -> Result<CertificateInfo, AppError> {
    let details = tb_client::certificate::inspect_pem(pem.as_bytes()).map_err(|e| to_app_error(&e))?;
    let first = details
        .into_iter()
        .next()
        .ok_or_else(|| AppError::new(ErrorCode::InvalidRequest, "The file holds no certificate.", false))?;
    Ok(CertificateInfo {
        sha256: first.fingerprint(),
        subject: first.subject,
        issuer: first.issuer,
        not_before_ms: first.not_before.saturating_mul(1000),
        not_after_ms: first.not_after.saturating_mul(1000),
        is_ca: first.is_ca,
    })
}

/// Certificate files are small; anything bigger is not one.
const MAX_CERTIFICATE_FILE: u64 = 1024 * 1024;

/// The PEM text of a certificate file a person chose: PEM as it is, DER (`.cer`, `.der`)
/// wrapped into PEM.
pub fn certificate_file_text(path: &std::path::Path) -> Result<String, AppError> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| {
        AppError::new(ErrorCode::InvalidRequest, format!("The file cannot be read: {e}."), false)
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(MAX_CERTIFICATE_FILE + 1).read_to_end(&mut bytes).map_err(unreadable)?;
    if bytes.len() as u64 > MAX_CERTIFICATE_FILE {
        return Err(AppError::new(
            ErrorCode::InvalidRequest,
            "That file is too big to be a certificate.",
            false,
        ));
    }
    // Only certificate blocks go on (a key in the same file stays behind); DER is wrapped first.
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) if text.contains("-----BEGIN") => text.to_owned(),
        _ => {
            use base64::Engine;
            let body = base64::engine::general_purpose::STANDARD.encode(&bytes);
            format!("-----BEGIN CERTIFICATE-----{body}-----END CERTIFICATE-----")
        }
    };
    let pem = tb_client::certificate::normalize_pem(&text);
    if !pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(AppError::new(ErrorCode::InvalidRequest, "That file holds no certificate.", false));
    }
    Ok(pem)
}

/// No sign-in waits for a second factor (it was given up, or it ended).
fn interrupted() -> AppError {
    AppError::new(
        ErrorCode::TwoFactorExpired,
        "The sign-in was interrupted. Enter your password again.",
        false,
    )
}

fn build_client(server_url: &str, trusted_ca_pem: Option<&str>) -> Result<Client, AppError> {
    let mut builder = Client::builder(server_url);
    if let Some(pem) = trusted_ca_pem {
        builder = builder.ca_certificate_pem(pem.as_bytes().to_vec());
    }
    builder.build().map_err(|e| to_app_error(&e))
}

fn session_info(account: &Account) -> SessionInfo {
    SessionInfo {
        server_url: account.server_url.clone(),
        user_email: account.email.clone(),
        display_name: account.display_name.clone(),
        authority: account.authority.clone(),
        demo: false,
        account_id: Some(account.id()),
        username: account.username.clone(),
    }
}

impl Shared {
    pub(super) fn settings(&self) -> Settings {
        self.accounts.settings.lock().clone()
    }

    /// Changes the settings and saves them; a failed save is logged (the change still holds for this run).
    pub(super) fn update_settings<T>(&self, change: impl FnOnce(&mut Settings) -> T) -> T {
        // Saved under the lock, so that two changes reach the disk in the order they were made.
        let mut settings = self.accounts.settings.lock();
        let answer = change(&mut settings);
        if let Err(e) = self.accounts.store.save(settings.to_document()) {
            tracing::warn!("the saved accounts could not be written: {e}");
        }
        answer
    }

    /// Runs `call` on the secret store off the async threads, with a deadline; `None` when the
    /// store did not answer in time.
    ///
    /// Calls run one at a time, in the order they were asked for (the gate is a fair mutex held
    /// until the call itself ends, even past the deadline): a write of a rotated token can never
    /// land after the delete of a sign-out that came later.
    pub(super) async fn with_secrets<T: Send + 'static>(
        &self,
        call: impl FnOnce(&dyn SecretStore) -> T + Send + 'static,
    ) -> Option<T> {
        let store = self.accounts.secrets.clone();
        let gate = self.accounts.secrets_gate.clone().lock_owned().await;
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::task::spawn_blocking(move || {
            let _gate = gate;
            let _ = tx.send(call(store.as_ref()));
        });
        match tokio::time::timeout(SECRET_STORE_DEADLINE, rx).await {
            Ok(Ok(answer)) => Some(answer),
            Ok(Err(_)) => {
                tracing::warn!("the secret store call failed");
                None
            }
            Err(_) => {
                tracing::warn!("the secret store did not answer within {SECRET_STORE_DEADLINE:?}");
                None
            }
        }
    }

    /// Keeps `token` as `account`'s session (replacing the one before), and notes in the
    /// settings that a session is kept (what the accounts list shows, without reading secrets).
    pub(super) async fn keep_session(&self, account: &str, token: Secret) {
        let id = account.to_owned();
        match self.with_secrets(move |store| store.set(&id, &token)).await {
            Some(Ok(())) => self.update_settings(|settings| settings.set_kept(account, true)),
            None => {}
            Some(Err(e)) => tracing::warn!("the session could not be kept for the next start: {e}"),
        }
    }

    /// Deletes `account`'s kept session.
    pub(super) async fn drop_session(&self, account: &str) {
        self.update_settings(|settings| settings.set_kept(account, false));
        let id = account.to_owned();
        if let Some(Err(e)) = self.with_secrets(move |store| store.delete(&id)).await {
            tracing::warn!("the kept session could not be deleted: {e}");
        }
    }
}

impl Core {
    /// Where kept sessions go on this device (asks the store, so it may take a moment the first time).
    pub async fn secret_store_status(&self) -> SecretStoreStatus {
        self.shared
            .with_secrets(|store| store.status())
            .await
            .unwrap_or(SecretStoreStatus::Unavailable { reason: "the secret store did not answer".into() })
    }

    /// What the app finds at start: the session already open (the demo), or the last account's
    /// kept session reopened without the network; its building shows from the cache while the
    /// first request trades the kept token for a fresh one. Only the first call reopens anything.
    pub async fn startup(&self) -> Startup {
        let secret_store = self.secret_store_status().await;
        let mut notice = None;
        let first = !self.shared.accounts.restore_tried.swap(true, Ordering::SeqCst);
        if first && self.session().is_none() {
            if let Some(last) = self.shared.settings().last_account {
                match self.resume_account(&last).await {
                    Ok(_) => {}
                    // No kept session (signed out, or the store lost it): the form, prefilled.
                    Err(e) if e.code == ErrorCode::NotLoggedIn => {}
                    Err(e) => notice = Some(e.message),
                }
            }
        }
        Startup { session: self.session(), accounts: self.accounts().await, notice, secret_store }
    }

    /// Saved accounts, most recently used first, each saying whether a session is kept for it.
    pub async fn accounts(&self) -> Vec<SavedAccount> {
        let settings = self.shared.settings();
        settings
            .accounts
            .iter()
            .map(|account| SavedAccount {
                id: account.id(),
                server_url: account.server_url.clone(),
                username: account.username.clone(),
                display_name: account.display_name.clone(),
                authority: account.authority.clone(),
                last_used_ms: account.last_used_ms,
                signed_in: account.kept,
                trusted_ca: settings
                    .server(&account.server_url)
                    .and_then(|s| s.trusted_ca_pem.as_deref())
                    .and_then(|pem| certificate_info(pem).ok()),
            })
            .collect()
    }

    /// Checks a server address as it is typed.
    pub fn check_server_address(&self, url: &str) -> Result<ServerAddress, AppError> {
        ServerUrl::parse(url).map(|url| server_address(&url)).map_err(|e| to_app_error(&e))
    }

    /// Reads a certificate the person may trust.
    pub fn inspect_certificate(&self, pem: &str) -> Result<CertificateInfo, AppError> {
        certificate_info(pem)
    }

    /// Signs in with a password. With two-factor authentication on, the answer is the
    /// challenge; [`Core::two_factor_verify`] completes it.
    pub async fn login(&self, args: LoginArgs) -> Result<LoginOutcome, AppError> {
        let url = ServerUrl::parse(&args.server_url).map_err(|e| to_app_error(&e))?;
        let server_url = url.display();
        let settings = self.shared.settings();
        let known = settings.server(&server_url);
        let consent = args.allow_plain_http || known.is_some_and(|s| s.plain_http_accepted);
        if server_address(&url).exposes_password() && !consent {
            return Err(AppError::new(
                ErrorCode::InsecureConnection,
                format!("{server_url} is not encrypted (http://): your password would cross the network readable by anyone on the way. Use https:// if the server offers it, or confirm that you want to send it anyway."),
                false,
            ));
        }
        // Kept as the person checked it, with its line breaks put right.
        let chosen_ca = args.trusted_ca_pem.as_deref().map(tb_client::certificate::normalize_pem);
        if let Some(pem) = &chosen_ca {
            certificate_info(pem)?;
        }
        let trusted_ca_pem = chosen_ca.clone().or_else(|| known.and_then(|s| s.trusted_ca_pem.clone()));
        let client = build_client(&server_url, trusted_ca_pem.as_deref())?;
        let sign_in = SignIn {
            server_url,
            username: args.username.trim().to_owned(),
            trusted_ca_pem: chosen_ca,
            plain_http_accepted: args.allow_plain_http,
        };
        *self.shared.accounts.pending.lock() = None;
        match client.login(&sign_in.username, &Secret::new(args.password)).await {
            Ok(principal) => {
                let session = self.signed_in(client, &sign_in, &principal).await?;
                Ok(LoginOutcome::SignedIn { session })
            }
            Err(Error::TwoFactorRequired) => {
                let providers = client.two_factor_providers().await.map_err(|e| to_app_error(&e))?;
                let challenge = challenge(&sign_in, &providers);
                if challenge.providers.is_empty() {
                    client.cancel_two_factor();
                    return Err(AppError::new(
                        ErrorCode::TwoFactorSetupRequired,
                        "This account asks for a second factor Atrium does not know. Sign in with ThingsBoard's web interface.",
                        false,
                    ));
                }
                let id = self.shared.accounts.next_pending.fetch_add(1, Ordering::Relaxed);
                *self.shared.accounts.pending.lock() = Some(PendingLogin { id, client, sign_in, providers });
                Ok(LoginOutcome::TwoFactor { challenge })
            }
            Err(e) => Err(to_app_error(&e)),
        }
    }

    fn pending_client(&self) -> Result<(u64, Client), AppError> {
        let pending = self.shared.accounts.pending.lock();
        pending.as_ref().map(|p| (p.id, p.client.clone())).ok_or_else(interrupted)
    }

    /// Forgets the pending two-factor sign-in after an answer that ends it.
    fn end_pending_on(&self, error: &Error) {
        if matches!(error, Error::TwoFactorExpired | Error::BadCredentials { .. } | Error::NotLoggedIn) {
            *self.shared.accounts.pending.lock() = None;
        }
    }

    /// Asks the server to send a code (e-mail, SMS).
    pub async fn two_factor_send(&self, kind: TwoFactorKind) -> Result<CodeSent, AppError> {
        let (_, client) = self.pending_client()?;
        let resend_after_s = {
            let pending = self.shared.accounts.pending.lock();
            pending
                .as_ref()
                .and_then(|p| p.providers.iter().find(|i| provider_kind(i.provider_type) == Some(kind)))
                .and_then(|i| i.min_verification_code_send_period)
                .unwrap_or(DEFAULT_RESEND_S)
        };
        match client.send_two_factor_code(provider_type(kind)).await {
            Ok(()) => Ok(CodeSent { kind, resend_after_s }),
            Err(Error::Api { status: 429, .. }) => Err(AppError::new(
                ErrorCode::InvalidRequest,
                format!("A code was sent less than {resend_after_s} s ago. Use that one, or wait before asking for another."),
                true,
            )),
            Err(e) => {
                self.end_pending_on(&e);
                Err(to_app_error(&e))
            }
        }
    }

    /// Completes a sign-in with its second factor. A wrong code keeps the sign-in open for another try.
    pub async fn two_factor_verify(&self, kind: TwoFactorKind, code: &str) -> Result<SessionInfo, AppError> {
        let (id, client) = self.pending_client()?;
        match client.verify_two_factor(provider_type(kind), code).await {
            Ok(principal) => {
                let pending = {
                    let mut pending = self.shared.accounts.pending.lock();
                    if pending.as_ref().is_some_and(|p| p.id == id) {
                        pending.take()
                    } else {
                        None
                    }
                };
                let sign_in = pending.map(|p| p.sign_in).ok_or_else(interrupted)?;
                self.signed_in(client, &sign_in, &principal).await
            }
            Err(Error::Api { status: 429, .. }) => Err(AppError::new(
                ErrorCode::TwoFactorRejected,
                "Too many codes were tried. Wait a minute, then try again.",
                true,
            )),
            Err(e) => {
                self.end_pending_on(&e);
                Err(to_app_error(&e))
            }
        }
    }

    /// Gives up a sign-in waiting for its second factor.
    pub fn two_factor_cancel(&self) {
        if let Some(pending) = self.shared.accounts.pending.lock().take() {
            pending.client.cancel_two_factor();
        }
    }

    /// Records a sign-in (account, server settings, kept session) and starts the session.
    async fn signed_in(
        &self,
        client: Client,
        sign_in: &SignIn,
        principal: &Principal,
    ) -> Result<SessionInfo, AppError> {
        let account = Account {
            server_url: sign_in.server_url.clone(),
            username: sign_in.username.clone(),
            email: principal.email.clone(),
            display_name: principal.display_name(),
            authority: principal.authority.as_str().to_owned(),
            last_used_ms: now_ms(),
            kept: false,
        };
        let id = account.id();
        let info = session_info(&account);
        let dropped = self.shared.update_settings(|settings| {
            settings.signed_in(account, sign_in.trusted_ca_pem.clone(), sign_in.plain_http_accepted)
        });
        for old in dropped {
            self.shared.drop_session(&old.id()).await;
        }
        if let Some(token) = client.refresh_token() {
            self.shared.keep_session(&id, token).await;
        }
        self.start(client, info, None, Some(id)).await
    }

    /// Reopens a saved account's kept session without the network: the first request trades the
    /// kept token for a fresh one, and a refusal then ends the session with its reason.
    pub async fn resume_account(&self, account_id: &str) -> Result<SessionInfo, AppError> {
        let settings = self.shared.settings();
        let account = settings.account(account_id).cloned().ok_or_else(|| {
            AppError::new(ErrorCode::NotFound, "That account is no longer saved. Sign in again.", false)
        })?;
        let id = account.id();
        let lookup = id.clone();
        let kept = self.shared.with_secrets(move |store| store.get(&lookup)).await;
        let token = match kept {
            Some(Ok(Some(token))) => token,
            Some(Ok(None)) | None => {
                return Err(AppError::new(ErrorCode::NotLoggedIn, "Enter your password to continue.", false))
            }
            Some(Err(e)) => {
                return Err(AppError::new(
                    ErrorCode::NotLoggedIn,
                    format!("Your kept session could not be read ({e}). Enter your password to continue."),
                    false,
                ))
            }
        };
        let trusted_ca = settings.server(&account.server_url).and_then(|s| s.trusted_ca_pem.clone());
        let client = build_client(&account.server_url, trusted_ca.as_deref())?;
        if let Err(e) = client.resume(token) {
            self.shared.drop_session(&id).await;
            return Err(to_app_error(&e));
        }
        let info = session_info(&account);
        self.shared.update_settings(|settings| {
            let mut used = account.clone();
            used.last_used_ms = now_ms();
            settings.signed_in(used, None, false)
        });
        self.start(client, info, None, Some(id)).await
    }

    /// Leaves the current session for the sign-in screen without signing out of the server:
    /// its kept session and cached building stay, so "Continue" reopens it without a password.
    pub async fn switch_account(&self) {
        self.stop_session(false).await;
        self.shared.update_settings(|settings| settings.last_account = None);
    }

    /// Forgets a saved account: signs it out if it is the current one, deletes its kept
    /// session and cached building, and the server's trusted CA once no account uses it.
    pub async fn forget_account(&self, account_id: &str) -> Vec<SavedAccount> {
        if self.session().is_some_and(|s| s.account_id.as_deref() == Some(account_id)) {
            // Signing out deletes its kept session and cached building.
            self.logout().await;
        } else {
            self.shared.drop_session(account_id).await;
            if let Some(account) = self.shared.settings().account(account_id).cloned() {
                self.forget_cached_of(&account.server_url, &account.email);
            }
        }
        self.shared.update_settings(|settings| {
            settings.forget(account_id);
        });
        self.accounts().await
    }

    /// Stops trusting the private CA of an account's server (the next sign-in needs it again).
    pub fn forget_trusted_ca(&self, account_id: &str) -> Result<(), AppError> {
        let account =
            self.shared.settings().account(account_id).cloned().ok_or_else(|| {
                AppError::new(ErrorCode::NotFound, "That account is no longer saved.", false)
            })?;
        self.shared.update_settings(|settings| settings.forget_trusted_ca(&account.server_url));
        Ok(())
    }

    /// Tries the live connection again now (the person pressed "Retry now").
    pub fn reconnect_now(&self) {
        if let Some(active) = self.shared.active() {
            active.live.reconnect_now();
        }
    }
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin").field("server", &self.sign_in.server_url).finish_non_exhaustive()
    }
}

/// The secret store and settings a core keeps accounts with.
pub(super) struct AccountState {
    pub(super) store: Arc<dyn crate::accounts::SettingsStore>,
    pub(super) settings: parking_lot::Mutex<Settings>,
    pub(super) secrets: Arc<dyn SecretStore>,
    pub(super) pending: parking_lot::Mutex<Option<PendingLogin>>,
    /// One secret-store call at a time, in order (see [`Shared::with_secrets`]).
    secrets_gate: Arc<tokio::sync::Mutex<()>>,
    pub(super) next_pending: std::sync::atomic::AtomicU64,
    /// The first `startup` reopens the last account; later ones (a reloaded page) do not.
    pub(super) restore_tried: std::sync::atomic::AtomicBool,
}

impl AccountState {
    pub(super) fn new(store: Arc<dyn crate::accounts::SettingsStore>, secrets: Arc<dyn SecretStore>) -> Self {
        let settings = Settings::from_document(store.load());
        Self {
            store,
            settings: parking_lot::Mutex::new(settings),
            secrets,
            pending: parking_lot::Mutex::new(None),
            secrets_gate: Arc::default(),
            next_pending: std::sync::atomic::AtomicU64::new(1),
            restore_tried: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

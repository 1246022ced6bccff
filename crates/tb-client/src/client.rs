//! The session: login, tokens, single-flight refresh, and the authorised request path every REST area uses.

use crate::error::Error;
use crate::secret::Secret;
use crate::server_url::ServerUrl;
use crate::token::TimedToken;
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tb_proto::auth::{
    Authority, JwtClaims, JwtPair, LoginRequest, RefreshTokenRequest, TwoFaProviderInfo, TwoFaProviderType,
};
use tb_proto::error::ErrorBody;
use tb_proto::user::ActivateUserRequest;
use tokio::sync::broadcast;
use tokio::time::Instant;
use zeroize::{Zeroize, Zeroizing};

const AUTH_HEADER: &str = "X-Authorization";

/// Configures a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    url: String,
    extra_ca_pem: Option<Vec<u8>>,
    request_timeout: Duration,
    max_body_bytes: usize,
}

/// The largest REST answer read by default: the relation query of the whole `portfolio` demo
/// (50 buildings, 50,000 devices) is about 15 MiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

impl ClientBuilder {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            extra_ca_pem: None,
            request_timeout: Duration::from_secs(30),
            max_body_bytes: MAX_BODY_BYTES,
        }
    }

    /// The largest answer read (default [`MAX_BODY_BYTES`]); a larger one is
    /// [`Error::TooLarge`].
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Also trust this CA (PEM), for servers with a private CA.
    pub fn ca_certificate_pem(mut self, pem: Vec<u8>) -> Self {
        self.extra_ca_pem = Some(pem);
        self
    }

    /// Per-request timeout (default 30 s). RPC requests extend it by their own timeout.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    pub fn build(self) -> Result<Client, Error> {
        let base = ServerUrl::parse(&self.url)?;
        let tls = crate::tls::client_config(self.extra_ca_pem.as_deref())?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls((*tls).clone())
            .connect_timeout(Duration::from_secs(10))
            .timeout(self.request_timeout)
            // ThingsBoard's API answers where it is asked. Following a redirect would carry
            // `X-Authorization` (which reqwest does not know to drop) and, on 307/308, a password
            // or refresh token to wherever the `Location` points: a redirect is an error instead.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("atrium/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Transport(crate::error::error_chain(&e)))?;
        let (events, _) = broadcast::channel(16);
        Ok(Client {
            inner: Arc::new(Inner {
                base,
                http,
                tls,
                timeout: self.request_timeout,
                max_body_bytes: self.max_body_bytes,
                auth: Mutex::new(AuthState::LoggedOut),
                refresh_gate: tokio::sync::Mutex::new(()),
                events,
                requests: AtomicU64::new(0),
                refreshes: AtomicU64::new(0),
            }),
        })
    }
}

/// A ThingsBoard session. Cheap to clone; clones share tokens and the refresh gate.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base", &self.inner.base.as_str()).finish_non_exhaustive()
    }
}

struct Inner {
    base: ServerUrl,
    http: reqwest::Client,
    tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
    max_body_bytes: usize,
    auth: Mutex<AuthState>,
    /// Held for the whole refresh call, so concurrent callers wait for one refresh instead of starting theirs.
    refresh_gate: tokio::sync::Mutex<()>,
    events: broadcast::Sender<SessionEvent>,
    requests: AtomicU64,
    refreshes: AtomicU64,
}

enum AuthState {
    LoggedOut,
    PendingTwoFactor(Secret),
    Active(Box<Tokens>),
    Ended(String),
}

struct Tokens {
    /// `None` for a session resumed from a stored refresh token, until its first refresh.
    access: Option<TimedToken>,
    refresh: TimedToken,
    /// Bumped on every refresh: a caller that saw generation N and got a 401 refreshes only if it is still N.
    generation: u64,
    /// From the access token's claims; `None` until a resumed session's first refresh.
    principal: Option<Principal>,
}

/// Who is logged in, from the access token's claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub email: String,
    pub authority: Authority,
    pub user_id: Option<String>,
    pub tenant_id: Option<String>,
    /// `None` for tenant admins (ThingsBoard's NULL UUID is mapped to `None`).
    pub customer_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl Principal {
    fn from_claims(claims: &JwtClaims) -> Self {
        let null = tb_proto::id::NULL_UUID.to_string();
        Self {
            email: claims.sub.clone(),
            authority: claims.scopes.first().copied().unwrap_or(Authority::CustomerUser),
            user_id: claims.user_id.clone(),
            tenant_id: claims.tenant_id.clone(),
            customer_id: claims.customer_id.clone().filter(|c| *c != null),
            first_name: claims.first_name.clone().filter(|s| !s.is_empty()),
            last_name: claims.last_name.clone().filter(|s| !s.is_empty()),
        }
    }

    /// "First Last", or the email.
    pub fn display_name(&self) -> String {
        match (&self.first_name, &self.last_name) {
            (Some(f), Some(l)) => format!("{f} {l}"),
            (Some(n), None) | (None, Some(n)) => n.clone(),
            (None, None) => self.email.clone(),
        }
    }
}

/// Session lifecycle, for the app to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    Refreshed,
    /// The refresh token died; the person must log in again.
    Expired {
        reason: String,
    },
    LoggedOut,
}

/// A request that can be sent twice (once more after a refresh). Its body may hold a password
/// or a refresh token: it is wiped when dropped and never printed.
#[derive(Clone)]
pub(crate) struct RequestSpec {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    /// JSON, serialized once.
    pub(crate) body: Option<Zeroizing<Vec<u8>>>,
    pub(crate) timeout: Option<Duration>,
    /// An `Accept` header, for the few endpoints that produce something other than JSON.
    pub(crate) accept: Option<&'static str>,
}

impl std::fmt::Debug for RequestSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestSpec")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("body", &self.body.as_ref().map(|b| format!("<{} bytes>", b.len())))
            .finish_non_exhaustive()
    }
}

impl RequestSpec {
    pub(crate) fn get(path: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            path: path.into(),
            query: Vec::new(),
            body: None,
            timeout: None,
            accept: None,
        }
    }

    pub(crate) fn post(path: impl Into<String>, body: &impl Serialize) -> Self {
        let body = Zeroizing::new(serde_json::to_vec(body).expect("request bodies are plain data"));
        Self { body: Some(body), ..Self::get(path).method(Method::POST) }
    }

    /// The same request with another method (a POST or DELETE without a body).
    pub(crate) fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    pub(crate) fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_owned(), value.to_string()));
        self
    }
}

/// A received answer, before interpretation. Its body may hold tokens (login, refresh): wiped
/// when dropped.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Zeroizing<Vec<u8>>,
}

impl RawResponse {
    fn content_type(&self) -> String {
        self.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("no content type").to_owned()
    }

    /// Parses a successful JSON answer; anything else becomes a typed error.
    pub(crate) fn json<T: DeserializeOwned>(self) -> Result<T, Error> {
        if !self.status.is_success() {
            return Err(self.into_error());
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            let content_type = self.content_type();
            let snippet = if content_type.contains("json") {
                format!("malformed JSON ({e})")
            } else {
                body_snippet(&self.body)
            };
            Error::UnexpectedResponse { status: self.status.as_u16(), content_type, snippet }
        })
    }

    /// A successful plain-text answer, trimmed.
    pub(crate) fn text(self) -> Result<String, Error> {
        if !self.status.is_success() {
            return Err(self.into_error());
        }
        match std::str::from_utf8(&self.body) {
            Ok(text) => Ok(text.trim().to_owned()),
            Err(_) => Err(Error::UnexpectedResponse {
                status: self.status.as_u16(),
                content_type: one_line(&self.content_type(), MAX_MESSAGE_CHARS),
                snippet: body_snippet(&self.body),
            }),
        }
    }

    /// An answer with no meaningful body.
    pub(crate) fn empty(self) -> Result<(), Error> {
        if self.status.is_success() {
            Ok(())
        } else {
            Err(self.into_error())
        }
    }

    /// ThingsBoard's JSON error body, its plain-text bodies, or something else entirely.
    /// Whatever the server wrote is cut to [`MAX_MESSAGE_CHARS`].
    pub(crate) fn into_error(self) -> Error {
        let status = self.status.as_u16();
        if self.status.is_redirection() {
            return Error::Redirected { status, to: redirect_target(&self.headers) };
        }
        if let Ok(body) = serde_json::from_slice::<ErrorBody>(&self.body) {
            return Error::Api {
                status,
                error_code: Some(body.error_code),
                message: one_line(&body.message.unwrap_or_default(), MAX_MESSAGE_CHARS),
            };
        }
        let content_type = one_line(&self.content_type(), MAX_MESSAGE_CHARS);
        let looks_like_page = content_type.contains("html") || self.body.trim_ascii_start().starts_with(b"<");
        if looks_like_page || (!self.body.is_empty() && std::str::from_utf8(&self.body).is_err()) {
            return Error::UnexpectedResponse { status, content_type, snippet: body_snippet(&self.body) };
        }
        let text = one_line(&String::from_utf8_lossy(&self.body), MAX_MESSAGE_CHARS);
        Error::Api { status, error_code: None, message: text }
    }
}

/// Server-written text kept in an error: a message is a sentence, not a page.
pub(crate) const MAX_MESSAGE_CHARS: usize = 300;
/// The part of a page or odd body kept to name it.
pub(crate) const SNIPPET_CHARS: usize = 120;
/// Where a page's title is looked for: a proxy's error page has it near the top.
const TITLE_SEARCH_BYTES: usize = 4096;

/// `text` on one line, whitespace runs folded, at most `max` characters (an ellipsis says it was cut).
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    for word in text.split_whitespace() {
        if count > 0 {
            // A space only with room for a character after it: a cut never ends in " …".
            if count + 1 >= max {
                out.push('…');
                return out;
            }
            out.push(' ');
            count += 1;
        }
        for c in word.chars() {
            if count >= max {
                out.push('…');
                return out;
            }
            out.push(c);
            count += 1;
        }
    }
    out
}

/// A short, single-line excerpt of a body: the `<title>` of an HTML page, or its first characters.
pub(crate) fn body_snippet(body: &[u8]) -> String {
    let head = String::from_utf8_lossy(&body[..body.len().min(TITLE_SEARCH_BYTES)]);
    let lower = head.to_ascii_lowercase();
    if let Some(start) = lower.find("<title>") {
        // Up to its end, or as much of it as the head holds.
        let rest = &head[start + 7..];
        let title =
            one_line(&rest[..lower[start + 7..].find("</title>").unwrap_or(rest.len())], SNIPPET_CHARS);
        if !title.is_empty() {
            return title;
        }
    }
    let snippet = one_line(&head, SNIPPET_CHARS);
    if snippet.is_empty() {
        return "empty body".into();
    }
    if body.len() > TITLE_SEARCH_BYTES && !snippet.ends_with('…') {
        return format!("{snippet}…");
    }
    snippet
}

/// Where a redirect points, as an origin and path only (a query could hold anything).
fn redirect_target(headers: &HeaderMap) -> String {
    let location = headers.get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    match url::Url::parse(location) {
        Ok(url) => one_line(&format!("{}{}", url.origin().ascii_serialization(), url.path()), SNIPPET_CHARS),
        Err(_) => one_line(location.split('?').next().unwrap_or_default(), SNIPPET_CHARS),
    }
}

impl Client {
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(url)
    }

    pub fn base_url(&self) -> &ServerUrl {
        &self.inner.base
    }

    pub(crate) fn tls_config(&self) -> Arc<rustls::ClientConfig> {
        self.inner.tls.clone()
    }

    /// Session events (refreshed, expired, logged out).
    pub fn events(&self) -> broadcast::Receiver<SessionEvent> {
        self.inner.events.subscribe()
    }

    /// REST requests sent so far (logins and refreshes included).
    pub fn request_count(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// Refresh calls made so far.
    pub fn refresh_count(&self) -> u64 {
        self.inner.refreshes.load(Ordering::Relaxed)
    }

    pub fn principal(&self) -> Option<Principal> {
        match &*self.inner.auth.lock().expect("auth lock") {
            AuthState::Active(t) => t.principal.clone(),
            _ => None,
        }
    }

    /// Who is signed in, refreshing a resumed session first (its principal is only known from
    /// the first access token).
    pub async fn current_principal(&self) -> Result<Principal, Error> {
        self.current_access().await?;
        self.principal().ok_or(Error::NotLoggedIn)
    }

    /// The current refresh token, to keep the session across restarts (see [`Client::resume`]).
    /// It changes with every refresh ([`SessionEvent::Refreshed`]).
    pub fn refresh_token(&self) -> Option<Secret> {
        match &*self.inner.auth.lock().expect("auth lock") {
            AuthState::Active(t) => Some(t.refresh.value.clone()),
            _ => None,
        }
    }

    /// Resumes a session from a refresh token kept from an earlier run, without contacting the
    /// server: the first request (or [`Client::refresh_now`]) trades it for an access token.
    /// A token that is not a refresh token, or whose `exp` has passed by this machine's clock,
    /// is refused with [`Error::SessionExpired`].
    pub fn resume(&self, refresh_token: Secret) -> Result<(), Error> {
        let wall_now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let expired = |reason: &str| Error::SessionExpired { reason: reason.to_owned() };
        let (refresh, claims) = TimedToken::restored(refresh_token, Instant::now(), wall_now)
            .map_err(|_| expired("the stored session is not readable"))?;
        if claims.scopes.first() != Some(&Authority::RefreshToken) {
            return Err(expired("the stored session is not a refresh token"));
        }
        if refresh.is_expired(Instant::now()) {
            return Err(expired("the stored session has expired"));
        }
        *self.inner.auth.lock().expect("auth lock") =
            AuthState::Active(Box::new(Tokens { access: None, refresh, generation: 0, principal: None }));
        Ok(())
    }

    /// Logs in. With two-factor authentication on, this fails with [`Error::TwoFactorRequired`]
    /// and [`Client::verify_two_factor`] completes the login.
    pub async fn login(&self, username: &str, password: &Secret) -> Result<Principal, Error> {
        let mut body = LoginRequest { username: username.to_owned(), password: password.expose().to_owned() };
        let spec = RequestSpec::post("api/auth/login", &body);
        body.password.zeroize();
        let raw = self.send_raw(&spec, None).await?;
        if raw.status == StatusCode::UNAUTHORIZED {
            return Err(match raw.into_error() {
                Error::Api { error_code, message, .. } => {
                    Error::BadCredentials { message, error_code: error_code.unwrap_or_default() }
                }
                other => other,
            });
        }
        let pair: JwtPair = raw.json()?;
        self.accept_pair(pair)
    }

    /// Activates an account from its activation link's token by setting its password
    /// (`POST /api/noauth/activate`, `AuthController.activateUser`), and signs in as that user
    /// with the pair the server answers. No activation mail is asked for.
    pub async fn activate_user(&self, activate_token: &str, password: &Secret) -> Result<Principal, Error> {
        let mut body = ActivateUserRequest {
            activate_token: activate_token.to_owned(),
            password: password.expose().to_owned(),
        };
        let spec = RequestSpec::post("api/noauth/activate", &body).query("sendActivationMail", false);
        body.password.zeroize();
        body.activate_token.zeroize();
        let pair: JwtPair = self.send_raw(&spec, None).await?.json()?;
        self.accept_pair(pair)
    }

    /// The pre-verification token of a login waiting for its second factor.
    fn pending_two_factor(&self) -> Result<Secret, Error> {
        match &*self.inner.auth.lock().expect("auth lock") {
            AuthState::PendingTwoFactor(token) => Ok(token.clone()),
            _ => Err(Error::NotLoggedIn),
        }
    }

    /// The second factors the user has set up (`GET /api/auth/2fa/providers`), during a login
    /// that ended in [`Error::TwoFactorRequired`].
    pub async fn two_factor_providers(&self) -> Result<Vec<TwoFaProviderInfo>, Error> {
        let pre = self.pending_two_factor()?;
        let raw = self.send_raw(&RequestSpec::get("api/auth/2fa/providers"), Some(&pre)).await?;
        self.two_factor_answer(raw)?.json()
    }

    /// Asks the server to send a code by e-mail or SMS (`POST /api/auth/2fa/verification/send`).
    /// Sending again sooner than the provider's `minVerificationCodeSendPeriod` is answered 429.
    pub async fn send_two_factor_code(&self, provider: TwoFaProviderType) -> Result<(), Error> {
        let pre = self.pending_two_factor()?;
        let spec = RequestSpec::get("api/auth/2fa/verification/send")
            .method(Method::POST)
            .query("providerType", provider.as_str());
        let raw = self.send_raw(&spec, Some(&pre)).await?;
        self.two_factor_answer(raw)?.empty()
    }

    /// Completes a two-factor login with a code from `provider`.
    pub async fn verify_two_factor(
        &self,
        provider: TwoFaProviderType,
        code: &str,
    ) -> Result<Principal, Error> {
        let pre = self.pending_two_factor()?;
        let spec = RequestSpec::get("api/auth/2fa/verification/check")
            .method(Method::POST)
            .query("providerType", provider.as_str())
            .query("verificationCode", code.trim());
        let raw = self.send_raw(&spec, Some(&pre)).await?;
        // `TwoFactorAuthController.checkTwoFaVerificationCode`: a wrong (or expired) code is 400/31
        // and the pending login stays for another try.
        if raw.status == StatusCode::BAD_REQUEST {
            return Err(match raw.into_error() {
                Error::Api { error_code, message, .. } => Error::TwoFactorRejected { message, error_code },
                other => other,
            });
        }
        let pair: JwtPair = self.two_factor_answer(raw)?.json()?;
        // Given up (or replaced by another sign-in) while the check was on its way: not ours to take.
        let still_pending = matches!(&*self.inner.auth.lock().expect("auth lock"), AuthState::PendingTwoFactor(t) if *t == pre);
        if !still_pending {
            return Err(Error::NotLoggedIn);
        }
        self.accept_pair(pair)
    }

    /// Gives up a login that waits for its second factor.
    pub fn cancel_two_factor(&self) {
        let mut auth = self.inner.auth.lock().expect("auth lock");
        if matches!(*auth, AuthState::PendingTwoFactor(_)) {
            *auth = AuthState::LoggedOut;
        }
    }

    /// A 401 on a `/api/auth/2fa/*` call ends the pending login: 401/11 is an expired
    /// pre-verification token (`JwtTokenFactory.parseTokenClaims`), 401/10 an account locked after
    /// too many wrong codes (`DefaultSystemSecurityService.validateTwoFaVerification`) or disabled.
    fn two_factor_answer(&self, raw: RawResponse) -> Result<RawResponse, Error> {
        if raw.status != StatusCode::UNAUTHORIZED {
            return Ok(raw);
        }
        self.cancel_two_factor();
        Err(match raw.into_error() {
            Error::Api { error_code: Some(tb_proto::error::code::JWT_TOKEN_EXPIRED), .. } => {
                Error::TwoFactorExpired
            }
            Error::Api { error_code, message, .. } => {
                Error::BadCredentials { message, error_code: error_code.unwrap_or_default() }
            }
            other => other,
        })
    }

    fn accept_pair(&self, pair: JwtPair) -> Result<Principal, Error> {
        let now = Instant::now();
        // `RestAuthenticationProvider.authenticate`: 2FA enforced by policy but not set up yet.
        if pair.scope == Some(Authority::MfaConfigurationToken) {
            *self.inner.auth.lock().expect("auth lock") = AuthState::LoggedOut;
            return Err(Error::TwoFactorSetupRequired);
        }
        if pair.scope.is_some() || pair.refresh_token.is_none() {
            *self.inner.auth.lock().expect("auth lock") =
                AuthState::PendingTwoFactor(Secret::new(pair.token));
            return Err(Error::TwoFactorRequired);
        }
        let (access, claims) = TimedToken::new(pair.token, now)?;
        let (refresh, _) = TimedToken::new(pair.refresh_token.unwrap_or_default(), now)?;
        let principal = Principal::from_claims(&claims);
        *self.inner.auth.lock().expect("auth lock") = AuthState::Active(Box::new(Tokens {
            access: Some(access),
            refresh,
            generation: 0,
            principal: Some(principal.clone()),
        }));
        Ok(principal)
    }

    /// Tells the server (best effort) and wipes the tokens.
    pub async fn logout(&self) {
        if let Ok((token, _)) = self.current_access().await {
            let spec = RequestSpec::get("api/auth/logout").method(Method::POST);
            if let Err(e) = self.send_raw(&spec, Some(&token)).await {
                tracing::debug!("logout request failed, tokens wiped anyway: {e}");
            }
        }
        *self.inner.auth.lock().expect("auth lock") = AuthState::LoggedOut;
        let _ = self.inner.events.send(SessionEvent::LoggedOut);
    }

    /// Refreshes now (single-flight with any refresh already running), e.g. after the server
    /// rejected a token that looked valid here.
    pub async fn refresh_now(&self) -> Result<(), Error> {
        let generation = match &*self.inner.auth.lock().expect("auth lock") {
            AuthState::Active(t) => t.generation,
            AuthState::Ended(reason) => return Err(Error::SessionExpired { reason: reason.clone() }),
            _ => return Err(Error::NotLoggedIn),
        };
        self.refresh(generation).await
    }

    /// A valid access token, refreshed first when it is close to expiry. For the WebSocket's `authCmd`.
    pub async fn access_token(&self) -> Result<Secret, Error> {
        self.current_access().await.map(|(token, _)| token)
    }

    /// The access token and its generation, refreshing proactively inside the margin.
    async fn current_access(&self) -> Result<(Secret, u64), Error> {
        let (generation, needs_refresh) = {
            let auth = self.inner.auth.lock().expect("auth lock");
            match &*auth {
                AuthState::Active(t) => {
                    (t.generation, t.access.as_ref().is_none_or(|a| a.needs_refresh(Instant::now())))
                }
                AuthState::Ended(reason) => return Err(Error::SessionExpired { reason: reason.clone() }),
                _ => return Err(Error::NotLoggedIn),
            }
        };
        if needs_refresh {
            if let Err(e) = self.refresh(generation).await {
                // A transient failure while the old token still works is not worth failing the request.
                let still_valid = match &*self.inner.auth.lock().expect("auth lock") {
                    AuthState::Active(t) => t.access.as_ref().is_some_and(|a| !a.is_expired(Instant::now())),
                    _ => false,
                };
                if !(e.is_transient() && still_valid) {
                    return Err(e);
                }
            }
        }
        match &*self.inner.auth.lock().expect("auth lock") {
            AuthState::Active(t) => match &t.access {
                Some(access) => Ok((access.value.clone(), t.generation)),
                None => Err(Error::NotLoggedIn),
            },
            AuthState::Ended(reason) => Err(Error::SessionExpired { reason: reason.clone() }),
            _ => Err(Error::NotLoggedIn),
        }
    }

    /// Refreshes once for everyone who saw `seen_generation`: callers that queue behind the gate
    /// find a newer generation and return without a second refresh call.
    async fn refresh(&self, seen_generation: u64) -> Result<(), Error> {
        let _gate = self.inner.refresh_gate.lock().await;
        let refresh_token = {
            let auth = self.inner.auth.lock().expect("auth lock");
            match &*auth {
                AuthState::Active(t) if t.generation != seen_generation => return Ok(()),
                AuthState::Active(t) if t.refresh.is_expired(Instant::now()) => None,
                AuthState::Active(t) => Some(t.refresh.value.clone()),
                AuthState::Ended(reason) => return Err(Error::SessionExpired { reason: reason.clone() }),
                _ => return Err(Error::NotLoggedIn),
            }
        };
        let Some(refresh_token) = refresh_token else {
            return Err(self.end_session("the refresh token has expired".into()));
        };
        self.inner.refreshes.fetch_add(1, Ordering::Relaxed);
        let mut body = RefreshTokenRequest { refresh_token: refresh_token.expose().to_owned() };
        let spec = RequestSpec::post("api/auth/token", &body);
        body.refresh_token.zeroize();
        let raw = self.send_raw(&spec, None).await?;
        let status = raw.status;
        if status.is_success() {
            let pair: JwtPair = raw.json()?;
            let now = Instant::now();
            let (access, claims) = TimedToken::new(pair.token, now)?;
            let refresh = match pair.refresh_token {
                Some(r) => TimedToken::new(r, now)?.0,
                None => return Err(self.end_session("the server sent no refresh token".into())),
            };
            let mut auth = self.inner.auth.lock().expect("auth lock");
            if let AuthState::Active(t) = &mut *auth {
                t.access = Some(access);
                t.refresh = refresh;
                t.generation += 1;
                t.principal = Some(Principal::from_claims(&claims));
            }
            drop(auth);
            let _ = self.inner.events.send(SessionEvent::Refreshed);
            return Ok(());
        }
        // 401 (expired: code 11, revoked: code 10) and the 500 the server sends for a token of the
        // wrong kind: none of these gets better by trying again, so the session ends here.
        let error = raw.into_error();
        let fatal = match &error {
            Error::Api { status: 400 | 401, .. } => true,
            Error::Api { status: 500, message, .. } => message.contains("Refresh Token"),
            _ => false,
        };
        if fatal {
            let reason = match &error {
                Error::Api { message, .. } if !message.is_empty() => message.clone(),
                _ => "the server refused the refresh token".into(),
            };
            return Err(self.end_session(reason));
        }
        Err(error)
    }

    fn end_session(&self, reason: String) -> Error {
        *self.inner.auth.lock().expect("auth lock") = AuthState::Ended(reason.clone());
        let _ = self.inner.events.send(SessionEvent::Expired { reason: reason.clone() });
        Error::SessionExpired { reason }
    }

    /// Sends an authorised request; on a 401 refreshes once (single-flight) and retries once.
    pub(crate) async fn execute(&self, spec: &RequestSpec) -> Result<RawResponse, Error> {
        let (token, generation) = self.current_access().await?;
        let raw = self.send_raw(spec, Some(&token)).await?;
        if raw.status != StatusCode::UNAUTHORIZED {
            return Ok(raw);
        }
        self.refresh(generation).await?;
        let (token, _) = self.current_access().await?;
        self.send_raw(spec, Some(&token)).await
    }

    pub(crate) async fn get_json<T: DeserializeOwned>(&self, spec: RequestSpec) -> Result<T, Error> {
        self.execute(&spec).await?.json()
    }

    async fn send_raw(&self, spec: &RequestSpec, token: Option<&Secret>) -> Result<RawResponse, Error> {
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
        let url = self.inner.base.join(&spec.path);
        let mut request = self.inner.http.request(spec.method.clone(), url);
        if !spec.query.is_empty() {
            request = request.query(&spec.query);
        }
        if let Some(token) = token {
            request = request.header(AUTH_HEADER, format!("Bearer {}", token.expose()));
        }
        if let Some(accept) = spec.accept {
            request = request.header(reqwest::header::ACCEPT, accept);
        }
        if let Some(body) = &spec.body {
            request = request.header(CONTENT_TYPE, "application/json").body(body.to_vec());
        }
        let timeout = spec.timeout.unwrap_or(self.inner.timeout);
        if spec.timeout.is_some() {
            request = request.timeout(timeout);
        }
        let mut response = request.send().await.map_err(|e| Error::from_reqwest(e, timeout))?;
        let status = response.status();
        let headers = response.headers().clone();
        let limit = self.inner.max_body_bytes;
        let too_large = || Error::TooLarge { limit_bytes: limit };
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        // Read chunk by chunk: a server that never stops sending stops being read at the limit.
        let mut body = Zeroizing::new(Vec::new());
        while let Some(chunk) = response.chunk().await.map_err(|e| Error::from_reqwest(e, timeout))? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        tracing::trace!(method = %spec.method, path = %spec.path, status = status.as_u16(), "request");
        Ok(RawResponse { status, headers, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(status: u16, content_type: &str, body: &str) -> RawResponse {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, content_type.parse().unwrap());
        RawResponse {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: Zeroizing::new(body.as_bytes().to_vec()),
        }
    }

    #[test]
    fn a_request_prints_its_method_and_path_never_its_body() {
        let body = LoginRequest { username: "ada@example.com".into(), password: "hunter2".into() };
        let printed = format!("{:?}", RequestSpec::post("api/auth/login", &body));
        assert!(printed.contains("api/auth/login") && printed.contains("bytes"), "{printed}");
        assert!(!printed.contains("hunter2") && !printed.contains("ada@"), "{printed}");
    }

    #[test]
    fn thingsboard_error_body_is_parsed() {
        let e = raw(
            404,
            "application/json",
            r#"{"status":404,"message":"Asset with id [x] is not found","errorCode":32,"timestamp":1}"#,
        )
        .into_error();
        assert!(matches!(e, Error::Api { status: 404, error_code: Some(32), .. }));
        assert!(e.is_not_found());
    }

    #[test]
    fn plain_text_bodies_of_async_endpoints_are_kept() {
        let e = raw(404, "text/plain;charset=UTF-8", "Device with requested id wasn't found!").into_error();
        assert_eq!(e.to_string(), "Device with requested id wasn't found! (HTTP 404)");
    }

    /// Found by fuzzing (`fuzz/`, error_body): a cut at a word's end kept the space before the
    /// ellipsis, one character over the limit (a 120-character snippet came out as 122).
    #[test]
    fn a_cut_between_words_stays_within_the_limit() {
        assert_eq!(one_line("abcd efgh", 5), "abcd…");
        assert_eq!(one_line("abcde fgh", 5), "abcde…");
        assert_eq!(one_line("abc defgh", 5), "abc d…");
        assert_eq!(one_line("abcd e", 6), "abcd e");
        let words = "word ".repeat(100);
        let snippet = body_snippet(words.as_bytes());
        assert!(snippet.chars().count() <= SNIPPET_CHARS + 1 && snippet.ends_with("d…"), "{snippet}");
    }

    #[test]
    fn an_html_page_from_a_proxy_names_status_type_and_title() {
        let page = "<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>";
        let e = raw(502, "text/html", page).into_error();
        assert_eq!(e.to_string(), "unexpected answer from the server (HTTP 502, text/html): 502 Bad Gateway");
        assert!(e.is_transient());
        let e = raw(200, "text/html", "<html>captive portal login</html>")
            .json::<serde_json::Value>()
            .unwrap_err();
        assert!(matches!(e, Error::UnexpectedResponse { status: 200, .. }), "{e:?}");
    }
}

//! One error type for everything the client does, with classifiers the app branches on.

use std::fmt;

/// Why a connection could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectFailure {
    /// The host name does not resolve.
    Dns,
    /// The host answered, but nothing listens on that port.
    Refused,
    /// No route, host down, or the connection attempt timed out.
    Unreachable,
    /// The TLS handshake failed (unknown CA, wrong host name, expired certificate).
    Tls,
}

/// Why the server's certificate was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateProblem {
    /// Signed by a CA this machine does not trust (a private CA, or self-signed): trusting that
    /// CA's certificate fixes it.
    UnknownIssuer,
    /// The certificate's validity period has ended.
    Expired,
    /// The certificate's validity period has not begun (or this machine's clock is wrong).
    NotYetValid,
    /// The certificate is for another host name than the address typed.
    WrongHost,
    /// Revoked, badly signed, not usable for a server, or otherwise invalid.
    Invalid,
}

fn certificate_message(problem: CertificateProblem, host: &str) -> String {
    match problem {
        CertificateProblem::UnknownIssuer => {
            format!("the certificate of '{host}' is issued by a CA this device does not trust")
        }
        CertificateProblem::Expired => format!("the certificate of '{host}' has expired"),
        CertificateProblem::NotYetValid => format!("the certificate of '{host}' is not valid yet"),
        CertificateProblem::WrongHost => {
            format!("the certificate presented by '{host}' is for another host name")
        }
        CertificateProblem::Invalid => format!("the certificate of '{host}' is not valid"),
    }
}

/// What became of a device command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RpcFailure {
    /// The device has no active connection; the server held the request until it expired.
    DeviceOffline,
    /// The request reached the device but no reply came in time.
    Timeout,
    /// The device replied with something that is not JSON (HTTP 406).
    NonJsonReply,
    /// Delivery is unknown (the connection broke, the server timed out on its own): not retried.
    DeliveryUnknown,
}

/// A change to an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AlarmAction {
    Acknowledge,
    Clear,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("invalid server URL: {0}")]
    InvalidUrl(String),

    #[error("the CA certificate cannot be used: {0}")]
    InvalidCaCertificate(String),

    #[error("{}", connect_message(*.kind, .host))]
    Connect { kind: ConnectFailure, host: String, detail: String },

    #[error("the server did not answer within {seconds} s")]
    Timeout { seconds: u64 },

    /// Wrong username or password, disabled or locked account (login only).
    #[error("{message}")]
    BadCredentials { message: String, error_code: i32 },

    /// The server wants a second factor; finish with `Client::verify_two_factor`.
    #[error("two-factor verification is required")]
    TwoFactorRequired,

    /// The two-factor verification code was not accepted (wrong or expired code); the pending
    /// login stays, so `Client::verify_two_factor` can be called again.
    #[error("the verification code was not accepted: {message}")]
    TwoFactorRejected { message: String, error_code: Option<i32> },

    /// The pre-verification token of a two-factor login expired: start again with the password.
    #[error("the two-factor sign-in took too long; sign in again")]
    TwoFactorExpired,

    /// The server enforces two-factor authentication and this account has not set it up yet
    /// (login answered an `MFA_CONFIGURATION_TOKEN`): it must be set up in ThingsBoard's web UI.
    #[error("two-factor authentication must be set up for this account first")]
    TwoFactorSetupRequired,

    /// The server's certificate was refused: see [`CertificateProblem`]. Never accepted anyway.
    #[error("{}", certificate_message(*.problem, .host))]
    Certificate { problem: CertificateProblem, host: String, detail: String },

    /// The refresh token is expired, revoked or rejected: the person must log in again.
    #[error("the session has ended: {reason}")]
    SessionExpired { reason: String },

    #[error("not logged in")]
    NotLoggedIn,

    /// A ThingsBoard error answer (JSON error body or the plain-text body of async endpoints).
    #[error("{}", api_message(*.status, .message))]
    Api { status: u16, error_code: Option<i32>, message: String },

    /// An answer that is not what a ThingsBoard server sends: an HTML page from a proxy, bad JSON.
    #[error("unexpected answer from the server (HTTP {status}, {content_type}): {snippet}")]
    UnexpectedResponse { status: u16, content_type: String, snippet: String },

    #[error("{}", rpc_message(*.0))]
    Rpc(RpcFailure),

    /// The WebSocket could not be used.
    #[error("live connection: {0}")]
    Live(String),

    #[error("request failed: {0}")]
    Transport(String),

    /// A request the client refuses to send because the server cannot accept it
    /// (writing `CLIENT_SCOPE` attributes, a history query without keys, ...).
    #[error("{0}")]
    InvalidArgument(String),

    /// The alarm was already acknowledged or cleared (the server's 400 for a repeated change).
    #[error("{}", alarm_message(*.action))]
    AlarmAlreadyDone { action: AlarmAction },

    /// An answer (or WebSocket message) larger than the client reads: a misbehaving server or
    /// proxy, or a query far beyond what a building needs.
    #[error("the server sent more than {} MiB in one answer; it was not read", .limit_bytes / (1024 * 1024))]
    TooLarge { limit_bytes: usize },

    /// The server answered with a redirect, which is never followed (credentials would go along).
    #[error("the server sent the request elsewhere (HTTP {status}{}); use that address if it is the right server", redirect_place(.to))]
    Redirected { status: u16, to: String },

    /// A listing went on past what the client reads: the server kept saying there was more.
    #[error("the server listed more than {limit} {what}; the rest was not read")]
    TooManyRows { what: &'static str, limit: usize },
}

fn redirect_place(to: &str) -> String {
    if to.is_empty() {
        String::new()
    } else {
        format!(" to {to}")
    }
}

fn alarm_message(action: AlarmAction) -> &'static str {
    match action {
        AlarmAction::Acknowledge => "the alarm was already acknowledged",
        AlarmAction::Clear => "the alarm was already cleared",
    }
}

fn connect_message(kind: ConnectFailure, host: &str) -> String {
    match kind {
        ConnectFailure::Dns => format!("cannot find the server '{host}': check the address"),
        ConnectFailure::Refused => format!("'{host}' refused the connection: check the port, or whether ThingsBoard is running"),
        ConnectFailure::Unreachable => format!("cannot reach '{host}': check the network connection"),
        ConnectFailure::Tls => format!(
            "the secure connection to '{host}' failed: its certificate is not trusted (add the server's CA certificate) or does not match the address"
        ),
    }
}

fn api_message(status: u16, message: &str) -> String {
    if message.is_empty() {
        format!("the server answered HTTP {status}")
    } else {
        format!("{message} (HTTP {status})")
    }
}

fn rpc_message(failure: RpcFailure) -> &'static str {
    match failure {
        RpcFailure::DeviceOffline => "the device is offline: the command was not delivered",
        RpcFailure::Timeout => "the device did not answer in time",
        RpcFailure::NonJsonReply => "the device answered with something that is not JSON",
        RpcFailure::DeliveryUnknown => {
            "it is unknown whether the command reached the device; it was not retried: check the device before sending again"
        }
    }
}

impl Error {
    /// The person must (re)authenticate: bad credentials, 2FA, or a dead session.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            Self::BadCredentials { .. }
                | Self::TwoFactorRequired
                | Self::TwoFactorRejected { .. }
                | Self::TwoFactorExpired
                | Self::TwoFactorSetupRequired
                | Self::SessionExpired { .. }
                | Self::NotLoggedIn
        ) || matches!(self, Self::Api { status: 401, .. })
    }

    /// Trying again later may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Connect { kind, .. } => *kind != ConnectFailure::Tls,
            Self::Timeout { .. } | Self::Transport(_) | Self::Live(_) => true,
            Self::Api { status, .. } => *status >= 500 || *status == 429,
            Self::UnexpectedResponse { status, .. } => *status >= 500,
            _ => false,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Api { status: 404, .. })
    }

    pub fn is_forbidden(&self) -> bool {
        matches!(self, Self::Api { status: 403, .. })
    }

    /// The HTTP status, where there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. }
            | Self::UnexpectedResponse { status, .. }
            | Self::Redirected { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub(crate) fn from_reqwest(mut err: reqwest::Error, timeout: std::time::Duration) -> Self {
        let host = err.url().and_then(|u| u.host_str()).unwrap_or("the server").to_owned();
        // reqwest's message quotes the URL; a query may hold a secret (a two-factor code).
        if let Some(url) = err.url_mut() {
            url.set_query(None);
        }
        if err.is_timeout() {
            return Self::Timeout { seconds: timeout.as_secs().max(1) };
        }
        let detail = error_chain(&err);
        if let Some(problem) = certificate_problem(&err) {
            return Self::Certificate { problem, host, detail };
        }
        if let Some(kind) = classify_connect(&err, &detail) {
            return Self::Connect { kind, host, detail };
        }
        Self::Transport(detail)
    }
}

/// The first `rustls::Error` in the source chain (also inside `io::Error`s), if any.
fn find_rustls<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        // `io::Error::source` skips the error it wraps (TLS errors arrive as an io::Error inside
        // an io::Error), so step into the wrapped one instead.
        source = match e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// A refused server certificate, told apart by what would fix it.
pub(crate) fn certificate_problem(err: &(dyn std::error::Error + 'static)) -> Option<CertificateProblem> {
    use rustls::CertificateError as C;
    let rustls::Error::InvalidCertificate(cert) = find_rustls(err)? else { return None };
    Some(match cert {
        C::UnknownIssuer => CertificateProblem::UnknownIssuer,
        C::Expired | C::ExpiredContext { .. } => CertificateProblem::Expired,
        C::NotValidYet | C::NotValidYetContext { .. } => CertificateProblem::NotYetValid,
        C::NotValidForName | C::NotValidForNameContext { .. } => CertificateProblem::WrongHost,
        _ => CertificateProblem::Invalid,
    })
}

/// Walks the source chain for the first recognisable cause.
fn classify_connect(err: &(dyn std::error::Error + 'static), detail: &str) -> Option<ConnectFailure> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if e.downcast_ref::<rustls::Error>().is_some() {
            return Some(ConnectFailure::Tls);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            match io.kind() {
                ConnectionRefused => return Some(ConnectFailure::Refused),
                HostUnreachable | NetworkUnreachable | TimedOut | NetworkDown => {
                    return Some(ConnectFailure::Unreachable)
                }
                _ => {}
            }
            if io.get_ref().is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()) {
                return Some(ConnectFailure::Tls);
            }
        }
        source = e.source();
    }
    let lower = detail.to_ascii_lowercase();
    if lower.contains("dns error")
        || lower.contains("failed to lookup address")
        || lower.contains("name or service not known")
    {
        Some(ConnectFailure::Dns)
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        Some(ConnectFailure::Tls)
    } else {
        None
    }
}

/// `a: b: c` from an error and its sources, for logs and classification.
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = e.source();
    }
    out
}

impl From<ConnectFailure> for &'static str {
    fn from(kind: ConnectFailure) -> Self {
        match kind {
            ConnectFailure::Dns => "dns",
            ConnectFailure::Refused => "refused",
            ConnectFailure::Unreachable => "unreachable",
            ConnectFailure::Tls => "tls",
        }
    }
}

impl fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str((*self).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifiers() {
        let expired = Error::SessionExpired { reason: "Token has expired".into() };
        assert!(expired.is_auth() && !expired.is_transient());
        let server = Error::Api { status: 503, error_code: None, message: String::new() };
        assert!(server.is_transient());
        assert_eq!(server.to_string(), "the server answered HTTP 503");
        let tls = Error::Connect { kind: ConnectFailure::Tls, host: "h".into(), detail: String::new() };
        assert!(!tls.is_transient());
        assert!(Error::Api { status: 404, error_code: Some(32), message: "x".into() }.is_not_found());
    }
}

//! Exit codes and the one human line on stderr.

use atrium_ipc::{AppError, ErrorCode};
use tb_client::{Error, RpcFailure};

pub(crate) const OTHER: u8 = 1;
pub(crate) const USAGE: u8 = 2;
pub(crate) const AUTH: u8 = 3;
pub(crate) const NOT_FOUND: u8 = 4;
pub(crate) const DEVICE: u8 = 5;
pub(crate) const NETWORK: u8 = 6;

/// A failure the CLI reports itself, with its exit code and message.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(USAGE, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(NOT_FOUND, message)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The one place a client error becomes an exit code.
pub(crate) fn exit_code(error: &Error) -> u8 {
    if error.is_auth() {
        return AUTH;
    }
    if error.is_not_found() || error.is_forbidden() {
        return NOT_FOUND;
    }
    match error {
        Error::Rpc(RpcFailure::DeviceOffline | RpcFailure::Timeout | RpcFailure::DeliveryUnknown) => DEVICE,
        Error::Connect { .. }
        | Error::Certificate { .. }
        | Error::Timeout { .. }
        | Error::Transport(_)
        | Error::Live(_)
        | Error::UnexpectedResponse { .. }
        // A server (or proxy) that misbehaves: what a script retries later or reports.
        | Error::Redirected { .. }
        | Error::TooLarge { .. }
        | Error::TooManyRows { .. } => NETWORK,
        Error::Api { status, .. } if *status >= 500 => NETWORK,
        // A bad --url or --ca-cert is bad input, like any other usage error.
        Error::InvalidUrl(_) | Error::InvalidCaCertificate(_) => USAGE,
        _ => OTHER,
    }
}

/// The exit code of an error the core reports (sharing goes through the core).
pub(crate) fn app_exit_code(error: &AppError) -> u8 {
    use ErrorCode as C;
    match error.code {
        C::BadCredentials
        | C::AccountLocked
        | C::TwoFactorRequired
        | C::TwoFactorRejected
        | C::TwoFactorExpired
        | C::TwoFactorSetupRequired
        | C::SessionExpired
        | C::NotLoggedIn => AUTH,
        C::PermissionDenied | C::NotFound => NOT_FOUND,
        C::DeviceOffline | C::DeviceTimeout | C::DeliveryUnknown => DEVICE,
        C::Network | C::Tls | C::UntrustedCertificate | C::Server | C::BadResponse => NETWORK,
        C::InvalidUrl | C::InsecureConnection => USAGE,
        _ => OTHER,
    }
}

/// Any error of a command: a client error, a core error, a [`Failure`], or something else (exit 1).
/// The message is one line: a chain is joined with ": " and line breaks are flattened.
pub(crate) fn classify(error: &anyhow::Error) -> Failure {
    let failure = if let Some(f) = error.downcast_ref::<Failure>() {
        Failure::new(f.code, f.message.clone())
    } else if let Some(e) = error.downcast_ref::<Error>() {
        Failure::new(exit_code(e), atrium_core::to_app_error(e).message)
    } else if let Some(e) = error.downcast_ref::<AppError>() {
        Failure::new(app_exit_code(e), e.message.clone())
    } else {
        Failure::new(OTHER, format!("{error:#}"))
    };
    Failure::new(failure.code, failure.message.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tb_client::ConnectFailure;

    #[test]
    fn client_errors_map_to_the_documented_codes() {
        let api = |status| Error::Api { status, error_code: None, message: String::new() };
        let cases = [
            (Error::BadCredentials { message: "Invalid username or password".into(), error_code: 10 }, AUTH),
            (Error::TwoFactorRequired, AUTH),
            (Error::SessionExpired { reason: "expired".into() }, AUTH),
            (api(401), AUTH),
            (api(403), NOT_FOUND),
            (api(404), NOT_FOUND),
            (Error::Rpc(RpcFailure::DeviceOffline), DEVICE),
            (Error::Rpc(RpcFailure::Timeout), DEVICE),
            (Error::Rpc(RpcFailure::DeliveryUnknown), DEVICE),
            (Error::Rpc(RpcFailure::NonJsonReply), OTHER),
            (
                Error::Connect { kind: ConnectFailure::Refused, host: "h".into(), detail: String::new() },
                NETWORK,
            ),
            (Error::Connect { kind: ConnectFailure::Tls, host: "h".into(), detail: String::new() }, NETWORK),
            (Error::Timeout { seconds: 30 }, NETWORK),
            (api(502), NETWORK),
            (Error::Redirected { status: 302, to: "https://elsewhere".into() }, NETWORK),
            (Error::TooLarge { limit_bytes: 1 }, NETWORK),
            (Error::TooManyRows { what: "devices", limit: 1 }, NETWORK),
            (
                Error::UnexpectedResponse {
                    status: 200,
                    content_type: "text/html".into(),
                    snippet: "x".into(),
                },
                NETWORK,
            ),
            (Error::InvalidUrl("ftp".into()), USAGE),
            (api(400), OTHER),
        ];
        for (error, code) in cases {
            assert_eq!(exit_code(&error), code, "{error:?}");
        }
    }

    #[test]
    fn core_errors_map_to_the_same_classes() {
        let app = |code| AppError::new(code, "m", false);
        assert_eq!(app_exit_code(&app(ErrorCode::PermissionDenied)), NOT_FOUND);
        assert_eq!(app_exit_code(&app(ErrorCode::NotFound)), NOT_FOUND);
        assert_eq!(app_exit_code(&app(ErrorCode::SessionExpired)), AUTH);
        assert_eq!(app_exit_code(&app(ErrorCode::Server)), NETWORK);
        assert_eq!(app_exit_code(&app(ErrorCode::InvalidRequest)), OTHER);
        let f = classify(&anyhow::Error::new(app(ErrorCode::PermissionDenied)));
        assert_eq!((f.code, f.message.as_str()), (NOT_FOUND, "m"));
    }

    #[test]
    fn messages_are_one_line() {
        let e = anyhow::Error::new(Error::Rpc(RpcFailure::DeliveryUnknown));
        let f = classify(&e);
        assert_eq!(f.code, DEVICE);
        assert!(f.message.contains("not known whether the command reached the device"), "{}", f.message);
        let f = classify(&anyhow::anyhow!("two\nlines").context("outer"));
        assert_eq!((f.code, f.message.as_str()), (OTHER, "outer: two lines"));
    }
}

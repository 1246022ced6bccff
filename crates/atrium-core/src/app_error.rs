//! The one place `tb_client::Error` becomes the `AppError` a person reads.

use atrium_ipc::{AppError, ErrorCode};
use tb_client::{AlarmAction, CertificateProblem, ConnectFailure, Error, RpcFailure};

pub fn to_app_error(error: &Error) -> AppError {
    use ErrorCode as C;
    let (code, message, retryable) = match error {
        Error::InvalidUrl(why) => (C::InvalidUrl, format!("The server address is not usable: {why}."), false),
        Error::InvalidCaCertificate(why) => (C::Tls, format!("The CA certificate cannot be used: {why}."), false),
        Error::Certificate { problem, host, .. } => certificate(*problem, host),
        Error::Connect { kind: ConnectFailure::Tls, host, .. } => (
            C::Tls,
            format!("The secure connection to {host} failed during the handshake. Check the address (and the port: is it the HTTPS one?)."),
            false,
        ),
        Error::Connect { kind: ConnectFailure::Dns, host, .. } => {
            (C::Network, format!("Cannot find the server {host}. Check the address."), true)
        }
        Error::Connect { kind: ConnectFailure::Refused, host, .. } => (
            C::Network,
            format!("{host} refused the connection. Check the port, and that ThingsBoard is running."),
            true,
        ),
        Error::Connect { host, .. } => {
            (C::Network, format!("Cannot reach {host}. Check the network connection and try again."), true)
        }
        Error::Timeout { seconds } => {
            (C::Network, format!("The server did not answer within {seconds} s. Try again."), true)
        }
        Error::BadCredentials { message, .. }
            if ["not active", "locked", "disabled"].iter().any(|w| message.contains(w)) =>
        {
            (C::AccountLocked, format!("{message}. Ask your ThingsBoard administrator to unlock it."), false)
        }
        Error::BadCredentials { .. } => (C::BadCredentials, "Wrong username or password.".into(), false),
        Error::TwoFactorRequired => (
            C::TwoFactorRequired,
            "This account uses two-factor authentication. Enter the verification code to continue.".into(),
            false,
        ),
        Error::TwoFactorExpired => (
            C::TwoFactorExpired,
            "The two-factor sign-in took too long. Enter your password again.".into(),
            false,
        ),
        Error::TwoFactorSetupRequired => (
            C::TwoFactorSetupRequired,
            "This server requires two-factor authentication, and it is not set up for this account yet. Set it up in ThingsBoard's web interface (your profile, Security), then sign in here.".into(),
            false,
        ),
        Error::SessionExpired { reason } => (C::SessionExpired, session_end_message(reason), false),
        Error::Api { status: 401, .. } => (C::SessionExpired, "Your session has ended. Sign in again.".into(), false),
        Error::TwoFactorRejected { .. } => (
            C::TwoFactorRejected,
            "That code is not right, or it has expired. Check it and try again, or ask for a new one.".into(),
            false,
        ),
        Error::NotLoggedIn => (C::NotLoggedIn, "You are not signed in.".into(), false),
        Error::InvalidArgument(why) => (C::InvalidRequest, format!("That request is not valid: {why}."), false),
        Error::AlarmAlreadyDone { action } => (
            C::InvalidRequest,
            match action {
                AlarmAction::Acknowledge => "Someone has already acknowledged this alarm.".into(),
                _ => "This alarm has already been cleared.".into(),
            },
            false,
        ),
        Error::Api { status: 403, .. } => {
            (C::PermissionDenied, "You do not have permission to do this on this server.".into(), false)
        }
        Error::Api { status: 404, message, .. } => (C::NotFound, not_found_message(message), false),
        Error::Api { status: 429, .. } => {
            (C::Server, "The server is busy (too many requests). Try again in a moment.".into(), true)
        }
        Error::Api { status, message, .. } if *status >= 500 => (
            C::Server,
            format!("The server had a problem (HTTP {status}{}). Try again later.", detail(message)),
            true,
        ),
        Error::Api { status, message, .. } => {
            (C::InvalidRequest, format!("The server refused the request (HTTP {status}{}).", detail(message)), false)
        }
        Error::UnexpectedResponse { status, content_type, snippet } => (
            C::BadResponse,
            format!("The server's answer is not from ThingsBoard (HTTP {status}, {content_type}: \"{snippet}\"). Check the address: a proxy or login page may be in the way."),
            *status >= 500,
        ),
        Error::Rpc(RpcFailure::DeviceOffline) => {
            (C::DeviceOffline, "The device is offline, so the command was not delivered.".into(), false)
        }
        Error::Rpc(RpcFailure::Timeout) => (
            C::DeviceTimeout,
            "The device did not answer in time. It may be offline or busy; check it before trying again.".into(),
            true,
        ),
        Error::Rpc(RpcFailure::NonJsonReply) => {
            (C::BadResponse, "The device answered, but not in a form Atrium understands.".into(), false)
        }
        Error::Rpc(RpcFailure::DeliveryUnknown) => (
            C::DeliveryUnknown,
            "It is not known whether the command reached the device, so it was not repeated. Check the device's state before sending it again.".into(),
            false,
        ),
        Error::Live(why) | Error::Transport(why) => {
            (C::Network, format!("The connection to the server failed ({why}). Try again."), true)
        }
        Error::Redirected { to, .. } if to.is_empty() => (
            C::BadResponse,
            "The server sent the request to another address, which Atrium does not follow with your sign-in. Check the server address.".into(),
            false,
        ),
        Error::Redirected { to, .. } => (
            C::BadResponse,
            format!("The server sent the request to {to}, which Atrium does not follow with your sign-in. If that is your ThingsBoard server, sign in with that address."),
            false,
        ),
        Error::TooLarge { limit_bytes } => (
            C::BadResponse,
            format!("The server sent more than {} MiB in one answer, so it was not read. A proxy may be in the way, or the server is misbehaving; ask its administrator.", limit_bytes / (1024 * 1024)),
            false,
        ),
        Error::TooManyRows { what, limit } => (
            C::BadResponse,
            format!("The server kept listing {what} past {limit}, so Atrium stopped reading. The server may be misbehaving; ask its administrator."),
            false,
        ),
        other => (C::Internal, other.to_string(), false),
    };
    AppError::new(code, message, retryable)
}

fn certificate(problem: CertificateProblem, host: &str) -> (ErrorCode, String, bool) {
    use CertificateProblem as P;
    let message = match problem {
        P::UnknownIssuer => {
            return (
                ErrorCode::UntrustedCertificate,
                format!("The certificate of {host} is issued by a certificate authority this device does not trust. If your server uses a private CA, trust that CA's certificate to continue."),
                false,
            )
        }
        P::Expired => format!("The certificate of {host} has expired, so the connection is not safe. Ask the server's administrator to renew it."),
        P::NotYetValid => format!("The certificate of {host} is not valid yet. Check this device's date and time."),
        P::WrongHost => format!("The certificate presented by {host} is for another address. Use the address the certificate names, or ask the server's administrator."),
        _ => format!("The certificate of {host} is not valid, so the connection is not safe. Ask the server's administrator."),
    };
    (ErrorCode::Tls, message, false)
}

/// Why a session ended, from the refresh's refusal (`RefreshTokenAuthenticationProvider`:
/// "Token has expired", "Token is outdated") or the client's own reading of a kept token.
fn session_end_message(reason: &str) -> String {
    let lower = reason.to_ascii_lowercase();
    if lower.contains("outdated") || lower.contains("revoked") {
        "Your session was ended on the server (signed out elsewhere, or the password changed). Sign in again."
            .into()
    } else if lower.contains("expired") {
        "Your session has expired. Sign in again.".into()
    } else if reason.trim().is_empty() {
        "Your session has ended. Sign in again.".into()
    } else {
        format!("Your session has ended ({}). Sign in again.", reason.trim())
    }
}

fn detail(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

fn not_found_message(message: &str) -> String {
    if message.is_empty() {
        "It no longer exists on the server.".into()
    } else {
        format!("Not found on the server: {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_says_what_to_do_and_hides_nothing_secret() {
        let cases = [
            Error::BadCredentials { message: "Invalid username or password".into(), error_code: 10 },
            Error::SessionExpired { reason: "Token has expired".into() },
            Error::Rpc(RpcFailure::DeliveryUnknown),
            Error::UnexpectedResponse {
                status: 502,
                content_type: "text/html".into(),
                snippet: "Bad Gateway".into(),
            },
            Error::Connect { kind: ConnectFailure::Refused, host: "tb.local".into(), detail: String::new() },
        ];
        let codes: Vec<ErrorCode> = cases.iter().map(|e| to_app_error(e).code).collect();
        assert_eq!(
            codes,
            [C::BadCredentials, C::SessionExpired, C::DeliveryUnknown, C::BadResponse, C::Network].map(|c| c)
        );
        assert!(to_app_error(&cases[4]).retryable);
        assert!(!to_app_error(&cases[2]).retryable, "an unknown delivery is never retried automatically");
    }

    use ErrorCode as C;

    #[test]
    fn a_misbehaving_server_is_named_and_what_to_do_said() {
        let redirected =
            to_app_error(&Error::Redirected { status: 302, to: "https://tb.example.com/login".into() });
        assert_eq!(redirected.code, C::BadResponse);
        assert!(redirected.message.contains("https://tb.example.com/login"), "{}", redirected.message);
        let large = to_app_error(&Error::TooLarge { limit_bytes: 64 * 1024 * 1024 });
        assert!(large.message.contains("64 MiB") && !large.retryable, "{}", large.message);
        let rows = to_app_error(&Error::TooManyRows { what: "devices", limit: 250_000 });
        assert!(rows.message.contains("devices past 250000"), "{}", rows.message);
    }

    #[test]
    fn locked_accounts_are_told_apart_from_wrong_passwords() {
        let e = Error::BadCredentials {
            message: "User account is locked due to security policy".into(),
            error_code: 10,
        };
        assert_eq!(to_app_error(&e).code, ErrorCode::AccountLocked);
    }
}

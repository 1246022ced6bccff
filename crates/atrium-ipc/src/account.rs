//! Accounts, start-up, two-factor sign-in and trusted certificates: what the sign-in screen shows
//! and sends. No secret crosses here except the password and the verification code going in.

use crate::SessionInfo;
use serde::{Deserialize, Serialize};

/// A server and user Atrium remembers. The session itself (a refresh token) is kept in the
/// operating system's secret store, never here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedAccount {
    pub id: String,
    /// The server address as a person writes it (`https://tb.example.com/thingsboard`).
    pub server_url: String,
    pub username: String,
    pub display_name: String,
    /// `TENANT_ADMIN`, `CUSTOMER_USER`, ...
    pub authority: String,
    /// When this account was last signed in to (ms since the epoch).
    pub last_used_ms: i64,
    /// A kept session exists: continuing needs no password.
    pub signed_in: bool,
    /// The private CA trusted for this account's server, if any.
    pub trusted_ca: Option<CertificateInfo>,
}

/// Where kept sessions go on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum SecretStoreStatus {
    /// Sessions survive restarts and reboots (Secret Service, Keychain, Credential Manager).
    Persistent { name: String },
    /// Sessions survive restarts until the person logs out of the device (the kernel keyring).
    UntilLogout { name: String },
    /// No secret store: a session lasts while the app runs, and the next start asks for the password.
    Unavailable { reason: String },
}

/// What the app finds when it starts ([`crate::cmd::STARTUP`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Startup {
    /// The session the app opened by itself: the last account's kept session (or the demo).
    /// Its building shows from the cache while the token is refreshed in the background.
    pub session: Option<SessionInfo>,
    /// Saved accounts, most recently used first.
    pub accounts: Vec<SavedAccount>,
    /// Why the last account was not reopened (its kept session was refused or unreadable).
    pub notice: Option<String>,
    pub secret_store: SecretStoreStatus,
}

/// Arguments naming a saved account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountArgs {
    pub account_id: String,
}

/// The answer to [`crate::cmd::LOGIN`]: signed in, or a second factor is needed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum LoginOutcome {
    SignedIn {
        session: SessionInfo,
    },
    /// The password was right; finish with [`crate::cmd::TWO_FACTOR_VERIFY`].
    TwoFactor {
        challenge: TwoFactorChallenge,
    },
}

/// How a second factor reaches the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TwoFactorKind {
    /// An authenticator app.
    Totp,
    Email,
    Sms,
    /// One of the single-use backup codes.
    BackupCode,
}

impl TwoFactorKind {
    /// Whether the server sends the code (e-mail, SMS) rather than the person having it.
    pub fn is_sent(self) -> bool {
        matches!(self, Self::Email | Self::Sms)
    }
}

/// One second factor the account has set up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TwoFactorProvider {
    pub kind: TwoFactorKind,
    /// Where a sent code goes, as the server masks it (`tw*fa@example.com`, `+15*******56`).
    pub contact: Option<String>,
    pub is_default: bool,
    /// The server sends at most one code per this many seconds.
    pub resend_after_s: u32,
}

/// A sign-in waiting for its second factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TwoFactorChallenge {
    pub server_url: String,
    pub username: String,
    /// The default one first.
    pub providers: Vec<TwoFactorProvider>,
}

/// Arguments of [`crate::cmd::TWO_FACTOR_SEND`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TwoFactorSendArgs {
    pub kind: TwoFactorKind,
}

/// The answer to [`crate::cmd::TWO_FACTOR_SEND`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeSent {
    pub kind: TwoFactorKind,
    /// The next code can be asked for after this many seconds.
    pub resend_after_s: u32,
}

/// Arguments of [`crate::cmd::TWO_FACTOR_VERIFY`]. The code never comes back in any answer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TwoFactorVerifyArgs {
    pub kind: TwoFactorKind,
    pub code: String,
}

impl std::fmt::Debug for TwoFactorVerifyArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoFactorVerifyArgs").field("kind", &self.kind).field("code", &"<redacted>").finish()
    }
}

/// A certificate as a person checks it before trusting it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateInfo {
    /// RFC 4514 form, `CN=Acme Internal CA,O=Acme`.
    pub subject: String,
    pub issuer: String,
    pub not_before_ms: i64,
    pub not_after_ms: i64,
    /// SHA-256 of the DER certificate, as upper-case hex pairs separated by colons.
    pub sha256: String,
    /// Whether it may sign other certificates (basic constraints `CA:TRUE`).
    pub is_ca: bool,
}

/// Arguments of [`crate::cmd::INSPECT_CERTIFICATE`]: PEM text, pasted or read from a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateArgs {
    pub pem: String,
}

/// Arguments of [`crate::cmd::CHECK_SERVER_ADDRESS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerAddressArgs {
    pub url: String,
}

/// A usable server address, as the sign-in form shows it while the person types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerAddress {
    /// What will be used (`https://tb.example.com/thingsboard`).
    pub normalized: String,
    /// `https://`.
    pub secure: bool,
    /// This device itself (`localhost`, `127.0.0.1`, `::1`): plain http is not a risk there.
    pub loopback: bool,
}

impl ServerAddress {
    /// A password to this address would travel unencrypted over a network.
    pub fn exposes_password(&self) -> bool {
        !self.secure && !self.loopback
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_and_statuses_are_tagged() {
        let status = SecretStoreStatus::UntilLogout { name: "kernel keyring".into() };
        assert_eq!(
            serde_json::to_value(&status).unwrap(),
            serde_json::json!({"kind": "untilLogout", "name": "kernel keyring"})
        );
        let challenge = TwoFactorChallenge {
            server_url: "https://tb".into(),
            username: "a@b".into(),
            providers: vec![TwoFactorProvider {
                kind: TwoFactorKind::BackupCode,
                contact: None,
                is_default: true,
                resend_after_s: 30,
            }],
        };
        let json = serde_json::to_value(LoginOutcome::TwoFactor { challenge }).unwrap();
        assert_eq!(json["outcome"], "twoFactor");
        assert_eq!(json["challenge"]["providers"][0]["kind"], "backup_code");
        let back: LoginOutcome = serde_json::from_value(json).unwrap();
        assert!(matches!(back, LoginOutcome::TwoFactor { .. }));
    }

    #[test]
    fn the_code_is_never_shown() {
        let args = TwoFactorVerifyArgs { kind: TwoFactorKind::Totp, code: "123456".into() };
        assert!(!format!("{args:?}").contains("123456"));
    }
}

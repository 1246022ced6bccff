//! The code screen's state: which second factor, the code typed, a code sent by e-mail or SMS
//! and when the next may be asked for. Markup in `pages/login/two_factor.rs`.

use crate::hooks::use_sign_in::SignIn;
use crate::ipc;
use atrium_ipc::{ErrorCode, TwoFactorChallenge, TwoFactorKind, TwoFactorProvider};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// A code the server sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sent {
    pub(crate) kind: TwoFactorKind,
    /// Wall-clock ms.
    pub(crate) at_ms: f64,
    pub(crate) resend_after_s: u32,
}

impl Sent {
    /// Seconds until another code may be asked for, at `now_ms`.
    pub(crate) fn wait_s(&self, now_ms: f64) -> u32 {
        let left = f64::from(self.resend_after_s) - (now_ms - self.at_ms) / 1000.0;
        left.max(0.0).ceil() as u32
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct TwoFactor {
    sign_in: SignIn,
    pub(crate) providers: StoredValue<Vec<TwoFactorProvider>>,
    pub(crate) kind: RwSignal<TwoFactorKind>,
    pub(crate) code: RwSignal<String>,
    pub(crate) verifying: RwSignal<bool>,
    pub(crate) sending: RwSignal<bool>,
    pub(crate) error: RwSignal<Option<String>>,
    pub(crate) sent: RwSignal<Option<Sent>>,
}

/// What the person is asked for, per kind.
pub(crate) fn prompt(kind: TwoFactorKind, contact: Option<&str>) -> String {
    match (kind, contact) {
        (TwoFactorKind::Totp, _) => "Enter the 6-digit code from your authenticator app.".to_owned(),
        (TwoFactorKind::Email, Some(to)) => format!("Enter the code sent by e-mail to {to}."),
        (TwoFactorKind::Email, None) => "Enter the code sent to your e-mail address.".to_owned(),
        (TwoFactorKind::Sms, Some(to)) => format!("Enter the code sent by SMS to {to}."),
        (TwoFactorKind::Sms, None) => "Enter the code sent to your phone.".to_owned(),
        _ => "Enter one of your backup codes (each works once).".to_owned(),
    }
}

pub(crate) fn kind_name(kind: TwoFactorKind) -> &'static str {
    match kind {
        TwoFactorKind::Totp => "Authenticator app",
        TwoFactorKind::Email => "E-mail",
        TwoFactorKind::Sms => "SMS",
        _ => "Backup code",
    }
}

impl TwoFactor {
    pub(crate) fn provider(&self, kind: TwoFactorKind) -> Option<TwoFactorProvider> {
        self.providers.with_value(|p| p.iter().find(|p| p.kind == kind).cloned())
    }

    /// Switches to another second factor; a sent kind sends its code at once.
    pub(crate) fn choose(self, kind: TwoFactorKind) {
        self.kind.set(kind);
        self.code.set(String::new());
        self.error.set(None);
        let already = self.sent.get_untracked().is_some_and(|s| s.kind == kind);
        if kind.is_sent() && !already {
            self.send();
        }
    }

    /// Asks the server for a code by e-mail or SMS.
    pub(crate) fn send(self) {
        if self.sending.get_untracked() {
            return;
        }
        let kind = self.kind.get_untracked();
        self.sending.set(true);
        spawn_local(async move {
            let answer = ipc::two_factor_send(kind).await;
            self.sending.set(false);
            match answer {
                Ok(sent) => {
                    self.error.set(None);
                    self.sent.set(Some(Sent {
                        kind,
                        at_ms: js_sys::Date::now(),
                        resend_after_s: sent.resend_after_s,
                    }));
                }
                Err(err)
                    if err.code == ErrorCode::TwoFactorExpired || err.code == ErrorCode::AccountLocked =>
                {
                    self.sign_in.back_to_password(Some(err.message));
                }
                Err(err) => self.error.set(Some(err.message)),
            }
        });
    }

    /// Checks the code; a wrong one keeps the screen, an expired sign-in goes back to the password.
    pub(crate) fn verify(self) {
        if self.verifying.get_untracked() {
            return;
        }
        let code = self.code.get_untracked().trim().to_owned();
        if code.is_empty() {
            self.error.set(Some("Enter the code.".to_owned()));
            return;
        }
        let kind = self.kind.get_untracked();
        self.verifying.set(true);
        spawn_local(async move {
            let answer = ipc::two_factor_verify(kind, &code).await;
            self.verifying.set(false);
            match answer {
                Ok(session) => self.sign_in.signed_in(session),
                Err(err) if matches!(err.code, ErrorCode::TwoFactorRejected | ErrorCode::InvalidRequest) => {
                    self.code.set(String::new());
                    self.error.set(Some(err.message));
                }
                Err(err) if err.retryable => self.error.set(Some(err.message)),
                Err(err) => self.sign_in.back_to_password(Some(err.message)),
            }
        });
    }

    /// Gives up the second factor: back to the password.
    pub(crate) fn cancel(self) {
        spawn_local(async move {
            if let Err(err) = ipc::two_factor_cancel().await {
                ipc::log_error("cancelling the two-factor sign-in", &err);
            }
        });
        self.sign_in.back_to_password(None);
    }
}

pub(crate) fn use_two_factor(sign_in: SignIn, challenge: TwoFactorChallenge) -> TwoFactor {
    let first = challenge.providers.first().map_or(TwoFactorKind::Totp, |p| p.kind);
    let two_factor = TwoFactor {
        sign_in,
        providers: StoredValue::new(challenge.providers),
        kind: RwSignal::new(first),
        code: RwSignal::new(String::new()),
        verifying: RwSignal::new(false),
        sending: RwSignal::new(false),
        error: RwSignal::new(None),
        sent: RwSignal::new(None),
    };
    // The default is sent by e-mail or SMS: ask for it at once, as ThingsBoard's own page does.
    if first.is_sent() {
        two_factor.send();
    }
    two_factor
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resend_wait_counts_down() {
        let sent = Sent { kind: TwoFactorKind::Email, at_ms: 10_000.0, resend_after_s: 30 };
        assert_eq!(sent.wait_s(10_000.0), 30);
        assert_eq!(sent.wait_s(25_500.0), 15);
        assert_eq!(sent.wait_s(60_000.0), 0);
    }

    #[test]
    fn prompts_name_where_the_code_went() {
        assert!(prompt(TwoFactorKind::Email, Some("tw*fa@x.org")).contains("tw*fa@x.org"));
        assert!(prompt(TwoFactorKind::BackupCode, None).contains("backup"));
    }
}

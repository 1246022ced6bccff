//! The sign-in screen's state: saved accounts first, then a server's address, username and
//! password, the consent to send a password unencrypted, a private CA to trust, and the hand-over
//! to the second factor. The markup is in `pages/login/`.

use crate::context::{use_app, AppContext, Prefill};
use crate::ipc;
use atrium_ipc::{ErrorCode, LoginArgs, LoginOutcome, SavedAccount, TwoFactorChallenge};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Which part of the sign-in screen shows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    /// The saved accounts, "Another server" and the demo.
    Accounts,
    /// Server, username and password.
    Password,
    /// The code of a second factor.
    TwoFactor(TwoFactorChallenge),
}

/// What the screen is waiting for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Busy {
    Idle,
    SigningIn,
    OpeningDemo,
    /// Reopening this account's kept session.
    Resuming(String),
}

/// The sign-in screen's signals and actions. Cheap to copy into closures.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignIn {
    app: AppContext,
    pub(crate) step: RwSignal<Step>,
    pub(crate) accounts: RwSignal<Vec<SavedAccount>>,
    pub(crate) server_url: RwSignal<String>,
    pub(crate) username: RwSignal<String>,
    pub(crate) password: RwSignal<String>,
    pub(crate) busy: RwSignal<Busy>,
    pub(crate) error: RwSignal<Option<String>>,
    /// The server's certificate is from a CA this device does not trust: the trust panel shows.
    pub(crate) untrusted: RwSignal<bool>,
    /// The CA the person checked and chose to trust, sent with the next sign-in.
    trusted_ca: RwSignal<Option<String>>,
    /// The address is `http://` to another machine: the person is asked before the password goes.
    pub(crate) confirm_plain_http: RwSignal<bool>,
    allow_plain_http: RwSignal<bool>,
}

/// The account's server as a person reads it: the host, without the scheme.
pub(crate) fn server_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split('/').next().unwrap_or(rest);
    if host.is_empty() {
        url
    } else {
        host
    }
}

impl SignIn {
    pub(crate) fn is_busy(&self) -> bool {
        self.busy.get() != Busy::Idle
    }

    /// Reads the saved accounts; with none, the form is all there is to show.
    fn load_accounts(self) {
        spawn_local(async move {
            let accounts = ipc::accounts().await.unwrap_or_else(|err| {
                ipc::log_error("reading the saved accounts", &err);
                Vec::new()
            });
            let none = accounts.is_empty();
            self.accounts.set(accounts);
            if none && self.step.get_untracked() == Step::Accounts {
                self.step.set(Step::Password);
            }
        });
    }

    /// "Another server": an empty form.
    pub(crate) fn another_server(&self) {
        self.server_url.set(String::new());
        self.username.set(String::new());
        self.password.set(String::new());
        self.reset_problems();
        self.step.set(Step::Password);
    }

    /// Back to the saved accounts.
    pub(crate) fn show_accounts(&self) {
        self.reset_problems();
        self.password.set(String::new());
        self.step.set(Step::Accounts);
    }

    fn reset_problems(&self) {
        self.error.set(None);
        self.untrusted.set(false);
        self.trusted_ca.set(None);
        self.confirm_plain_http.set(false);
        self.allow_plain_http.set(false);
    }

    /// "Continue as ...": reopens a kept session, or asks for that account's password.
    pub(crate) fn continue_as(self, account: SavedAccount) {
        if self.busy.get_untracked() != Busy::Idle {
            return;
        }
        self.server_url.set(account.server_url.clone());
        self.username.set(account.username.clone());
        self.password.set(String::new());
        self.reset_problems();
        if !account.signed_in {
            self.step.set(Step::Password);
            return;
        }
        self.busy.set(Busy::Resuming(account.id.clone()));
        spawn_local(async move {
            match ipc::resume_account(&account.id).await {
                Ok(session) => self.app.signed_in(session),
                Err(err) => {
                    // The kept session is gone: the password it is.
                    self.busy.set(Busy::Idle);
                    self.error.set(Some(err.message));
                    self.step.set(Step::Password);
                    self.load_accounts();
                }
            }
        });
    }

    /// Forgets a saved account (its kept session, cached building and trusted CA).
    pub(crate) fn forget(self, account_id: String) {
        spawn_local(async move {
            match ipc::forget_account(&account_id).await {
                Ok(accounts) => {
                    let none = accounts.is_empty();
                    self.accounts.set(accounts);
                    if none {
                        self.another_server();
                    }
                }
                Err(err) => self.error.set(Some(err.message)),
            }
        });
    }

    /// Stops trusting the private CA of an account's server.
    pub(crate) fn forget_trusted_ca(self, account_id: String) {
        spawn_local(async move {
            match ipc::forget_trusted_ca(&account_id).await {
                Ok(()) => self.load_accounts(),
                Err(err) => self.error.set(Some(err.message)),
            }
        });
    }

    /// Signs in with the form's address, username and password.
    pub(crate) fn submit(self) {
        if self.busy.get_untracked() != Busy::Idle {
            return;
        }
        let args = LoginArgs {
            server_url: self.server_url.get_untracked().trim().to_owned(),
            username: self.username.get_untracked().trim().to_owned(),
            password: self.password.get_untracked(),
            trusted_ca_pem: self.trusted_ca.get_untracked(),
            allow_plain_http: self.allow_plain_http.get_untracked(),
        };
        let missing = if args.server_url.is_empty() {
            Some("Enter the address of your ThingsBoard server.")
        } else if args.username.is_empty() {
            Some("Enter your username.")
        } else if args.password.is_empty() {
            Some("Enter your password.")
        } else {
            None
        };
        if let Some(message) = missing {
            self.error.set(Some(message.to_owned()));
            return;
        }
        self.error.set(None);
        self.confirm_plain_http.set(false);
        self.busy.set(Busy::SigningIn);
        spawn_local(async move {
            let answer = ipc::login(&args).await;
            self.busy.set(Busy::Idle);
            match answer {
                Ok(LoginOutcome::SignedIn { session }) => self.app.signed_in(session),
                Ok(LoginOutcome::TwoFactor { challenge }) => {
                    self.password.set(String::new());
                    self.step.set(Step::TwoFactor(challenge));
                }
                Err(err) if err.code == ErrorCode::InsecureConnection => self.confirm_plain_http.set(true),
                Err(err) if err.code == ErrorCode::UntrustedCertificate => {
                    self.untrusted.set(true);
                    self.error.set(Some(err.message));
                }
                Err(err) => {
                    // A CA that did not help is not kept for the next try.
                    self.trusted_ca.set(None);
                    self.error.set(Some(err.message));
                }
            }
        });
    }

    /// The person agreed to send the password unencrypted to this server.
    pub(crate) fn send_unencrypted(self) {
        self.allow_plain_http.set(true);
        self.submit();
    }

    /// Signs in trusting `pem`, which the person checked.
    pub(crate) fn trust_and_sign_in(self, pem: String) {
        self.trusted_ca.set(Some(pem));
        self.untrusted.set(false);
        self.submit();
    }

    /// From the code screen back to the password (given up, or the sign-in expired).
    pub(crate) fn back_to_password(&self, message: Option<String>) {
        self.password.set(String::new());
        self.error.set(message);
        self.step.set(Step::Password);
    }

    pub(crate) fn signed_in(&self, session: atrium_ipc::SessionInfo) {
        self.app.signed_in(session);
    }

    pub(crate) fn open_demo(self) {
        if self.busy.get_untracked() != Busy::Idle {
            return;
        }
        self.error.set(None);
        self.busy.set(Busy::OpeningDemo);
        spawn_local(async move {
            match ipc::open_demo().await {
                Ok(session) => self.app.signed_in(session),
                Err(err) => {
                    self.error.set(Some(err.message));
                    self.busy.set(Busy::Idle);
                }
            }
        });
    }
}

/// The sign-in screen's state, starting on the saved accounts, or on the form filled with
/// `prefill` (a session that just ended) with `notice` saying why.
pub(crate) fn use_sign_in(notice: Option<String>, prefill: Option<Prefill>) -> SignIn {
    let app = use_app();
    let start = if prefill.is_some() { Step::Password } else { Step::Accounts };
    let (server_url, username) = prefill.map(|p| (p.server_url, p.username)).unwrap_or_default();
    let sign_in = SignIn {
        app,
        step: RwSignal::new(start),
        accounts: RwSignal::new(Vec::new()),
        server_url: RwSignal::new(server_url),
        username: RwSignal::new(username),
        password: RwSignal::new(String::new()),
        busy: RwSignal::new(Busy::Idle),
        error: RwSignal::new(notice),
        untrusted: RwSignal::new(false),
        trusted_ca: RwSignal::new(None),
        confirm_plain_http: RwSignal::new(false),
        allow_plain_http: RwSignal::new(false),
    };
    sign_in.load_accounts();
    // Consent to plain http and a trusted CA were given for one address: another address asks again.
    Effect::new(move |previous: Option<String>| {
        let url = sign_in.server_url.get().trim().to_owned();
        if previous.is_some_and(|p| p != url) {
            sign_in.untrusted.set(false);
            sign_in.trusted_ca.set(None);
            sign_in.confirm_plain_http.set(false);
            sign_in.allow_plain_http.set(false);
        }
        url
    });
    sign_in
}

#[cfg(test)]
mod tests {
    use super::server_host;

    #[test]
    fn host_is_taken_from_the_url() {
        assert_eq!(server_host("https://tb.example.com:8080/x"), "tb.example.com:8080");
        assert_eq!(server_host("tb.example.com"), "tb.example.com");
    }
}

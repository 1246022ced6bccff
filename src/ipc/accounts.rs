//! Signing in and staying signed in: start-up, saved accounts, two-factor codes, certificates.

use super::{invoke, invoke_no_args, invoke_unit, to_js, Args};
use atrium_ipc::{
    cmd, AccountArgs, AppError, CertificateArgs, CertificateInfo, CodeSent, LoginArgs, LoginOutcome, Painted,
    PaintedArgs, SavedAccount, ServerAddress, ServerAddressArgs, SessionInfo, Startup, TwoFactorKind,
    TwoFactorSendArgs, TwoFactorVerifyArgs,
};

/// What the app finds at start; it reopens the last account's kept session by itself.
pub(crate) async fn startup() -> Result<Startup, AppError> {
    invoke_no_args(cmd::STARTUP).await
}

pub(crate) async fn login(args: &LoginArgs) -> Result<LoginOutcome, AppError> {
    invoke(cmd::LOGIN, args).await
}

pub(crate) async fn two_factor_send(kind: TwoFactorKind) -> Result<CodeSent, AppError> {
    invoke(cmd::TWO_FACTOR_SEND, &TwoFactorSendArgs { kind }).await
}

pub(crate) async fn two_factor_verify(kind: TwoFactorKind, code: &str) -> Result<SessionInfo, AppError> {
    invoke(cmd::TWO_FACTOR_VERIFY, &TwoFactorVerifyArgs { kind, code: code.to_owned() }).await
}

pub(crate) async fn two_factor_cancel() -> Result<(), AppError> {
    invoke_unit(cmd::TWO_FACTOR_CANCEL, js_sys::Object::new().into()).await
}

pub(crate) async fn accounts() -> Result<Vec<SavedAccount>, AppError> {
    invoke_no_args(cmd::ACCOUNTS).await
}

pub(crate) async fn resume_account(account_id: &str) -> Result<SessionInfo, AppError> {
    invoke(cmd::RESUME_ACCOUNT, &AccountArgs { account_id: account_id.to_owned() }).await
}

pub(crate) async fn forget_account(account_id: &str) -> Result<Vec<SavedAccount>, AppError> {
    invoke(cmd::FORGET_ACCOUNT, &AccountArgs { account_id: account_id.to_owned() }).await
}

pub(crate) async fn switch_account() -> Result<(), AppError> {
    invoke_unit(cmd::SWITCH_ACCOUNT, js_sys::Object::new().into()).await
}

pub(crate) async fn inspect_certificate(pem: &str) -> Result<CertificateInfo, AppError> {
    invoke(cmd::INSPECT_CERTIFICATE, &CertificateArgs { pem: pem.to_owned() }).await
}

/// The PEM text of a certificate file the person picks; `None` when they cancel.
pub(crate) async fn pick_certificate_file() -> Result<Option<String>, AppError> {
    invoke_no_args(cmd::PICK_CERTIFICATE_FILE).await
}

pub(crate) async fn forget_trusted_ca(account_id: &str) -> Result<(), AppError> {
    let args = AccountArgs { account_id: account_id.to_owned() };
    invoke_unit(cmd::FORGET_TRUSTED_CA, to_js(&Args { args: &args })?).await
}

pub(crate) async fn check_server_address(url: &str) -> Result<ServerAddress, AppError> {
    invoke(cmd::CHECK_SERVER_ADDRESS, &ServerAddressArgs { url: url.to_owned() }).await
}

/// Tells the shell a building is on screen, once it is painted (two animation frames on), so
/// start-up time is measured to what a person sees.
pub(crate) fn report_painted(what: Painted) {
    leptos::prelude::request_animation_frame(move || {
        leptos::prelude::request_animation_frame(move || {
            leptos::task::spawn_local(async move {
                if let Ok(args) = to_js(&Args { args: &PaintedArgs { what } }) {
                    let _ = invoke_unit(cmd::PAINTED, args).await;
                }
            });
        });
    });
}

pub(crate) async fn reconnect_now() -> Result<(), AppError> {
    invoke_unit(cmd::RECONNECT_NOW, js_sys::Object::new().into()).await
}

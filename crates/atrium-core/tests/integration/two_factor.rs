//! Two-factor sign-in through the core against the emulator: the providers offered, a TOTP code,
//! an e-mailed code (sent once per period), a wrong code that keeps the screen, an expired
//! pre-verification token that goes back to the password, an account locked by wrong codes, and
//! a server that demands 2FA set-up first.

use atrium_core::{Core, NoUiEvents};
use atrium_ipc::{ErrorCode, LoginArgs, LoginOutcome, TwoFactorChallenge, TwoFactorKind};
use std::sync::Arc;
use tb_emulator::{Emulator, EmulatorConfig, TwoFactorSettings, TOTP_CODE};

const TWO_FA: (&str, &str) = ("twofa@thingsboard.org", "twofa");

async fn challenged(core: &Core, emu: &Emulator) -> TwoFactorChallenge {
    match core.login(LoginArgs::new(emu.base_url(), TWO_FA.0, TWO_FA.1)).await.unwrap() {
        LoginOutcome::TwoFactor { challenge } => challenge,
        other => panic!("expected a second factor, got {other:?}"),
    }
}

#[tokio::test]
async fn the_code_screen_offers_the_providers_and_a_totp_code_signs_in() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let core = Core::new(Arc::new(NoUiEvents));
    let challenge = challenged(&core, &emu).await;
    let kinds: Vec<TwoFactorKind> = challenge.providers.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [TwoFactorKind::Totp, TwoFactorKind::Email, TwoFactorKind::Sms, TwoFactorKind::BackupCode]
    );
    assert!(challenge.providers[0].is_default);
    assert_eq!(challenge.providers[1].contact.as_deref(), Some("tw*fa@thingsboard.org"));
    assert_eq!(challenge.username, TWO_FA.0);
    assert!(core.session().is_none(), "not signed in before the second factor");

    let wrong = core.two_factor_verify(TwoFactorKind::Totp, "000000").await.unwrap_err();
    assert_eq!(wrong.code, ErrorCode::TwoFactorRejected, "{wrong:?}");
    // The screen stays: the next code completes the same sign-in.
    let session = core.two_factor_verify(TwoFactorKind::Totp, TOTP_CODE).await.unwrap();
    assert_eq!(session.user_email, TWO_FA.0);
    assert!(!core.load_tree(|_| {}).await.unwrap().is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn an_emailed_code_is_sent_once_per_period() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let core = Core::new(Arc::new(NoUiEvents));
    challenged(&core, &emu).await;
    let sent = core.two_factor_send(TwoFactorKind::Email).await.unwrap();
    assert_eq!(sent.resend_after_s, 30);
    let again = core.two_factor_send(TwoFactorKind::Email).await.unwrap_err();
    assert!(again.message.contains("30 s") && again.retryable, "{again:?}");
    let code = emu.two_factor_code(TWO_FA.0).expect("the emulator sent a code");
    core.two_factor_verify(TwoFactorKind::Email, &code).await.unwrap();
    assert!(core.session().is_some());
    emu.shutdown().await;
}

#[tokio::test]
async fn an_expired_sign_in_goes_back_to_the_password() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let core = Core::new(Arc::new(NoUiEvents));
    challenged(&core, &emu).await;
    emu.faults().expire_pre_verification_tokens();
    let err = core.two_factor_verify(TwoFactorKind::Totp, TOTP_CODE).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::TwoFactorExpired, "{err:?}");
    assert!(err.message.contains("password"), "{err:?}");
    // Nothing is pending any more: a code alone cannot sign in.
    let err = core.two_factor_verify(TwoFactorKind::Totp, TOTP_CODE).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::TwoFactorExpired);
    // The password starts a new one.
    challenged(&core, &emu).await;
    core.two_factor_verify(TwoFactorKind::Totp, TOTP_CODE).await.unwrap();
    emu.shutdown().await;
}

#[tokio::test]
async fn wrong_codes_lock_the_account_and_say_so() {
    let config = EmulatorConfig {
        two_factor: TwoFactorSettings { max_failures: 2, ..TwoFactorSettings::default() },
        ..EmulatorConfig::for_tests()
    };
    let emu = Emulator::start(config).await.unwrap();
    let core = Core::new(Arc::new(NoUiEvents));
    challenged(&core, &emu).await;
    let first = core.two_factor_verify(TwoFactorKind::BackupCode, "ffffffff").await.unwrap_err();
    assert_eq!(first.code, ErrorCode::TwoFactorRejected);
    let locked = core.two_factor_verify(TwoFactorKind::Totp, "000000").await.unwrap_err();
    assert_eq!(locked.code, ErrorCode::AccountLocked, "{locked:?}");
    let err = core.login(LoginArgs::new(emu.base_url(), TWO_FA.0, TWO_FA.1)).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::AccountLocked, "{err:?}");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_server_demanding_two_factor_set_up_says_where_to_do_it() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let user = emu.users().into_iter().find(|u| u.must_set_up_two_factor).unwrap();
    let core = Core::new(Arc::new(NoUiEvents));
    let err = core.login(LoginArgs::new(emu.base_url(), &user.email, &user.password)).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::TwoFactorSetupRequired, "{err:?}");
    assert!(err.message.contains("web interface"), "{err:?}");
    emu.shutdown().await;
}

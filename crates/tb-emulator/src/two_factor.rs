//! Two-factor sign-in as `TwoFactorAuthController` and `DefaultTwoFactorAuthService` do it: the
//! providers a user has set up, codes sent by e-mail or SMS (six digits, one per user, replaced by
//! the next send, valid for `code_lifetime`), one send per `min_send_period` per provider,
//! single-use backup codes, and the account locked after `max_failures` wrong codes.
//! Sent codes are not delivered anywhere: tests read them with [`crate::Emulator::two_factor_code`].

use crate::error::ApiError;
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tb_proto::auth::{TwoFaProviderInfo, TwoFaProviderType};
use uuid::Uuid;

/// The platform's 2FA settings (`PlatformTwoFaSettings`, `OtpBasedTwoFaProviderConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwoFactorSettings {
    /// `minVerificationCodeSendPeriod`: one send per provider per this long. Default 30 s.
    pub min_send_period: Duration,
    /// `verificationCodeLifetime` of e-mail and SMS codes. Default 120 s.
    pub code_lifetime: Duration,
    /// `maxVerificationFailuresBeforeUserLockout`; 0 never locks. Default 10.
    pub max_failures: u32,
    /// `totalAllowedTimeForVerification`: the pre-verification token's lifetime. Default 1800 s.
    pub pre_verification_ttl: Duration,
}

impl Default for TwoFactorSettings {
    fn default() -> Self {
        Self {
            min_send_period: Duration::from_secs(30),
            code_lifetime: Duration::from_secs(120),
            max_failures: 10,
            pre_verification_ttl: Duration::from_secs(1800),
        }
    }
}

/// What one user has set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserTwoFactor {
    /// The first one is the default.
    pub(crate) providers: Vec<TwoFaProviderType>,
    pub(crate) email: String,
    pub(crate) phone: String,
    pub(crate) backup_codes: Vec<String>,
}

/// The one TOTP code the emulator accepts (it keeps no clock-based secret).
pub const TOTP_CODE: &str = "123456";

#[derive(Debug)]
struct Otp {
    code: String,
    provider: TwoFaProviderType,
    sent_at: Instant,
}

#[derive(Debug, Default)]
struct Progress {
    /// The last code sent, per user (`OtpBasedTwoFaProvider` keys its cache by user id).
    codes: HashMap<Uuid, Otp>,
    last_send: HashMap<(Uuid, TwoFaProviderType), Instant>,
    failures: HashMap<Uuid, u32>,
    used_backup_codes: HashSet<(Uuid, String)>,
    locked: HashSet<Uuid>,
}

/// The state of every user's two-factor sign-ins.
#[derive(Debug)]
pub(crate) struct TwoFactor {
    pub(crate) settings: TwoFactorSettings,
    progress: Mutex<Progress>,
}

/// `StringUtils.obfuscate(text, 2, '*', ..)`: two characters kept at each end, stars between;
/// four characters or fewer are all stars.
fn obfuscate(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..2].iter().collect();
    out.push_str(&"*".repeat(chars.len() - 4));
    out.extend(&chars[chars.len() - 2..]);
    out
}

/// The e-mail address as `TwoFaProviderInfo.contact` shows it: the local part obfuscated.
fn email_contact(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}@{domain}", obfuscate(local)),
        None => obfuscate(email),
    }
}

/// The phone number as `contact` shows it: everything after `+` obfuscated.
fn phone_contact(phone: &str) -> String {
    match phone.strip_prefix('+') {
        Some(rest) => format!("+{}", obfuscate(rest)),
        None => obfuscate(phone),
    }
}

impl TwoFactor {
    pub(crate) fn new(settings: TwoFactorSettings) -> Self {
        Self { settings, progress: Mutex::default() }
    }

    fn progress(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn is_locked(&self, user: Uuid) -> bool {
        self.progress().locked.contains(&user)
    }

    /// `GET /api/auth/2fa/providers`.
    pub(crate) fn providers(&self, config: &UserTwoFactor) -> Vec<TwoFaProviderInfo> {
        let period = u32::try_from(self.settings.min_send_period.as_secs()).unwrap_or(u32::MAX);
        config
            .providers
            .iter()
            .enumerate()
            .map(|(i, provider)| TwoFaProviderInfo {
                provider_type: *provider,
                is_default: i == 0,
                contact: match provider {
                    TwoFaProviderType::Email => Some(email_contact(&config.email)),
                    TwoFaProviderType::Sms => Some(phone_contact(&config.phone)),
                    _ => None,
                },
                min_verification_code_send_period: Some(period),
            })
            .collect()
    }

    /// `POST /api/auth/2fa/verification/send` (`DefaultTwoFactorAuthService.prepareVerificationCode`).
    pub(crate) fn send(
        &self,
        user: Uuid,
        config: &UserTwoFactor,
        provider: TwoFaProviderType,
    ) -> Result<(), ApiError> {
        if !config.providers.contains(&provider) {
            return Err(ApiError::BadRequest("2FA is not configured for account".to_owned()));
        }
        let mut progress = self.progress();
        let now = Instant::now();
        // A send of any kind spends the provider's one send per period, TOTP included.
        if let Some(last) = progress.last_send.get(&(user, provider)) {
            if now.duration_since(*last) < self.settings.min_send_period {
                return Err(ApiError::TooManyRequests);
            }
        }
        progress.last_send.insert((user, provider), now);
        if provider.is_sent() {
            let code = format!("{:06}", rand::random::<u32>() % 1_000_000);
            progress.codes.insert(user, Otp { code, provider, sent_at: now });
        }
        Ok(())
    }

    /// `POST /api/auth/2fa/verification/check`: `Ok` when the code is right (it is then used up).
    pub(crate) fn check(
        &self,
        user: Uuid,
        config: &UserTwoFactor,
        provider: TwoFaProviderType,
        code: &str,
    ) -> Result<(), ApiError> {
        let mut progress = self.progress();
        if progress.locked.contains(&user) {
            return Err(ApiError::Unauthorized("User is disabled".to_owned()));
        }
        if !config.providers.contains(&provider) {
            return Err(ApiError::BadRequest("2FA is not configured for account".to_owned()));
        }
        let numeric = !code.is_empty() && code.chars().all(|c| c.is_ascii_digit());
        let right = match provider {
            TwoFaProviderType::Totp => numeric && code == TOTP_CODE,
            TwoFaProviderType::BackupCode => {
                let known = config.backup_codes.iter().any(|c| c == code);
                known && progress.used_backup_codes.insert((user, code.to_owned()))
            }
            _ => {
                let lifetime = self.settings.code_lifetime;
                match progress.codes.get(&user) {
                    Some(otp) if otp.sent_at.elapsed() > lifetime => {
                        progress.codes.remove(&user);
                        false
                    }
                    Some(otp) => numeric && otp.provider == provider && otp.code == code,
                    None => false,
                }
            }
        };
        if right {
            if provider.is_sent() {
                progress.codes.remove(&user);
            }
            progress.failures.remove(&user);
            progress.last_send.retain(|(u, _), _| *u != user);
            return Ok(());
        }
        let failures = progress.failures.entry(user).or_default();
        *failures += 1;
        if self.settings.max_failures > 0 && *failures >= self.settings.max_failures {
            progress.locked.insert(user);
            progress.last_send.retain(|(u, _), _| *u != user);
            return Err(ApiError::Unauthorized(
                "User account was locked due to exceeded 2FA verification attempts".to_owned(),
            ));
        }
        Err(ApiError::BadRequest("Verification code is incorrect".to_owned()))
    }

    /// The code last sent to `user` by e-mail or SMS, for tests.
    pub(crate) fn sent_code(&self, user: Uuid) -> Option<String> {
        self.progress().codes.get(&user).map(|otp| otp.code.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> UserTwoFactor {
        UserTwoFactor {
            providers: vec![TwoFaProviderType::Totp, TwoFaProviderType::Email, TwoFaProviderType::BackupCode],
            email: "twofa@thingsboard.org".into(),
            phone: "+15550123456".into(),
            backup_codes: vec!["0a1b2c3d".into()],
        }
    }

    #[test]
    fn contacts_are_obfuscated_like_the_server() {
        assert_eq!(email_contact("twofa@thingsboard.org"), "tw*fa@thingsboard.org");
        assert_eq!(email_contact("abc@x.org"), "***@x.org");
        assert_eq!(phone_contact("+15550123456"), "+15*******56");
    }

    #[test]
    fn a_sent_code_works_once_and_sends_are_rate_limited() {
        let two = TwoFactor::new(TwoFactorSettings::default());
        let user = Uuid::new_v4();
        two.send(user, &config(), TwoFaProviderType::Email).unwrap();
        assert!(matches!(
            two.send(user, &config(), TwoFaProviderType::Email),
            Err(ApiError::TooManyRequests)
        ));
        let code = two.sent_code(user).unwrap();
        assert_eq!(code.len(), 6);
        assert!(matches!(
            two.check(user, &config(), TwoFaProviderType::Sms, &code),
            Err(ApiError::BadRequest(m)) if m.contains("not configured")
        ));
        two.check(user, &config(), TwoFaProviderType::Email, &code).unwrap();
        assert!(two.check(user, &config(), TwoFaProviderType::Email, &code).is_err(), "used up");
    }

    #[test]
    fn backup_codes_are_single_use_and_failures_lock_the_account() {
        let two = TwoFactor::new(TwoFactorSettings { max_failures: 2, ..TwoFactorSettings::default() });
        let user = Uuid::new_v4();
        two.check(user, &config(), TwoFaProviderType::BackupCode, "0a1b2c3d").unwrap();
        assert!(matches!(
            two.check(user, &config(), TwoFaProviderType::BackupCode, "0a1b2c3d"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            two.check(user, &config(), TwoFaProviderType::Totp, "000000"),
            Err(ApiError::Unauthorized(m)) if m.contains("locked")
        ));
        assert!(two.is_locked(user));
        assert!(matches!(
            two.check(user, &config(), TwoFaProviderType::Totp, TOTP_CODE),
            Err(ApiError::Unauthorized(m)) if m == "User is disabled"
        ));
    }
}

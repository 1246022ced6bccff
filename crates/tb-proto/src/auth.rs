//! Login, refresh, the JWT claims and the current user (`/api/auth/*`).

use serde::{Deserialize, Serialize};

/// `POST /api/auth/login` body.
#[derive(Clone, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// `JwtPair`: the answer to login and refresh. With 2FA on, login answers a
/// pre-verification token with `scope` set and no `refreshToken`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JwtPair {
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Authority>,
}

impl std::fmt::Debug for JwtPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtPair")
            .field("token", &"<redacted>")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "<redacted>"))
            .field("scope", &self.scope)
            .finish()
    }
}

/// `POST /api/auth/token` body.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshTokenRequest {
    pub refresh_token: String,
}

impl std::fmt::Debug for RefreshTokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshTokenRequest { refresh_token: <redacted> }")
    }
}

/// `CD/security/Authority`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Authority {
    SysAdmin,
    TenantAdmin,
    CustomerUser,
    RefreshToken,
    PreVerificationToken,
    MfaConfigurationToken,
}

impl Authority {
    /// The enum constant as the server spells it (`TENANT_ADMIN`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SysAdmin => "SYS_ADMIN",
            Self::TenantAdmin => "TENANT_ADMIN",
            Self::CustomerUser => "CUSTOMER_USER",
            Self::RefreshToken => "REFRESH_TOKEN",
            Self::PreVerificationToken => "PRE_VERIFICATION_TOKEN",
            Self::MfaConfigurationToken => "MFA_CONFIGURATION_TOKEN",
        }
    }
}

/// The claims of a ThingsBoard JWT (access, refresh or pre-verification token).
/// `iat` and `exp` are epoch **seconds**.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JwtClaims {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default)]
    pub scopes: Vec<Authority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_public: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

/// `TwoFaProviderType`: how a second factor is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum TwoFaProviderType {
    Totp,
    Sms,
    Email,
    BackupCode,
}

impl TwoFaProviderType {
    /// The enum constant as query parameters spell it (`providerType=EMAIL`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "TOTP",
            Self::Sms => "SMS",
            Self::Email => "EMAIL",
            Self::BackupCode => "BACKUP_CODE",
        }
    }

    /// True for the providers whose code the server sends (`POST /api/auth/2fa/verification/send`).
    pub fn is_sent(self) -> bool {
        matches!(self, Self::Sms | Self::Email)
    }
}

/// One item of `GET /api/auth/2fa/providers` (`TwoFactorAuthController.TwoFaProviderInfo`).
/// `contact` is the obfuscated e-mail address or phone number, `null` for TOTP and backup codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TwoFaProviderInfo {
    #[serde(rename = "type")]
    pub provider_type: TwoFaProviderType,
    #[serde(rename = "default", default)]
    pub is_default: bool,
    #[serde(default)]
    pub contact: Option<String>,
    /// Seconds between two sends of a code (`PlatformTwoFaSettings.minVerificationCodeSendPeriod`).
    #[serde(default)]
    pub min_verification_code_send_period: Option<u32>,
}

/// `GET /api/auth/user` answers a [`User`].
pub use crate::user::User;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_authority_reads_as_the_server_spells_it() {
        for authority in [
            Authority::SysAdmin,
            Authority::TenantAdmin,
            Authority::CustomerUser,
            Authority::RefreshToken,
            Authority::PreVerificationToken,
            Authority::MfaConfigurationToken,
        ] {
            assert_eq!(serde_json::to_value(authority).unwrap(), authority.as_str());
        }
    }

    #[test]
    fn normal_login_has_no_scope_and_debug_hides_tokens() {
        let pair: JwtPair =
            serde_json::from_str(r#"{"token":"eyJhbGciOiJIUzUxMiJ9.a.b","refreshToken":"eyJr.c.d"}"#)
                .unwrap();
        assert!(pair.scope.is_none());
        let shown = format!("{pair:?}");
        assert!(!shown.contains("eyJ"), "{shown}");
    }

    #[test]
    fn two_factor_login_has_scope_and_no_refresh_token() {
        let pair: JwtPair =
            serde_json::from_str(r#"{"token":"eyJ.a.b","scope":"PRE_VERIFICATION_TOKEN"}"#).unwrap();
        assert_eq!(pair.scope, Some(Authority::PreVerificationToken));
        assert!(pair.refresh_token.is_none());
        let text = serde_json::to_string(&pair).unwrap();
        assert!(!text.contains("refreshToken"), "JwtPair is NON_NULL on the server: {text}");
    }

    #[test]
    fn two_factor_providers_parse_as_the_controller_writes_them() {
        let list: Vec<TwoFaProviderInfo> = serde_json::from_str(
            r#"[{"type":"EMAIL","default":true,"contact":"te*****ko@example.com","minVerificationCodeSendPeriod":30},
                {"type":"TOTP","default":false,"contact":null,"minVerificationCodeSendPeriod":30}]"#,
        )
        .unwrap();
        assert_eq!(list[0].provider_type, TwoFaProviderType::Email);
        assert!(list[0].is_default && list[0].provider_type.is_sent());
        assert_eq!(list[1].contact, None);
        let back = serde_json::to_value(&list[0]).unwrap();
        assert_eq!(back["type"], "EMAIL");
        assert_eq!(back["default"], true);
    }
}

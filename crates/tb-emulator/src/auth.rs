//! Users, HS512 JWTs with ThingsBoard's claims, token sessions (logout, fault-injected expiry
//! and revocation) and the `AuthUser` extractor for protected endpoints.

use crate::clock::{now_ms, now_secs};
use crate::error::ApiError;
use crate::store::Viewer;
use crate::two_factor::UserTwoFactor;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tb_proto::auth::{Authority, JwtClaims, JwtPair, TwoFaProviderType, User};
use tb_proto::id::NULL_UUID;
use tb_proto::{CustomerId, EntityId, EntityType, UserId};
use uuid::Uuid;

const ISSUER: &str = "thingsboard.io";

/// A demo account, as printed by the binary and returned by [`crate::Emulator::users`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    pub email: String,
    pub password: String,
    /// `TENANT_ADMIN` or `CUSTOMER_USER`.
    pub authority: String,
    /// The customer's title for a customer user.
    pub customer: Option<String>,
    /// Login answers a pre-verification token; finish with TOTP code [`crate::TOTP_CODE`] or
    /// another of [`DemoUser::two_factor_providers`].
    pub two_factor: bool,
    /// The second factors set up, the default first (empty without 2FA).
    pub two_factor_providers: Vec<TwoFaProviderType>,
    /// Single-use backup codes, when [`TwoFaProviderType::BackupCode`] is set up.
    pub backup_codes: Vec<String>,
    /// The server enforces 2FA and this user has not set it up: login answers an
    /// `MFA_CONFIGURATION_TOKEN`.
    pub must_set_up_two_factor: bool,
}

/// `UserCredentials`: whether the account is enabled and its pending activation token.
#[derive(Clone, Default)]
pub(crate) struct Credentials {
    /// `None` until the user sets one through the activation link.
    pub(crate) password: Option<String>,
    pub(crate) enabled: bool,
    /// Set while the user has not activated the account (`userActivated` is its absence).
    pub(crate) activate_token: Option<String>,
    /// When the activation token expires (ms; 3.8 and later: `userActivationTokenTtl`, 24 h).
    pub(crate) activate_token_exp: i64,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("enabled", &self.enabled)
            .field("activated", &self.activate_token.is_none())
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// A demo account: activated, with this password.
    pub(crate) fn active(password: &str) -> Self {
        Self {
            password: Some(password.to_owned()),
            enabled: true,
            activate_token: None,
            activate_token_exp: 0,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct UserRec {
    pub(crate) id: Uuid,
    pub(crate) created_time: i64,
    pub(crate) email: String,
    pub(crate) credentials: Credentials,
    pub(crate) authority: Authority,
    pub(crate) customer: Option<Uuid>,
    pub(crate) customer_title: Option<String>,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) phone: Option<String>,
    pub(crate) additional_info: Option<serde_json::Value>,
    /// 2FA is set up: login answers a pre-verification token.
    pub(crate) two_factor: Option<UserTwoFactor>,
    /// 2FA is enforced for this user and not set up: login answers an `MFA_CONFIGURATION_TOKEN`.
    pub(crate) must_set_up_two_factor: bool,
}

impl UserRec {
    pub(crate) fn demo_user(&self) -> DemoUser {
        DemoUser {
            email: self.email.clone(),
            password: self.credentials.password.clone().unwrap_or_default(),
            authority: authority_name(self.authority).to_owned(),
            customer: self.customer_title.clone(),
            two_factor: self.two_factor.is_some(),
            two_factor_providers: self.two_factor.as_ref().map(|t| t.providers.clone()).unwrap_or_default(),
            backup_codes: self.two_factor.as_ref().map(|t| t.backup_codes.clone()).unwrap_or_default(),
            must_set_up_two_factor: self.must_set_up_two_factor,
        }
    }
}

pub(crate) fn authority_name(authority: Authority) -> &'static str {
    match authority {
        Authority::SysAdmin => "SYS_ADMIN",
        Authority::TenantAdmin => "TENANT_ADMIN",
        Authority::CustomerUser => "CUSTOMER_USER",
        Authority::RefreshToken => "REFRESH_TOKEN",
        Authority::PreVerificationToken => "PRE_VERIFICATION_TOKEN",
        _ => "MFA_CONFIGURATION_TOKEN",
    }
}

/// Why a token was refused. HTTP and WebSocket render these differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenError {
    Malformed,
    Expired,
    BadSignature,
    Outdated,
    WrongScope,
}

impl TokenError {
    /// The rejection of an access token on a protected HTTP endpoint (`JwtAuthenticationProvider`, `JwtTokenFactory.parseTokenClaims`).
    pub(crate) fn http(self) -> ApiError {
        match self {
            Self::Malformed => ApiError::BadCredentials,
            Self::Expired | Self::BadSignature | Self::Outdated => ApiError::TokenExpired,
            Self::WrongScope => ApiError::PermissionDenied,
        }
    }

    /// The close reason on a WebSocket (exception text on the server).
    pub(crate) fn ws_reason(self) -> &'static str {
        match self {
            Self::Malformed | Self::WrongScope => "Invalid JWT token: ",
            Self::Expired => "JWT Token expired",
            Self::BadSignature => "Invalid JWT signature",
            Self::Outdated => "Token is outdated",
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct TokenSession {
    access_expired: bool,
    refresh_revoked: bool,
    logged_out: bool,
}

pub(crate) struct Auth {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    tenant_id: Uuid,
    access_ttl: Duration,
    refresh_ttl: Duration,
    pre_verification_ttl: Duration,
    /// Users change at run time (`POST /api/user`, activation), so lookups answer copies.
    users: Mutex<Vec<UserRec>>,
    sessions: Mutex<HashMap<String, TokenSession>>,
    /// Pre-verification tokens issued so far, and whether a fault expired them.
    pre_verification: Mutex<HashMap<String, bool>>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth").field("users", &self.users_mut().len()).finish_non_exhaustive()
    }
}

impl Auth {
    pub(crate) fn new(
        secret: &[u8],
        tenant_id: Uuid,
        users: Vec<UserRec>,
        access_ttl: Duration,
        refresh_ttl: Duration,
        pre_verification_ttl: Duration,
    ) -> Self {
        let mut validation = Validation::new(Algorithm::HS512);
        // Expiry is checked by hand so that a TTL of zero means "expired at once", like JJWT.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            tenant_id,
            access_ttl,
            refresh_ttl,
            pre_verification_ttl,
            users: Mutex::new(users),
            sessions: Mutex::new(HashMap::new()),
            pre_verification: Mutex::default(),
        }
    }

    /// Every user, as they are now.
    pub(crate) fn users(&self) -> Vec<UserRec> {
        self.users_mut().clone()
    }

    pub(crate) fn users_mut(&self) -> std::sync::MutexGuard<'_, Vec<UserRec>> {
        self.users.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, TokenSession>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The user with this e-mail address and password; a user who has not set one yet never
    /// matches (`DefaultSystemSecurityService.validateUserCredentials` compares the password first).
    pub(crate) fn check_password(&self, email: &str, password: &str) -> Option<UserRec> {
        self.users_mut()
            .iter()
            .find(|u| u.email == email && u.credentials.password.as_deref() == Some(password))
            .cloned()
    }

    pub(crate) fn user(&self, id: Uuid) -> Option<UserRec> {
        self.users_mut().iter().find(|u| u.id == id).cloned()
    }

    fn sign(&self, claims: &JwtClaims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS512), claims, &self.encoding).unwrap_or_default()
    }

    /// A fresh access + refresh pair with a new `sessionId` (`JwtTokenFactory.createTokenPair`).
    pub(crate) fn issue_pair(&self, user: &UserRec) -> JwtPair {
        let session_id = Uuid::new_v4().to_string();
        self.sessions().insert(session_id.clone(), TokenSession::default());
        let iat = now_secs();
        let access = JwtClaims {
            sub: user.email.clone(),
            user_id: Some(user.id.to_string()),
            scopes: vec![user.authority],
            session_id: Some(session_id.clone()),
            iss: Some(ISSUER.to_owned()),
            iat,
            exp: iat + self.access_ttl.as_secs() as i64,
            first_name: Some(user.first_name.clone()),
            last_name: Some(user.last_name.clone()),
            enabled: Some(true),
            is_public: Some(false),
            tenant_id: Some(self.tenant_id.to_string()),
            customer_id: Some(user.customer.unwrap_or(NULL_UUID).to_string()),
            jti: None,
        };
        let refresh = JwtClaims {
            sub: user.email.clone(),
            user_id: Some(user.id.to_string()),
            scopes: vec![Authority::RefreshToken],
            session_id: Some(session_id),
            iss: Some(ISSUER.to_owned()),
            iat,
            exp: iat + self.refresh_ttl.as_secs() as i64,
            first_name: None,
            last_name: None,
            enabled: None,
            is_public: Some(false),
            tenant_id: None,
            customer_id: None,
            jti: Some(Uuid::new_v4().to_string()),
        };
        JwtPair { token: self.sign(&access), refresh_token: Some(self.sign(&refresh)), scope: None }
    }

    /// The 2FA login answer: a pre-verification token, `scope` set, no refresh token
    /// (`RestAwareAuthenticationSuccessHandler.createMfaTokenPair`, `JwtTokenFactory.createMfaToken`);
    /// `MFA_CONFIGURATION_TOKEN` for a user who must set 2FA up first.
    pub(crate) fn issue_pre_verification(&self, user: &UserRec) -> JwtPair {
        let scope = if user.must_set_up_two_factor {
            Authority::MfaConfigurationToken
        } else {
            Authority::PreVerificationToken
        };
        let iat = now_secs();
        let claims = JwtClaims {
            sub: user.email.clone(),
            user_id: Some(user.id.to_string()),
            scopes: vec![scope],
            session_id: None,
            iss: Some(ISSUER.to_owned()),
            iat,
            exp: iat + i64::try_from(self.pre_verification_ttl.as_secs()).unwrap_or(i64::MAX / 2),
            first_name: None,
            last_name: None,
            enabled: None,
            is_public: None,
            tenant_id: Some(self.tenant_id.to_string()),
            customer_id: Some(user.customer.unwrap_or(NULL_UUID).to_string()),
            jti: None,
        };
        let token = self.sign(&claims);
        self.pre_verification.lock().unwrap_or_else(PoisonError::into_inner).insert(token.clone(), false);
        JwtPair { token, refresh_token: None, scope: Some(scope) }
    }

    /// Validates a pre-verification token (the only one the `/api/auth/2fa/*` endpoints take).
    pub(crate) fn validate_pre_verification(&self, token: &str) -> Result<UserRec, TokenError> {
        let claims = self.decode(token)?;
        if claims.scopes.first() != Some(&Authority::PreVerificationToken) {
            return Err(TokenError::WrongScope);
        }
        let expired =
            self.pre_verification.lock().unwrap_or_else(PoisonError::into_inner).get(token).copied();
        if expired == Some(true) {
            return Err(TokenError::Expired);
        }
        let user_id: Uuid =
            claims.user_id.as_deref().and_then(|u| u.parse().ok()).ok_or(TokenError::Malformed)?;
        self.user(user_id).ok_or(TokenError::Outdated)
    }

    fn decode(&self, token: &str) -> Result<JwtClaims, TokenError> {
        use jsonwebtoken::errors::ErrorKind;
        let data = jsonwebtoken::decode::<JwtClaims>(token, &self.decoding, &self.validation).map_err(
            |e| match e.kind() {
                ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm => TokenError::BadSignature,
                _ => TokenError::Malformed,
            },
        )?;
        let claims = data.claims;
        if now_ms() >= claims.exp.saturating_mul(1000) {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    fn session_flags(&self, claims: &JwtClaims) -> TokenSession {
        claims.session_id.as_ref().and_then(|s| self.sessions().get(s).copied()).unwrap_or_default()
    }

    /// Validates an access token and returns its user.
    pub(crate) fn validate_access(&self, token: &str) -> Result<AuthUser, TokenError> {
        let claims = self.decode(token)?;
        let flags = self.session_flags(&claims);
        if flags.logged_out {
            return Err(TokenError::Outdated);
        }
        if flags.access_expired {
            return Err(TokenError::Expired);
        }
        let authority = *claims.scopes.first().ok_or(TokenError::Malformed)?;
        if !matches!(authority, Authority::TenantAdmin | Authority::CustomerUser | Authority::SysAdmin) {
            return Err(TokenError::WrongScope);
        }
        let user_id = claims.user_id.as_deref().and_then(|u| u.parse().ok()).ok_or(TokenError::Malformed)?;
        let user = self.user(user_id).ok_or(TokenError::Outdated)?;
        Ok(AuthUser {
            user_id,
            authority,
            customer: user.customer,
            session_id: claims.session_id.unwrap_or_default(),
        })
    }

    /// Validates a refresh token (`RefreshTokenAuthenticationProvider.authenticate`) and returns its user.
    pub(crate) fn validate_refresh(&self, token: &str) -> Result<UserRec, ApiError> {
        let claims = self.decode(token).map_err(|e| match e {
            TokenError::Expired | TokenError::BadSignature => ApiError::TokenExpired,
            _ => ApiError::AuthenticationFailed,
        })?;
        if claims.scopes.first() != Some(&Authority::RefreshToken) {
            return Err(ApiError::General("Invalid Refresh Token scope".to_owned()));
        }
        let flags = self.session_flags(&claims);
        if flags.logged_out || flags.refresh_revoked {
            return Err(ApiError::TokenOutdated);
        }
        let user_id: Uuid =
            claims.user_id.as_deref().and_then(|u| u.parse().ok()).ok_or(ApiError::AuthenticationFailed)?;
        self.user(user_id).ok_or(ApiError::TokenOutdated)
    }

    pub(crate) fn logout(&self, session_id: &str) {
        self.sessions().entry(session_id.to_owned()).or_default().logged_out = true;
    }

    pub(crate) fn expire_pre_verification_tokens(&self) {
        self.pre_verification
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values_mut()
            .for_each(|e| *e = true);
    }

    pub(crate) fn expire_access_tokens(&self) {
        self.sessions().values_mut().for_each(|s| s.access_expired = true);
    }

    pub(crate) fn revoke_refresh_tokens(&self) {
        self.sessions().values_mut().for_each(|s| s.refresh_revoked = true);
    }

    pub(crate) fn user_json(&self, user: &UserRec) -> User {
        User {
            id: UserId(user.id),
            created_time: user.created_time,
            tenant_id: Some(EntityId::new(EntityType::Tenant, self.tenant_id)),
            customer_id: Some(CustomerId(user.customer.unwrap_or(NULL_UUID))),
            email: user.email.clone(),
            name: user.email.clone(),
            authority: user.authority,
            first_name: Some(user.first_name.clone()).filter(|n| !n.is_empty()),
            last_name: Some(user.last_name.clone()).filter(|n| !n.is_empty()),
            phone: user.phone.clone(),
            additional_info: user.additional_info.clone(),
            version: Some(1),
        }
    }
}

/// An authenticated caller of a protected endpoint.
#[derive(Debug, Clone)]
pub(crate) struct AuthUser {
    pub(crate) user_id: Uuid,
    pub(crate) authority: Authority,
    pub(crate) customer: Option<Uuid>,
    pub(crate) session_id: String,
}

impl AuthUser {
    pub(crate) fn viewer(&self) -> Viewer {
        Viewer { customer: if self.authority == Authority::CustomerUser { self.customer } else { None } }
    }

    /// `/api/tenant/...` endpoints: TENANT_ADMIN only.
    pub(crate) fn require_tenant(&self) -> Result<(), ApiError> {
        if self.authority == Authority::TenantAdmin {
            Ok(())
        } else {
            Err(ApiError::PermissionDenied)
        }
    }
}

/// The bearer token of a request: `X-Authorization` first, then the standard `Authorization`.
pub(crate) fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let header = parts
        .headers
        .get("x-authorization")
        .or_else(|| parts.headers.get(axum::http::header::AUTHORIZATION))
        .ok_or(ApiError::AuthenticationFailed)?;
    let value = header.to_str().map_err(|_| ApiError::AuthenticationFailed)?;
    value.strip_prefix("Bearer ").filter(|t| !t.is_empty()).ok_or(ApiError::AuthenticationFailed)
}

/// The caller of a `/api/auth/2fa/*` endpoint: holds a pre-verification token
/// (`@PreAuthorize("hasAuthority('PRE_VERIFICATION_TOKEN')")`; any other token is 403/20).
#[derive(Debug, Clone)]
pub(crate) struct PreVerifiedUser {
    pub(crate) user_id: Uuid,
}

impl FromRequestParts<Arc<AppState>> for PreVerifiedUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        let user = state.auth.validate_pre_verification(token).map_err(TokenError::http)?;
        Ok(Self { user_id: user.id })
    }
}

impl FromRequestParts<Arc<AppState>> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        state.auth.validate_access(token).map_err(TokenError::http)
    }
}

//! `/api/auth/*`: login, refresh, current user, logout, and the 2FA flow
//! (`TwoFactorAuthController`).

use super::param;
use crate::auth::{AuthUser, PreVerifiedUser};
use crate::error::ApiError;
use crate::two_factor::UserTwoFactor;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::Json;
use serde_json::Value;
use std::sync::Arc;
use tb_proto::auth::{
    JwtPair, LoginRequest, RefreshTokenRequest, TwoFaProviderInfo, TwoFaProviderType, User,
};

pub(super) async fn login(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Json<JwtPair>, ApiError> {
    state.counters().login_calls += 1;
    let request: LoginRequest = serde_json::from_slice(&body).map_err(|_| ApiError::AuthenticationFailed)?;
    if request.username.trim().is_empty() || request.password.is_empty() {
        return Err(ApiError::AuthenticationFailed);
    }
    let user =
        state.auth.check_password(&request.username, &request.password).ok_or(ApiError::BadCredentials)?;
    // `DefaultSystemSecurityService.validateUserCredentials`: a locked account stays disabled.
    if state.two_factor.is_locked(user.id) {
        return Err(ApiError::Unauthorized("User account is not active".to_owned()));
    }
    if user.two_factor.is_some() || user.must_set_up_two_factor {
        return Ok(Json(state.auth.issue_pre_verification(&user)));
    }
    Ok(Json(state.auth.issue_pair(&user)))
}

pub(super) async fn refresh(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Json<JwtPair>, ApiError> {
    state.counters().refresh_calls += 1;
    let request: RefreshTokenRequest =
        serde_json::from_slice(&body).map_err(|_| ApiError::AuthenticationFailed)?;
    if request.refresh_token.trim().is_empty() {
        return Err(ApiError::AuthenticationFailed);
    }
    let user = state.auth.validate_refresh(&request.refresh_token)?;
    Ok(Json(state.auth.issue_pair(&user)))
}

pub(super) async fn user(State(state): State<Arc<AppState>>, user: AuthUser) -> Result<Json<User>, ApiError> {
    let record = state.auth.user(user.user_id).ok_or(ApiError::TokenExpired)?;
    Ok(Json(state.auth.user_json(&record)))
}

pub(super) async fn logout(State(state): State<Arc<AppState>>, user: AuthUser) {
    state.auth.logout(&user.session_id);
}

/// The pre-verified caller's 2FA set-up.
fn set_up(state: &AppState, user: &PreVerifiedUser) -> Result<UserTwoFactor, ApiError> {
    let record = state.auth.user(user.user_id).ok_or(ApiError::TokenExpired)?;
    record
        .two_factor
        .clone()
        .ok_or_else(|| ApiError::BadRequest("2FA is not configured for account".to_owned()))
}

/// `GET /api/auth/2fa/providers` (`TwoFactorAuthController.getAvailableTwoFaProviderInfos`).
pub(super) async fn two_fa_providers(
    State(state): State<Arc<AppState>>,
    user: PreVerifiedUser,
) -> Result<Json<Vec<TwoFaProviderInfo>>, ApiError> {
    let config = set_up(&state, &user)?;
    Ok(Json(state.two_factor.providers(&config)))
}

/// The `providerType` parameter, parsed as Spring parses the enum.
fn provider(query: &[(String, String)]) -> Result<TwoFaProviderType, ApiError> {
    let provider = param(query, "providerType").ok_or_else(|| {
        ApiError::BadRequest(
            "Required request parameter 'providerType' for method parameter type TwoFaProviderType is not present"
                .to_owned(),
        )
    })?;
    serde_json::from_value(Value::String(provider.to_owned())).map_err(|_| {
        ApiError::BadRequest(format!(
            "No enum constant org.thingsboard.server.common.data.security.model.mfa.provider.TwoFaProviderType.{provider}"
        ))
    })
}

/// `POST /api/auth/2fa/verification/send` (`requestTwoFaVerificationCode`): a code by e-mail or
/// SMS; nothing to send for TOTP and backup codes, though the call still spends the rate limit.
pub(super) async fn two_fa_send(
    State(state): State<Arc<AppState>>,
    user: PreVerifiedUser,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<(), ApiError> {
    let provider = provider(&query)?;
    let config = set_up(&state, &user)?;
    state.two_factor.send(user.user_id, &config, provider)?;
    if let Some(code) = provider.is_sent().then(|| state.two_factor.sent_code(user.user_id)).flatten() {
        // The emulator delivers no mail or SMS: whoever runs it reads the code here.
        tracing::info!("2FA {} code for user {}: {code}", provider.as_str(), user.user_id);
    }
    Ok(())
}

/// `POST /api/auth/2fa/verification/check` (`checkTwoFaVerificationCode`): the right code turns
/// the pre-verification token into a normal pair.
pub(super) async fn two_fa_check(
    State(state): State<Arc<AppState>>,
    user: PreVerifiedUser,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Json<JwtPair>, ApiError> {
    let provider = provider(&query)?;
    let code = param(&query, "verificationCode").ok_or_else(|| {
        ApiError::BadRequest(
            "Required request parameter 'verificationCode' for method parameter type String is not present"
                .to_owned(),
        )
    })?;
    let config = set_up(&state, &user)?;
    state.two_factor.check(user.user_id, &config, provider, code)?;
    let record = state.auth.user(user.user_id).ok_or(ApiError::TokenExpired)?;
    Ok(Json(state.auth.issue_pair(&record)))
}

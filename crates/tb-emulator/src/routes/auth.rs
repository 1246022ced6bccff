//! `/api/auth/*`: login, refresh, current user, logout, and the TOTP 2FA flow
//! (`TwoFactorAuthController`).

use super::param;
use crate::auth::{AuthUser, PreVerifiedUser, TOTP_CODE};
use crate::error::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;
use tb_proto::auth::{JwtPair, LoginRequest, RefreshTokenRequest, User};

/// `TwoFaProviderType` names.
const PROVIDER_TYPES: [&str; 4] = ["TOTP", "SMS", "EMAIL", "BACKUP_CODE"];

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
    if user.two_factor {
        return Ok(Json(state.auth.issue_pre_verification(user)));
    }
    Ok(Json(state.auth.issue_pair(user)))
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
    Ok(Json(state.auth.issue_pair(user)))
}

pub(super) async fn user(State(state): State<Arc<AppState>>, user: AuthUser) -> Result<Json<User>, ApiError> {
    let record = state.auth.user(user.user_id).ok_or(ApiError::TokenExpired)?;
    Ok(Json(state.auth.user_json(record)))
}

pub(super) async fn logout(State(state): State<Arc<AppState>>, user: AuthUser) {
    state.auth.logout(&user.session_id);
}

/// `GET /api/auth/2fa/providers`: the 2FA user has TOTP only.
pub(super) async fn two_fa_providers(_user: PreVerifiedUser) -> Json<Value> {
    Json(json!([{"type": "TOTP", "default": true, "contact": null, "minVerificationCodeSendPeriod": 30}]))
}

/// The `providerType` parameter: TOTP is configured, the other types are not.
fn totp_provider(query: &[(String, String)]) -> Result<(), ApiError> {
    let provider = param(query, "providerType").ok_or_else(|| {
        ApiError::BadRequest(
            "Required request parameter 'providerType' for method parameter type TwoFaProviderType is not present"
                .to_owned(),
        )
    })?;
    if !PROVIDER_TYPES.contains(&provider) {
        return Err(ApiError::BadRequest(format!(
            "No enum constant org.thingsboard.server.common.data.security.model.mfa.provider.TwoFaProviderType.{provider}"
        )));
    }
    if provider != "TOTP" {
        return Err(ApiError::BadRequest("2FA provider is not configured".to_owned()));
    }
    Ok(())
}

/// `POST /api/auth/2fa/verification/send`: nothing to send for TOTP.
pub(super) async fn two_fa_send(
    _user: PreVerifiedUser,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<(), ApiError> {
    totp_provider(&query)
}

/// `POST /api/auth/2fa/verification/check`: the right code turns the pre-verification token
/// into a normal pair.
pub(super) async fn two_fa_check(
    State(state): State<Arc<AppState>>,
    user: PreVerifiedUser,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Json<JwtPair>, ApiError> {
    totp_provider(&query)?;
    let code = param(&query, "verificationCode").ok_or_else(|| {
        ApiError::BadRequest(
            "Required request parameter 'verificationCode' for method parameter type String is not present"
                .to_owned(),
        )
    })?;
    if code != TOTP_CODE {
        return Err(ApiError::BadRequest("Verification code is incorrect".to_owned()));
    }
    let record = state.auth.user(user.user_id).ok_or(ApiError::TokenExpired)?;
    Ok(Json(state.auth.issue_pair(record)))
}

//! `/api/auth/*`: login, refresh, current user, logout.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use std::sync::Arc;
use tb_proto::auth::{JwtPair, LoginRequest, RefreshTokenRequest, User};

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

//! `/emulator/admin/*`: the fault controls over HTTP, for driving a separately started emulator
//! (served only when `EmulatorConfig::admin_api` is set; never part of ThingsBoard's API).

use super::parse_uuid;
use crate::error::ApiError;
use crate::faults::FaultHandle;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

pub(super) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/emulator/admin/drop-websockets", post(drop_websockets))
        .route("/emulator/admin/expire-access-tokens", post(expire_access_tokens))
        .route("/emulator/admin/revoke-refresh-tokens", post(revoke_refresh_tokens))
        .route("/emulator/admin/devices/{id}/online", post(set_online))
        .route("/emulator/admin/stop-answering-pongs", post(stop_answering_pongs))
        .route("/emulator/admin/counters", get(counters))
        .route("/emulator/admin/reset-counters", post(reset_counters))
}

fn faults(state: Arc<AppState>) -> FaultHandle {
    FaultHandle::new(state)
}

#[derive(Debug, serde::Deserialize)]
struct Flag {
    value: bool,
}

async fn drop_websockets(State(state): State<Arc<AppState>>) {
    faults(state).drop_websockets();
}

async fn expire_access_tokens(State(state): State<Arc<AppState>>) {
    faults(state).expire_access_tokens();
}

async fn revoke_refresh_tokens(State(state): State<Arc<AppState>>) {
    faults(state).revoke_refresh_tokens();
}

/// `POST /emulator/admin/devices/{id}/online?value=false`.
async fn set_online(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(flag): Query<Flag>,
) -> Result<(), ApiError> {
    let id = parse_uuid(&id)?;
    if faults(state).set_device_online(id, flag.value) {
        Ok(())
    } else {
        Err(ApiError::device_not_found(id))
    }
}

/// `POST /emulator/admin/stop-answering-pongs?value=true`.
async fn stop_answering_pongs(State(state): State<Arc<AppState>>, Query(flag): Query<Flag>) {
    faults(state).stop_answering_pongs(flag.value);
}

async fn counters(State(state): State<Arc<AppState>>) -> Json<Value> {
    let c = faults(state).counters();
    Json(json!({
        "requestsByRoute": c.requests_by_route,
        "refreshCalls": c.refresh_calls,
        "loginCalls": c.login_calls,
        "wsConnections": c.ws_connections,
        "malformedWsMessages": c.malformed_ws_messages,
    }))
}

async fn reset_counters(State(state): State<Arc<AppState>>) {
    faults(state).reset_counters();
}

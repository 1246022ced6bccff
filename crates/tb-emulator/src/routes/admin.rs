//! `/emulator/admin/*`: the fault controls over HTTP, for driving a separately started emulator
//! (served only when `EmulatorConfig::admin_api` is set; never part of ThingsBoard's API).

use super::parse_uuid;
use crate::error::ApiError;
use crate::faults::{FailureKind, FaultHandle};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

pub(super) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/emulator/admin/drop-websockets", post(drop_websockets))
        .route("/emulator/admin/expire-access-tokens", post(expire_access_tokens))
        .route("/emulator/admin/revoke-refresh-tokens", post(revoke_refresh_tokens))
        .route("/emulator/admin/devices/{id}/online", post(set_online))
        .route("/emulator/admin/stop-answering-pongs", post(stop_answering_pongs))
        .route("/emulator/admin/latency", post(set_latency))
        .route("/emulator/admin/fail-next-requests", post(fail_next_requests))
        .route("/emulator/admin/refuse-websocket-upgrades", post(refuse_websocket_upgrades))
        .route("/emulator/admin/send-malformed-frame", post(send_malformed_frame))
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

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Latency {
    #[serde(default)]
    fixed_ms: u64,
    #[serde(default)]
    jitter_ms: u64,
}

/// `POST /emulator/admin/latency?fixedMs=200&jitterMs=50`.
async fn set_latency(State(state): State<Arc<AppState>>, Query(l): Query<Latency>) {
    faults(state).set_latency(Duration::from_millis(l.fixed_ms), Duration::from_millis(l.jitter_ms));
}

#[derive(Debug, serde::Deserialize)]
struct FailNext {
    count: u32,
    #[serde(default)]
    kind: Option<String>,
}

/// `POST /emulator/admin/fail-next-requests?count=3&kind=server-error|bad-gateway|missing-route|permission-denied`.
async fn fail_next_requests(
    State(state): State<Arc<AppState>>,
    Query(f): Query<FailNext>,
) -> Result<(), ApiError> {
    let kind = match f.kind.as_deref() {
        None | Some("server-error") => FailureKind::ServerError,
        Some("bad-gateway") => FailureKind::BadGateway,
        Some("missing-route") => FailureKind::MissingRoute,
        Some("permission-denied") => FailureKind::PermissionDenied,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "Unknown failure kind '{other}' (server-error, bad-gateway, missing-route, permission-denied)"
            )))
        }
    };
    faults(state).fail_next_requests(f.count, kind);
    Ok(())
}

#[derive(Debug, serde::Deserialize)]
struct Seconds {
    seconds: f64,
}

/// `POST /emulator/admin/refuse-websocket-upgrades?seconds=5` (0 lifts the refusal).
async fn refuse_websocket_upgrades(
    State(state): State<Arc<AppState>>,
    Query(s): Query<Seconds>,
) -> Result<(), ApiError> {
    let duration = Duration::try_from_secs_f64(s.seconds)
        .map_err(|_| ApiError::BadRequest(format!("Invalid duration: {}", s.seconds)))?;
    faults(state).refuse_websocket_upgrades(duration);
    Ok(())
}

async fn send_malformed_frame(State(state): State<Arc<AppState>>) {
    faults(state).send_malformed_frame();
}

async fn counters(State(state): State<Arc<AppState>>) -> Json<Value> {
    let c = faults(state).counters();
    Json(json!({
        "requestsByRoute": c.requests_by_route,
        "refreshCalls": c.refresh_calls,
        "loginCalls": c.login_calls,
        "wsConnections": c.ws_connections,
        "wsSessionsEnded": c.ws_sessions_ended,
        "alarmDataSubscriptions": c.alarm_data_subscriptions,
        "malformedWsMessages": c.malformed_ws_messages,
        "wsUpgradesRefused": c.ws_upgrades_refused,
        "injectedFailures": c.injected_failures,
    }))
}

async fn reset_counters(State(state): State<Arc<AppState>>) {
    faults(state).reset_counters();
}

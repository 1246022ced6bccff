//! Server-side RPC: v1 `/api/plugins/rpc/{oneway|twoway}/{deviceId}` (409 when the device never
//! connected in time) and v2 `/api/rpc/...` (504). A request for an offline device is queued until
//! its expiration and delivered if the device comes back in time.

use super::{json_body, parse_uuid};
use crate::auth::AuthUser;
use crate::error::{ApiError, PERMISSION_DENIED};
use crate::sim;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;
use std::time::Duration;
use tb_proto::rpc::{PersistentRpcId, RpcRequest};
use tb_proto::{EntityId, EntityType};
use tokio::time::Instant;
use uuid::Uuid;

const MIN_TIMEOUT_MS: u64 = 5_000;
const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// Spring's `spring.mvc.async.request-timeout`: a DeferredResult never outlives it.
const ASYNC_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

pub(super) async fn v1_oneway(s: State<Arc<AppState>>, u: AuthUser, p: Path<String>, b: Bytes) -> Response {
    handle(s, u, p, b, Version::V1, true).await.into_response()
}

pub(super) async fn v1_twoway(s: State<Arc<AppState>>, u: AuthUser, p: Path<String>, b: Bytes) -> Response {
    handle(s, u, p, b, Version::V1, false).await.into_response()
}

pub(super) async fn v2_oneway(s: State<Arc<AppState>>, u: AuthUser, p: Path<String>, b: Bytes) -> Response {
    handle(s, u, p, b, Version::V2, true).await.into_response()
}

pub(super) async fn v2_twoway(s: State<Arc<AppState>>, u: AuthUser, p: Path<String>, b: Bytes) -> Response {
    handle(s, u, p, b, Version::V2, false).await.into_response()
}

async fn handle(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(device_id): Path<String>,
    body: Bytes,
    version: Version,
    oneway: bool,
) -> Result<Response, ApiError> {
    let device = parse_uuid(&device_id)?;
    let request: RpcRequest = json_body(&body)?;
    {
        let store = state.store();
        let entity = EntityId::new(EntityType::Device, device);
        if !store.exists(&entity) {
            return Err(ApiError::PlainText(
                StatusCode::NOT_FOUND,
                "Device with requested id wasn't found!".to_owned(),
            ));
        }
        if !store.can_read(user.viewer(), &entity) {
            return Err(ApiError::PlainText(StatusCode::FORBIDDEN, PERMISSION_DENIED.to_owned()));
        }
    }
    let started = Instant::now();
    let now_ms = crate::clock::now_ms();
    let timeout_ms = request.timeout.unwrap_or(DEFAULT_TIMEOUT_MS).max(MIN_TIMEOUT_MS);
    let expiration_ms = request.expiration_time.filter(|e| *e > 0).unwrap_or(now_ms + timeout_ms as i64);
    let expires = started + Duration::from_millis(expiration_ms.saturating_sub(now_ms).max(0) as u64);

    if request.persistent == Some(true) {
        let rpc_id = Uuid::new_v4();
        let state = state.clone();
        tokio::spawn(async move {
            if wait_until_online(&state, device, expires).await {
                deliver(&state, device, &request);
            }
        });
        return Ok(Json(PersistentRpcId { rpc_id }).into_response());
    }

    let waited =
        tokio::time::timeout_at(started + ASYNC_REQUEST_TIMEOUT, wait_until_online(&state, device, expires));
    match waited.await {
        Err(_) => Err(ApiError::General("Request timeout".to_owned())),
        Ok(false) => Err(ApiError::Status(match version {
            Version::V1 => StatusCode::CONFLICT,
            Version::V2 => StatusCode::GATEWAY_TIMEOUT,
        })),
        Ok(true) => {
            let reply = deliver(&state, device, &request);
            Ok(if oneway { StatusCode::OK.into_response() } else { Json(reply).into_response() })
        }
    }
}

/// Waits until the device is connected (true) or `expires` passes (false).
async fn wait_until_online(state: &AppState, device: Uuid, expires: Instant) -> bool {
    let mut changes = state.online_changed.subscribe();
    loop {
        if state.store().devices.get(&device).is_some_and(|d| d.online) {
            return true;
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return false },
            () = tokio::time::sleep_until(expires) => return false,
        }
    }
}

/// Hands the request to the simulated device; its state report follows after `rpc_report_delay`.
fn deliver(state: &Arc<AppState>, device: Uuid, request: &RpcRequest) -> serde_json::Value {
    let Some(kind) = state.kinds.get(&device).copied() else {
        return serde_json::json!({"error": "Unsupported method"});
    };
    let outcome = sim::apply_rpc(&state.store(), device, kind, &request.method, &request.params);
    let entity = EntityId::new(EntityType::Device, device);
    let delay = state.config.rpc_report_delay;
    if delay.is_zero() {
        sim::report(state, entity, outcome.report);
    } else if !outcome.report.is_empty() {
        let state = state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            sim::report(&state, entity, outcome.report);
        });
    }
    outcome.reply
}

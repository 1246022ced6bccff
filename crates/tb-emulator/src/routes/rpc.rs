//! Server-side RPC: v1 `/api/plugins/rpc/{oneway|twoway}/{deviceId}` (409 when the device never
//! connected in time) and v2 `/api/rpc/...` (504). A request for an offline device is queued until
//! its expiration and delivered if the device comes back in time. Persistent RPC (`persistent:
//! true`) answers `{"rpcId"}` at once and is read back under `/api/rpc/persistent/...`.

use super::entities::{page_of, PageLink};
use super::{json_body, param, parse_uuid};
use crate::auth::AuthUser;
use crate::error::{ApiError, PERMISSION_DENIED};
use crate::rpc_hub::{self, Outcome};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;
use std::time::Duration;
use tb_proto::rpc::{
    PersistentRpc, PersistentRpcBody, PersistentRpcId, PersistentRpcRequest, RpcRequest, RpcStatus,
};
use tb_proto::{DeviceId, EntityId, EntityType};
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
        let tenant_id = EntityId::new(EntityType::Tenant, state.store().tenant_id);
        let device_id = DeviceId(device);
        let rpc = PersistentRpc {
            id: EntityId::new(EntityType::Rpc, rpc_id),
            created_time: now_ms,
            tenant_id,
            device_id,
            expiration_time: expiration_ms,
            request: PersistentRpcRequest {
                id: rpc_id,
                oneway,
                expiration_time: expiration_ms,
                persisted: true,
                retries: request.retries,
                body: PersistentRpcBody {
                    method: request.method.clone(),
                    params: serde_json::to_string(&request.params).unwrap_or_default(),
                },
                tenant_id,
                device_id,
            },
            response: None,
            status: RpcStatus::Queued,
            additional_info: request.additional_info.clone(),
        };
        rpc_hub::start_persistent(&state, rpc, request, oneway, expires);
        return Ok(Json(PersistentRpcId { rpc_id }).into_response());
    }

    let outcome = rpc_hub::dispatch(&state, device, &request, oneway, expires, || {});
    match tokio::time::timeout_at(started + ASYNC_REQUEST_TIMEOUT, outcome).await {
        Err(_) => Err(ApiError::General("Request timeout".to_owned())),
        Ok(Outcome::NotConnected) => Err(ApiError::Status(match version {
            Version::V1 => StatusCode::CONFLICT,
            Version::V2 => StatusCode::GATEWAY_TIMEOUT,
        })),
        Ok(Outcome::Timeout) => Err(ApiError::Status(match version {
            Version::V1 => StatusCode::REQUEST_TIMEOUT,
            Version::V2 => StatusCode::GATEWAY_TIMEOUT,
        })),
        Ok(Outcome::Delivered | Outcome::Reply(None)) => Ok(StatusCode::OK.into_response()),
        Ok(Outcome::Reply(Some(reply))) => Ok(Json(reply).into_response()),
        Ok(Outcome::NotJson(_)) => Err(ApiError::Status(StatusCode::NOT_ACCEPTABLE)),
    }
}

/// `GET /api/rpc/persistent/{rpcId}`.
pub(super) async fn persistent(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(rpc_id): Path<String>,
) -> Result<Response, ApiError> {
    let rpc_id = parse_uuid(&rpc_id)?;
    let rpc = state.rpc().persistent(rpc_id).cloned().ok_or_else(|| rpc_not_found(rpc_id))?;
    if !state.store().can_read(user.viewer(), &rpc.device_id.entity_id()) {
        return Err(ApiError::PermissionDenied);
    }
    Ok(Json(rpc).into_response())
}

/// `GET /api/rpc/persistent/device/{deviceId}?pageSize&page[&rpcStatus&sortProperty&sortOrder]`.
pub(super) async fn persistent_by_device(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(device_id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let device = parse_uuid(&device_id)?;
    let link = PageLink::parse(&query)?;
    let status = match param(&query, "rpcStatus").filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(RpcStatus::parse(text).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "No enum constant org.thingsboard.server.common.data.rpc.RpcStatus.{text}"
            ))
        })?),
    };
    {
        let store = state.store();
        let entity = EntityId::new(EntityType::Device, device);
        if !store.exists(&entity) {
            return Err(ApiError::device_not_found(device));
        }
        if !store.can_read(user.viewer(), &entity) {
            return Err(ApiError::PermissionDenied);
        }
    }
    let mut rows: Vec<PersistentRpc> = state
        .rpc()
        .persistent_of(device)
        .into_iter()
        .filter(|r| status.is_none_or(|s| r.status == s))
        .collect();
    match link.sort_property.as_deref() {
        Some("createdTime") => rows.sort_by_key(|r| r.created_time),
        Some("expirationTime") => rows.sort_by_key(|r| r.expiration_time),
        Some("status") => rows.sort_by_key(|r| r.status.as_str()),
        _ => {}
    }
    if link.descending {
        rows.reverse();
    }
    Ok(Json(page_of(link.page_size, link.page, rows)).into_response())
}

/// `DELETE /api/rpc/persistent/{rpcId}` (TENANT_ADMIN).
pub(super) async fn delete_persistent(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(rpc_id): Path<String>,
) -> Result<Response, ApiError> {
    user.require_tenant()?;
    let rpc_id = parse_uuid(&rpc_id)?;
    if !state.rpc().delete_persistent(rpc_id) {
        return Err(rpc_not_found(rpc_id));
    }
    Ok(StatusCode::OK.into_response())
}

fn rpc_not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("Rpc with id [{id}] is not found"))
}

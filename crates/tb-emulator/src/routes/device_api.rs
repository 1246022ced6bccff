//! The device HTTP API (`DeviceApiController`, no JWT): a device identified by its access token
//! posts telemetry and client attributes, long-polls for RPC requests and posts its replies.
//! Errors have empty bodies: 401 for an unknown token, 400 for a body that is not JSON, 408 when
//! a long poll ends without a request.

use crate::kv::KvValue;
use crate::rpc_hub::{self, PollGuard};
use crate::{sim, AppState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tb_proto::telemetry::AttributeScope;
use tb_proto::{EntityId, EntityType};
use tokio::time::Instant;
use uuid::Uuid;

/// `transport.http.request_timeout`: the long poll's default.
const DEFAULT_POLL_MS: u64 = 60_000;
/// `transport.http.max_request_timeout`.
const MAX_POLL_MS: u64 = 300_000;

fn device(state: &AppState, token: &str) -> Result<Uuid, StatusCode> {
    state.device_tokens.get(token).copied().ok_or(StatusCode::UNAUTHORIZED)
}

fn json(body: &[u8]) -> Result<Value, StatusCode> {
    serde_json::from_slice(body).map_err(|_| StatusCode::BAD_REQUEST)
}

fn object(value: &Value) -> Result<Vec<(String, KvValue)>, StatusCode> {
    value.as_object().map(rpc_hub::kv_pairs).ok_or(StatusCode::BAD_REQUEST)
}

/// `POST /api/v1/{token}/telemetry`: `{"k": v}`, `{"ts": ms, "values": {...}}` or a list of either.
pub(super) async fn telemetry(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let result = (|| {
        let id = device(&state, &token)?;
        let body = json(&body)?;
        let items = match &body {
            Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        let mut reports = Vec::new();
        for item in items {
            match (item.get("ts").and_then(Value::as_i64), item.get("values")) {
                (Some(ts), Some(values)) => reports.push((Some(ts), object(values)?)),
                _ => reports.push((None, object(item)?)),
            }
        }
        Ok::<_, StatusCode>((id, reports))
    })();
    match result {
        Ok((id, reports)) => {
            let entity = EntityId::new(EntityType::Device, id);
            for (ts, values) in reports {
                sim::report_at(&state, entity, ts, values);
            }
            StatusCode::OK.into_response()
        }
        Err(status) => status.into_response(),
    }
}

/// `POST /api/v1/{token}/attributes`: client-side attributes.
pub(super) async fn attributes(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let result = device(&state, &token).and_then(|id| Ok((id, object(&json(&body)?)?)));
    match result {
        Ok((id, values)) => {
            let now = crate::clock::now_ms();
            let entity = EntityId::new(EntityType::Device, id);
            let mut store = state.store();
            store.save_attributes(entity, AttributeScope::ClientScope, now, values);
            let activity = vec![("lastActivityTime".to_owned(), KvValue::Long(now))];
            store.save_attributes(entity, AttributeScope::ServerScope, now, activity);
            StatusCode::OK.into_response()
        }
        Err(status) => status.into_response(),
    }
}

/// `GET /api/v1/{token}/rpc?timeout=ms`: the next RPC request as `{"id", "method", "params"}`,
/// or 408 when none comes in time. While it waits, the device is subscribed to RPC.
pub(super) async fn poll_rpc(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let id = match device(&state, &token) {
        Ok(id) => id,
        Err(status) => return status.into_response(),
    };
    let timeout_ms = match super::param(&query, "timeout").map(str::parse::<u64>) {
        None | Some(Ok(0)) => DEFAULT_POLL_MS,
        Some(Ok(ms)) => ms.min(MAX_POLL_MS),
        Some(Err(_)) => return StatusCode::BAD_REQUEST.into_response(),
    };
    let deadline = Instant::now() + Duration::from_millis(timeout_ms);
    let guard = PollGuard::new(state.clone(), id);
    match guard.next(deadline).await {
        Some(request) => Json(request).into_response(),
        None => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

/// `POST /api/v1/{token}/rpc/{requestId}`: the device's reply to a two-way request.
pub(super) async fn rpc_reply(
    State(state): State<Arc<AppState>>,
    Path((token, request_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let id = match device(&state, &token) {
        Ok(id) => id,
        Err(status) => return status.into_response(),
    };
    let Ok(request_id) = request_id.parse::<i32>() else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    rpc_hub::device_reply(&state, id, request_id, body);
    StatusCode::OK.into_response()
}

//! The HTTP surface: one module per API area, all wired here.

mod admin;
mod alarms;
mod auth;
mod customers;
mod device_api;
mod entities;
mod query;
mod relations;
mod rpc;
mod telemetry;
mod users;

use crate::error::ApiError;
use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use std::sync::Arc;
use tb_proto::{EntityId, EntityType};
use uuid::Uuid;

pub(crate) fn router(state: Arc<AppState>) -> Router {
    const TELEMETRY: &str = "/api/plugins/telemetry/{entity_type}/{entity_id}";
    let mut router = Router::new()
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/token", post(auth::refresh))
        .route("/api/auth/user", get(auth::user))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/auth/2fa/providers", get(auth::two_fa_providers))
        .route("/api/auth/2fa/verification/send", post(auth::two_fa_send))
        .route("/api/auth/2fa/verification/check", post(auth::two_fa_check))
        .route("/api/tenant/assets", get(entities::tenant_assets))
        .route("/api/tenant/devices", get(entities::tenant_devices))
        .route("/api/tenant/deviceInfos", get(entities::tenant_device_infos))
        .route("/api/customer/{customer_id}/assets", get(entities::customer_assets))
        .route("/api/customer/{customer_id}/devices", get(entities::customer_devices))
        .route("/api/customer/{customer_id}/deviceInfos", get(entities::customer_device_infos))
        .route("/api/customer", post(customers::save))
        .route("/api/customers", get(customers::list))
        .route("/api/customer/{customer_id}", get(customers::one))
        .route("/api/tenant/customers", get(customers::by_title))
        .route("/api/customer/{customer_id}/asset/{asset_id}", post(customers::assign_asset))
        .route("/api/customer/{customer_id}/device/{device_id}", post(customers::assign_device))
        .route("/api/customer/asset/{asset_id}", delete(customers::unassign_asset))
        .route("/api/customer/device/{device_id}", delete(customers::unassign_device))
        .route("/api/customer/{customer_id}/users", get(users::of_customer))
        .route("/api/user", post(users::save))
        .route("/api/user/{user_id}", get(users::one))
        .route("/api/user/{user_id}/activationLink", get(users::link))
        .route("/api/user/{user_id}/activationLinkInfo", get(users::link_info))
        .route("/api/noauth/activate", get(users::check).post(users::activate))
        .route("/api/asset/{id}", get(entities::asset))
        .route("/api/asset/info/{id}", get(customers::asset_info))
        .route("/api/device/{id}", get(entities::device))
        .route("/api/device/info/{id}", get(entities::device_info))
        .route("/api/relations", get(relations::find).post(relations::query))
        .route("/api/relations/info", get(relations::find_info).post(relations::query_info))
        .route("/api/relations/from/{entity_type}/{entity_id}", get(relations::find_by_path))
        .route("/api/relations/from/{entity_type}/{entity_id}/{relation_type}", get(relations::find_by_path))
        .route("/api/relations/to/{entity_type}/{entity_id}", get(relations::find_by_path))
        .route("/api/relations/to/{entity_type}/{entity_id}/{relation_type}", get(relations::find_by_path))
        .route("/api/relations/info/from/{entity_type}/{entity_id}", get(relations::find_by_path))
        .route("/api/relations/info/to/{entity_type}/{entity_id}", get(relations::find_by_path))
        .route(&format!("{TELEMETRY}/values/timeseries"), get(telemetry::latest_timeseries))
        .route(&format!("{TELEMETRY}/values/timeseries/history"), get(telemetry::latest_timeseries))
        .route(&format!("{TELEMETRY}/values/attributes"), get(telemetry::attributes))
        .route(&format!("{TELEMETRY}/values/attributes/{{scope}}"), get(telemetry::attributes_by_scope))
        .route(&format!("{TELEMETRY}/keys/timeseries"), get(telemetry::timeseries_keys))
        .route(&format!("{TELEMETRY}/keys/attributes"), get(telemetry::attribute_keys))
        .route(&format!("{TELEMETRY}/keys/attributes/{{scope}}"), get(telemetry::attribute_keys_by_scope))
        .route(&format!("{TELEMETRY}/attributes/{{scope}}"), post(telemetry::save_attributes))
        .route(&format!("{TELEMETRY}/timeseries/{{scope}}"), post(telemetry::save_timeseries))
        .route("/api/plugins/rpc/oneway/{device_id}", post(rpc::v1_oneway))
        .route("/api/plugins/rpc/twoway/{device_id}", post(rpc::v1_twoway))
        .route("/api/rpc/oneway/{device_id}", post(rpc::v2_oneway))
        .route("/api/rpc/twoway/{device_id}", post(rpc::v2_twoway))
        .route("/api/rpc/persistent/{rpc_id}", get(rpc::persistent).delete(rpc::delete_persistent))
        .route("/api/rpc/persistent/device/{device_id}", get(rpc::persistent_by_device))
        .route("/api/v1/{token}/telemetry", post(device_api::telemetry))
        .route("/api/v1/{token}/attributes", post(device_api::attributes))
        .route("/api/v1/{token}/rpc", get(device_api::poll_rpc))
        .route("/api/v1/{token}/rpc/{request_id}", post(device_api::rpc_reply))
        .route("/api/entitiesQuery/find", post(query::find))
        .route("/api/entitiesQuery/count", post(query::count))
        .route("/api/entitiesQuery/find/keys", post(query::find_keys))
        .route("/api/alarmsQuery/find", post(query::find_alarms))
        .route("/api/v2/entitiesQuery/find/keys", post(query::find_keys_v2))
        .route("/api/alarms", get(alarms::all_alarms))
        .route("/api/alarm/{a}", get(alarms::alarm))
        .route("/api/alarm/info/{b}", get(alarms::alarm_info))
        .route("/api/alarm/{a}/{b}", get(alarms::entity_alarms))
        .route("/api/alarm/{a}/ack", post(alarms::ack))
        .route("/api/alarm/{a}/clear", post(alarms::clear))
        .route("/api/ws/plugins/telemetry", get(crate::ws::telemetry))
        .route("/api/ws/plugins/{session_type}", get(crate::ws::unknown_type));
    if !state.config.legacy_ws_only {
        router = router.route("/api/ws", get(crate::ws::general));
    }
    if state.config.admin_api {
        router = router.merge(admin::router());
    }
    router
        .route_layer(middleware::from_fn_with_state(state.clone(), count_requests))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), inject_faults))
        .with_state(state)
}

/// Injected REST faults: a pending failure answers at once, otherwise the configured latency
/// is slept before the request runs. WebSocket upgrades and the admin API are left alone.
async fn inject_faults(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/emulator/admin") || path.starts_with("/api/ws") {
        return next.run(request).await;
    }
    let fault = state.faults().next_request(&mut rand::thread_rng());
    match fault {
        crate::faults::RequestFault::Fail(kind) => {
            state.counters().injected_failures += 1;
            kind.response()
        }
        crate::faults::RequestFault::Delay(delay) => {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            next.run(request).await
        }
    }
}

/// Counts each request under `METHOD /matched/{template}`.
async fn count_requests(
    State(state): State<Arc<AppState>>,
    path: MatchedPath,
    request: Request,
    next: Next,
) -> Response {
    let route = format!("{} {}", request.method(), path.as_str());
    *state.counters().requests_by_route.entry(route).or_default() += 1;
    next.run(request).await
}

/// Unmapped paths: under `/api` the JWT filter runs first, so an unauthenticated call gets 401.
async fn not_found(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let (parts, _) = request.into_parts();
    // The JWT filter skips /api/ws/** (WebSocket auth is the session's business), so an unknown
    // WebSocket path, e.g. /api/ws on a pre-3.6.2 server, is a plain 404.
    let skips_jwt = path.starts_with("/api/noauth/") || path == "/api/ws" || path.starts_with("/api/ws/");
    if path.starts_with("/api/") && !skips_jwt {
        if let Err(e) = crate::auth::bearer(&parts)
            .and_then(|t| state.auth.validate_access(t).map_err(crate::auth::TokenError::http))
        {
            return e.into_response();
        }
    }
    let body = serde_json::json!({"timestamp": crate::clock::now_ms(), "status": 404, "error": "Not Found", "path": path});
    (axum::http::StatusCode::NOT_FOUND, Json(body)).into_response()
}

/// A UUID from a path or query parameter; a bad one is 400/31 like `UUID.fromString`.
pub(crate) fn parse_uuid(text: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(text).map_err(|_| ApiError::BadRequest(format!("Invalid UUID string: {text}")))
}

/// An entity type name, parsed case-sensitively like `EntityType.valueOf`.
pub(crate) fn parse_entity_type(text: &str) -> Result<EntityType, ApiError> {
    EntityType::parse(text).ok_or_else(|| {
        ApiError::BadRequest(format!("No enum constant org.thingsboard.server.common.data.EntityType.{text}"))
    })
}

/// `{Type} with id [..] is not found`, as `checkEntityId` says it.
pub(crate) fn entity_not_found(id: &EntityId) -> ApiError {
    let name = match id.entity_type {
        EntityType::Asset => "Asset",
        EntityType::Device => "Device",
        EntityType::Customer => "Customer",
        EntityType::Tenant => "Tenant",
        EntityType::User => "User",
        _ => "Entity",
    };
    ApiError::NotFound(format!("{name} with id [{}] is not found", id.id))
}

/// The first value of a query parameter.
pub(crate) fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Parses a JSON body strictly into `T`; failure is 400/31 "Invalid request body".
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|_| ApiError::BadRequest("Invalid request body".to_owned()))
}

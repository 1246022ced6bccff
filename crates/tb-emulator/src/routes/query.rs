//! `POST /api/entitiesQuery/find` and `/count` (`EntityQueryController`).

use super::json_body;
use crate::auth::AuthUser;
use crate::entity_query::{self, QueryError};
use crate::error::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use std::sync::Arc;
use tb_proto::entity::PageData;
use tb_proto::query::{EntityData, EntityDataQuery, EntityFilter};

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        ApiError::BadRequest(e.0)
    }
}

pub(super) async fn find(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    body: Bytes,
) -> Result<Json<PageData<EntityData>>, ApiError> {
    let query: EntityDataQuery = json_body(&body)?;
    let store = state.store();
    Ok(Json(entity_query::find(&store, user.viewer(), &query, crate::clock::now_ms())?))
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct EntityCountQuery {
    #[serde(default)]
    entity_filter: Option<EntityFilter>,
}

pub(super) async fn count(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    body: Bytes,
) -> Result<Json<usize>, ApiError> {
    let query: EntityCountQuery = json_body(&body)?;
    let store = state.store();
    Ok(Json(entity_query::count(&store, user.viewer(), query.entity_filter.as_ref())?))
}

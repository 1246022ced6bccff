//! `/api/alarm/...` and `/api/alarms` (`AlarmController`): lists with status filters and paging,
//! single alarms, acknowledge and clear.

use super::entities::{check_read, page_of, PageLink};
use super::{param, parse_entity_type, parse_uuid};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::store::{AlarmChangeError, Store};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use std::sync::Arc;
use tb_proto::alarm::{Alarm, AlarmInfo, AlarmSearchStatus, AlarmStatus};
use tb_proto::entity::PageData;
use tb_proto::EntityId;
use uuid::Uuid;

type Params = Query<Vec<(String, String)>>;

/// The filters of an alarm list request.
#[derive(Debug)]
struct AlarmQuery {
    link: PageLink,
    search_status: Option<AlarmSearchStatus>,
    status: Option<AlarmStatus>,
    start_time: Option<i64>,
    end_time: Option<i64>,
}

fn optional_long(query: &[(String, String)], name: &str) -> Result<Option<i64>, ApiError> {
    match param(query, name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| {
            ApiError::BadRequest(format!(
                "Failed to convert value of type 'java.lang.String' to required type 'java.lang.Long'; For input string: \"{text}\""
            ))
        }),
    }
}

fn enum_param<T>(
    query: &[(String, String)],
    name: &str,
    class: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, ApiError> {
    match param(query, name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => parse(text).map(Some).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "No enum constant org.thingsboard.server.common.data.alarm.{class}.{text}"
            ))
        }),
    }
}

impl AlarmQuery {
    fn parse(query: &[(String, String)]) -> Result<Self, ApiError> {
        let search_status = enum_param(query, "searchStatus", "AlarmSearchStatus", AlarmSearchStatus::parse)?;
        let status = enum_param(query, "status", "AlarmStatus", AlarmStatus::parse)?;
        if search_status.is_some() && status.is_some() {
            return Err(ApiError::BadRequest(
                "Invalid alarms search query: Both parameters 'searchStatus' and 'status' can't be specified at the same time!"
                    .to_owned(),
            ));
        }
        Ok(Self {
            link: PageLink::parse(query)?,
            search_status,
            status,
            start_time: optional_long(query, "startTime")?,
            end_time: optional_long(query, "endTime")?,
        })
    }

    fn selects(&self, info: &AlarmInfo) -> bool {
        let a = &info.alarm;
        self.search_status.is_none_or(|s| s.matches(a.status))
            && self.status.is_none_or(|s| s == a.status)
            && self.start_time.is_none_or(|t| a.created_time >= t)
            && self.end_time.is_none_or(|t| a.created_time <= t)
            && self.link.matches([
                Some(&a.alarm_type),
                info.originator_name.as_deref(),
                Some(a.severity.as_str()),
            ])
    }

    fn page(&self, mut rows: Vec<AlarmInfo>) -> PageData<AlarmInfo> {
        rows.retain(|info| self.selects(info));
        let property = self.link.sort_property.as_deref().unwrap_or("id");
        rows.sort_by(|x, y| {
            let (a, b) = (&x.alarm, &y.alarm);
            let ordering = match property {
                "createdTime" => a.created_time.cmp(&b.created_time),
                "startTs" => a.start_ts.cmp(&b.start_ts),
                "endTs" => a.end_ts.cmp(&b.end_ts),
                "ackTs" => a.ack_ts.cmp(&b.ack_ts),
                "clearTs" => a.clear_ts.cmp(&b.clear_ts),
                "type" => a.alarm_type.cmp(&b.alarm_type),
                // Stored as text columns, so they sort by name.
                "severity" => a.severity.as_str().cmp(b.severity.as_str()),
                "status" => a.status.as_str().cmp(b.status.as_str()),
                _ => a.id.id.cmp(&b.id.id),
            };
            ordering.then(a.id.id.cmp(&b.id.id))
        });
        if self.link.descending {
            rows.reverse();
        }
        page_of(self.link.page_size, self.link.page, rows)
    }
}

fn alarm_not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("Alarm with id [{id}] is not found"))
}

/// `checkAlarmId`: 404 when missing, 403 when the originator belongs to someone else.
fn checked_alarm<'a>(store: &'a Store, user: &AuthUser, id: Uuid) -> Result<&'a Alarm, ApiError> {
    let alarm = store.alarm(id).ok_or_else(|| alarm_not_found(id))?;
    if !store.can_read(user.viewer(), &alarm.originator) {
        return Err(ApiError::PermissionDenied);
    }
    Ok(alarm)
}

/// `GET /api/alarm/{entityType}/{entityId}`.
pub(super) async fn entity_alarms(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path((entity_type, entity_id)): Path<(String, String)>,
    Query(query): Params,
) -> Result<Json<PageData<AlarmInfo>>, ApiError> {
    let entity = EntityId::new(parse_entity_type(&entity_type)?, parse_uuid(&entity_id)?);
    let alarm_query = AlarmQuery::parse(&query)?;
    let store = state.store();
    check_read(&store, &user, &entity)?;
    let rows = store.alarms().filter(|a| a.originator == entity).map(|a| store.alarm_info(a)).collect();
    Ok(Json(alarm_query.page(rows)))
}

/// `GET /api/alarms`: every alarm the caller may read.
pub(super) async fn all_alarms(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Query(query): Params,
) -> Result<Json<PageData<AlarmInfo>>, ApiError> {
    let alarm_query = AlarmQuery::parse(&query)?;
    let store = state.store();
    let viewer = user.viewer();
    let rows = store
        .alarms()
        .filter(|a| store.can_read(viewer, &a.originator))
        .map(|a| store.alarm_info(a))
        .collect();
    Ok(Json(alarm_query.page(rows)))
}

/// `GET /api/alarm/{alarmId}`.
pub(super) async fn alarm(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Alarm>, ApiError> {
    let id = parse_uuid(&id)?;
    let store = state.store();
    Ok(Json(checked_alarm(&store, &user, id)?.clone()))
}

/// `GET /api/alarm/info/{alarmId}`.
pub(super) async fn alarm_info(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<AlarmInfo>, ApiError> {
    let id = parse_uuid(&id)?;
    let store = state.store();
    let alarm = checked_alarm(&store, &user, id)?;
    Ok(Json(store.alarm_info(alarm)))
}

fn change(
    state: &AppState,
    user: &AuthUser,
    id: &str,
    apply: fn(&mut Store, Uuid, i64) -> Result<&Alarm, AlarmChangeError>,
) -> Result<Json<AlarmInfo>, ApiError> {
    let id = parse_uuid(id)?;
    let mut store = state.store();
    checked_alarm(&store, user, id)?;
    match apply(&mut store, id, crate::clock::now_ms()) {
        Ok(alarm) => {
            let alarm = alarm.clone();
            Ok(Json(store.alarm_info(&alarm)))
        }
        Err(AlarmChangeError::NotFound) => Err(alarm_not_found(id)),
        Err(AlarmChangeError::AlreadyAcknowledged) => {
            Err(ApiError::BadRequest("Alarm was already acknowledged!".to_owned()))
        }
        Err(AlarmChangeError::AlreadyCleared) => {
            Err(ApiError::BadRequest("Alarm was already cleared!".to_owned()))
        }
    }
}

/// `POST /api/alarm/{alarmId}/ack`.
pub(super) async fn ack(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<AlarmInfo>, ApiError> {
    change(&state, &user, &id, Store::ack_alarm)
}

/// `POST /api/alarm/{alarmId}/clear`.
pub(super) async fn clear(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<AlarmInfo>, ApiError> {
    change(&state, &user, &id, Store::clear_alarm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn both_status_parameters_are_refused() {
        let err = AlarmQuery::parse(&q(&[
            ("pageSize", "10"),
            ("page", "0"),
            ("searchStatus", "ANY"),
            ("status", "ACTIVE_ACK"),
        ]))
        .unwrap_err();
        assert!(err.to_string().starts_with("Invalid alarms search query: Both parameters"));
        let err = AlarmQuery::parse(&q(&[("pageSize", "10"), ("page", "0"), ("searchStatus", "active")]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "No enum constant org.thingsboard.server.common.data.alarm.AlarmSearchStatus.active"
        );
        assert!(AlarmQuery::parse(&q(&[("searchStatus", "ANY")])).is_err());
    }
}

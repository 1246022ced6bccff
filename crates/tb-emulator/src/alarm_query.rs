//! Alarms of the entities a query selects: `POST /api/alarmsQuery/find` and the WebSocket
//! `ALARM_COUNT` (`DefaultEntityQueryService`, `DefaultAlarmQueryRepository`). Both first resolve
//! the entity filter to at most [`MAX_ENTITIES_PER_ALARM_QUERY`] entities by creation time.

use crate::entity_query::{entity_created_time, latest_of, resolve, validate_filter, QueryError};
use crate::store::{Store, Viewer};
use std::collections::HashMap;
use tb_proto::alarm::{Alarm, AlarmSearchStatus, AlarmSeverity};
use tb_proto::entity::PageData;
use tb_proto::query::{
    AlarmData, AlarmDataPageLink, AlarmDataQuery, EntityFilter, EntityKey, EntityKeyType, SortDirection,
};
use tb_proto::EntityId;

/// `server.ws.max_entities_per_alarm_subscription` (10,000 in `thingsboard.yml`).
pub(crate) const MAX_ENTITIES_PER_ALARM_QUERY: usize = 10_000;

/// The entities whose alarms a query looks at: the first 10,000 the filter selects, oldest first.
pub(crate) fn alarm_entities(
    store: &Store,
    viewer: Viewer,
    filter: &EntityFilter,
) -> Result<Vec<EntityId>, QueryError> {
    let mut ids = resolve(store, viewer, filter)?;
    ids.sort_by_cached_key(|id| (entity_created_time(store, id), id.id));
    ids.truncate(MAX_ENTITIES_PER_ALARM_QUERY);
    Ok(ids)
}

/// The alarm filters shared by the count and the data query.
#[derive(Debug, Clone)]
pub(crate) struct AlarmFilter {
    start: i64,
    end: i64,
    types: Vec<String>,
    severities: Vec<AlarmSeverity>,
    cleared: Option<bool>,
    acknowledged: Option<bool>,
}

impl AlarmFilter {
    /// `timeWindow > 0` wins over `startTs`/`endTs`: `[now - timeWindow, now]`.
    pub(crate) fn new(
        (start_ts, end_ts, time_window): (i64, i64, i64),
        types: Option<&[String]>,
        statuses: Option<&[AlarmSearchStatus]>,
        severities: Option<&[AlarmSeverity]>,
        now: i64,
    ) -> Self {
        let (start, end) = if time_window > 0 { (now - time_window, now) } else { (start_ts, end_ts) };
        let (cleared, acknowledged) = status_filter(statuses);
        Self {
            start,
            end,
            types: types.unwrap_or_default().to_vec(),
            severities: severities.unwrap_or_default().to_vec(),
            cleared,
            acknowledged,
        }
    }

    pub(crate) fn selects(&self, a: &Alarm) -> bool {
        (self.start <= 0 || a.created_time >= self.start)
            && (self.end <= 0 || a.created_time <= self.end)
            && (self.types.is_empty() || self.types.contains(&a.alarm_type))
            && (self.severities.is_empty() || self.severities.contains(&a.severity))
            && self.cleared.is_none_or(|c| c == a.cleared)
            && self.acknowledged.is_none_or(|c| c == a.acknowledged)
    }
}

/// `AlarmStatusFilter.from(statusList)`: `(cleared, acknowledged)` constraints.
fn status_filter(statuses: Option<&[AlarmSearchStatus]>) -> (Option<bool>, Option<bool>) {
    let Some(statuses) = statuses.filter(|s| !s.is_empty() && !s.contains(&AlarmSearchStatus::Any)) else {
        return (None, None);
    };
    let one_of = |yes: AlarmSearchStatus, no: AlarmSearchStatus| {
        let (y, n) = (statuses.contains(&yes), statuses.contains(&no));
        (y != n).then_some(y)
    };
    (
        one_of(AlarmSearchStatus::Cleared, AlarmSearchStatus::Active),
        one_of(AlarmSearchStatus::Ack, AlarmSearchStatus::Unack),
    )
}

/// A query the server answers with 404 "Requested item wasn't found!" (`checkNotNull` on the page link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AlarmQueryError {
    NoPageLink,
    Invalid(QueryError),
}

/// `findAlarmDataByQuery`: the alarms whose originator is one of the selected entities (this
/// emulator has no propagation), filtered, sorted by an `ALARM_FIELD` when asked (else in the
/// entities' order, newest alarm first within one), paged; each row with its entity's requested
/// fields and latest values.
pub(crate) fn find_alarm_data(
    store: &Store,
    viewer: Viewer,
    query: &AlarmDataQuery,
    now: i64,
) -> Result<PageData<AlarmData>, AlarmQueryError> {
    let entities = alarm_query_entities(store, viewer, query)?;
    alarm_data_of(store, &entities, query, now)
}

/// The entities an alarm data query looks at, after checking the query as the server does.
pub(crate) fn alarm_query_entities(
    store: &Store,
    viewer: Viewer,
    query: &AlarmDataQuery,
) -> Result<Vec<EntityId>, AlarmQueryError> {
    let link = query.page_link.as_ref().ok_or(AlarmQueryError::NoPageLink)?;
    let filter = validate_filter(query.entity_filter.as_ref()).map_err(AlarmQueryError::Invalid)?;
    if link.page_size < 1 || link.page < 0 {
        return Err(AlarmQueryError::Invalid(QueryError(
            "Incorrect entity data query page size. Page size must be greater than zero.".into(),
        )));
    }
    alarm_entities(store, viewer, filter).map_err(AlarmQueryError::Invalid)
}

/// `findAlarmDataByQueryForEntities`: the page of alarms of `entities` (already resolved).
pub(crate) fn alarm_data_of(
    store: &Store,
    entities: &[EntityId],
    query: &AlarmDataQuery,
    now: i64,
) -> Result<PageData<AlarmData>, AlarmQueryError> {
    let link = query.page_link.as_ref().ok_or(AlarmQueryError::NoPageLink)?;
    let order: HashMap<EntityId, usize> = entities.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let alarm_filter = AlarmFilter::new(
        (link.start_ts, link.end_ts, link.time_window),
        link.type_list.as_deref(),
        link.status_list.as_deref(),
        link.severity_list.as_deref(),
        now,
    );
    let mut alarms: Vec<&Alarm> =
        store.alarms().filter(|a| order.contains_key(&a.originator) && alarm_filter.selects(a)).collect();
    match link.sort_order.as_ref().filter(|o| o.key.key_type == EntityKeyType::AlarmField) {
        Some(sort) => {
            alarms.sort_by(|a, b| compare_alarm_field(a, b, &sort.key.key).then(a.id.id.cmp(&b.id.id)));
            if sort.direction == SortDirection::Desc {
                alarms.reverse();
            }
        }
        None => alarms.sort_by_key(|a| (order[&a.originator], std::cmp::Reverse(a.created_time))),
    }
    let keys: Vec<EntityKey> = query.entity_fields.iter().chain(&query.latest_values).cloned().collect();
    let page = crate::paging::page_of(link.page_size as usize, link.page as usize, alarms);
    Ok(PageData {
        data: page
            .data
            .into_iter()
            .map(|a| AlarmData {
                info: store.alarm_info(a),
                entity_id: a.originator,
                latest: latest_of(store, &a.originator, &keys, now),
            })
            .collect(),
        total_pages: page.total_pages,
        total_elements: page.total_elements,
        has_next: page.has_next,
    })
}

/// `TbAlarmDataSubCtx.filter`: whether a changed alarm still belongs to a live alarm page. Unlike
/// the query it always applies `createdTime >= now - timeWindow` (so with no time window almost
/// nothing passes), ignores `startTs`/`endTs`, and any one listed status is enough.
pub(crate) fn live_filter_passes(link: &AlarmDataPageLink, alarm: &Alarm, now: i64) -> bool {
    let statuses = link.status_list.as_deref().unwrap_or_default();
    alarm.created_time >= now - link.time_window
        && link.type_list.as_deref().is_none_or(|t| t.is_empty() || t.contains(&alarm.alarm_type))
        && link.severity_list.as_deref().is_none_or(|s| s.is_empty() || s.contains(&alarm.severity))
        && (statuses.is_empty() || statuses.iter().any(|s| status_matches(*s, alarm)))
}

fn status_matches(status: AlarmSearchStatus, alarm: &Alarm) -> bool {
    match status {
        AlarmSearchStatus::Any => true,
        AlarmSearchStatus::Active => !alarm.cleared,
        AlarmSearchStatus::Cleared => alarm.cleared,
        AlarmSearchStatus::Ack => alarm.acknowledged,
        AlarmSearchStatus::Unack => !alarm.acknowledged,
    }
}

/// The alarm columns the repository sorts by; others sort as equal.
fn compare_alarm_field(a: &Alarm, b: &Alarm, field: &str) -> std::cmp::Ordering {
    match field {
        "createdTime" => a.created_time.cmp(&b.created_time),
        "startTs" | "startTime" => a.start_ts.cmp(&b.start_ts),
        "endTs" | "endTime" => a.end_ts.cmp(&b.end_ts),
        "type" => a.alarm_type.cmp(&b.alarm_type),
        // The column holds the enum's name, so it sorts as text, as in SQL.
        "severity" => a.severity.as_str().cmp(b.severity.as_str()),
        "status" => a.status.as_str().cmp(b.status.as_str()),
        _ => std::cmp::Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_list_becomes_cleared_and_ack_constraints() {
        use AlarmSearchStatus::*;
        assert_eq!(status_filter(None), (None, None));
        assert_eq!(status_filter(Some(&[Active])), (Some(false), None));
        assert_eq!(status_filter(Some(&[Active, Cleared, Unack])), (None, Some(false)));
        assert_eq!(status_filter(Some(&[Ack, Any])), (None, None));
        assert_eq!(status_filter(Some(&[Cleared, Ack])), (Some(true), Some(true)));
    }
}

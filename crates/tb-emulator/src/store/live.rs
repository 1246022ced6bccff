//! The v2 WebSocket subscriptions: `ENTITY_DATA` (a query snapshot, then latest-value deltas
//! while `latestCmd` is set), `ALARM_COUNT` (the count now, again whenever it changes) and
//! `ALARM_DATA` (a page of alarms, then the changed alarm alone or the page again, as
//! `TbAlarmDataSubCtx` does; this emulator re-fetches without the server's limit of 10 re-fetches
//! per refresh interval, and answers `latestValues` in the page without keeping them live).
//!
//! They share one table keyed by `(session, cmdId)`, as on the server, where every v2 command of
//! a session lives in one map (`subscriptionsBySessionId`): any `*_UNSUBSCRIBE` cancels whatever
//! holds the cmdId. Everything runs under the store lock, so a snapshot always precedes its deltas.

use super::{error_text, SessionSink, Store, Viewer};
use crate::alarm_query::{
    alarm_data_of, alarm_entities, alarm_query_entities, live_filter_passes, AlarmFilter, AlarmQueryError,
    MAX_ENTITIES_PER_ALARM_QUERY,
};
use crate::entity_query::find;
use std::collections::{BTreeMap, HashMap, HashSet};
use tb_proto::alarm::Alarm;
use tb_proto::entity::PageData;
use tb_proto::query::{
    AlarmCountQuery, AlarmData, AlarmDataQuery, EntityData, EntityDataQuery, EntityKey, EntityKeyType,
    TsValue,
};
use tb_proto::telemetry::AttributeScope;
use tb_proto::ws::{
    error_code, AlarmCountUpdate, AlarmDataCmd, AlarmDataUpdate, CmdUpdateType, EntityDataCmd,
    EntityDataUpdate,
};
use tb_proto::EntityId;
use uuid::Uuid;

/// `server.ws.max_entities_per_data_subscription`.
pub(crate) const ALLOWED_ENTITIES: i64 = 10_000;

type LatestByType = BTreeMap<EntityKeyType, BTreeMap<String, TsValue>>;

#[derive(Debug)]
struct EntityDataSub {
    viewer: Viewer,
    /// The query as last run, `latestCmd` keys appended to `latestValues`.
    query: EntityDataQuery,
    /// The `latestCmd` keys: only these produce deltas.
    live_keys: Vec<EntityKey>,
    /// What the client has seen per entity of the page, to drop stale and repeated deltas.
    seen: HashMap<EntityId, LatestByType>,
}

#[derive(Debug)]
struct AlarmCountSub {
    viewer: Viewer,
    query: AlarmCountQuery,
    /// The entities the filter resolved to; `None` without a filter (every readable alarm counts).
    entities: Option<HashSet<EntityId>>,
    count: i32,
}

#[derive(Debug)]
struct AlarmDataSub {
    query: AlarmDataQuery,
    /// Resolved once, when the command came (`TbAlarmDataSubCtx.fetchData`).
    entities: Vec<EntityId>,
    /// The alarms of the page last sent, as sent (`alarmsMap`).
    page: HashMap<Uuid, AlarmData>,
}

impl AlarmDataSub {
    /// `allowedEntities` and `totalEntities`.
    fn entity_counts(&self) -> (i64, i64) {
        let allowed = i64::try_from(MAX_ENTITIES_PER_ALARM_QUERY).unwrap_or(i64::MAX);
        (allowed, i64::try_from(self.entities.len()).unwrap_or(i64::MAX))
    }
}

#[derive(Debug)]
enum LiveKind {
    EntityData(EntityDataSub),
    AlarmCount(AlarmCountSub),
    AlarmData(AlarmDataSub),
}

#[derive(Debug)]
pub(crate) struct LiveSub {
    kind: LiveKind,
    sink: SessionSink,
}

fn entity_data_text(update: &EntityDataUpdate) -> String {
    serde_json::to_string(update).unwrap_or_default()
}

fn rows_update(
    cmd_id: i32,
    data: Option<tb_proto::entity::PageData<EntityData>>,
    update: Option<Vec<EntityData>>,
) -> String {
    entity_data_text(&EntityDataUpdate {
        cmd_id,
        error_code: error_code::NO_ERROR,
        error_msg: None,
        cmd_update_type: CmdUpdateType::EntityData,
        allowed_entities: ALLOWED_ENTITIES,
        data,
        update,
    })
}

fn attribute_key_type(scope: AttributeScope) -> EntityKeyType {
    match scope {
        AttributeScope::ServerScope => EntityKeyType::ServerAttribute,
        AttributeScope::SharedScope => EntityKeyType::SharedAttribute,
        _ => EntityKeyType::ClientAttribute,
    }
}

impl Store {
    /// `ENTITY_DATA` (already validated: cmdId ≥ 0, a query or a sub-command, no time-series
    /// sub-commands). A new cmdId answers a `data` page; a known one with `latestCmd` re-runs the
    /// query and answers every row as an `update` (the initial data was sent already); a known
    /// one without `latestCmd` changes nothing and answers nothing (`checkAndSendInitialData`).
    pub(crate) fn entity_data(
        &mut self,
        session: u64,
        viewer: Viewer,
        sink: &SessionSink,
        cmd: EntityDataCmd,
        now: i64,
    ) {
        let key = (session, cmd.cmd_id);
        let existing = match self.live.get(&key) {
            Some(LiveSub { kind: LiveKind::EntityData(sub), .. }) => Some(sub),
            _ => None,
        };
        if existing.is_some() && cmd.latest_cmd.is_none() {
            return;
        }
        let Some(mut query) = cmd.query.or_else(|| existing.map(|e| e.query.clone())) else {
            sink.send(error_text(cmd.cmd_id, error_code::BAD_REQUEST, "Query is empty!"));
            return;
        };
        let live_keys = cmd.latest_cmd.map(|l| l.keys).unwrap_or_default();
        for k in &live_keys {
            if !query.latest_values.contains(k) {
                query.latest_values.push(k.clone());
            }
        }
        let page = match find(self, viewer, &query, now) {
            Ok(page) => page,
            Err(e) => {
                // An exception in the handler: the legacy-shaped error with code 1.
                sink.send(error_text(cmd.cmd_id, error_code::INTERNAL_ERROR, &e.0));
                return;
            }
        };
        let seen = page.data.iter().map(|row| (row.entity_id, row.latest.clone())).collect();
        let text = if existing.is_some() {
            let rows = page
                .data
                .into_iter()
                .map(|row| EntityData { timeseries: None, agg_latest: None, ..row })
                .collect();
            rows_update(cmd.cmd_id, None, Some(rows))
        } else {
            rows_update(cmd.cmd_id, Some(page), None)
        };
        sink.send(text);
        let sub = EntityDataSub { viewer, query, live_keys, seen };
        self.live.insert(key, LiveSub { kind: LiveKind::EntityData(sub), sink: sink.clone() });
    }

    /// Re-runs every `ENTITY_DATA` query with `pageLink.dynamic` (`refreshDynamicQuery`, every
    /// `server.ws.dynamic_page_link.refresh_interval`): when the page holds other entities than
    /// before, the whole new page goes out as `data`, and deltas follow the new entities
    /// (`TbEntityDataSubCtx.update`); an unchanged set sends nothing.
    pub(crate) fn refresh_dynamic_queries(&mut self, now: i64) {
        let dynamic: Vec<((u64, i32), Viewer, EntityDataQuery)> = self
            .live
            .iter()
            .filter_map(|(key, sub)| match &sub.kind {
                LiveKind::EntityData(data) if data.query.page_link.as_ref().is_some_and(|p| p.dynamic) => {
                    Some((*key, data.viewer, data.query.clone()))
                }
                _ => None,
            })
            .collect();
        for (key, viewer, query) in dynamic {
            let Ok(page) = find(self, viewer, &query, now) else { continue };
            let Some(sub) = self.live.get_mut(&key) else { continue };
            let LiveKind::EntityData(data) = &mut sub.kind else { continue };
            let now_ids: HashSet<EntityId> = page.data.iter().map(|row| row.entity_id).collect();
            if now_ids.len() == data.seen.len() && now_ids.iter().all(|id| data.seen.contains_key(id)) {
                continue;
            }
            data.seen = page.data.iter().map(|row| (row.entity_id, row.latest.clone())).collect();
            sub.sink.send(rows_update(key.1, Some(page), None));
        }
    }

    /// `ALARM_COUNT`: answers the count now and keeps it live. A repeated cmdId is ignored
    /// ("Received duplicate command").
    pub(crate) fn alarm_count(
        &mut self,
        session: u64,
        viewer: Viewer,
        sink: &SessionSink,
        cmd_id: i32,
        query: AlarmCountQuery,
        now: i64,
    ) {
        let key = (session, cmd_id);
        if self.live.contains_key(&key) {
            return;
        }
        let entities = match &query.entity_filter {
            None => None,
            Some(filter) => match alarm_entities(self, viewer, filter) {
                Ok(ids) => Some(ids.into_iter().collect()),
                Err(e) => {
                    sink.send(error_text(cmd_id, error_code::INTERNAL_ERROR, &e.0));
                    return;
                }
            },
        };
        let mut sub = AlarmCountSub { viewer, query, entities, count: 0 };
        sub.count = self.count_alarms(&sub, now);
        sink.send(serde_json::to_string(&AlarmCountUpdate::new(cmd_id, sub.count)).unwrap_or_default());
        self.live.insert(key, LiveSub { kind: LiveKind::AlarmCount(sub), sink: sink.clone() });
    }

    /// `ALARM_DATA` (query present, cmdId ≥ 0): resolves the entities, answers the page and keeps
    /// it live. A known cmdId starts over with the new query and answers a fresh page.
    pub(crate) fn alarm_data(
        &mut self,
        session: u64,
        viewer: Viewer,
        sink: &SessionSink,
        cmd: AlarmDataCmd,
        now: i64,
    ) {
        let Some(query) = cmd.query else { return };
        let entities = match alarm_query_entities(self, viewer, &query) {
            Ok(entities) => entities,
            Err(e) => {
                let msg = match e {
                    // `getPageLink()` dereferenced: a NullPointerException, no message of its own.
                    AlarmQueryError::NoPageLink => "Page link is empty!".to_owned(),
                    AlarmQueryError::Invalid(e) => e.0,
                };
                sink.send(error_text(cmd.cmd_id, error_code::INTERNAL_ERROR, &msg));
                return;
            }
        };
        let mut sub = AlarmDataSub { query, entities, page: HashMap::new() };
        sink.send(self.fetch_alarm_page(cmd.cmd_id, &mut sub, now));
        self.live
            .insert((session, cmd.cmd_id), LiveSub { kind: LiveKind::AlarmData(sub), sink: sink.clone() });
    }

    /// `fetchAlarms`: the page again, remembered as what the client has.
    fn fetch_alarm_page(&self, cmd_id: i32, sub: &mut AlarmDataSub, now: i64) -> String {
        let update = if sub.entities.is_empty() {
            // `new AlarmDataUpdate(cmdId, new PageData<>(), null, 0, 0)`.
            AlarmDataUpdate::page(cmd_id, PageData::empty(), (0, 0))
        } else {
            let page =
                alarm_data_of(self, &sub.entities, &sub.query, now).unwrap_or_else(|_| PageData::empty());
            AlarmDataUpdate::page(cmd_id, page, sub.entity_counts())
        };
        sub.page =
            update.data.iter().flat_map(|p| &p.data).map(|a| (a.info.alarm.id.id, a.clone())).collect();
        serde_json::to_string(&update).unwrap_or_default()
    }

    /// One alarm created, changed or deleted (`None` after it): each `ALARM_DATA` page it
    /// concerns gets the alarm alone (on the page, still matching) or the page again (on the
    /// page and no longer matching or deleted; new on a first page and matching).
    pub(super) fn alarm_data_changed(&mut self, id: Uuid, alarm: Option<&Alarm>) {
        let now = crate::clock::now_ms();
        let keys: Vec<(u64, i32)> = self
            .live
            .iter()
            .filter_map(|(key, sub)| matches!(sub.kind, LiveKind::AlarmData(_)).then_some(*key))
            .collect();
        for key in keys {
            let Some(LiveSub { kind: LiveKind::AlarmData(mut sub), sink }) = self.live.remove(&key) else {
                continue;
            };
            let link =
                sub.query.page_link.clone().unwrap_or_else(|| tb_proto::query::AlarmDataPageLink::new(1, 0));
            let concerned = alarm.is_some_and(|a| sub.entities.contains(&a.originator));
            let text = match (sub.page.get(&id), alarm) {
                (Some(sent), Some(alarm)) if live_filter_passes(&link, alarm, now) => {
                    let changed = AlarmData { info: self.alarm_info(alarm), ..sent.clone() };
                    sub.page.insert(id, changed.clone());
                    let update = AlarmDataUpdate::changed(key.1, vec![changed], sub.entity_counts());
                    Some(serde_json::to_string(&update).unwrap_or_default())
                }
                (Some(_), _) => Some(self.fetch_alarm_page(key.1, &mut sub, now)),
                (None, Some(alarm))
                    if concerned && link.page == 0 && live_filter_passes(&link, alarm, now) =>
                {
                    Some(self.fetch_alarm_page(key.1, &mut sub, now))
                }
                (None, _) => None,
            };
            if let Some(text) = text {
                sink.send(text);
            }
            self.live.insert(key, LiveSub { kind: LiveKind::AlarmData(sub), sink });
        }
    }

    /// Any `*_UNSUBSCRIBE` of a v2 subscription.
    pub(crate) fn unsubscribe_live(&mut self, session: u64, cmd_id: i32) {
        self.live.remove(&(session, cmd_id));
    }

    pub(super) fn remove_live_session(&mut self, session: u64) {
        self.live.retain(|(s, _), _| *s != session);
    }

    /// `countAlarmsByQuery`, over the alarms this emulator has (no propagation, no assignees).
    fn count_alarms(&self, sub: &AlarmCountSub, now: i64) -> i32 {
        let q = &sub.query;
        let filter = AlarmFilter::new(
            (q.start_ts, q.end_ts, q.time_window),
            q.type_list.as_deref(),
            q.status_list.as_deref(),
            q.severity_list.as_deref(),
            now,
        );
        let selected = |a: &&Alarm| {
            let in_scope = match &sub.entities {
                Some(ids) => ids.contains(&a.originator),
                None => self.can_read(sub.viewer, &a.originator),
            };
            in_scope && filter.selects(a) && q.assignee_id.as_ref().is_none_or(serde_json::Value::is_null)
        };
        i32::try_from(self.alarms.values().filter(selected).count()).unwrap_or(i32::MAX)
    }

    /// After every alarm change: pushes each `ALARM_COUNT` whose count moved (`fetchAlarmCount`).
    pub(super) fn recount_alarms(&mut self) {
        let now = crate::clock::now_ms();
        let moved: Vec<((u64, i32), i32)> = self
            .live
            .iter()
            .filter_map(|(key, sub)| match &sub.kind {
                LiveKind::AlarmCount(a) => {
                    let count = self.count_alarms(a, now);
                    (count != a.count).then_some((*key, count))
                }
                LiveKind::EntityData(_) | LiveKind::AlarmData(_) => None,
            })
            .collect();
        for (key, count) in moved {
            if let Some(LiveSub { kind: LiveKind::AlarmCount(a), sink }) = self.live.get_mut(&key) {
                a.count = count;
                sink.send(serde_json::to_string(&AlarmCountUpdate::new(key.1, count)).unwrap_or_default());
            }
        }
    }

    /// Latest-value deltas for `ENTITY_DATA` subscriptions (`TbEntityDataSubCtx.sendLatestWsMsg`):
    /// one message per key type with only the changed keys; values older than, or identical to,
    /// what the client has are dropped. `scope` is `None` for time series.
    pub(super) fn entity_data_deltas(
        &mut self,
        id: EntityId,
        scope: Option<AttributeScope>,
        changed: &BTreeMap<String, (i64, String)>,
    ) {
        let key_types = match scope {
            None => vec![EntityKeyType::TimeSeries],
            Some(scope) => vec![EntityKeyType::Attribute, attribute_key_type(scope)],
        };
        for ((_, cmd_id), sub) in self.live.iter_mut() {
            let LiveKind::EntityData(data) = &mut sub.kind else { continue };
            let Some(seen) = data.seen.get_mut(&id) else { continue };
            for key_type in &key_types {
                let wanted: Vec<&str> = data
                    .live_keys
                    .iter()
                    .filter(|k| k.key_type == *key_type)
                    .map(|k| k.key.as_str())
                    .collect();
                if wanted.is_empty() {
                    continue;
                }
                let seen = seen.entry(*key_type).or_default();
                let mut delta = BTreeMap::new();
                for (key, (ts, value)) in changed {
                    if !wanted.contains(&key.as_str()) {
                        continue;
                    }
                    if seen.get(key).is_some_and(|old| *ts < old.ts || (*ts == old.ts && *value == old.value))
                    {
                        continue;
                    }
                    let value = TsValue::new(*ts, value.clone());
                    seen.insert(key.clone(), value.clone());
                    delta.insert(key.clone(), value);
                }
                if delta.is_empty() {
                    continue;
                }
                let row = EntityData {
                    entity_id: id,
                    latest: BTreeMap::from([(*key_type, delta)]),
                    timeseries: None,
                    agg_latest: None,
                };
                sub.sink.send(rows_update(*cmd_id, None, Some(vec![row])));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::KvValue;
    use crate::store::DeviceRec;
    use tb_proto::query::{EntityDataPageLink, EntityFilter, SingleEntityFilter};
    use tb_proto::ws::LatestValueCmd;
    use tb_proto::EntityType;
    use tokio::sync::mpsc;
    use uuid::Uuid;

    #[test]
    fn stale_and_repeated_latest_values_are_dropped() {
        let mut store = Store::default();
        let id = Uuid::from_u128(3);
        store.devices.insert(
            id,
            DeviceRec {
                id,
                created_time: 0,
                name: "Probe".into(),
                device_type: "light".into(),
                label: None,
                customer: None,
                profile_id: Uuid::nil(),
                online: true,
            },
        );
        let device = EntityId::new(EntityType::Device, id);
        store.save_timeseries(device, 10, vec![("t".into(), KvValue::Long(1))]);
        let (tx, mut rx) = mpsc::channel(8);
        let sink = SessionSink { tx, signal: Default::default() };
        let cmd = EntityDataCmd {
            cmd_id: 4,
            query: Some(EntityDataQuery {
                entity_filter: Some(EntityFilter::SingleEntity(SingleEntityFilter { single_entity: device })),
                page_link: Some(EntityDataPageLink::new(10, 0)),
                ..Default::default()
            }),
            latest_cmd: Some(LatestValueCmd { keys: vec![EntityKey::new(EntityKeyType::TimeSeries, "t")] }),
            ..Default::default()
        };
        store.entity_data(1, Viewer { customer: None }, &sink, cmd, 100);
        let snapshot: serde_json::Value = serde_json::from_str(&rx.try_recv().unwrap()).unwrap();
        assert_eq!(
            snapshot["data"]["data"][0]["latest"]["TIME_SERIES"]["t"],
            serde_json::json!({"ts": 10, "value": "1"})
        );
        // Same ts and value: a duplicate. Older: stale (the latest table ignores it too).
        store.save_timeseries(device, 10, vec![("t".into(), KvValue::Long(1))]);
        store.save_timeseries(device, 9, vec![("t".into(), KvValue::Long(5))]);
        assert!(rx.try_recv().is_err());
        store.save_timeseries(device, 10, vec![("t".into(), KvValue::Long(2))]);
        let delta: serde_json::Value = serde_json::from_str(&rx.try_recv().unwrap()).unwrap();
        assert_eq!(
            delta["update"][0]["latest"]["TIME_SERIES"]["t"],
            serde_json::json!({"ts": 10, "value": "2"})
        );
        store.remove_session(1);
        store.save_timeseries(device, 11, vec![("t".into(), KvValue::Long(3))]);
        assert!(rx.try_recv().is_err());
    }
}

//! The in-memory "database": entities, relations, latest time series, attributes, and the
//! WebSocket subscriptions that hang off them.
//!
//! Invariant: writes and subscription registration happen under the same lock (the caller's
//! `Mutex<Store>`), so a new subscription's snapshot is always sent before any live update,
//! as on the real server (`getSubscriptionCallback`). Fan-out uses `try_send` on each session's
//! bounded queue, so a slow socket never blocks a writer.

mod alarms;
mod customers;
mod live;

pub(crate) use alarms::AlarmChangeError;
pub(crate) use live::LiveSub;

use crate::kv::KvValue;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tb_proto::entity::{Asset, Device, DeviceInfo};
use tb_proto::id::NULL_UUID;
use tb_proto::relation::{EntityRelation, EntityRelationsQuery, RelationTypeGroup, SearchDirection};
use tb_proto::telemetry::AttributeScope;
use tb_proto::ws::{TelemetrySubscriptionUpdate, TsPoint};
use tb_proto::{AssetId, CustomerId, DeviceId, DeviceProfileId, EntityId, EntityType};
use tokio::sync::{mpsc, Notify};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub(crate) struct CustomerRec {
    pub(crate) id: Uuid,
    pub(crate) created_time: i64,
    pub(crate) title: String,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) additional_info: Option<Value>,
    pub(crate) version: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct AssetRec {
    pub(crate) id: Uuid,
    pub(crate) created_time: i64,
    pub(crate) name: String,
    pub(crate) asset_type: String,
    pub(crate) label: Option<String>,
    pub(crate) customer: Option<Uuid>,
    pub(crate) profile_id: Uuid,
}

#[derive(Debug, Clone)]
pub(crate) struct DeviceRec {
    pub(crate) id: Uuid,
    pub(crate) created_time: i64,
    pub(crate) name: String,
    pub(crate) device_type: String,
    pub(crate) label: Option<String>,
    pub(crate) customer: Option<Uuid>,
    pub(crate) profile_id: Uuid,
    /// Has a transport session subscribed to RPC (answers RPCs, `active` = true).
    pub(crate) online: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RelationRec {
    pub(crate) from: EntityId,
    pub(crate) to: EntityId,
    pub(crate) relation_type: String,
}

/// Who is asking: the parts of an authenticated user that scoping needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Viewer {
    /// `None` for a tenant administrator.
    pub(crate) customer: Option<Uuid>,
}

/// Signals from writers to one WebSocket session.
#[derive(Debug, Default)]
pub(crate) struct SessionSignal {
    overflowed: AtomicBool,
    notify: Notify,
}

impl SessionSignal {
    pub(crate) fn overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Acquire)
    }

    pub(crate) async fn notified(&self) {
        self.notify.notified().await;
    }
}

/// A session's outbound queue as the store sees it.
#[derive(Debug, Clone)]
pub(crate) struct SessionSink {
    pub(crate) tx: mpsc::Sender<String>,
    pub(crate) signal: Arc<SessionSignal>,
}

impl SessionSink {
    pub(crate) fn send(&self, text: String) {
        // try_send: a writer must never wait for a socket. A full queue ends the session
        // (the real server closes with 1008 "Max pending updates limit reached!").
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(text) {
            self.signal.overflowed.store(true, Ordering::Release);
            self.signal.notify.notify_one();
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum SubKind {
    Timeseries { keys: Option<Vec<String>> },
    Attributes { scope: Option<AttributeScope>, keys: Option<Vec<String>> },
}

#[derive(Debug, Clone)]
pub(crate) struct Subscription {
    pub(crate) session: u64,
    pub(crate) cmd_id: i32,
    pub(crate) kind: SubKind,
    pub(crate) sink: SessionSink,
}

type Latest = BTreeMap<String, (i64, KvValue)>;

#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) tenant_id: Uuid,
    pub(crate) customers: Vec<CustomerRec>,
    pub(crate) assets: BTreeMap<Uuid, AssetRec>,
    pub(crate) devices: BTreeMap<Uuid, DeviceRec>,
    /// Device profile id -> name; the tenant owns them all.
    pub(crate) device_profiles: BTreeMap<Uuid, String>,
    pub(crate) relations: Vec<RelationRec>,
    /// `(from, to)` of every relation, so that adding one stays O(1) at 50,000 devices.
    relation_index: HashSet<(EntityId, EntityId)>,
    latest: HashMap<EntityId, Latest>,
    attributes: HashMap<EntityId, BTreeMap<AttributeScope, Latest>>,
    subs: HashMap<EntityId, Vec<Subscription>>,
    /// `ENTITY_DATA` and `ALARM_COUNT` subscriptions by `(session, cmdId)`.
    live: BTreeMap<(u64, i32), LiveSub>,
    alarms: BTreeMap<Uuid, tb_proto::alarm::Alarm>,
    /// The last [`HISTORY_LIMIT`] points per key, oldest first.
    history: HashMap<EntityId, HashMap<String, VecDeque<(i64, KvValue)>>>,
}

/// Points of history kept per key.
pub(crate) const HISTORY_LIMIT: usize = 1000;

fn keys_match(keys: &Option<Vec<String>>, key: &str) -> bool {
    keys.as_ref().is_none_or(|keys| keys.iter().any(|k| k == key))
}

/// A `TelemetrySubscriptionUpdate` text for `points` (key -> (ts, value or null)).
pub(crate) fn update_text(cmd_id: i32, points: BTreeMap<String, (i64, Value)>) -> String {
    let latest_values = points.iter().map(|(k, (ts, _))| (k.clone(), *ts)).collect();
    let data = points.into_iter().map(|(k, (ts, v))| (k, vec![TsPoint(ts, v)])).collect();
    let update = TelemetrySubscriptionUpdate {
        subscription_id: cmd_id,
        error_code: 0,
        error_msg: None,
        data: Some(data),
        latest_values: Some(latest_values),
    };
    serde_json::to_string(&update).unwrap_or_default()
}

/// `changed` values (always strings here) as `key -> (ts, text)`.
fn as_text(changed: &BTreeMap<String, (i64, Value)>) -> BTreeMap<String, (i64, String)> {
    changed.iter().map(|(k, (ts, v))| (k.clone(), (*ts, v.as_str().unwrap_or_default().to_owned()))).collect()
}

/// The legacy-shaped error every WebSocket error uses.
pub(crate) fn error_text(subscription_id: i32, error_code: i32, msg: &str) -> String {
    let update = TelemetrySubscriptionUpdate {
        subscription_id,
        error_code,
        error_msg: Some(msg.to_owned()),
        data: None,
        latest_values: Some(BTreeMap::new()),
    };
    serde_json::to_string(&update).unwrap_or_default()
}

impl Store {
    pub(crate) fn customer_title(&self, id: Uuid) -> Option<&str> {
        self.customers.iter().find(|c| c.id == id).map(|c| c.title.as_str())
    }

    pub(crate) fn asset_by_name(&self, name: &str) -> Option<&AssetRec> {
        self.assets.values().find(|a| a.name == name)
    }

    pub(crate) fn device_by_name(&self, name: &str) -> Option<&DeviceRec> {
        self.devices.values().find(|d| d.name == name)
    }

    /// The owning customer of an entity; `None` when it does not exist.
    fn owner(&self, id: &EntityId) -> Option<Option<Uuid>> {
        match id.entity_type {
            EntityType::Asset => self.assets.get(&id.id).map(|a| a.customer),
            EntityType::Device => self.devices.get(&id.id).map(|d| d.customer),
            EntityType::DeviceProfile => self.device_profiles.contains_key(&id.id).then_some(None),
            EntityType::Customer => self.customers.iter().any(|c| c.id == id.id).then_some(Some(id.id)),
            EntityType::Tenant => (id.id == self.tenant_id).then_some(None),
            _ => None,
        }
    }

    pub(crate) fn exists(&self, id: &EntityId) -> bool {
        self.owner(id).is_some()
    }

    /// Whether `viewer` may read the entity's data (attributes, telemetry, alarms, relations).
    /// Device profiles belong to the tenant: a customer user has `READ` on one (not served here)
    /// but not `READ_ATTRIBUTES`, so it is refused, as on the server.
    pub(crate) fn can_read(&self, viewer: Viewer, id: &EntityId) -> bool {
        match (self.owner(id), viewer.customer) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(owner), Some(customer)) => owner == Some(customer),
        }
    }

    pub(crate) fn name_of(&self, id: &EntityId) -> Option<String> {
        match id.entity_type {
            EntityType::Asset => self.assets.get(&id.id).map(|a| a.name.clone()),
            EntityType::Device => self.devices.get(&id.id).map(|d| d.name.clone()),
            EntityType::DeviceProfile => self.device_profiles.get(&id.id).cloned(),
            EntityType::Customer => self.customer_title(id.id).map(str::to_owned),
            EntityType::Tenant => (id.id == self.tenant_id).then(|| "Tenant".to_owned()),
            _ => None,
        }
    }

    fn customer_ref(&self, customer: Option<Uuid>) -> CustomerId {
        CustomerId(customer.unwrap_or(NULL_UUID))
    }

    pub(crate) fn asset_json(&self, a: &AssetRec) -> Asset {
        Asset {
            id: AssetId(a.id),
            created_time: a.created_time,
            tenant_id: Some(EntityId::new(EntityType::Tenant, self.tenant_id)),
            customer_id: Some(self.customer_ref(a.customer)),
            name: a.name.clone(),
            asset_type: a.asset_type.clone(),
            label: a.label.clone(),
            asset_profile_id: Some(EntityId::new(EntityType::AssetProfile, a.profile_id)),
            additional_info: None,
            external_id: None,
            version: Some(1),
        }
    }

    pub(crate) fn device_json(&self, d: &DeviceRec) -> Device {
        Device {
            id: DeviceId(d.id),
            created_time: d.created_time,
            tenant_id: Some(EntityId::new(EntityType::Tenant, self.tenant_id)),
            customer_id: Some(self.customer_ref(d.customer)),
            name: d.name.clone(),
            device_type: d.device_type.clone(),
            label: d.label.clone(),
            device_profile_id: Some(DeviceProfileId(d.profile_id)),
            firmware_id: None,
            software_id: None,
            device_data: Some(
                json!({"configuration": {"type": "DEFAULT"}, "transportConfiguration": {"type": "DEFAULT"}}),
            ),
            additional_info: None,
            external_id: None,
            version: Some(1),
        }
    }

    pub(crate) fn device_info_json(&self, d: &DeviceRec) -> DeviceInfo {
        DeviceInfo {
            device: self.device_json(d),
            customer_title: d.customer.and_then(|c| self.customer_title(c)).map(str::to_owned),
            customer_is_public: false,
            device_profile_name: Some(d.device_type.clone()),
            active: d.online,
        }
    }

    pub(crate) fn add_relation(&mut self, from: EntityId, to: EntityId) {
        if self.relation_index.insert((from, to)) {
            let rel = RelationRec { from, to, relation_type: tb_proto::relation::CONTAINS.to_owned() };
            self.relations.push(rel);
        }
    }

    /// Deletes every relation to `to`; whether there was one.
    pub(crate) fn remove_relations_to(&mut self, to: EntityId) -> bool {
        let before = self.relations.len();
        self.relations.retain(|r| r.to != to);
        self.relation_index.retain(|(_, t)| *t != to);
        self.relations.len() != before
    }

    pub(crate) fn relation_json(&self, r: &RelationRec, info: Option<SearchDirection>) -> EntityRelation {
        let name = |id: &EntityId| Some(self.name_of(id).unwrap_or_else(|| "N/A".to_owned()));
        EntityRelation {
            from: r.from,
            to: r.to,
            relation_type: r.relation_type.clone(),
            type_group: RelationTypeGroup::Common,
            version: Some(1),
            additional_info: None,
            from_name: if info == Some(SearchDirection::To) { name(&r.from) } else { None },
            to_name: if info == Some(SearchDirection::From) { name(&r.to) } else { None },
        }
    }

    /// `BaseRelationService.findByQuery`: breadth-first, every child expanded once, filters
    /// applied to the far end of each edge after the traversal.
    pub(crate) fn query_relations(&self, query: &EntityRelationsQuery) -> Vec<&RelationRec> {
        let p = &query.parameters;
        let from = p.direction == Some(SearchDirection::From);
        if p.relation_type_group.is_some_and(|g| g != RelationTypeGroup::Common) {
            return Vec::new();
        }
        let max_level = if p.max_level <= 0 { i32::MAX } else { p.max_level };
        let root = EntityId::new(p.root_type, p.root_id);
        let mut adjacency: HashMap<EntityId, Vec<usize>> = HashMap::new();
        for (index, r) in self.relations.iter().enumerate() {
            adjacency.entry(if from { r.from } else { r.to }).or_default().push(index);
        }
        let far = |r: &RelationRec| if from { r.to } else { r.from };
        let mut seen: HashSet<EntityId> = HashSet::new();
        let mut found: HashSet<usize> = HashSet::new();
        let mut result: Vec<&RelationRec> = Vec::new();
        let mut queue = VecDeque::from([(root, 1)]);
        while let Some((node, level)) = queue.pop_front() {
            for &index in adjacency.get(&node).into_iter().flatten() {
                let edge = &self.relations[index];
                let child = far(edge);
                let child_is_leaf = !adjacency.contains_key(&child);
                let keep = !p.fetch_last_level_only || level == max_level || child_is_leaf;
                if keep && found.insert(index) {
                    result.push(edge);
                }
                if level < max_level && seen.insert(child) {
                    queue.push_back((child, level + 1));
                }
            }
        }
        result
            .into_iter()
            .filter(|r| {
                query.filters.is_empty()
                    || query.filters.iter().any(|f| {
                        f.relation_type.as_deref().is_none_or(|t| t.is_empty() || t == r.relation_type)
                            && (f.entity_types.is_empty() || f.entity_types.contains(&far(r).entity_type))
                    })
            })
            .collect()
    }

    /// The stored points of one key, oldest first.
    pub(crate) fn history(&self, id: &EntityId, key: &str) -> Option<&VecDeque<(i64, KvValue)>> {
        self.history.get(id).and_then(|h| h.get(key))
    }

    pub(crate) fn latest(&self, id: &EntityId) -> Option<&Latest> {
        self.latest.get(id)
    }

    pub(crate) fn attributes(&self, id: &EntityId, scope: AttributeScope) -> Option<&Latest> {
        self.attributes.get(id).and_then(|m| m.get(&scope))
    }

    /// Saves latest values (a value older than the stored one is ignored, as in the latest
    /// table) and sends the changed keys to every TIMESERIES subscription of the entity.
    pub(crate) fn save_timeseries(&mut self, id: EntityId, ts: i64, values: Vec<(String, KvValue)>) {
        self.evaluate_alarm_rules(id, ts, &values);
        let history = self.history.entry(id).or_default();
        for (key, value) in &values {
            let points = history.entry(key.clone()).or_default();
            let at = points.partition_point(|(t, _)| *t <= ts);
            points.insert(at, (ts, value.clone()));
            if points.len() > HISTORY_LIMIT {
                points.pop_front();
            }
        }
        let latest = self.latest.entry(id).or_default();
        let mut changed = BTreeMap::new();
        for (key, value) in values {
            if latest.get(&key).is_some_and(|(old_ts, _)| *old_ts > ts) {
                continue;
            }
            changed.insert(key.clone(), (ts, Value::String(value.as_string())));
            latest.insert(key, (ts, value));
        }
        if changed.is_empty() {
            return;
        }
        self.entity_data_deltas(id, None, &as_text(&changed));
        for sub in self.subs.get(&id).into_iter().flatten() {
            if let SubKind::Timeseries { keys } = &sub.kind {
                let points: BTreeMap<_, _> = changed
                    .iter()
                    .filter(|(k, _)| keys_match(keys, k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                if !points.is_empty() {
                    sub.sink.send(update_text(sub.cmd_id, points));
                }
            }
        }
    }

    pub(crate) fn save_attributes(
        &mut self,
        id: EntityId,
        scope: AttributeScope,
        ts: i64,
        values: Vec<(String, KvValue)>,
    ) {
        let stored = self.attributes.entry(id).or_default().entry(scope).or_default();
        let mut changed = BTreeMap::new();
        for (key, value) in values {
            changed.insert(key.clone(), (ts, Value::String(value.as_string())));
            stored.insert(key, (ts, value));
        }
        self.entity_data_deltas(id, Some(scope), &as_text(&changed));
        for sub in self.subs.get(&id).into_iter().flatten() {
            if let SubKind::Attributes { scope: wanted, keys } = &sub.kind {
                if wanted.is_some_and(|w| w != scope) {
                    continue;
                }
                let points: BTreeMap<_, _> = changed
                    .iter()
                    .filter(|(k, _)| keys_match(keys, k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                if !points.is_empty() {
                    sub.sink.send(update_text(sub.cmd_id, points));
                }
            }
        }
    }

    /// Registers a subscription (replacing one with the same session and cmdId) and sends its snapshot.
    pub(crate) fn subscribe(&mut self, entity: EntityId, sub: Subscription) {
        self.unsubscribe(sub.session, sub.cmd_id);
        let mut points = BTreeMap::new();
        match &sub.kind {
            SubKind::Timeseries { keys } => {
                let latest = self.latest.get(&entity);
                match keys {
                    Some(keys) => {
                        let now = crate::clock::now_ms();
                        for key in keys {
                            let point = latest
                                .and_then(|l| l.get(key))
                                .map_or((now, Value::Null), |(ts, v)| (*ts, Value::String(v.as_string())));
                            points.insert(key.clone(), point);
                        }
                    }
                    None => {
                        for (key, (ts, v)) in latest.into_iter().flatten() {
                            points.insert(key.clone(), (*ts, Value::String(v.as_string())));
                        }
                    }
                }
            }
            SubKind::Attributes { scope, keys } => {
                let scopes = self.attributes.get(&entity);
                for (s, values) in scopes.into_iter().flatten() {
                    if scope.is_some_and(|w| w != *s) {
                        continue;
                    }
                    for (key, (ts, v)) in values {
                        if keys_match(keys, key) {
                            points.insert(key.clone(), (*ts, Value::String(v.as_string())));
                        }
                    }
                }
            }
        }
        sub.sink.send(update_text(sub.cmd_id, points));
        self.subs.entry(entity).or_default().push(sub);
    }

    pub(crate) fn unsubscribe(&mut self, session: u64, cmd_id: i32) {
        for subs in self.subs.values_mut() {
            subs.retain(|s| !(s.session == session && s.cmd_id == cmd_id));
        }
    }

    pub(crate) fn remove_session(&mut self, session: u64) {
        self.remove_live_session(session);
        for subs in self.subs.values_mut() {
            subs.retain(|s| s.session != session);
        }
        self.subs.retain(|_, subs| !subs.is_empty());
    }

    /// Called after every alarm change: WebSocket alarm counts and alarm pages hang off it.
    fn alarm_changed(&mut self, id: Uuid) {
        self.recount_alarms();
        let alarm = self.alarms.get(&id).cloned();
        self.alarm_data_changed(id, alarm.as_ref());
    }

    /// Marks a device connected or not, keeping the `SERVER_SCOPE` activity attributes in step.
    pub(crate) fn set_online(&mut self, id: Uuid, online: bool, now: i64) -> bool {
        let Some(device) = self.devices.get_mut(&id) else { return false };
        if device.online == online {
            return true;
        }
        device.online = online;
        self.evaluate_offline_rule(id, online, now);
        let time_key = if online { "lastConnectTime" } else { "lastDisconnectTime" };
        self.save_attributes(
            EntityId::new(EntityType::Device, id),
            AttributeScope::ServerScope,
            now,
            vec![("active".to_owned(), KvValue::Bool(online)), (time_key.to_owned(), KvValue::Long(now))],
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tb_proto::relation::{RelationEntityTypeFilter, RelationsSearchParameters};

    fn asset(n: u128) -> EntityId {
        EntityId::new(EntityType::Asset, Uuid::from_u128(n))
    }

    fn query(root: EntityId, max_level: i32, last_only: bool) -> EntityRelationsQuery {
        EntityRelationsQuery {
            parameters: RelationsSearchParameters {
                root_id: root.id,
                root_type: root.entity_type,
                direction: Some(SearchDirection::From),
                relation_type_group: None,
                max_level,
                fetch_last_level_only: last_only,
            },
            filters: vec![],
        }
    }

    #[test]
    fn bfs_handles_cycles_levels_and_filters() {
        let mut store = Store::default();
        let dev = EntityId::new(EntityType::Device, Uuid::from_u128(9));
        store.add_relation(asset(1), asset(2));
        store.add_relation(asset(2), asset(3));
        store.add_relation(asset(3), asset(1));
        store.add_relation(asset(2), dev);
        assert_eq!(store.query_relations(&query(asset(1), 0, false)).len(), 4);
        assert_eq!(store.query_relations(&query(asset(1), 1, false)).len(), 1);
        assert_eq!(store.query_relations(&query(asset(1), 2, false)).len(), 3);
        let mut q = query(asset(1), 0, false);
        q.filters = vec![RelationEntityTypeFilter {
            relation_type: Some("Contains".into()),
            entity_types: vec![EntityType::Device],
            negate: false,
        }];
        let found = store.query_relations(&q);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].to, dev);
        // Level 2 edges plus the edge into the leaf device.
        let last = store.query_relations(&query(asset(1), 2, true));
        assert_eq!(last.len(), 2, "{last:?}");
    }

    #[test]
    fn snapshot_precedes_updates_and_only_changed_keys_follow() {
        let mut store = Store::default();
        let id = EntityId::new(EntityType::Device, Uuid::from_u128(5));
        store.save_timeseries(id, 10, vec![("t".into(), KvValue::Double(25.0))]);
        let (tx, mut rx) = mpsc::channel(8);
        let sink = SessionSink { tx, signal: Arc::default() };
        let kind = SubKind::Timeseries { keys: Some(vec!["t".into(), "h".into()]) };
        store.subscribe(id, Subscription { session: 1, cmd_id: 3, kind, sink });
        let snap: serde_json::Value = serde_json::from_str(&rx.try_recv().unwrap()).unwrap();
        assert_eq!(snap["data"]["t"], json!([[10, "25.0"]]));
        assert!(snap["data"]["h"][0][1].is_null());
        store.save_timeseries(id, 11, vec![("t".into(), KvValue::Long(26)), ("x".into(), KvValue::Long(1))]);
        let update: serde_json::Value = serde_json::from_str(&rx.try_recv().unwrap()).unwrap();
        assert_eq!(
            update,
            json!({"subscriptionId": 3, "errorCode": 0, "errorMsg": null,
            "data": {"t": [[11, "26"]]}, "latestValues": {"t": 11}})
        );
        store.remove_session(1);
        store.save_timeseries(id, 12, vec![("t".into(), KvValue::Long(27))]);
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn full_queue_flags_the_session_instead_of_blocking() {
        let (tx, _rx) = mpsc::channel(1);
        let sink = SessionSink { tx, signal: Arc::default() };
        sink.send("a".into());
        assert!(!sink.signal.overflowed());
        sink.send("b".into());
        assert!(sink.signal.overflowed());
    }
}

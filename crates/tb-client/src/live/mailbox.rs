//! Where the socket reader leaves updates for one subscriber: latest value per key, never blocking.
//! A slow consumer gets fewer, fuller batches instead of an unbounded queue.

use super::subscription::{AlarmPage, ClosedReason, EntityValue, LiveEvent, SubscriptionError};
use crate::value::LatestValue;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use tb_proto::query::{AlarmData, EntityKeyType};
use tb_proto::value::merge_newest_within;
use tb_proto::EntityId;
use tokio::sync::Notify;

const MAX_PENDING_ERRORS: usize = 8;
/// Keys held for a subscriber between takes: far more than a device reports; a server sending
/// ever new keys is cut here (the keys held keep updating).
const MAX_PENDING_KEYS: usize = 4096;
/// Entity values held between takes: a rollup of the largest page (200,000 devices) with two keys.
const MAX_PENDING_ENTITY_VALUES: usize = 400_000;
/// Changed alarms held between takes: the alarm lists ask for pages of 1,024.
const MAX_PENDING_ALARM_CHANGES: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct Mailbox {
    state: Mutex<State>,
    notify: Notify,
}

#[derive(Debug, Default)]
struct State {
    /// The pending batch replaces the subscriber's state rather than merging into it.
    snapshot: bool,
    has_values: bool,
    values: BTreeMap<String, LatestValue>,
    has_entity_values: bool,
    entity_values: BTreeMap<(EntityId, EntityKeyType, String), EntityValue>,
    /// The pending snapshot's count of matching entities.
    matching: Option<i64>,
    /// The newest count not yet taken (an alarm count replaces the previous one).
    count: Option<i64>,
    /// `ALARM_DATA` only, so boxed: every other subscription pays one pointer for it.
    alarms: Option<Box<PendingAlarms>>,
    errors: VecDeque<SubscriptionError>,
    /// Boxed for the same reason: set once, at the end.
    closed: Option<Box<ClosedReason>>,
}

/// The page not yet taken, and the alarms changed since it (or since the last take).
#[derive(Debug, Default)]
struct PendingAlarms {
    page: Option<AlarmPage>,
    changes: BTreeMap<uuid::Uuid, AlarmData>,
}

impl Mailbox {
    /// A snapshot discards whatever delta was pending; a delta merges, newest timestamp winning.
    pub(crate) fn push_values(&self, snapshot: bool, values: Vec<LatestValue>) {
        let mut state = self.state.lock().expect("mailbox lock");
        if snapshot {
            state.values.clear();
            state.snapshot = true;
        }
        let dropped = merge_newest_within(&mut state.values, values, MAX_PENDING_KEYS);
        state.has_values = true;
        drop(state);
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "a subscription's update has more keys than are kept; the rest is dropped"
            );
        }
        self.notify.notify_one();
    }

    /// Like [`Self::push_values`], per (entity, key type, key): `ENTITY_DATA` subscriptions. A
    /// snapshot comes with the number of entities matching the query.
    pub(crate) fn push_entity_values(&self, snapshot: Option<i64>, values: Vec<EntityValue>) {
        let mut state = self.state.lock().expect("mailbox lock");
        if let Some(matching) = snapshot {
            state.entity_values.clear();
            state.snapshot = true;
            state.matching = Some(matching);
        }
        let dropped = merge_newest_within(&mut state.entity_values, values, MAX_PENDING_ENTITY_VALUES);
        state.has_entity_values = true;
        drop(state);
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "an entity subscription's update has more values than are kept; the rest is dropped"
            );
        }
        self.notify.notify_one();
    }

    /// The latest count wins.
    pub(crate) fn push_count(&self, count: i64) {
        self.state.lock().expect("mailbox lock").count = Some(count);
        self.notify.notify_one();
    }

    /// A page replaces the pending page and changes; a change replaces the pending state of its alarm.
    pub(crate) fn push_alarm_page(&self, page: AlarmPage) {
        let mut state = self.state.lock().expect("mailbox lock");
        let pending = state.alarms.get_or_insert_with(Box::default);
        pending.changes.clear();
        pending.page = Some(page);
        drop(state);
        self.notify.notify_one();
    }

    pub(crate) fn push_alarm_changes(&self, changed: Vec<AlarmData>) {
        let mut state = self.state.lock().expect("mailbox lock");
        let pending = state.alarms.get_or_insert_with(Box::default);
        for alarm in changed {
            let id = alarm.info.alarm.id.id;
            if pending.changes.len() < MAX_PENDING_ALARM_CHANGES || pending.changes.contains_key(&id) {
                pending.changes.insert(id, alarm);
            }
        }
        drop(state);
        self.notify.notify_one();
    }

    pub(crate) fn push_error(&self, error: SubscriptionError) {
        let mut state = self.state.lock().expect("mailbox lock");
        if state.errors.len() == MAX_PENDING_ERRORS {
            state.errors.pop_front();
        }
        state.errors.push_back(error);
        drop(state);
        self.notify.notify_one();
    }

    /// No more events will come; pending ones are still delivered. The first reason stays.
    pub(crate) fn close(&self, reason: ClosedReason) {
        self.state.lock().expect("mailbox lock").closed.get_or_insert_with(|| Box::new(reason));
        self.notify.notify_one();
    }

    pub(crate) fn closed_reason(&self) -> Option<ClosedReason> {
        self.state.lock().expect("mailbox lock").closed.as_deref().cloned()
    }

    /// The next event: errors first, then the coalesced values; `None` once closed and drained.
    pub(crate) async fn next(&self) -> Option<LiveEvent> {
        loop {
            {
                let mut state = self.state.lock().expect("mailbox lock");
                if let Some(error) = state.errors.pop_front() {
                    return Some(LiveEvent::Error(error));
                }
                if state.has_values {
                    let values = std::mem::take(&mut state.values).into_values().collect();
                    let snapshot = std::mem::take(&mut state.snapshot);
                    state.has_values = false;
                    return Some(LiveEvent::Values { snapshot, values });
                }
                if state.has_entity_values {
                    let values = std::mem::take(&mut state.entity_values).into_values().collect();
                    let snapshot = std::mem::take(&mut state.snapshot);
                    let matching = state.matching.take();
                    state.has_entity_values = false;
                    return Some(LiveEvent::EntityValues { snapshot, values, matching });
                }
                if let Some(count) = state.count.take() {
                    return Some(LiveEvent::Count(count));
                }
                if let Some(pending) = state.alarms.take() {
                    let PendingAlarms { page, changes } = *pending;
                    return Some(LiveEvent::Alarms { page, changed: changes.into_values().collect() });
                }
                if state.closed.is_some() {
                    return None;
                }
            }
            // notify_one stores a permit when nobody waits, so a push between the check and here is not lost.
            self.notify.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::TbValue;
    use tb_proto::EntityType;

    fn v(key: &str, ts: i64, n: f64) -> LatestValue {
        LatestValue { key: key.into(), ts, value: TbValue::Number(n) }
    }

    #[tokio::test]
    async fn deltas_coalesce_to_the_newest_value_per_key() {
        let mb = Mailbox::default();
        mb.push_values(false, vec![v("t", 1, 20.0), v("h", 1, 50.0)]);
        mb.push_values(false, vec![v("t", 3, 22.0)]);
        mb.push_values(false, vec![v("t", 2, 21.0)]);
        let Some(LiveEvent::Values { snapshot, values }) = mb.next().await else { panic!() };
        assert!(!snapshot);
        assert_eq!(values, vec![v("h", 1, 50.0), v("t", 3, 22.0)]);
    }

    /// A server sending ever new keys to a subscriber that has not taken them grew its mailbox
    /// without end.
    #[tokio::test]
    async fn ever_new_keys_are_held_up_to_a_bound_and_held_keys_keep_updating() {
        let mb = Mailbox::default();
        for batch in 0..10 {
            let values = (0..1000).map(|k| v(&format!("k{batch}-{k}"), 1, 1.0)).collect();
            mb.push_values(false, values);
        }
        mb.push_values(false, vec![v("k0-0", 2, 7.0)]);
        let Some(LiveEvent::Values { values, .. }) = mb.next().await else { panic!() };
        assert_eq!(values.len(), MAX_PENDING_KEYS);
        assert!(values.contains(&v("k0-0", 2, 7.0)), "a held key still updates");
    }

    #[tokio::test]
    async fn a_snapshot_replaces_pending_deltas_and_later_deltas_merge_into_it() {
        let mb = Mailbox::default();
        mb.push_values(false, vec![v("old", 1, 1.0)]);
        mb.push_values(true, vec![v("t", 5, 20.0)]);
        mb.push_values(false, vec![v("h", 6, 40.0)]);
        let Some(LiveEvent::Values { snapshot, values }) = mb.next().await else { panic!() };
        assert!(snapshot);
        assert_eq!(values, vec![v("h", 6, 40.0), v("t", 5, 20.0)]);
    }

    #[tokio::test]
    async fn errors_come_first_and_close_ends_after_draining() {
        let mb = Mailbox::default();
        mb.push_values(false, vec![v("t", 1, 1.0)]);
        mb.push_error(SubscriptionError { code: 2, message: "Keys are empty!".into() });
        mb.close(ClosedReason::Shutdown);
        assert!(matches!(mb.next().await, Some(LiveEvent::Error(_))));
        assert!(matches!(mb.next().await, Some(LiveEvent::Values { .. })));
        assert!(mb.next().await.is_none());
    }

    fn ev(entity: u128, key: &str, ts: i64, n: f64) -> EntityValue {
        EntityValue {
            entity: EntityId::new(EntityType::Device, uuid::Uuid::from_u128(entity)),
            key_type: EntityKeyType::TimeSeries,
            key: key.into(),
            ts,
            value: TbValue::Number(n),
        }
    }

    #[tokio::test]
    async fn entity_values_coalesce_per_entity_and_key() {
        let mb = Mailbox::default();
        mb.push_entity_values(None, vec![ev(1, "t", 1, 20.0), ev(2, "t", 1, 30.0)]);
        mb.push_entity_values(None, vec![ev(1, "t", 3, 22.0), ev(2, "t", 0, 0.0)]);
        mb.push_entity_values(None, vec![ev(1, "t", 2, 21.0)]);
        let Some(LiveEvent::EntityValues { snapshot, values, .. }) = mb.next().await else { panic!() };
        assert!(!snapshot);
        assert_eq!(
            values,
            vec![ev(1, "t", 3, 22.0), ev(2, "t", 1, 30.0)],
            "same key, other entity: kept apart"
        );
    }

    #[tokio::test]
    async fn an_entity_snapshot_replaces_pending_deltas() {
        let mb = Mailbox::default();
        mb.push_entity_values(None, vec![ev(9, "gone", 5, 1.0)]);
        mb.push_entity_values(Some(1), vec![ev(1, "t", 4, 20.0)]);
        mb.push_entity_values(None, vec![ev(2, "t", 6, 40.0)]);
        let Some(LiveEvent::EntityValues { snapshot, values, matching }) = mb.next().await else { panic!() };
        assert!(snapshot);
        assert_eq!(matching, Some(1), "the snapshot's count of matching entities travels with it");
        assert_eq!(values, vec![ev(1, "t", 4, 20.0), ev(2, "t", 6, 40.0)]);
        mb.push_entity_values(None, vec![ev(1, "t", 7, 21.0)]);
        let Some(LiveEvent::EntityValues { snapshot: false, matching: None, .. }) = mb.next().await else {
            panic!()
        };
    }

    #[tokio::test]
    async fn the_latest_count_wins() {
        let mb = Mailbox::default();
        mb.push_count(3);
        mb.push_count(1);
        assert_eq!(mb.next().await, Some(LiveEvent::Count(1)));
        mb.push_count(0);
        mb.close(ClosedReason::Shutdown);
        assert_eq!(mb.next().await, Some(LiveEvent::Count(0)));
        assert!(mb.next().await.is_none());
    }

    fn alarm(id: u128, acknowledged: bool) -> AlarmData {
        let device = EntityId::new(EntityType::Device, uuid::Uuid::from_u128(99));
        let mut alarm = tb_proto::alarm::Alarm::new(
            EntityId::new(EntityType::Alarm, uuid::Uuid::from_u128(id)),
            "High CO2",
            device,
            tb_proto::alarm::AlarmSeverity::Major,
            1,
        );
        alarm.set_flags(false, acknowledged);
        AlarmData {
            info: tb_proto::alarm::AlarmInfo::new(alarm, "Probe", None),
            entity_id: device,
            latest: BTreeMap::new(),
        }
    }

    fn page(alarms: Vec<AlarmData>) -> AlarmPage {
        let total = alarms.len() as i64;
        AlarmPage { alarms, total_alarms: total, matching_entities: 1, allowed_entities: 10_000 }
    }

    #[tokio::test]
    async fn an_alarm_page_replaces_pending_changes_and_later_changes_ride_with_it() {
        let mb = Mailbox::default();
        mb.push_alarm_changes(vec![alarm(1, false)]);
        mb.push_alarm_changes(vec![alarm(1, true), alarm(2, false)]);
        let Some(LiveEvent::Alarms { page: None, changed }) = mb.next().await else { panic!() };
        assert_eq!(changed, vec![alarm(1, true), alarm(2, false)], "the newest state of each alarm");

        mb.push_alarm_changes(vec![alarm(3, false)]);
        mb.push_alarm_page(page(vec![alarm(1, true)]));
        mb.push_alarm_changes(vec![alarm(1, false)]);
        let Some(LiveEvent::Alarms { page: Some(p), changed }) = mb.next().await else { panic!() };
        assert_eq!(p, page(vec![alarm(1, true)]));
        assert_eq!(changed, vec![alarm(1, false)], "a change before the page is gone, one after it stays");
    }
}

//! Live rollups of an opened node: one `ENTITY_DATA` subscription for every device below it
//! (the averaged key and `active`), their active alarms (asked of the server for just those
//! devices, re-read when an `ALARM_COUNT` subscription changes, and every 30 s), and per child
//! the device count, offline count, average of the chosen key and worst alarm, at most one batch
//! per 250 ms.

use atrium_ipc::{NodeRollup, NodeRollupBatch, TreeNode};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;
use tb_client::live::{EntityValue, LiveEvent, LiveHandle, SubscriptionSpec};
use tb_client::proto::alarm::{AlarmSearchStatus, AlarmSeverity};
use tb_client::proto::query::{
    AlarmCountQuery, AlarmDataPageLink, AlarmDataQuery, EntityDataPageLink, EntityDataQuery,
    EntityDataSortOrder, EntityFilter, EntityKey, EntityKeyType, SortDirection,
};
use tb_client::proto::{EntityId, EntityType};
use tb_client::Client;
use uuid::Uuid;

/// The UI gets at most one batch per this interval per watched node.
pub(crate) const ROLLUP_FRAME: Duration = Duration::from_millis(250);
/// A failed alarm read is tried again this soon rather than at the next regular refresh.
const ALARM_RETRY: Duration = Duration::from_secs(2);

/// Alarms per page of the alarm query.
const ALARM_PAGE: i32 = 1000;
/// `server.ws.max_entities_per_alarm_subscription`: an alarm query looks at this many devices.
const SCOPED_ALARM_DEVICES: usize = 10_000;
/// Active alarms are re-read this often.
pub(crate) const ALARM_REFRESH: Duration = Duration::from_secs(30);
/// The connectivity key (a SERVER_SCOPE attribute the server maintains).
pub(crate) const ACTIVE_KEY: &str = "active";
/// The subscription's one page holds the devices the loaded tree has below the node plus this
/// share for devices added since (the server does not cap an `ENTITY_DATA` page).
const PAGE_HEADROOM_PERCENT: usize = 10;
const MIN_PAGE_SIZE: usize = 100;
/// The most devices one rollup follows: twice the building a tree holds at most
/// ([`crate::building::TreeLimits`]); a server reporting more matches than that is not believed.
const MAX_PAGE_SIZE: usize = 200_000;

/// One row's structure: which devices are below it (from the loaded tree).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Group {
    pub id: String,
    pub name: String,
    pub kind: atrium_ipc::NodeKind,
    pub devices: BTreeSet<Uuid>,
}

/// The node itself, then each child, with the devices at any depth below them (through links
/// too, see [`TreeNode::link`]); `tree` is the whole tree `node` is in. A device reached twice
/// (in two rooms) is counted once per group.
pub(crate) fn groups_of(tree: &[TreeNode], node: &TreeNode) -> Vec<Group> {
    let index = crate::building::TreeIndex::new(tree);
    let group = |n: &TreeNode| Group {
        id: n.id.clone(),
        name: n.display_name().to_owned(),
        kind: n.kind,
        devices: index.devices_below(n),
    };
    std::iter::once(group(node)).chain(node.children.iter().map(group)).collect()
}

#[derive(Debug, Clone, Default, PartialEq)]
struct DeviceState {
    active: Option<(bool, i64)>,
    reading: Option<(f64, i64)>,
}

/// What the subscription and the alarm reads have told so far.
#[derive(Debug)]
pub(crate) struct RollupState {
    /// The averaged time-series key.
    average_key: String,
    devices: HashMap<Uuid, DeviceState>,
    alarms: HashMap<Uuid, AlarmSeverity>,
}

impl RollupState {
    pub(crate) fn new(average_key: &str) -> Self {
        Self { average_key: average_key.to_owned(), devices: HashMap::new(), alarms: HashMap::new() }
    }

    /// Applies an `ENTITY_DATA` update: a snapshot replaces everything, a delta merges (newest ts wins).
    pub(crate) fn apply(&mut self, snapshot: bool, values: &[EntityValue]) {
        if snapshot {
            self.devices.clear();
        }
        for v in values {
            if v.entity.entity_type != EntityType::Device {
                continue;
            }
            let device = self.devices.entry(v.entity.id).or_default();
            match (v.key_type, v.key.as_str()) {
                (EntityKeyType::TimeSeries, key) if key == self.average_key => {
                    let reading = v.value.as_f64().map(|n| (n, v.ts));
                    if snapshot || device.reading.is_none_or(|(_, ts)| v.ts >= ts) {
                        device.reading = reading;
                    }
                }
                (EntityKeyType::ServerAttribute | EntityKeyType::Attribute, ACTIVE_KEY) => {
                    let state = v.value.as_bool().map(|b| (b, v.ts));
                    if snapshot || device.active.is_none_or(|(_, ts)| v.ts >= ts) {
                        device.active = state;
                    }
                }
                _ => {}
            }
        }
    }

    /// The devices known to be offline: when this set changes, alarms have usually changed too.
    fn offline(&self) -> BTreeSet<Uuid> {
        self.devices.iter().filter(|(_, d)| matches!(d.active, Some((false, _)))).map(|(id, _)| *id).collect()
    }

    /// Replaces the known active alarms: device -> worst severity.
    pub(crate) fn set_alarms(&mut self, alarms: impl IntoIterator<Item = (Uuid, AlarmSeverity)>) {
        self.alarms.clear();
        for (device, severity) in alarms {
            let worst = self.alarms.entry(device).or_insert(severity);
            // `AlarmSeverity` orders the most severe first.
            *worst = (*worst).min(severity);
        }
    }

    /// The node's row counts every device the subscription reports below it, also those added
    /// since the tree was loaded; a child's row counts the devices the tree places in it.
    pub(crate) fn rows(&self, groups: &[Group]) -> Vec<NodeRollup> {
        let Some((node, children)) = groups.split_first() else { return Vec::new() };
        let unplaced = self.devices.keys().filter(|id| !node.devices.contains(id));
        let node_row = self.rollup(node, node.devices.iter().chain(unplaced));
        std::iter::once(node_row).chain(children.iter().map(|g| self.rollup(g, g.devices.iter()))).collect()
    }

    /// Every device below the node: those of the loaded tree and those the server reports since.
    pub(crate) fn known_devices(&self, tree: &BTreeSet<Uuid>) -> BTreeSet<Uuid> {
        tree.iter().chain(self.devices.keys()).copied().collect()
    }

    /// `group`'s row over `devices` (each once).
    fn rollup<'a>(&self, group: &Group, devices: impl Iterator<Item = &'a Uuid>) -> NodeRollup {
        let (mut total, mut offline) = (0u32, 0u32);
        let (mut sum, mut count, mut newest) = (0.0, 0u32, None::<i64>);
        let mut worst: Option<AlarmSeverity> = None;
        for id in devices {
            total += 1;
            if let Some(device) = self.devices.get(id) {
                if matches!(device.active, Some((false, _))) {
                    offline += 1;
                }
                if let Some((t, ts)) = device.reading {
                    sum += t;
                    count += 1;
                    newest = Some(newest.map_or(ts, |n| n.max(ts)));
                }
            }
            if let Some(&severity) = self.alarms.get(id) {
                worst = Some(worst.map_or(severity, |w| w.min(severity)));
            }
        }
        NodeRollup {
            id: group.id.clone(),
            name: group.name.clone(),
            kind: group.kind,
            devices: total,
            offline,
            average: (count > 0).then(|| sum / f64::from(count)),
            average_ts: newest,
            averaged: count,
            worst_alarm: worst.map(|s| s.as_str().to_owned()),
        }
    }
}

/// Every device related by `Contains` below `root`, at any depth.
pub(crate) fn devices_below(root: EntityId) -> EntityFilter {
    EntityFilter::descendants(root, "Contains", vec![EntityType::Device])
}

/// A page big enough for `devices` and some added since the tree was loaded, within
/// [`MAX_PAGE_SIZE`] whatever count the server reports.
pub(crate) fn page_size_for(devices: usize) -> i32 {
    let devices = devices.min(MAX_PAGE_SIZE);
    let wanted = devices + (devices * PAGE_HEADROOM_PERCENT).div_ceil(100);
    i32::try_from(wanted.clamp(MIN_PAGE_SIZE, MAX_PAGE_SIZE)).unwrap_or(i32::MAX)
}

/// The values subscription: the averaged key and connectivity of every device below `root`, in
/// one page of `page_size`. The page is dynamic, so devices added below the place (or removed)
/// come and go with the server's next refresh of the query (`TbEntityDataSubCtx.update`).
pub(crate) fn subscription_spec(root: EntityId, average_key: &str, page_size: i32) -> SubscriptionSpec {
    let query = EntityDataQuery {
        entity_filter: Some(devices_below(root)),
        page_link: Some(EntityDataPageLink { dynamic: true, ..EntityDataPageLink::new(page_size, 0) }),
        ..EntityDataQuery::default()
    };
    SubscriptionSpec::EntityData {
        query: Box::new(query),
        latest: vec![
            EntityKey::new(EntityKeyType::TimeSeries, average_key),
            EntityKey::new(EntityKeyType::ServerAttribute, ACTIVE_KEY),
        ],
    }
}

/// The time-series keys of the devices below `root` (the server samples the first 100), sorted.
pub(crate) async fn keys_below(client: &Client, root: EntityId) -> Result<Vec<String>, tb_client::Error> {
    let query = EntityDataQuery { entity_filter: Some(devices_below(root)), ..EntityDataQuery::default() };
    client.timeseries_keys_by_query(&query).await
}

/// The number of active alarms of the devices below `root`: when it changes, the alarms are re-read.
pub(crate) fn alarm_count_spec(root: EntityId) -> SubscriptionSpec {
    SubscriptionSpec::AlarmCount {
        query: Box::new(AlarmCountQuery {
            entity_filter: Some(devices_below(root)),
            status_list: Some(vec![AlarmSearchStatus::Active]),
            ..AlarmCountQuery::default()
        }),
    }
}

/// The active alarms of the devices below `root`, newest first.
fn active_alarms_below(root: EntityId) -> AlarmDataQuery {
    let mut link = AlarmDataPageLink::new(ALARM_PAGE, 0);
    link.status_list = Some(vec![AlarmSearchStatus::Active]);
    link.sort_order = Some(EntityDataSortOrder {
        key: EntityKey::new(EntityKeyType::AlarmField, "createdTime"),
        direction: SortDirection::Desc,
    });
    AlarmDataQuery {
        entity_filter: Some(devices_below(root)),
        page_link: Some(link),
        ..AlarmDataQuery::default()
    }
}

/// The active alarms of the devices below `root` (`devices`: those known). Asked of the server
/// for just them when the node fits the alarm query's scope (the server looks at the first
/// 10,000 entities, oldest first, unless its administrator changed
/// `max_entities_per_alarm_subscription`); else every active alarm the user may see, kept when
/// its device is known. `None` when the read failed.
async fn read_alarms(
    client: &Client,
    root: EntityId,
    devices: &BTreeSet<Uuid>,
) -> Option<Vec<(Uuid, AlarmSeverity)>> {
    let every_visible = async || {
        let alarms = client.all_alarms(None, AlarmSearchStatus::Active).await?;
        Ok::<Vec<_>, tb_client::Error>(
            alarms.into_iter().filter(|a| devices.contains(&a.alarm.originator.id)).collect(),
        )
    };
    let read = if devices.len() <= SCOPED_ALARM_DEVICES {
        match client.find_all_alarm_data(&active_alarms_below(root)).await {
            // Below the node by the server's own account, also devices added since the tree loaded.
            Ok(rows) => Ok(rows.into_iter().map(|row| row.info).collect()),
            // A server or proxy without the alarm query.
            Err(e) if e.status() == Some(404) => every_visible().await,
            Err(e) => Err(e),
        }
    } else {
        every_visible().await
    };
    match read {
        Ok(alarms) => Some(
            alarms
                .into_iter()
                .filter(|a| a.alarm.originator.entity_type == EntityType::Device)
                .map(|a| (a.alarm.originator.id, a.alarm.severity))
                .collect(),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "active alarms for the rollup could not be read");
            None
        }
    }
}

/// Runs one watched node until aborted: emits the structure at once, then live batches, each at
/// most every [`ROLLUP_FRAME`] and only when something changed.
pub(crate) async fn run(
    client: Client,
    live: LiveHandle,
    root: EntityId,
    groups: Vec<Group>,
    average_key: String,
    sink: impl Fn(NodeRollupBatch),
) {
    let mut page_size = page_size_for(groups[0].devices.len());
    let mut subscription = live.subscribe(subscription_spec(root, &average_key, page_size));
    // When it ends, the interval alone refreshes the alarms.
    let mut alarm_count = live.subscribe(alarm_count_spec(root));
    let mut count_open = true;
    let mut last_count = None;
    let mut state = RollupState::new(&average_key);
    let node_id = groups[0].id.clone();
    let batch = |rows| NodeRollupBatch { node_id: node_id.clone(), average_key: average_key.clone(), rows };
    sink(batch(state.rows(&groups)));
    let mut alarms = tokio::time::interval(ALARM_REFRESH);
    alarms.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_sent = None;
    loop {
        let reread_alarms = tokio::select! {
            update = subscription.next() => match update {
                Some(LiveEvent::EntityValues { matching: Some(matching), .. })
                    if matching > i64::from(page_size)
                        && page_size_for(usize::try_from(matching).unwrap_or(usize::MAX)) > page_size =>
                {
                    // More devices than the page holds (added since the tree was loaded): the
                    // page would show some of them only, so subscribe again with room for all
                    // (once: at the largest page, a server claiming more is not believed).
                    page_size = page_size_for(usize::try_from(matching).unwrap_or(usize::MAX));
                    tracing::info!(node = %node_id, matching, page_size, "rollup page grown");
                    subscription = live.subscribe(subscription_spec(root, &average_key, page_size));
                    continue;
                }
                Some(LiveEvent::EntityValues { snapshot, values, .. }) => {
                    let offline_before = state.offline();
                    state.apply(snapshot, &values);
                    // Connectivity changes raise and clear "device offline" alarms: do not wait for the count.
                    state.offline() != offline_before
                }
                Some(LiveEvent::Error(e)) => {
                    tracing::warn!(node = %node_id, code = e.code, "rollup subscription error: {}", e.message);
                    continue;
                }
                Some(_) => continue,
                None => return,
            },
            count = alarm_count.next(), if count_open => match count {
                Some(LiveEvent::Count(n)) if last_count != Some(n) => {
                    last_count = Some(n);
                    true
                }
                Some(LiveEvent::Error(e)) => {
                    tracing::warn!(node = %node_id, code = e.code, "rollup alarm count error: {}", e.message);
                    continue;
                }
                Some(_) => continue,
                None => {
                    count_open = false;
                    continue;
                }
            },
            _ = alarms.tick() => true,
        };
        if reread_alarms {
            match read_alarms(&client, root, &state.known_devices(&groups[0].devices)).await {
                Some(found) => state.set_alarms(found),
                // Keep what is known and try again soon.
                None => alarms.reset_after(ALARM_RETRY),
            }
        }
        let rows = state.rows(&groups);
        if last_sent.as_ref() != Some(&rows) {
            last_sent = Some(rows.clone());
            sink(batch(rows));
            // Everything arriving meanwhile is coalesced by the subscription's mailbox.
            tokio::time::sleep(ROLLUP_FRAME).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atrium_ipc::NodeKind;
    use tb_client::TbValue;

    fn node(id: u128, entity_type: &str, name: &str, kind: NodeKind, children: Vec<TreeNode>) -> TreeNode {
        TreeNode {
            id: Uuid::from_u128(id).to_string(),
            entity_type: entity_type.into(),
            name: name.into(),
            label: None,
            kind,
            type_name: String::new(),
            children,
            link: false,
        }
    }

    fn device(id: u128) -> TreeNode {
        node(id, "DEVICE", &format!("d{id}"), NodeKind::Device, vec![])
    }

    fn value(id: u128, key_type: EntityKeyType, key: &str, ts: i64, value: TbValue) -> EntityValue {
        EntityValue {
            entity: EntityId::new(EntityType::Device, Uuid::from_u128(id)),
            key_type,
            key: key.into(),
            ts,
            value,
        }
    }

    #[test]
    fn rows_count_average_and_pick_the_worst_alarm() {
        let floor = node(
            1,
            "ASSET",
            "Floor",
            NodeKind::Floor,
            vec![
                node(2, "ASSET", "A", NodeKind::Room, vec![device(10), device(11)]),
                node(3, "ASSET", "B", NodeKind::Room, vec![device(11), device(12)]),
            ],
        );
        let groups = groups_of(std::slice::from_ref(&floor), &floor);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[0].devices.len(), 3, "a device in two rooms counts once for the floor");
        let mut state = RollupState::new("temperature");
        state.apply(
            true,
            &[
                value(10, EntityKeyType::TimeSeries, "temperature", 100, TbValue::Number(20.0)),
                value(11, EntityKeyType::TimeSeries, "temperature", 200, TbValue::Number(22.0)),
                value(11, EntityKeyType::ServerAttribute, ACTIVE_KEY, 5, TbValue::Bool(false)),
                value(12, EntityKeyType::ServerAttribute, ACTIVE_KEY, 5, TbValue::Bool(true)),
            ],
        );
        state.set_alarms([
            (Uuid::from_u128(12), AlarmSeverity::Minor),
            (Uuid::from_u128(12), AlarmSeverity::Critical),
            (Uuid::from_u128(10), AlarmSeverity::Warning),
        ]);
        let rows = state.rows(&groups);
        assert_eq!((rows[0].devices, rows[0].offline), (3, 1));
        assert_eq!(rows[0].average, Some(21.0));
        assert_eq!(rows[0].average_ts, Some(200));
        assert_eq!(rows[0].worst_alarm.as_deref(), Some("CRITICAL"));
        assert_eq!((rows[1].name.as_str(), rows[1].worst_alarm.as_deref()), ("A", Some("WARNING")));
        assert_eq!(rows[2].average, Some(22.0));

        // A delta merges; an older value never replaces a newer one.
        state.apply(false, &[value(11, EntityKeyType::ServerAttribute, ACTIVE_KEY, 9, TbValue::Bool(true))]);
        state.apply(false, &[value(10, EntityKeyType::TimeSeries, "temperature", 50, TbValue::Number(0.0))]);
        let rows = state.rows(&groups);
        assert_eq!(rows[0].offline, 0);
        assert_eq!(rows[1].average, Some(21.0));
    }

    #[test]
    fn the_chosen_key_alone_is_averaged_and_unplaced_devices_count_for_the_node() {
        let room = node(1, "ASSET", "Room", NodeKind::Room, vec![device(10), device(11)]);
        let groups = groups_of(std::slice::from_ref(&room), &room);
        let mut state = RollupState::new("co2");
        state.apply(
            true,
            &[
                value(10, EntityKeyType::TimeSeries, "co2", 5, TbValue::Number(400.0)),
                value(11, EntityKeyType::TimeSeries, "temperature", 5, TbValue::Number(21.0)),
                value(11, EntityKeyType::TimeSeries, "co2", 6, TbValue::Text("not a number".into())),
                // Below the room per the server, not yet in the loaded tree.
                value(12, EntityKeyType::TimeSeries, "co2", 7, TbValue::Number(800.0)),
            ],
        );
        state.set_alarms([(Uuid::from_u128(12), AlarmSeverity::Major)]);
        let rows = state.rows(&groups);
        assert_eq!((rows[0].devices, rows[0].averaged), (3, 2));
        assert_eq!(rows[0].average, Some(600.0));
        assert_eq!(rows[0].average_ts, Some(7));
        assert_eq!(rows[0].worst_alarm.as_deref(), Some("MAJOR"), "the unplaced device's alarm counts too");
        let known = state.known_devices(&groups[0].devices);
        assert_eq!(known.len(), 3, "the tree's devices and the one the server reported");
    }

    #[test]
    fn the_page_holds_the_known_devices_with_headroom() {
        assert_eq!(page_size_for(0), 100);
        assert_eq!(page_size_for(1_000), 1_100);
        assert_eq!(page_size_for(50_001), 55_002);
        // A server reporting an absurd number of matches (devices * 10 overflowed) is not believed.
        assert_eq!(page_size_for(usize::MAX), 200_000);
        assert_eq!(page_size_for(10_000_000), 200_000);
    }
}

//! Live alarm lists of a place: one `ALARM_DATA` subscription per list, merged into the rows the
//! UI shows (worst severity first, then newest), each placed in the building. A server that
//! refuses the subscription is served by the alarm data query, re-read whenever the matching
//! alarm count changes (`ALARM_COUNT`), or every [`FALLBACK_REFRESH`] without it.

use crate::rollup::devices_below;
use atrium_ipc::{
    AlarmBadge, AlarmBadges, AlarmList, AlarmRow, AlarmSeverity, AlarmStatusFilter, WatchAlarmsArgs,
};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tb_client::live::{AlarmPage, LiveEvent, LiveHandle, SubscriptionSpec};
use tb_client::proto::alarm::{AlarmInfo, AlarmSearchStatus, AlarmSeverity as TbSeverity};
use tb_client::proto::query::{
    AlarmCountQuery, AlarmData, AlarmDataPageLink, AlarmDataQuery, EntityDataSortOrder, EntityFilter,
    EntityKey, EntityKeyType, EntityTypeFilter, SingleEntityFilter, SortDirection,
};
use tb_client::proto::{EntityId, EntityType};
use tb_client::Client;
use uuid::Uuid;

/// The newest alarms a list holds; ThingsBoard's own alarm widget asks for as many unpaged.
pub(crate) const ALARM_LIST_PAGE: i32 = 1024;
/// The server drops every live change to an alarm created before `now - timeWindow`
/// (`TbAlarmDataSubCtx.filter`): ten years keeps any alarm still open in the list.
const TIME_WINDOW_MS: i64 = 10 * 365 * 24 * 3600 * 1000;
/// Without any live alarm subscription, the list is read again this often.
pub(crate) const FALLBACK_REFRESH: Duration = Duration::from_secs(30);

/// What a list is of: a device, the devices below an asset, or every device the user may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Device(EntityId),
    Below(EntityId),
    Everything,
}

impl Scope {
    fn entity_filter(self) -> EntityFilter {
        match self {
            Self::Device(id) => EntityFilter::SingleEntity(SingleEntityFilter { single_entity: id }),
            Self::Below(root) => devices_below(root),
            Self::Everything => {
                EntityFilter::EntityType(EntityTypeFilter { entity_type: EntityType::Device })
            }
        }
    }
}

/// The statuses asked of the server. "Unacknowledged" is asked as "active" and narrowed here:
/// the server's query reads a status list as all-of and its live check as any-of, so only a
/// single status means the same to both.
fn server_statuses(status: AlarmStatusFilter) -> Option<Vec<AlarmSearchStatus>> {
    match status {
        AlarmStatusFilter::Active | AlarmStatusFilter::Unacknowledged => {
            Some(vec![AlarmSearchStatus::Active])
        }
        AlarmStatusFilter::Cleared => Some(vec![AlarmSearchStatus::Cleared]),
        AlarmStatusFilter::All => None,
    }
}

fn server_severity(severity: AlarmSeverity) -> TbSeverity {
    match severity {
        AlarmSeverity::Critical => TbSeverity::Critical,
        AlarmSeverity::Major => TbSeverity::Major,
        AlarmSeverity::Minor => TbSeverity::Minor,
        AlarmSeverity::Warning => TbSeverity::Warning,
        AlarmSeverity::Indeterminate => TbSeverity::Indeterminate,
    }
}

pub(crate) fn severity_of(severity: TbSeverity) -> AlarmSeverity {
    match severity {
        TbSeverity::Critical => AlarmSeverity::Critical,
        TbSeverity::Major => AlarmSeverity::Major,
        TbSeverity::Minor => AlarmSeverity::Minor,
        TbSeverity::Warning => AlarmSeverity::Warning,
        TbSeverity::Indeterminate => AlarmSeverity::Indeterminate,
    }
}

/// The alarm data query of a list: the newest [`ALARM_LIST_PAGE`] alarms of the scope.
pub(crate) fn alarm_query(scope: Scope, args: &WatchAlarmsArgs) -> AlarmDataQuery {
    let mut link = AlarmDataPageLink::new(ALARM_LIST_PAGE, 0);
    link.time_window = TIME_WINDOW_MS;
    link.status_list = server_statuses(args.status);
    link.severity_list =
        (!args.severities.is_empty()).then(|| args.severities.iter().copied().map(server_severity).collect());
    link.sort_order = Some(EntityDataSortOrder {
        key: EntityKey::new(EntityKeyType::AlarmField, "createdTime"),
        direction: SortDirection::Desc,
    });
    AlarmDataQuery {
        entity_filter: Some(scope.entity_filter()),
        page_link: Some(link),
        alarm_fields: ["createdTime", "type", "severity", "status"]
            .into_iter()
            .map(|key| EntityKey::new(EntityKeyType::AlarmField, key))
            .collect(),
        ..AlarmDataQuery::default()
    }
}

/// The same filters as an alarm count, which moves whenever the list would.
fn count_query(query: &AlarmDataQuery) -> AlarmCountQuery {
    let link = query.page_link.as_ref();
    AlarmCountQuery {
        entity_filter: query.entity_filter.clone(),
        time_window: link.map_or(0, |l| l.time_window),
        status_list: link.and_then(|l| l.status_list.clone()),
        severity_list: link.and_then(|l| l.severity_list.clone()),
        ..AlarmCountQuery::default()
    }
}

/// Whether an alarm belongs in a list with these filters (the server's answer is checked again:
/// see [`server_statuses`]).
fn shown(args: &WatchAlarmsArgs, alarm: &AlarmInfo) -> bool {
    let a = &alarm.alarm;
    let status = match args.status {
        AlarmStatusFilter::Active => !a.cleared,
        AlarmStatusFilter::Unacknowledged => !a.cleared && !a.acknowledged,
        AlarmStatusFilter::Cleared => a.cleared,
        AlarmStatusFilter::All => true,
    };
    status && (args.severities.is_empty() || args.severities.contains(&severity_of(a.severity)))
}

/// An alarm as a row, placed by `places` (node id -> the places around it).
pub(crate) fn row_of(info: &AlarmInfo, places: &HashMap<String, Vec<String>>) -> AlarmRow {
    let a = &info.alarm;
    let originator_id = a.originator.id.to_string();
    // The name first, as the tree shows it (the server's display name is the label when set).
    let originator_name = [&info.originator_name, &info.originator_display_name, &info.originator_label]
        .into_iter()
        .flatten()
        .find(|n| !n.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| originator_id.clone());
    let place = places.get(&originator_id).cloned().unwrap_or_default();
    AlarmRow {
        id: a.id.id.to_string(),
        alarm_type: a.alarm_type.clone(),
        severity: severity_of(a.severity),
        acknowledged: a.acknowledged,
        cleared: a.cleared,
        originator_id,
        originator_name,
        place,
        start_ts: if a.start_ts > 0 { a.start_ts } else { a.created_time },
        ack_ts: a.ack_ts,
        clear_ts: a.clear_ts,
        details: a
            .details
            .as_ref()
            .filter(|d| !d.is_null() && d.as_object().is_none_or(|o| !o.is_empty()))
            .map(|d| d.to_string()),
    }
}

/// What a list holds: the alarms of the last page, with every change since applied.
#[derive(Debug)]
pub(crate) struct AlarmListState {
    args: WatchAlarmsArgs,
    scope_name: Option<String>,
    alarms: HashMap<Uuid, AlarmInfo>,
    total: i64,
    devices_cut: bool,
}

impl AlarmListState {
    pub(crate) fn new(args: WatchAlarmsArgs, scope_name: Option<String>) -> Self {
        Self { args, scope_name, alarms: HashMap::new(), total: 0, devices_cut: false }
    }

    pub(crate) fn apply_page(&mut self, page: AlarmPage) {
        self.devices_cut = page.allowed_entities > 0 && page.matching_entities > page.allowed_entities;
        let sent = page.alarms.len();
        self.alarms = page.alarms.into_iter().map(|a| (a.info.alarm.id.id, a.info)).collect();
        self.alarms.retain(|_, a| shown(&self.args, a));
        // The server counted what it matched; what is narrowed here does not count.
        let narrowed = i64::try_from(sent - self.alarms.len()).unwrap_or(0);
        self.total = page.total_alarms.saturating_sub(narrowed).max(0);
    }

    /// A changed alarm replaces what the list had; one that no longer matches leaves it.
    pub(crate) fn apply_changes(&mut self, changed: Vec<AlarmData>) {
        for data in changed {
            self.apply_info(data.info);
        }
    }

    pub(crate) fn apply_info(&mut self, info: AlarmInfo) {
        let id = info.alarm.id.id;
        if shown(&self.args, &info) {
            // The list is the newest page; an alarm new to it comes with the next page, so a
            // server sending changes of alarms never listed cannot grow it without end.
            if self.alarms.len() < ALARM_LIST_PAGE as usize || self.alarms.contains_key(&id) {
                self.alarms.insert(id, info);
            }
        } else if self.alarms.remove(&id).is_some() {
            self.total = (self.total - 1).max(0);
        }
    }

    /// Worst severity first, then the newest; ties by id so the order is stable.
    pub(crate) fn list(&self, places: &HashMap<String, Vec<String>>, live: bool) -> AlarmList {
        let mut rows: Vec<AlarmRow> = self.alarms.values().map(|a| row_of(a, places)).collect();
        rows.sort_by(|a, b| {
            a.severity.cmp(&b.severity).then(b.start_ts.cmp(&a.start_ts)).then_with(|| a.id.cmp(&b.id))
        });
        let total = self.total.max(i64::try_from(rows.len()).unwrap_or(i64::MAX));
        AlarmList { scope_name: self.scope_name.clone(), rows, total, devices_cut: self.devices_cut, live }
    }
}

/// The badges of an active-alarm list of everything: each alarm counts for its originator and
/// every place around it, in every place it hangs.
pub(crate) fn badges_of(list: &AlarmList, around: &crate::building::Around) -> AlarmBadges {
    let mut badges = AlarmBadges::default();
    for row in list.rows.iter().filter(|r| !r.cleared) {
        let around = around.ids(&row.originator_id);
        for node in around.iter().chain(std::iter::once(&row.originator_id)) {
            let badge =
                badges.by_node.entry(node.clone()).or_insert(AlarmBadge { count: 0, worst: row.severity });
            badge.count += 1;
            badge.worst = badge.worst.min(row.severity);
        }
    }
    badges
}

/// The alarms worth interrupting someone for: active, critical or major.
pub(crate) fn notify_args() -> WatchAlarmsArgs {
    WatchAlarmsArgs {
        node_id: None,
        severities: vec![AlarmSeverity::Critical, AlarmSeverity::Major],
        status: AlarmStatusFilter::Active,
    }
}

/// Ids remembered as already notified, at most; past it, only the alarms still listed are kept.
const SEEN_LIMIT: usize = 10_000;

/// Which alarms of a watched list are new: the first list is what existed when the session
/// started (nothing to announce); after it each alarm is announced once, whatever its updates.
/// An alarm raised while the connection was down is new in the page that follows.
#[derive(Debug, Default)]
pub(crate) struct NewAlarms {
    seen: HashSet<String>,
    primed: bool,
}

impl NewAlarms {
    pub(crate) fn take_new(&mut self, list: &AlarmList) -> Vec<AlarmRow> {
        if self.seen.len() > SEEN_LIMIT {
            let listed: HashSet<&str> = list.rows.iter().map(|r| r.id.as_str()).collect();
            self.seen.retain(|id| listed.contains(id.as_str()));
        }
        let fresh: Vec<AlarmRow> =
            list.rows.iter().filter(|r| !r.cleared && self.seen.insert(r.id.clone())).cloned().collect();
        if std::mem::replace(&mut self.primed, true) {
            fresh
        } else {
            Vec::new()
        }
    }
}

/// How many times an `ALARM_DATA` subscription left unanswered is asked for again before the
/// list falls back to re-reading.
const UNANSWERED_TRIES: u32 = 2;

/// Runs one alarm list until aborted: live from `ALARM_DATA`, or re-read by the query when the
/// server refuses that subscription or leaves it unanswered. A list is never left unshown: if
/// the subscription's first page is late (the socket up for [`LiveHandle::answer_wait`] and no
/// answer), the list is read over REST meanwhile and the subscription asked for again.
pub(crate) async fn run(
    client: Client,
    live: LiveHandle,
    (scope, scope_name): (Scope, Option<String>),
    args: WatchAlarmsArgs,
    places: HashMap<String, Vec<String>>,
    mut sink: impl Fn(AlarmList),
) {
    let query = alarm_query(scope, &args);
    let mut state = AlarmListState::new(args, scope_name);
    for attempt in 1..=UNANSWERED_TRIES {
        let subscription = live.subscribe(SubscriptionSpec::AlarmData { query: Box::new(query.clone()) });
        match follow(subscription, &live, &mut state, &places, &mut sink).await {
            Followed::Closed => return,
            Followed::Refused => break,
            Followed::Unanswered => {
                tracing::warn!(
                    attempt,
                    "the server has not answered the alarm subscription in {:?}; reading the list meanwhile",
                    live.answer_wait()
                );
                // After the last try the fallback below reads it at once.
                if attempt < UNANSWERED_TRIES {
                    read_now(&client, &query, &mut state, &places, &mut sink).await;
                }
            }
        }
    }
    re_read_on_count(&client, &live, &query, &mut state, &places, sink).await;
}

/// How following an `ALARM_DATA` subscription ended.
enum Followed {
    /// The subscription is over (unwatched, or the session ended).
    Closed,
    /// The server refused it.
    Refused,
    /// Its first page did not come while the socket was up for the answer wait.
    Unanswered,
}

/// Passes each list of `subscription` to `sink` until it ends, is refused, or its first page
/// is late.
async fn follow(
    mut subscription: tb_client::live::Subscription,
    live: &LiveHandle,
    state: &mut AlarmListState,
    places: &HashMap<String, Vec<String>>,
    // `&mut`, not `&`: held across awaits, a shared reference would need the sink to be `Sync`.
    sink: &mut impl Fn(AlarmList),
) -> Followed {
    let mut deadline = tokio::time::Instant::now() + live.answer_wait();
    let mut answered = false;
    loop {
        let event = if answered {
            subscription.next().await
        } else {
            match tokio::time::timeout_at(deadline, subscription.next()).await {
                Ok(event) => event,
                // While the socket is down nothing can answer: only time connected counts.
                Err(_) if !live.is_connected() => {
                    deadline = tokio::time::Instant::now() + live.answer_wait();
                    continue;
                }
                Err(_) => return Followed::Unanswered,
            }
        };
        match event {
            Some(LiveEvent::Alarms { page, changed }) => {
                answered = true;
                if let Some(page) = page {
                    state.apply_page(page);
                }
                state.apply_changes(changed);
                sink(state.list(places, true));
            }
            Some(LiveEvent::Error(e)) => {
                tracing::warn!(code = e.code, "the server refused the alarm subscription: {}", e.message);
                return Followed::Refused;
            }
            Some(_) => {}
            None => return Followed::Closed,
        }
    }
}

/// The query's page now, over REST, passed to `sink` as not live.
async fn read_now(
    client: &Client,
    query: &AlarmDataQuery,
    state: &mut AlarmListState,
    places: &HashMap<String, Vec<String>>,
    sink: &mut impl Fn(AlarmList),
) {
    match client.find_alarm_data(query).await {
        Ok(page) => {
            state.apply_page(AlarmPage {
                total_alarms: page.total_elements,
                alarms: page.data,
                matching_entities: 0,
                allowed_entities: 0,
            });
            sink(state.list(places, false));
        }
        Err(e) => tracing::warn!("reading the alarm list failed: {e}"),
    }
}

/// The fallback: the query's page now, and again whenever the alarm count moves (or every
/// [`FALLBACK_REFRESH`] if the server refuses the count too).
async fn re_read_on_count(
    client: &Client,
    live: &LiveHandle,
    query: &AlarmDataQuery,
    state: &mut AlarmListState,
    places: &HashMap<String, Vec<String>>,
    mut sink: impl Fn(AlarmList),
) {
    let mut count =
        Some(live.subscribe(SubscriptionSpec::AlarmCount { query: Box::new(count_query(query)) }));
    let mut timer = tokio::time::interval(FALLBACK_REFRESH);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        read_now(client, query, state, places, &mut sink).await;
        let counted = async {
            match count.as_mut() {
                Some(sub) => sub.next().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = counted => match event {
                Some(LiveEvent::Count(_)) => {}
                Some(LiveEvent::Error(_)) | None => count = None,
                Some(_) => continue,
            },
            _ = timer.tick() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tb_client::proto::alarm::Alarm;

    fn info(n: u128, severity: TbSeverity, start: i64, acknowledged: bool, cleared: bool) -> AlarmInfo {
        let device = EntityId::new(EntityType::Device, Uuid::from_u128(1000 + n));
        let mut alarm = Alarm::new(
            EntityId::new(EntityType::Alarm, Uuid::from_u128(n)),
            "High CO2",
            device,
            severity,
            start,
        );
        alarm.set_flags(cleared, acknowledged);
        AlarmInfo::new(alarm, &format!("Sensor {n}"), None)
    }

    fn data(info: AlarmInfo) -> AlarmData {
        AlarmData { entity_id: info.alarm.originator, info, latest: Default::default() }
    }

    fn page(alarms: Vec<AlarmInfo>) -> AlarmPage {
        let total = alarms.len() as i64;
        AlarmPage {
            alarms: alarms.into_iter().map(data).collect(),
            total_alarms: total,
            matching_entities: 3,
            allowed_entities: 10_000,
        }
    }

    /// A list's state after a first page of `alarms`.
    fn listing(args: WatchAlarmsArgs, alarms: Vec<AlarmInfo>) -> AlarmListState {
        let mut state = AlarmListState::new(args, None);
        state.apply_page(page(alarms));
        state
    }

    #[test]
    fn the_list_is_worst_first_then_newest_and_placed_in_the_building() {
        let state = listing(
            WatchAlarmsArgs::default(),
            vec![
                info(1, TbSeverity::Minor, 300, false, false),
                info(2, TbSeverity::Critical, 100, false, false),
                info(3, TbSeverity::Critical, 200, true, false),
            ],
        );
        let places =
            HashMap::from([(Uuid::from_u128(1002).to_string(), vec!["HQ".to_owned(), "Floor 2".to_owned()])]);
        let list = state.list(&places, true);
        let order: Vec<&str> = list.rows.iter().map(|r| r.originator_name.as_str()).collect();
        assert_eq!(order, ["Sensor 3", "Sensor 2", "Sensor 1"]);
        assert_eq!(list.rows[1].place, ["HQ", "Floor 2"]);
        assert!(list.rows[0].place.is_empty(), "not in the loaded building");
        assert_eq!((list.total, list.devices_cut, list.live), (3, false, true));
    }

    #[test]
    fn changes_update_rows_and_drop_the_ones_that_no_longer_match() {
        let args =
            WatchAlarmsArgs { status: AlarmStatusFilter::Unacknowledged, ..WatchAlarmsArgs::default() };
        let mut state = listing(
            args,
            vec![info(1, TbSeverity::Major, 1, false, false), info(2, TbSeverity::Major, 2, true, false)],
        );
        assert_eq!(
            state.list(&HashMap::new(), true).rows.len(),
            1,
            "an acknowledged one is not unacknowledged"
        );
        state.apply_changes(vec![data(info(1, TbSeverity::Major, 1, true, false))]);
        let list = state.list(&HashMap::new(), true);
        assert!(list.rows.is_empty());
        assert_eq!(list.total, 0);
    }

    #[test]
    fn badges_count_an_alarm_for_its_device_and_every_place_around_it() {
        let state = listing(
            WatchAlarmsArgs::default(),
            vec![info(1, TbSeverity::Minor, 1, false, false), info(2, TbSeverity::Critical, 2, false, false)],
        );
        let (d1, d2) = (Uuid::from_u128(1001).to_string(), Uuid::from_u128(1002).to_string());
        let around = crate::building::Around::from_parents([
            (d1.as_str(), "floor"),
            ("floor", "site"),
            (d2.as_str(), "site"),
        ]);
        let badges = badges_of(&state.list(&HashMap::new(), true), &around).by_node;
        assert_eq!(badges["site"], AlarmBadge { count: 2, worst: AlarmSeverity::Critical });
        assert_eq!(badges["floor"], AlarmBadge { count: 1, worst: AlarmSeverity::Minor });
        assert_eq!(badges[&d2].count, 1);
        assert_eq!(badges.len(), 4);
    }

    #[test]
    fn an_alarm_is_announced_once_and_none_that_existed_at_the_start() {
        let mut new = NewAlarms::default();
        let mut state = listing(notify_args(), vec![info(1, TbSeverity::Critical, 1, false, false)]);
        assert!(new.take_new(&state.list(&HashMap::new(), true)).is_empty(), "it existed at sign-in");
        state.apply_changes(vec![data(info(2, TbSeverity::Major, 2, false, false))]);
        let announced = new.take_new(&state.list(&HashMap::new(), true));
        assert_eq!(
            announced.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
            [Uuid::from_u128(2).to_string()]
        );
        // Updated (acknowledged), then listed again after a reconnect: not announced again.
        state.apply_changes(vec![data(info(2, TbSeverity::Major, 2, true, false))]);
        assert!(new.take_new(&state.list(&HashMap::new(), true)).is_empty());
        state.apply_page(page(vec![
            info(2, TbSeverity::Major, 2, true, false),
            info(3, TbSeverity::Critical, 3, false, false),
        ]));
        assert_eq!(new.take_new(&state.list(&HashMap::new(), true)).len(), 1, "raised during an outage");
    }

    #[test]
    fn a_scope_past_the_servers_entity_limit_says_so() {
        let mut state = AlarmListState::new(WatchAlarmsArgs::default(), None);
        state.apply_page(AlarmPage {
            alarms: vec![],
            total_alarms: 0,
            matching_entities: 12_000,
            allowed_entities: 10_000,
        });
        assert!(state.list(&HashMap::new(), true).devices_cut);
    }

    #[test]
    fn the_query_asks_one_status_and_a_time_window() {
        let args = WatchAlarmsArgs {
            node_id: None,
            severities: vec![AlarmSeverity::Critical, AlarmSeverity::Major],
            status: AlarmStatusFilter::Unacknowledged,
        };
        let json = serde_json::to_value(alarm_query(Scope::Everything, &args)).unwrap();
        let link = &json["pageLink"];
        assert_eq!(link["statusList"], serde_json::json!(["ACTIVE"]));
        assert_eq!(link["severityList"], serde_json::json!(["CRITICAL", "MAJOR"]));
        assert!(link["timeWindow"].as_i64().unwrap() > 0, "without one the server drops live changes");
        assert_eq!(json["latestValues"], serde_json::json!([]), "the server needs the list, even empty");
        assert_eq!(json["entityFilter"]["type"], "entityType");
    }
}

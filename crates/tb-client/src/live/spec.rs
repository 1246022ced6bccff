//! What to subscribe to, and the commands that start and cancel it.

use tb_proto::query::{AlarmCountQuery, AlarmDataQuery, EntityDataQuery, EntityKey};
use tb_proto::telemetry::AttributeScope;
use tb_proto::ws::{
    AlarmCountCmd, AlarmDataCmd, AttributesSubscriptionCmd, EntityDataCmd, LatestValueCmd,
    TimeseriesSubscriptionCmd, UnsubscribeCmd, WsCmd,
};
use tb_proto::EntityId;

/// What to subscribe to.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SubscriptionSpec {
    /// Latest time series of one entity; every key when `keys` is empty.
    /// Events: [`LiveEvent::Values`](super::LiveEvent::Values).
    Timeseries { entity: EntityId, keys: Vec<String> },
    /// Attributes of one entity, of one scope or all. Events: `LiveEvent::Values`.
    Attributes { entity: EntityId, scope: Option<AttributeScope>, keys: Vec<String> },
    /// `ENTITY_DATA`: the latest values of `latest` (appended by the server to the query's own
    /// `latestValues`) for every entity `query` matches, e.g. every device a room contains.
    /// Only the query's page (`pageLink`) is live: size it for the whole set.
    /// Events: [`LiveEvent::EntityValues`](super::LiveEvent::EntityValues).
    /// The query is boxed, as for `AlarmData`.
    EntityData { query: Box<EntityDataQuery>, latest: Vec<EntityKey> },
    /// `ALARM_COUNT`: the number of matching alarms, again whenever it changes.
    /// Events: [`LiveEvent::Count`](super::LiveEvent::Count).
    AlarmCount { query: Box<AlarmCountQuery> },
    /// `ALARM_DATA`: one page of the alarms of the entities `query` selects, kept live. Give the
    /// page link a `timeWindow`: the server checks every change against `now - timeWindow`
    /// (`TbAlarmDataSubCtx.filter`), so without one almost no change comes through.
    /// Events: [`LiveEvent::Alarms`](super::LiveEvent::Alarms). Boxed: the query is several
    /// times the size of the other specs, and every subscription's spec would pay for it.
    AlarmData { query: Box<AlarmDataQuery> },
}

impl SubscriptionSpec {
    pub(crate) fn subscribe_cmd(&self, cmd_id: i32) -> WsCmd {
        self.cmd(cmd_id, false)
    }

    pub(crate) fn unsubscribe_cmd(&self, cmd_id: i32) -> WsCmd {
        self.cmd(cmd_id, true)
    }

    /// `TIMESERIES`/`ATTRIBUTES` unsubscribe with the same command and `unsubscribe: true`; the v2
    /// subscriptions with their own `*_UNSUBSCRIBE` command.
    fn cmd(&self, cmd_id: i32, unsubscribe: bool) -> WsCmd {
        let keys = |keys: &[String]| (!keys.is_empty()).then(|| keys.join(","));
        match self {
            Self::Timeseries { entity, keys: k } => WsCmd::Timeseries(TimeseriesSubscriptionCmd {
                cmd_id,
                entity_type: Some(entity.entity_type.as_str().into()),
                entity_id: Some(entity.id.to_string()),
                keys: keys(k),
                scope: Some(tb_proto::ws::LATEST_TELEMETRY.into()),
                unsubscribe,
                ..Default::default()
            }),
            Self::Attributes { entity, scope, keys: k } => WsCmd::Attributes(AttributesSubscriptionCmd {
                cmd_id,
                entity_type: Some(entity.entity_type.as_str().into()),
                entity_id: Some(entity.id.to_string()),
                keys: keys(k),
                scope: scope.map(|s| s.as_str().into()),
                unsubscribe,
                ignored_type: None,
            }),
            Self::EntityData { .. } if unsubscribe => {
                WsCmd::EntityDataUnsubscribe(UnsubscribeCmd::new(cmd_id))
            }
            Self::EntityData { query, latest } => WsCmd::EntityData(EntityDataCmd {
                cmd_id,
                query: Some((**query).clone()),
                latest_cmd: Some(LatestValueCmd { keys: latest.clone() }),
                ..Default::default()
            }),
            Self::AlarmCount { .. } if unsubscribe => {
                WsCmd::AlarmCountUnsubscribe(UnsubscribeCmd::new(cmd_id))
            }
            Self::AlarmCount { query } => WsCmd::AlarmCount(AlarmCountCmd {
                cmd_id,
                query: Some((**query).clone()),
                ignored_type: None,
            }),
            Self::AlarmData { .. } if unsubscribe => WsCmd::AlarmDataUnsubscribe(UnsubscribeCmd::new(cmd_id)),
            Self::AlarmData { query } => {
                WsCmd::AlarmData(AlarmDataCmd { cmd_id, query: Some((**query).clone()), ignored_type: None })
            }
        }
    }
}

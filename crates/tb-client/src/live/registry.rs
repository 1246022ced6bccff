//! The routing table: cmdId -> subscription, with the spec kept for replay after a reconnect.
//! Plain data, no IO: tested without sockets.

use super::mailbox::Mailbox;
use super::spec::SubscriptionSpec;
use super::subscription::ClosedReason;
use std::collections::BTreeMap;
use std::sync::Arc;
use tb_proto::ws::WsCmd;

#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) spec: SubscriptionSpec,
    pub(crate) mailbox: Arc<Mailbox>,
    /// The next update for this entry is the server's snapshot (first after (re)subscribing).
    pub(crate) awaiting_snapshot: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Registry {
    entries: BTreeMap<i32, Entry>,
}

impl Registry {
    pub(crate) fn insert(&mut self, cmd_id: i32, spec: SubscriptionSpec, mailbox: Arc<Mailbox>) {
        self.entries.insert(cmd_id, Entry { spec, mailbox, awaiting_snapshot: true });
    }

    /// Removes the entry; returns the command that cancels it on the server.
    pub(crate) fn remove(&mut self, cmd_id: i32) -> Option<WsCmd> {
        let entry = self.entries.remove(&cmd_id)?;
        entry.mailbox.close(ClosedReason::Unsubscribed);
        Some(entry.spec.unsubscribe_cmd(cmd_id))
    }

    pub(crate) fn get_mut(&mut self, cmd_id: i32) -> Option<&mut Entry> {
        self.entries.get_mut(&cmd_id)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Every live subscription's command, in cmdId order, each marked to expect a fresh snapshot.
    pub(crate) fn replay(&mut self) -> Vec<WsCmd> {
        self.entries
            .iter_mut()
            .map(|(cmd_id, entry)| {
                entry.awaiting_snapshot = true;
                entry.spec.subscribe_cmd(*cmd_id)
            })
            .collect()
    }

    /// Ends every subscription, for `reason`.
    pub(crate) fn close_all(&mut self, reason: &ClosedReason) {
        for (_, entry) in std::mem::take(&mut self.entries) {
            entry.mailbox.close(reason.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tb_proto::{EntityId, EntityType};

    fn spec() -> SubscriptionSpec {
        SubscriptionSpec::Timeseries {
            entity: EntityId::new(EntityType::Device, uuid::Uuid::nil()),
            keys: vec!["temperature".into()],
        }
    }

    #[test]
    fn remove_frees_the_entry_and_yields_the_unsubscribe_command() {
        let mut reg = Registry::default();
        reg.insert(7, spec(), Arc::default());
        let cmd = reg.remove(7).unwrap();
        let json = serde_json::to_value(&cmd).unwrap();
        assert_eq!(json["type"], "TIMESERIES");
        assert_eq!(json["cmdId"], 7);
        assert_eq!(json["unsubscribe"], true);
        assert_eq!(reg.len(), 0);
        assert!(reg.remove(7).is_none());
    }

    #[test]
    fn v2_subscriptions_replay_their_command_and_cancel_with_their_own_unsubscribe() {
        use tb_proto::query::{EntityKey, EntityKeyType};
        let mut reg = Registry::default();
        let latest = vec![EntityKey::new(EntityKeyType::TimeSeries, "temperature")];
        reg.insert(4, SubscriptionSpec::EntityData { query: Box::default(), latest }, Arc::default());
        reg.insert(5, SubscriptionSpec::AlarmCount { query: Box::default() }, Arc::default());
        let replay = serde_json::to_value(reg.replay()).unwrap();
        assert_eq!(replay[0]["type"], "ENTITY_DATA");
        assert_eq!(replay[0]["latestCmd"]["keys"][0]["key"], "temperature");
        assert_eq!(replay[1]["type"], "ALARM_COUNT");
        let cancel = |reg: &mut Registry, id| serde_json::to_value(reg.remove(id).unwrap()).unwrap();
        assert_eq!(cancel(&mut reg, 4), serde_json::json!({"type": "ENTITY_DATA_UNSUBSCRIBE", "cmdId": 4}));
        assert_eq!(cancel(&mut reg, 5), serde_json::json!({"type": "ALARM_COUNT_UNSUBSCRIBE", "cmdId": 5}));
        assert_eq!(reg.len(), 0);
    }

    #[test]
    fn replay_resubscribes_everything_and_expects_snapshots() {
        let mut reg = Registry::default();
        for id in [3, 1, 2] {
            reg.insert(id, spec(), Arc::default());
            reg.get_mut(id).unwrap().awaiting_snapshot = false;
        }
        let ids: Vec<i32> = reg.replay().iter().map(WsCmd::cmd_id).collect();
        assert_eq!(ids, [1, 2, 3]);
        assert!(reg.get_mut(2).unwrap().awaiting_snapshot);
        let json = serde_json::to_value(&reg.replay()[0]).unwrap();
        assert!(json.get("unsubscribe").is_none());
    }
}

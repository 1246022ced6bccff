//! The routing table: cmdId -> subscription, with the spec kept for replay after a reconnect,
//! and the flow control of subscribing: at most a window of subscriptions sent and not yet
//! answered, the rest waiting in an outbox. Plain data, no IO: tested without sockets.
//!
//! Why a window: the server answers each subscription with a snapshot, queued per session, and
//! closes a session whose queue passes `server.ws.max_queue_messages_per_session` (1,000 by
//! default; `TbWebSocketHandler.SessionMetaData.sendMsg`, 1008 "Max pending updates limit
//! reached!"). A client with 1,000 subscriptions that resubscribes all at once is closed at every
//! reconnect, for good.

use super::mailbox::Mailbox;
use super::spec::SubscriptionSpec;
use super::subscription::ClosedReason;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use tb_proto::ws::WsCmd;
use tokio::time::Instant;

#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) spec: SubscriptionSpec,
    pub(crate) mailbox: Arc<Mailbox>,
    /// The next update for this entry is the server's snapshot (first after (re)subscribing).
    pub(crate) awaiting_snapshot: bool,
    /// Sent on this connection and not answered yet: when.
    sent: Option<Instant>,
    /// Sent on this connection (answered or not): an unsubscribe must go out.
    on_server: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Registry {
    entries: BTreeMap<i32, Entry>,
    /// Subscriptions to send, oldest first.
    outbox: VecDeque<i32>,
    /// Entries sent and not answered.
    unanswered: usize,
}

impl Registry {
    /// A new subscription, queued to be sent.
    pub(crate) fn insert(&mut self, cmd_id: i32, spec: SubscriptionSpec, mailbox: Arc<Mailbox>) {
        let entry = Entry { spec, mailbox, awaiting_snapshot: true, sent: None, on_server: false };
        self.entries.insert(cmd_id, entry);
        self.outbox.push_back(cmd_id);
    }

    /// Removes the entry; returns the command that cancels it on the server, if it was sent.
    pub(crate) fn remove(&mut self, cmd_id: i32) -> Option<WsCmd> {
        let entry = self.entries.remove(&cmd_id)?;
        entry.mailbox.close(ClosedReason::Unsubscribed);
        if entry.sent.is_some() {
            self.unanswered -= 1;
        }
        if !entry.on_server {
            self.outbox.retain(|id| *id != cmd_id);
            return None;
        }
        Some(entry.spec.unsubscribe_cmd(cmd_id))
    }

    /// A new connection: every subscription is to be sent again, each expecting a fresh snapshot.
    pub(crate) fn restart(&mut self) {
        self.outbox = self.entries.keys().copied().collect();
        self.unanswered = 0;
        for entry in self.entries.values_mut() {
            entry.awaiting_snapshot = true;
            entry.sent = None;
            entry.on_server = false;
        }
    }

    /// The next subscriptions to send, as many as keep at most `window` unanswered.
    pub(crate) fn next_batch(&mut self, window: usize, now: Instant) -> Vec<WsCmd> {
        let mut batch = Vec::new();
        while self.unanswered < window.max(1) {
            let Some(cmd_id) = self.outbox.pop_front() else { break };
            if let Some(entry) = self.entries.get_mut(&cmd_id) {
                entry.sent = Some(now);
                entry.on_server = true;
                self.unanswered += 1;
                batch.push(entry.spec.subscribe_cmd(cmd_id));
            }
        }
        batch
    }

    /// The server has answered `cmd_id` (a snapshot, or an error): its slot is free.
    pub(crate) fn answered(&mut self, cmd_id: i32) {
        if let Some(entry) = self.entries.get_mut(&cmd_id) {
            if entry.sent.take().is_some() {
                self.unanswered -= 1;
            }
        }
    }

    /// Frees the slots of subscriptions sent before `before` and still unanswered (a server
    /// that never answers some must not stop the rest). Answers how many.
    pub(crate) fn give_up_waiting(&mut self, before: Instant) -> usize {
        let mut freed = 0;
        for entry in self.entries.values_mut() {
            if entry.sent.is_some_and(|sent| sent < before) {
                entry.sent = None;
                freed += 1;
            }
        }
        self.unanswered -= freed;
        freed
    }

    /// Subscriptions not sent yet on this connection.
    pub(crate) fn waiting(&self) -> usize {
        self.outbox.len()
    }

    pub(crate) fn get_mut(&mut self, cmd_id: i32) -> Option<&mut Entry> {
        self.entries.get_mut(&cmd_id)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
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

    fn all(reg: &mut Registry) -> Vec<WsCmd> {
        reg.restart();
        reg.next_batch(usize::MAX, Instant::now())
    }

    #[test]
    fn remove_frees_the_entry_and_yields_the_unsubscribe_command() {
        let mut reg = Registry::default();
        reg.insert(7, spec(), Arc::default());
        assert_eq!(reg.next_batch(10, Instant::now()).len(), 1);
        let cmd = reg.remove(7).unwrap();
        let json = serde_json::to_value(&cmd).unwrap();
        assert_eq!(json["type"], "TIMESERIES");
        assert_eq!(json["cmdId"], 7);
        assert_eq!(json["unsubscribe"], true);
        assert_eq!(reg.len(), 0);
        assert!(reg.remove(7).is_none());
        // Never sent: nothing to cancel on the server.
        reg.insert(8, spec(), Arc::default());
        assert!(reg.remove(8).is_none());
        assert!(reg.next_batch(10, Instant::now()).is_empty());
    }

    #[test]
    fn at_most_a_window_is_unanswered_and_each_answer_lets_one_more_go() {
        let mut reg = Registry::default();
        for id in 1..=250 {
            reg.insert(id, spec(), Arc::default());
        }
        let now = Instant::now();
        assert_eq!(reg.next_batch(100, now).len(), 100);
        assert!(reg.next_batch(100, now).is_empty(), "the window is full");
        for id in 1..=30 {
            reg.answered(id);
        }
        reg.answered(1);
        let next: Vec<i32> = reg.next_batch(100, now).iter().map(WsCmd::cmd_id).collect();
        assert_eq!(next, (101..=130).collect::<Vec<_>>(), "one more per answer, in order");
        assert_eq!(reg.waiting(), 120);
        // A server that never answers the rest: they stop blocking after a while.
        assert_eq!(reg.give_up_waiting(now + std::time::Duration::from_secs(1)), 100);
        assert_eq!(reg.next_batch(100, now).len(), 100);
        assert_eq!(reg.waiting(), 20);
        // A reconnect sends everything again, from the first.
        reg.restart();
        assert_eq!(reg.next_batch(100, now).first().map(WsCmd::cmd_id), Some(1));
    }

    #[test]
    fn v2_subscriptions_replay_their_command_and_cancel_with_their_own_unsubscribe() {
        use tb_proto::query::{EntityKey, EntityKeyType};
        let mut reg = Registry::default();
        let latest = vec![EntityKey::new(EntityKeyType::TimeSeries, "temperature")];
        reg.insert(4, SubscriptionSpec::EntityData { query: Box::default(), latest }, Arc::default());
        reg.insert(5, SubscriptionSpec::AlarmCount { query: Box::default() }, Arc::default());
        let replay = serde_json::to_value(all(&mut reg)).unwrap();
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
        let ids: Vec<i32> = all(&mut reg).iter().map(WsCmd::cmd_id).collect();
        assert_eq!(ids, [1, 2, 3]);
        assert!(reg.get_mut(2).unwrap().awaiting_snapshot);
        let json = serde_json::to_value(&all(&mut reg)[0]).unwrap();
        assert!(json.get("unsubscribe").is_none());
    }
}

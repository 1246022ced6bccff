//! Alarms in `Core`: live lists of a place, acknowledging and clearing one.

use super::Core;
use crate::alarms::{self, Scope};
use crate::building::{places, Around};
use atrium_ipc::{AlarmBadges, AlarmList, AlarmRow, AppError, ErrorCode, WatchAlarmsArgs, WatchId};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use tb_client::proto::EntityType;
use uuid::Uuid;

fn parse_alarm_id(text: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text)
        .map_err(|_| AppError::new(ErrorCode::InvalidRequest, format!("'{text}' is not an alarm id."), false))
}

impl Core {
    /// Starts a live alarm list of a place (or of everything the user may see), each new list
    /// passed to `sink`. Stopped with [`Core::unwatch`].
    pub fn watch_alarms(
        &self,
        args: WatchAlarmsArgs,
        sink: impl Fn(AlarmList) + Send + 'static,
    ) -> Result<WatchId, AppError> {
        let active = self.shared.require()?;
        let scope = match &args.node_id {
            None => (Scope::Everything, None),
            Some(node_id) => {
                let (entity, name) = self.node_entity(node_id)?;
                let name = Some(name);
                if entity.entity_type == EntityType::Device {
                    (Scope::Device(entity), name)
                } else {
                    (Scope::Below(entity), name)
                }
            }
        };
        let run = alarms::run(active.client.clone(), active.live.clone(), scope, args, self.places(), sink);
        Ok(self.hold_watch(&active, tokio::spawn(run)))
    }

    /// Starts the building's alarm badges: the active alarms of everything the user may see,
    /// counted for each device and every place around it. Stopped with [`Core::unwatch`].
    pub fn watch_alarm_badges(
        &self,
        sink: impl Fn(AlarmBadges) + Send + 'static,
    ) -> Result<WatchId, AppError> {
        let active = self.shared.require()?;
        let shared = Arc::clone(&self.shared);
        // The tree may load (or reload) after the watch starts: its places follow it.
        let around = Mutex::new((None, Around::default()));
        let run = alarms::run(
            active.client.clone(),
            active.live.clone(),
            (Scope::Everything, None),
            WatchAlarmsArgs::default(),
            HashMap::new(),
            move |list| {
                let mut around = around.lock();
                let version = shared.tree.shown_version();
                if around.0 != version || version.is_none() {
                    *around = (version, shared.tree.shown_around());
                }
                sink(alarms::badges_of(&list, &around.1));
            },
        );
        Ok(self.hold_watch(&active, tokio::spawn(run)))
    }

    /// Acknowledges an alarm; answers it as it is now. Someone else having acknowledged it
    /// first is an error that says so.
    pub async fn acknowledge_alarm(&self, alarm_id: &str) -> Result<AlarmRow, AppError> {
        let active = self.shared.require()?;
        let id = parse_alarm_id(alarm_id)?;
        let info = active.client.ack_alarm(id).await.map_err(|e| self.fail(&active, &e))?;
        Ok(alarms::row_of(&info, &self.places()))
    }

    /// Clears an alarm (the UI asks for confirmation first); answers it as it is now.
    pub async fn clear_alarm(&self, alarm_id: &str) -> Result<AlarmRow, AppError> {
        let active = self.shared.require()?;
        let id = parse_alarm_id(alarm_id)?;
        let info = active.client.clear_alarm(id).await.map_err(|e| self.fail(&active, &e))?;
        Ok(alarms::row_of(&info, &self.places()))
    }

    /// Node id -> the places around it, from the last loaded (or cached) building.
    fn places(&self) -> HashMap<String, Vec<String>> {
        self.with_loaded_tree(places).unwrap_or_default()
    }
}

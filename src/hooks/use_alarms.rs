use super::watch_lifetime::hold_watch;
use crate::ipc;
use atrium_ipc::{AlarmBadges, AlarmList, AlarmRow, AppError, WatchAlarmsArgs};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::HashMap;

/// The live alarm list of one scope with its filters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Alarms {
    /// The latest list (each replaces the previous one); `None` until the first arrives.
    pub(crate) list: ReadSignal<Option<AlarmList>>,
    /// Why the watch could not be started.
    pub(crate) error: ReadSignal<Option<AppError>>,
}

/// Watches the alarms `args` name for as long as the calling component lives: new filters end
/// the watch and start another (the list empties until its first answer); cleanup unwatches.
pub(crate) fn use_alarms(args: Signal<WatchAlarmsArgs>) -> Alarms {
    let list = RwSignal::new(None::<AlarmList>);
    let error = RwSignal::new(None::<AppError>);
    Effect::new(move |_| {
        let args = args.get();
        list.set(None);
        error.set(None);
        let on_list = move |next: Result<AlarmList, AppError>| match next {
            Ok(next) => {
                list.try_set(Some(next));
            }
            Err(err) => ipc::log_error("alarm list update", &err),
        };
        hold_watch(async move { ipc::watch_alarms(&args, on_list).await }, move |err| {
            error.try_set(Some(err));
        });
    });
    Alarms { list: list.read_only(), error: error.read_only() }
}

/// The building's alarm badges (node id -> active alarms below it), live for as long as the
/// calling component lives; empty until the first map and when the watch cannot start.
pub(crate) fn use_alarm_badges() -> ReadSignal<AlarmBadges> {
    let badges = RwSignal::new(AlarmBadges::default());
    let on_badges = move |next: Result<AlarmBadges, AppError>| match next {
        Ok(next) => {
            badges.try_set(next);
        }
        Err(err) => ipc::log_error("alarm badges update", &err),
    };
    hold_watch(ipc::watch_alarm_badges(on_badges), |err| ipc::log_error("alarm badges", &err));
    badges.read_only()
}

/// What a person asked of an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AlarmVerb {
    Acknowledge,
    Clear,
}

/// Where one alarm's action is: sent, answered by the server, or refused with its reason.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AlarmActionState {
    Pending(AlarmVerb),
    /// The server's answer: the alarm as it is now (the live list may show it a moment later).
    Confirmed(AlarmRow),
    Failed(AlarmVerb, String),
}

/// The actions on a list's alarms, by alarm id.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AlarmActions {
    states: RwSignal<HashMap<String, AlarmActionState>>,
}

impl AlarmActions {
    pub(crate) fn state(&self, alarm_id: &str) -> Option<AlarmActionState> {
        self.states.with(|s| s.get(alarm_id).cloned())
    }

    /// Sends `verb` for the alarm unless one is already on its way.
    pub(crate) fn run(&self, alarm_id: String, verb: AlarmVerb) {
        if matches!(self.state(&alarm_id), Some(AlarmActionState::Pending(_))) {
            return;
        }
        let states = self.states;
        states.update(|s| {
            s.insert(alarm_id.clone(), AlarmActionState::Pending(verb));
        });
        spawn_local(async move {
            let answer = match verb {
                AlarmVerb::Acknowledge => ipc::acknowledge_alarm(&alarm_id).await,
                AlarmVerb::Clear => ipc::clear_alarm(&alarm_id).await,
            };
            let next = match answer {
                Ok(row) => AlarmActionState::Confirmed(row),
                Err(err) => AlarmActionState::Failed(verb, err.message),
            };
            states.try_update(|s| {
                s.insert(alarm_id, next);
            });
        });
    }
}

pub(crate) fn use_alarm_actions() -> AlarmActions {
    AlarmActions { states: RwSignal::new(HashMap::new()) }
}

/// The row as the person should see it: the list's, or the server's answer to their action
/// when that is newer (an acknowledgement or clear never goes back).
pub(crate) fn effective_row(row: &AlarmRow, action: Option<&AlarmActionState>) -> AlarmRow {
    match action {
        Some(AlarmActionState::Confirmed(answer)) => AlarmRow {
            acknowledged: row.acknowledged || answer.acknowledged,
            cleared: row.cleared || answer.cleared,
            ack_ts: row.ack_ts.max(answer.ack_ts),
            clear_ts: row.clear_ts.max(answer.clear_ts),
            ..row.clone()
        },
        _ => row.clone(),
    }
}

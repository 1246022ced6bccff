use crate::ipc;
use atrium_ipc::{AppError, HistoryChart, HistorySpan, HistorySubject};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// A chart's data as it loads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum HistoryState {
    /// Nothing to chart (no key picked yet).
    Idle,
    Loading,
    Failed(AppError),
    Loaded(HistoryChart),
}

/// A chart's data, and how to ask again after a failure.
#[derive(Debug, Clone, Copy)]
pub(crate) struct History {
    pub(crate) state: ReadSignal<HistoryState>,
    retries: RwSignal<u32>,
}

impl History {
    pub(crate) fn retry(&self) {
        self.retries.update(|n| *n += 1);
    }
}

/// Loads the chart of `subject` over `span` whenever either changes; an answer to an older
/// request than the latest is dropped.
pub(crate) fn use_history(subject: Signal<Option<HistorySubject>>, span: Signal<HistorySpan>) -> History {
    let state = RwSignal::new(HistoryState::Idle);
    let retries = RwSignal::new(0u32);
    let latest = StoredValue::new(0u64);
    Effect::new(move |_| {
        retries.track();
        let (Some(subject), span) = (subject.get(), span.get()) else {
            state.set(HistoryState::Idle);
            return;
        };
        let request = latest.get_value() + 1;
        latest.set_value(request);
        state.set(HistoryState::Loading);
        spawn_local(async move {
            let next = match ipc::load_history(subject, span).await {
                Ok(chart) => HistoryState::Loaded(chart),
                Err(err) => HistoryState::Failed(err),
            };
            if latest.try_get_value() == Some(request) {
                state.try_set(next);
            }
        });
    });
    History { state: state.read_only(), retries }
}

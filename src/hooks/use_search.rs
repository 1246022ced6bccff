//! The building's search box: what is typed, and the hits for it once typing pauses (a hit list
//! stays on screen while the next one is on its way, so typing does not flicker).

use crate::hooks::debounce::debounced;
use crate::ipc;
use atrium_ipc::SearchHit;
use leptos::prelude::*;
use std::time::Duration;

/// How long typing pauses before the building is searched.
const SEARCH_DEBOUNCE: Duration = Duration::from_millis(150);

/// What the search box has found so far.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SearchState {
    /// Typing, or the answer is on its way.
    Pending,
    Done(Vec<SearchHit>),
    Failed(String),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Search {
    pub(crate) query: RwSignal<String>,
    pub(crate) results: RwSignal<SearchState>,
    /// While the box holds text, its hits replace the tree.
    pub(crate) searching: Memo<bool>,
}

impl Search {
    pub(crate) fn clear(&self) {
        if !self.query.with_untracked(String::is_empty) {
            self.query.set(String::new());
        }
    }
}

pub(crate) fn use_search() -> Search {
    let query = RwSignal::new(String::new());
    let results = RwSignal::new(SearchState::Pending);
    let searching = Memo::new(move |_| query.with(|q| !q.trim().is_empty()));
    debounced(
        move || query.get(),
        SEARCH_DEBOUNCE,
        move || results.set(SearchState::Pending),
        |text| async move { ipc::search(&text).await },
        move |answer| {
            results.set(match answer {
                Ok(hits) => SearchState::Done(hits),
                Err(err) => SearchState::Failed(err.message),
            })
        },
    );
    Search { query, results, searching }
}

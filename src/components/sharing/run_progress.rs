//! How far a share or unshare run has come: a bar and "12 of 40", read out as it moves.

use atrium_ipc::SharingProgress;
use leptos::prelude::*;

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn RunProgress(id: &'static str, progress: Signal<Option<SharingProgress>>) -> impl IntoView {
    let done = move || progress.get().map_or(0, |p| p.done);
    // A run with nothing to change still answers: an empty bar would never fill.
    let total = move || progress.get().map_or(0, |p| p.total).max(1);
    let text = move || match progress.get() {
        Some(p) if p.total > 0 => format!("{} of {} done", p.done, p.total),
        _ => "Starting…".to_owned(),
    };
    view! {
        <div class="run-progress">
            <progress id=id max=total value=done aria-labelledby=format!("{id}-text")></progress>
            <span id=format!("{id}-text") class="muted" role="status">{text}</span>
        </div>
    }
}

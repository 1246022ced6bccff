//! A question asked once typing pauses, keeping only the answer to the latest text: the search
//! box and the server address check both work this way.

use leptos::prelude::*;
use leptos::task::spawn_local;
use std::future::Future;
use std::time::Duration;

/// Asks `ask(text)` once `text` (trimmed) has stayed the same for `delay`, and hands the reply to
/// `answer` unless the text has changed since; an empty text calls `cleared` at once instead.
pub(crate) fn debounced<T, F>(
    text: impl Fn() -> String + 'static,
    delay: Duration,
    cleared: impl Fn() + 'static,
    ask: impl Fn(String) -> F + Copy + 'static,
    answer: impl Fn(T) + Copy + 'static,
) where
    F: Future<Output = T> + 'static,
    T: 'static,
{
    // Bumped on every change: a timer or reply for an older text sees it and drops out.
    let generation = StoredValue::new(0_u64);
    Effect::new(move |_| {
        let text = text().trim().to_owned();
        let current = generation.get_value().wrapping_add(1);
        generation.set_value(current);
        if text.is_empty() {
            cleared();
            return;
        }
        set_timeout(
            move || {
                if generation.get_value() != current {
                    return;
                }
                spawn_local(async move {
                    let reply = ask(text).await;
                    if generation.get_value() == current {
                        answer(reply);
                    }
                });
            },
            delay,
        );
    });
}

use leptos::prelude::*;
use std::time::Duration;

/// Wall-clock milliseconds, ticking once a second: one timer for every "12 s ago" on the page.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock(RwSignal<f64>);

impl Clock {
    /// Starts the page-wide clock; call once, at the top of the app, and provide it as context.
    pub(crate) fn start() -> Self {
        let now = RwSignal::new(js_sys::Date::now());
        // The clock lives as long as the page; its interval is never cleared.
        set_interval(move || now.set(js_sys::Date::now()), Duration::from_secs(1));
        Self(now)
    }

    /// The current time in ms since the epoch (tracked: re-runs the caller every second).
    pub(crate) fn now_ms(&self) -> f64 {
        self.0.get()
    }
}

pub(crate) fn use_clock() -> Clock {
    expect_context::<Clock>()
}

//! The connection badge in the header: is what I see live?

use crate::hooks::{use_clock, use_connection};
use atrium_ipc::ConnectionState;
use leptos::prelude::*;

/// `data-state` of the badge.
fn state_name(state: &ConnectionState) -> &'static str {
    match state {
        ConnectionState::Connecting => "connecting",
        ConnectionState::Connected => "connected",
        ConnectionState::Reconnecting { .. } => "reconnecting",
        ConnectionState::Offline { .. } => "offline",
        ConnectionState::Paused => "paused",
        ConnectionState::Closed => "closed",
    }
}

/// Whole seconds until the next reconnect attempt, `elapsed_ms` after the state arrived.
pub(crate) fn retry_in_s(state: &ConnectionState, elapsed_ms: f64) -> u64 {
    match state {
        ConnectionState::Reconnecting { retry_in_ms, .. } => {
            let remaining_ms = (*retry_in_ms as f64 - elapsed_ms.max(0.0)).max(0.0);
            (remaining_ms / 1000.0).ceil() as u64
        }
        _ => 0,
    }
}

/// The badge's text; `elapsed_ms` since the state arrived counts the reconnect delay down.
fn describe(state: &ConnectionState, elapsed_ms: f64) -> String {
    match state {
        ConnectionState::Connecting => "Connecting…".to_owned(),
        ConnectionState::Connected => "Live".to_owned(),
        ConnectionState::Reconnecting { attempt, .. } => {
            let seconds = retry_in_s(state, elapsed_ms);
            if seconds == 0 {
                format!("Reconnecting… (attempt {attempt})")
            } else {
                format!("Reconnecting in {seconds} s (attempt {attempt})")
            }
        }
        ConnectionState::Offline { reason } if reason.trim().is_empty() => "Offline".to_owned(),
        ConnectionState::Offline { reason } => format!("Offline: {reason}"),
        ConnectionState::Paused => "Paused in the background".to_owned(),
        ConnectionState::Closed => "Disconnected".to_owned(),
    }
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn ConnectionBadge() -> impl IntoView {
    let connection = use_connection();
    let clock = use_clock();
    let status = Memo::new(move |_| connection.status());
    let text = move || {
        let status = status.get();
        let elapsed = match status.state {
            // Only the countdown needs the clock; other states do not re-render every second.
            ConnectionState::Reconnecting { .. } => clock.now_ms() - status.since_ms,
            _ => 0.0,
        };
        describe(&status.state, elapsed)
    };
    let title = move || match status.get().state {
        ConnectionState::Connected => "Values update live.",
        _ => "Values shown may be out of date until the connection is back.",
    };

    view! {
        <span
            id="connection-state"
            class="connection-badge"
            data-state=move || state_name(&status.get().state)
            title=title
        >
            <span class="connection-dot" aria-hidden="true"></span>
            <span class="connection-text">{text}</span>
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnecting_counts_down() {
        let s = ConnectionState::Reconnecting { attempt: 3, retry_in_ms: 4000 };
        assert_eq!(describe(&s, 0.0), "Reconnecting in 4 s (attempt 3)");
        assert_eq!(describe(&s, 1500.0), "Reconnecting in 3 s (attempt 3)");
        assert_eq!(describe(&s, 5000.0), "Reconnecting… (attempt 3)");
        assert_eq!(
            describe(&ConnectionState::Offline { reason: "no network".into() }, 0.0),
            "Offline: no network"
        );
    }
}

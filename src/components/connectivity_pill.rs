//! The device's connection, as a person should read it: the server's `active` flag together with
//! when the device was last heard from, since the flag lags a dropped device by up to the
//! inactivity timeout (ten minutes by default).

use crate::components::device_panel::format_age;
use crate::components::time_text::moment;
use crate::hooks::use_clock;
use atrium_ipc::Connectivity;
use leptos::prelude::*;

/// Activity this recent reads as "active now" rather than "last seen".
const RECENT_MS: i64 = 120_000;

/// The pill's class, text and `data-active` (the server's flag: `true`, `false` or `unknown`).
/// A device that is online says how long ago it was active; one that is not says since when, by
/// the clock (`at` writes a moment: "14:02").
pub(crate) fn pill(
    connectivity: Option<&Connectivity>,
    read_once: Option<bool>,
    now_ms: i64,
    at: &dyn Fn(i64) -> String,
) -> (&'static str, String, &'static str) {
    let active = connectivity.and_then(|c| c.active).or(read_once);
    let last = connectivity.and_then(|c| c.last_activity_ms);
    // Gone since it was last heard from, or since its connection closed if that came later.
    let gone = connectivity.and_then(|c| c.last_activity_ms.max(c.last_disconnect_ms));
    let age = |last: i64| format_age(now_ms.saturating_sub(last) as f64);
    match (active, last) {
        (Some(true), Some(last)) if connectivity.is_some_and(|c| c.silent_at(now_ms)) => {
            ("pill unknown", format!("Not heard from since {}", at(last)), "true")
        }
        (Some(true), Some(last)) if now_ms.saturating_sub(last) <= RECENT_MS => {
            ("pill online", format!("Online · active {}", age(last)), "true")
        }
        (Some(true), Some(last)) => ("pill online", format!("Online · last seen {}", age(last)), "true"),
        (Some(true), None) => ("pill online", "Online".to_owned(), "true"),
        (Some(false), _) => match gone {
            Some(since) => ("pill offline", format!("Offline since {}", at(since)), "false"),
            None => ("pill offline", "Offline".to_owned(), "false"),
        },
        (None, Some(last)) => ("pill unknown", format!("Last seen {}", at(last)), "unknown"),
        (None, None) => ("pill unknown", "Status unknown".to_owned(), "unknown"),
    }
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn ConnectivityPill(
    connectivity: ReadSignal<Option<Connectivity>>,
    /// `active` as read with the device's details, until the live report comes.
    read_once: Option<bool>,
) -> impl IntoView {
    let clock = use_clock();
    let state = move || {
        let now_ms = clock.now_ms();
        let at = |ms: i64| moment(ms as f64, now_ms);
        connectivity.with(|c| pill(c.as_ref(), read_once, now_ms as i64, &at))
    };
    let title = move || {
        connectivity.with(|c| match c.as_ref().and_then(|c| c.last_disconnect_ms) {
            Some(_) if c.as_ref().and_then(|c| c.active) == Some(false) => {
                "The server marked the device inactive.".to_owned()
            }
            _ => "As the server reports it, live.".to_owned(),
        })
    };
    view! {
        <span id="device-status" class=move || state().0 data-active=move || state().2 title=title role="status">
            {move || state().1}
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(active: Option<bool>, last: Option<i64>) -> Connectivity {
        Connectivity { active, last_activity_ms: last, ..Connectivity::default() }
    }

    #[test]
    fn the_flag_is_read_with_the_last_activity() {
        let now = 10_000_000;
        let at = |ms: i64| format!("@{}", (now - ms) / 60_000);
        let text = |c: Option<&Connectivity>, once: Option<bool>| pill(c, once, now, &at);
        assert_eq!(text(Some(&seen(Some(true), Some(now - 5_000))), None).1, "Online · active 5 s ago");
        assert_eq!(
            text(Some(&seen(Some(true), Some(now - 300_000))), None).1,
            "Online · last seen 5 min ago"
        );
        let dropped = text(Some(&seen(Some(true), Some(now - 900_000))), None);
        assert_eq!(
            (dropped.0, dropped.1.as_str(), dropped.2),
            ("pill unknown", "Not heard from since @15", "true")
        );
        assert_eq!(
            text(Some(&seen(Some(false), Some(now - 7_200_000))), None).1,
            "Offline since @120",
            "since when, by the clock"
        );
        let closed_later = Connectivity {
            last_disconnect_ms: Some(now - 3_600_000),
            ..seen(Some(false), Some(now - 7_200_000))
        };
        assert_eq!(text(Some(&closed_later), None).1, "Offline since @60", "its connection closed after");
        assert_eq!(text(None, Some(false)), ("pill offline", "Offline".to_owned(), "false"));
        assert_eq!(text(None, None).1, "Status unknown");
    }
}

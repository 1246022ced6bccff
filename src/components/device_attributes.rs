//! A device's attributes by scope (client, shared, server), read-only, folded away until asked for.

use crate::components::chart_scale::moment_label;
use crate::components::device_panel::format_age;
use crate::hooks::use_clock;
use atrium_ipc::{AppError, DeviceAttributes, ScopeAttributes};
use leptos::prelude::*;

/// The attributes as they load.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AttributesState {
    Loading,
    Failed(AppError),
    Loaded(DeviceAttributes),
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn AttributesSection(state: ReadSignal<AttributesState>, reload: Callback<()>) -> impl IntoView {
    let count = move || match state.get() {
        AttributesState::Loaded(a) => a.scopes.iter().map(|s| s.entries.len()).sum::<usize>().to_string(),
        _ => "…".to_owned(),
    };
    let body = move || match state.get() {
        AttributesState::Loading => view! {
            <p class="muted loading" aria-busy="true">
                <span class="spinner" aria-hidden="true"></span>
                "Reading the attributes…"
            </p>
        }
        .into_any(),
        AttributesState::Failed(err) => view! {
            <div class="inline-error" role="alert">
                <p>{err.message}</p>
                <button type="button" class="button secondary small touch" on:click=move |_| reload.run(())>
                    "Retry"
                </button>
            </div>
        }
        .into_any(),
        AttributesState::Loaded(a) => {
            a.scopes.into_iter().map(|scope| view! { <ScopeTable scope=scope /> }).collect_view().into_any()
        }
    };
    view! {
        <section class="device-section" aria-labelledby="attributes-title">
            <details id="device-attributes" class="attributes">
                <summary class="touch">
                    <h3 id="attributes-title" class="section-title">"Attributes"</h3>
                    <span class="count-badge">{count}</span>
                </summary>
                {body}
            </details>
        </section>
    }
}

/// A time attribute (`lastActivityTime`, `...Ts`) in epoch ms as a local moment; anything else as it is.
fn shown_value(key: &str, value: &str, offset_minutes: i64) -> String {
    let is_time = key.ends_with("Time") || key.ends_with("Ts");
    match value.parse::<i64>() {
        Ok(ms) if is_time && (1_000_000_000_000..100_000_000_000_000).contains(&ms) => {
            moment_label(ms, offset_minutes)
        }
        _ => value.to_owned(),
    }
}

#[component]
fn ScopeTable(scope: ScopeAttributes) -> impl IntoView {
    let clock = use_clock();
    let offset = -(js_sys::Date::new_0().get_timezone_offset() as i64);
    let name = scope.scope.label();
    let no_entries = scope.entries.is_empty();
    let rows = scope
        .entries
        .into_iter()
        .map(|entry| {
            let updated = entry.last_update_ms;
            let age = move || {
                if updated > 0 {
                    format_age(clock.now_ms() - updated as f64)
                } else {
                    "—".to_owned()
                }
            };
            let key = entry.key;
            let shown = shown_value(&key, &entry.value, offset);
            let raw = (shown != entry.value).then_some(entry.value);
            view! {
                <tr data-key=key.clone()>
                    <th scope="row" class="key">{key.clone()}</th>
                    <td class="attribute-value" title=raw>{shown}</td>
                    <td class="age num">{age}</td>
                </tr>
            }
        })
        .collect_view();
    let empty = no_entries && scope.error.is_none();
    view! {
        <div class="attribute-scope" data-scope=name.to_lowercase()>
            <h4 class="scope-title">{name}</h4>
            {scope.error.map(|e| view! { <p class="inline-error" role="alert">{e}</p> })}
            {(scope.cut > 0).then(|| view! { <p class="muted">{format!("{} more not shown.", scope.cut)}</p> })}
            <table class="live-values attributes-table">
                <tbody>{rows}</tbody>
            </table>
            {empty.then(|| view! { <p class="muted empty-scope">"None."</p> })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_moments_and_other_values_as_they_are() {
        assert_eq!(shown_value("lastActivityTime", "1796292420000", 60), "Thu 3 Dec, 11:07");
        assert_eq!(shown_value("inactivityTimeout", "600000", 0), "600000");
        assert_eq!(shown_value("lastActivityTime", "0", 0), "0");
        assert_eq!(shown_value("step", "0.5", 0), "0.5");
    }
}

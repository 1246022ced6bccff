//! A device's history section: which of its keys to chart (those sharing a unit together, so a
//! thermostat shows temperature and setpoint on one chart) and the chart.

use crate::components::history_chart::HistoryCard;
use crate::components::quantity::quantity;
use crate::hooks::DeviceTelemetry;
use atrium_ipc::{HistorySubject, TelemetryValue};
use leptos::prelude::*;
use std::collections::BTreeMap;

/// Keys in the order a building manager looks for them; others after, alphabetically.
const FIRST_KEYS: [&str; 8] =
    ["temperature", "setpoint", "co2", "humidity", "power", "count", "brightness", "tvoc"];

fn rank(key: &str) -> usize {
    FIRST_KEYS.iter().position(|k| *k == key).unwrap_or(FIRST_KEYS.len())
}

/// The numeric keys grouped into charts: keys with the same known unit together, every other key
/// alone; the groups and their keys in [`FIRST_KEYS`] order.
pub(crate) fn chart_groups(keys: &[String]) -> Vec<Vec<String>> {
    let mut sorted = keys.to_vec();
    sorted.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    let mut groups: Vec<Vec<String>> = Vec::new();
    for key in sorted {
        let unit = quantity(&key).unit;
        match groups.iter_mut().find(|g| unit.is_some() && quantity(&g[0]).unit == unit) {
            Some(group) => group.push(key),
            None => groups.push(vec![key]),
        }
    }
    groups
}

/// "Temperature & Setpoint".
fn group_label(group: &[String]) -> String {
    group.iter().map(|k| quantity(k).label.to_owned()).collect::<Vec<_>>().join(" & ")
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn DeviceHistory(
    device_id: String,
    telemetry: DeviceTelemetry,
    /// The device's own units, by key.
    units: Memo<BTreeMap<String, String>>,
) -> impl IntoView {
    // Recomputed on every value, but equal groups keep the chart from reloading.
    let groups = Memo::new(move |_| {
        let numeric: Vec<String> = telemetry.values.with(|values| {
            values
                .iter()
                .filter(|(_, v)| matches!(v.value, TelemetryValue::Number(_)))
                .map(|(k, _)| k.clone())
                .collect()
        });
        chart_groups(&numeric)
    });
    // The picked group, by its first key, so it survives new keys appearing.
    let picked = RwSignal::new(None::<String>);
    let shown = Memo::new(move |_| {
        groups.with(|groups| {
            let picked = picked.get();
            groups.iter().find(|g| picked.as_ref().is_some_and(|p| g.contains(p))).or(groups.first()).cloned()
        })
    });
    let subject = Memo::new(move |_| {
        shown.get().map(|keys| HistorySubject::Device { device_id: device_id.clone(), keys })
    });
    let picker = move || {
        let all = groups.get();
        (all.len() > 1).then(|| {
            all.into_iter()
                .map(|group| {
                    let first = group[0].clone();
                    let label = group_label(&group);
                    let pressed = {
                        let first = first.clone();
                        move || shown.with(|s| s.as_ref().is_some_and(|s| s[0] == first)).to_string()
                    };
                    view! {
                        <button
                            type="button"
                            class="button secondary small key-choice touch"
                            data-key=first.clone()
                            aria-pressed=pressed
                            on:click=move |_| picked.set(Some(first.clone()))
                        >
                            {label}
                        </button>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <section class="device-section" aria-labelledby="history-title">
            <div class="section-head">
                <h3 id="history-title" class="section-title">"History"</h3>
                <div class="key-picker" role="group" aria-label="Reading to chart">{picker}</div>
            </div>
            <HistoryCard subject=subject id="device-history" units=units />
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(names: &[&str]) -> Vec<String> {
        names.iter().map(|k| (*k).to_owned()).collect()
    }

    #[test]
    fn keys_sharing_a_unit_are_charted_together_and_the_usual_ones_first() {
        let thermostat = chart_groups(&keys(&["humidity", "setpoint", "temperature"]));
        assert_eq!(thermostat, vec![keys(&["temperature", "setpoint"]), keys(&["humidity"])]);
        let odd = chart_groups(&keys(&["zeta", "alpha", "co2"]));
        assert_eq!(odd, vec![keys(&["co2"]), keys(&["alpha"]), keys(&["zeta"])], "unknown units stay apart");
        assert_eq!(group_label(&thermostat[0]), "Temperature & Setpoint");
    }
}

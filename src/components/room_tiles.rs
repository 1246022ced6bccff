//! A place's devices as tiles: each with its newest readings and their age, whether it is online,
//! and its main control inline, so a room is controlled without opening each device. The values
//! of every tile come through one watch (`use_room_telemetry`): one message a frame for the room.

use crate::components::controls::Control;
use crate::components::device_panel::format_age;
use crate::components::names::NameView;
use crate::components::quantity::{key_words, quantity, state_words};
use crate::hooks::RoomTelemetry;
use crate::hooks::{
    use_clock, use_connection, use_control_readings, use_names, use_navigation, use_room_telemetry,
};
use crate::ipc;
use atrium_ipc::{ControlDescriptor, LiveValue, TelemetryValue};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::BTreeMap;

/// Readings a tile shows at most.
const TILE_READINGS: usize = 3;

/// A device a tile stands for, as the tree has it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TileDevice {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) label: Option<String>,
}

/// The keys a tile shows: the building quantities it knows first (temperature before humidity
/// before CO₂...), then the rest by name; at most [`TILE_READINGS`].
pub(crate) fn tile_keys(values: &BTreeMap<String, LiveValue>) -> Vec<String> {
    let mut keys: Vec<&String> = values.keys().collect();
    let rank = |key: &str| {
        let known = quantity(key);
        if known.unit.is_some() || known.label != key {
            0
        } else {
            1
        }
    };
    keys.sort_by_key(|k| rank(k));
    keys.into_iter().take(TILE_READINGS).cloned().collect()
}

/// A reading as a tile shows it: a number with its unit, a switch as On/Off, text as it is.
/// A reading's label: the known quantity's ("CO₂"), else the key in words ("Locked").
fn reading_label(key: &str) -> String {
    match quantity(key) {
        known if known.label != key => known.label.to_owned(),
        _ => key_words(key),
    }
}

fn reading_text(key: &str, value: &TelemetryValue) -> String {
    match value {
        TelemetryValue::Number(n) => quantity(key).format(*n),
        TelemetryValue::Bool(on) => state_words(key, *on).to_owned(),
        other => other.to_string(),
    }
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn RoomTiles(
    devices: Vec<TileDevice>,
    /// The place the tiles are in: a device opened from a tile comes back here.
    place_id: String,
    /// Devices reported offline by the place's rollups.
    offline: Signal<Vec<String>>,
) -> impl IntoView {
    let room = use_room_telemetry(devices.iter().map(|d| d.id.clone()).collect());
    let error =
        move || room.error.get().map(|err| view! { <p class="inline-error" role="alert">{err.message}</p> });
    view! {
        <section class="device-section" aria-labelledby="tiles-title">
            <h3 id="tiles-title" class="section-title">"Devices here"</h3>
            {error}
            <ul id="device-tiles" class="device-tiles">
                {devices
                    .into_iter()
                    .map(|device| view! { <DeviceTile device=device room=room place_id=place_id.clone() offline=offline /> })
                    .collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn DeviceTile(
    device: TileDevice,
    room: RoomTelemetry,
    place_id: String,
    offline: Signal<Vec<String>>,
) -> impl IntoView {
    let nav = use_navigation();
    let names = use_names();
    let clock = use_clock();
    let connection = use_connection();
    let TileDevice { id, name, label } = device;
    let values = {
        let id = id.clone();
        Memo::new(move |_| room.values.with(|v| v.get(&id).cloned().unwrap_or_default()))
    };
    let is_offline = {
        let id = id.clone();
        Memo::new(move |_| offline.with(|o| o.contains(&id)))
    };
    // Keyed: a new value changes one text node, not the tile's list (40 tiles at a frame each).
    let keys = Memo::new(move |_| values.with(tile_keys));
    let reading = move |key: String| view! { <TileReading key=key values=values /> };
    let age = Memo::new(move |_| {
        let newest = values.with(|v| v.values().map(|v| v.ts).max());
        match newest {
            Some(ts) if ts > 0 => format_age(clock.now_ms() - ts as f64),
            _ if values.with(BTreeMap::is_empty) => "waiting for values…".to_owned(),
            _ => String::new(),
        }
    });
    let stale = move || !connection.is_live();
    let tile_id = id.clone();
    let open = {
        let (id, place) = (id.clone(), place_id.clone());
        move |_| nav.open_device(id.clone(), Some(place.clone()))
    };
    view! {
        <li class="device-tile" data-id=tile_id data-name=name.clone() class:offline=is_offline class:stale=stale>
            <div class="tile-head">
                <button type="button" class="tile-open" title=format!("Open {name}") on:click=open>
                    <NameView name=name.clone() label=label names=names class="tile-name" />
                </button>
                <span class="tile-state" class:offline=is_offline>
                    {move || if is_offline.get() { "Offline" } else { "Online" }}
                </span>
            </div>
            <ul class="tile-readings">
                <For each=move || keys.get() key=|k| k.clone() children=reading />
            </ul>
            <p class="tile-age age">{move || age.get()}</p>
            <TileControl device_id=id />
        </li>
    }
}

/// One reading of a tile: its label and its value, which alone changes as the device reports.
#[component]
fn TileReading(key: String, values: Memo<BTreeMap<String, LiveValue>>) -> impl IntoView {
    let text = {
        let key = key.clone();
        Memo::new(move |_| {
            values.with(|v| v.get(&key).map(|v| reading_text(&key, &v.value)).unwrap_or_default())
        })
    };
    view! {
        <li class="tile-reading" data-key=key.clone()>
            <span class="tile-reading-label">{reading_label(&key)}</span>
            <span class="tile-reading-value">{move || text.get()}</span>
        </li>
    }
}

/// The device's main control (its first), once its description has been read.
#[component]
fn TileControl(device_id: String) -> impl IntoView {
    let control = RwSignal::new(None::<ControlDescriptor>);
    {
        let device_id = device_id.clone();
        spawn_local(async move {
            match ipc::device_detail(&device_id).await {
                Ok(detail) => {
                    control.try_set(detail.controls.into_iter().next());
                }
                // The tile still shows values; the device's own page says what failed.
                Err(err) => ipc::log_error("reading a tile's controls", &err),
            }
        });
    }
    move || {
        control.get().map(|control| {
            view! { <TileControlView device_id=device_id.clone() control=control /> }
        })
    }
}

#[component]
fn TileControlView(device_id: String, control: ControlDescriptor) -> impl IntoView {
    let values = use_control_readings(device_id.clone()).values;
    let scope = Some(device_id.clone());
    view! {
        <div class="tile-control">
            <Control device_id=device_id control=control values=values scope=scope />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(key: &str, n: f64) -> (String, LiveValue) {
        (key.to_owned(), LiveValue { key: key.to_owned(), ts: 1, value: TelemetryValue::Number(n) })
    }

    #[test]
    fn tiles_show_the_quantities_they_know_first_and_three_at_most() {
        let values: BTreeMap<String, LiveValue> = [
            value("zz", 1.0),
            value("humidity", 40.0),
            value("aa", 2.0),
            value("temperature", 21.0),
            value("co2", 500.0),
        ]
        .into_iter()
        .collect();
        assert_eq!(tile_keys(&values), ["co2", "humidity", "temperature"]);
        let few: BTreeMap<String, LiveValue> = [value("zz", 1.0), value("aa", 2.0)].into_iter().collect();
        assert_eq!(tile_keys(&few), ["aa", "zz"]);
        assert_eq!(reading_text("temperature", &TelemetryValue::Number(21.04)), "21.0 °C");
        assert_eq!(reading_text("state", &TelemetryValue::Bool(true)), "On");
        assert_eq!(reading_text("locked", &TelemetryValue::Bool(false)), "Unlocked");
        assert_eq!(reading_text("occupied", &TelemetryValue::Bool(true)), "Occupied");
        assert_eq!((reading_label("co2"), reading_label("locked")), ("CO₂".to_owned(), "Locked".to_owned()));
    }
}

//! How a time-series key reads to a person: a label and a unit for the common building keys,
//! the key itself for anything else (ThingsBoard telemetry carries no unit). A device's
//! `atriumUnits` attribute overrides the unit per key.

use crate::components::device_panel::format_number;
use std::collections::BTreeMap;

/// A key's label, unit and number of decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quantity<'a> {
    pub(crate) label: &'a str,
    pub(crate) unit: Option<&'a str>,
    /// `None`: as many as the value needs.
    decimals: Option<usize>,
}

/// Key, label, unit, decimals: the keys building devices commonly report.
const KNOWN: &[(&str, &str, Option<&str>, usize)] = &[
    ("temperature", "Temperature", Some("°C"), 1),
    ("setpoint", "Setpoint", Some("°C"), 1),
    ("humidity", "Humidity", Some("%"), 0),
    ("co2", "CO₂", Some("ppm"), 0),
    ("tvoc", "TVOC", Some("ppb"), 0),
    ("pm25", "PM2.5", Some("µg/m³"), 0),
    ("brightness", "Brightness", Some("%"), 0),
    ("illuminance", "Illuminance", Some("lx"), 0),
    ("power", "Power", Some("W"), 0),
    ("energy", "Energy", Some("kWh"), 1),
    ("voltage", "Voltage", Some("V"), 0),
    ("current", "Current", Some("A"), 2),
    ("battery", "Battery", Some("%"), 0),
    ("position", "Position", Some("%"), 0),
    ("count", "People", None, 0),
];

pub(crate) fn quantity(key: &str) -> Quantity<'_> {
    match KNOWN.iter().find(|(k, ..)| *k == key) {
        Some((_, label, unit, decimals)) => Quantity { label, unit: *unit, decimals: Some(*decimals) },
        None => Quantity { label: key, unit: None, decimals: None },
    }
}

/// A key as words: `lastDisconnectTime` -> "Last disconnect time", `locked` -> "Locked".
pub(crate) fn key_words(key: &str) -> String {
    let mut words = String::new();
    for (i, c) in key.chars().enumerate() {
        if i == 0 {
            words.extend(c.to_uppercase());
        } else if c.is_uppercase() {
            words.push(' ');
            words.extend(c.to_lowercase());
        } else {
            words.push(c);
        }
    }
    words
}

/// An on/off reading in the words its key calls for: a lock is "Locked", a room "Occupied", a
/// door "Open"; anything else "On" or "Off".
pub(crate) fn state_words(key: &str, on: bool) -> &'static str {
    let (yes, no) = match key.to_ascii_lowercase().as_str() {
        "locked" | "lock" => ("Locked", "Unlocked"),
        "occupied" | "occupancy" | "presence" => ("Occupied", "Empty"),
        "open" | "contact" | "door" | "window" => ("Open", "Closed"),
        "motion" => ("Motion", "No motion"),
        _ => ("On", "Off"),
    };
    if on {
        yes
    } else {
        no
    }
}

/// [`quantity`] with the unit a device's `atriumUnits` sets for `key`, if any.
pub(crate) fn quantity_with<'a>(key: &'a str, units: &'a BTreeMap<String, String>) -> Quantity<'a> {
    let known = quantity(key);
    match units.get(key) {
        Some(unit) => Quantity { unit: Some(unit.as_str()), ..known },
        None => known,
    }
}

/// `value` with `decimals` digits and the user's decimal separator (the webview's locale:
/// "21,5" in German), without grouping, as a device shows it.
#[cfg(target_arch = "wasm32")]
fn localized(value: f64, decimals: usize) -> String {
    use wasm_bindgen::JsValue;
    thread_local! {
        static FORMATS: std::cell::RefCell<std::collections::HashMap<usize, js_sys::Function>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    let plain = || format!("{value:.decimals$}");
    if !value.is_finite() {
        return plain();
    }
    FORMATS.with(|formats| {
        let mut formats = formats.borrow_mut();
        let format = formats.entry(decimals).or_insert_with(|| {
            let options = js_sys::Object::new();
            let digits = JsValue::from(u32::try_from(decimals).unwrap_or(0));
            for (key, value) in [
                ("minimumFractionDigits", &digits),
                ("maximumFractionDigits", &digits),
                ("useGrouping", &JsValue::FALSE),
            ] {
                let _ = js_sys::Reflect::set(&options, &key.into(), value);
            }
            js_sys::Intl::NumberFormat::new(&js_sys::Array::new(), &options).format()
        });
        format.call1(&JsValue::NULL, &value.into()).ok().and_then(|v| v.as_string()).unwrap_or_else(plain)
    })
}

#[cfg(not(target_arch = "wasm32"))]
fn localized(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}")
}

impl Quantity<'_> {
    /// `21.0 °C`, `45 %`, `3.25` (the decimal separator as the user's locale has it).
    pub(crate) fn format(&self, value: f64) -> String {
        let number = match self.decimals {
            Some(decimals) => localized(value, decimals),
            None => format_number(value),
        };
        match self.unit {
            Some(unit) => format!("{number} {unit}"),
            None => number,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_keys_get_units_and_others_read_as_themselves() {
        assert_eq!(quantity("temperature").format(21.04), "21.0 °C");
        assert_eq!(quantity("humidity").format(45.6), "46 %");
        assert_eq!(quantity("co2").label, "CO₂");
        let other = quantity("flowRate");
        assert_eq!((other.label, other.unit), ("flowRate", None));
        assert_eq!(other.format(3.25), "3.25");
    }

    #[test]
    fn a_devices_override_changes_the_unit_only() {
        let units = BTreeMap::from([
            ("temperature".to_owned(), "°F".to_owned()),
            ("flow".to_owned(), "m³/h".to_owned()),
        ]);
        assert_eq!(quantity_with("temperature", &units).format(70.04), "70.0 °F");
        assert_eq!(quantity_with("flow", &units).format(2.5), "2.5 m³/h");
        assert_eq!(quantity_with("humidity", &units).format(40.0), "40 %");
    }
}

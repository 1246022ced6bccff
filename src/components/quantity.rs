//! How a time-series key reads to a person: a label and a unit for the common building keys,
//! the key itself for anything else (ThingsBoard telemetry carries no unit).

use crate::components::device_panel::format_number;

/// A key's label, unit and number of decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quantity<'a> {
    pub(crate) label: &'a str,
    pub(crate) unit: Option<&'static str>,
    /// `None`: as many as the value needs.
    decimals: Option<usize>,
}

pub(crate) fn quantity(key: &str) -> Quantity<'_> {
    let known = |label, unit, decimals| Quantity { label, unit, decimals: Some(decimals) };
    match key {
        "temperature" => known("Temperature", Some("°C"), 1),
        "setpoint" => known("Setpoint", Some("°C"), 1),
        "humidity" => known("Humidity", Some("%"), 0),
        "co2" => known("CO₂", Some("ppm"), 0),
        "tvoc" => known("TVOC", Some("ppb"), 0),
        "brightness" => known("Brightness", Some("%"), 0),
        "power" => known("Power", Some("W"), 0),
        "count" => known("People", None, 1),
        other => Quantity { label: other, unit: None, decimals: None },
    }
}

impl Quantity<'_> {
    /// `21.0 °C`, `45 %`, `3.25`.
    pub(crate) fn format(&self, value: f64) -> String {
        let number = match self.decimals {
            Some(decimals) => format!("{value:.decimals$}"),
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
}

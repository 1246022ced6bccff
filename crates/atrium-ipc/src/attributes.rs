//! A device's attributes by scope, read-only, and the unit overrides they carry.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The attribute a device (or its administrator) sets to override the units Atrium shows:
/// a JSON object of key -> unit, e.g. `{"temperature": "°F"}`; shared scope wins over server.
pub const UNITS_ATTRIBUTE: &str = "atriumUnits";

/// ThingsBoard's attribute scopes, as a person reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttributeScopeName {
    /// Reported by the device.
    Client,
    /// Set for the device by the server side; the device can read them.
    Shared,
    /// Kept by the server (connectivity, configuration); the device never sees them.
    Server,
}

impl AttributeScopeName {
    pub const ALL: [Self; 3] = [Self::Client, Self::Shared, Self::Server];

    pub fn label(self) -> &'static str {
        match self {
            Self::Client => "Client",
            Self::Shared => "Shared",
            Self::Server => "Server",
        }
    }
}

/// One attribute: its value as text (JSON for objects and arrays, cut when long).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeEntry {
    pub key: String,
    pub value: String,
    pub last_update_ms: i64,
}

/// The attributes of one scope, or why they could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeAttributes {
    pub scope: AttributeScopeName,
    /// Sorted by key.
    pub entries: Vec<AttributeEntry>,
    /// Entries left out because the scope has more than can be shown.
    pub cut: u32,
    /// The server's refusal or failure, said for a person.
    pub error: Option<String>,
}

/// Answer of `device_attributes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceAttributes {
    pub device_id: String,
    /// Client, shared and server, in that order.
    pub scopes: Vec<ScopeAttributes>,
    /// Key -> unit from the device's [`UNITS_ATTRIBUTE`].
    pub units: BTreeMap<String, String>,
}

//! Entity ids: ThingsBoard serialises every id as `{"entityType": "DEVICE", "id": "<uuid>"}`.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Upper-case entity type names, parsed case-sensitively as the server does (`device` is rejected).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum EntityType {
    Tenant,
    Customer,
    User,
    Dashboard,
    Asset,
    Device,
    Alarm,
    EntityView,
    DeviceProfile,
    AssetProfile,
    Rpc,
    Edge,
}

impl EntityType {
    /// The name used in URL paths and query parameters.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tenant => "TENANT",
            Self::Customer => "CUSTOMER",
            Self::User => "USER",
            Self::Dashboard => "DASHBOARD",
            Self::Asset => "ASSET",
            Self::Device => "DEVICE",
            Self::Alarm => "ALARM",
            Self::EntityView => "ENTITY_VIEW",
            Self::DeviceProfile => "DEVICE_PROFILE",
            Self::AssetProfile => "ASSET_PROFILE",
            Self::Rpc => "RPC",
            Self::Edge => "EDGE",
        }
    }

    /// Parses the exact upper-case name; anything else is `None`.
    pub fn parse(name: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{"entityType": "...", "id": "<uuid>"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityId {
    pub entity_type: EntityType,
    pub id: Uuid,
}

impl EntityId {
    pub fn new(entity_type: EntityType, id: Uuid) -> Self {
        Self { entity_type, id }
    }
}

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.entity_type, self.id)
    }
}

/// "No customer" is this fixed UUID, never `null` (`EntityId.NULL_UUID`).
pub const NULL_UUID: Uuid = Uuid::from_u128(0x13814000_1dd2_11b2_8080_808080808080);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_id_round_trips_in_server_shape() {
        let text = r#"{"entityType":"DEVICE","id":"6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"}"#;
        let id: EntityId = serde_json::from_str(text).unwrap();
        assert_eq!(id.entity_type, EntityType::Device);
        assert_eq!(serde_json::to_string(&id).unwrap(), text);
    }

    #[test]
    fn entity_type_is_case_sensitive() {
        assert_eq!(EntityType::parse("ENTITY_VIEW"), Some(EntityType::EntityView));
        assert_eq!(EntityType::parse("device"), None);
    }

    #[test]
    fn null_uuid_matches_thingsboard() {
        assert_eq!(NULL_UUID.to_string(), "13814000-1dd2-11b2-8080-808080808080");
    }
}

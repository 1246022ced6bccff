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

/// An id of one entity type: `{"entityType": "DEVICE", "id": ...}` on the wire like any
/// [`EntityId`], but another type's id is refused when parsed, and a device's id cannot be passed
/// where an asset's is wanted.
macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $entity_type:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "EntityId", into = "EntityId")]
        pub struct $name(pub Uuid);

        impl $name {
            pub const ENTITY_TYPE: EntityType = EntityType::$entity_type;

            pub fn uuid(self) -> Uuid {
                self.0
            }

            pub fn entity_id(self) -> EntityId {
                EntityId::new(Self::ENTITY_TYPE, self.0)
            }
        }

        impl From<$name> for EntityId {
            fn from(id: $name) -> Self {
                id.entity_id()
            }
        }

        impl TryFrom<EntityId> for $name {
            type Error = WrongEntityType;
            fn try_from(id: EntityId) -> Result<Self, WrongEntityType> {
                if id.entity_type == Self::ENTITY_TYPE {
                    Ok(Self(id.id))
                } else {
                    Err(WrongEntityType { expected: Self::ENTITY_TYPE, found: id.entity_type })
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

typed_id!(
    /// A device's id (`DeviceId`).
    DeviceId,
    Device
);
typed_id!(
    /// An asset's id (`AssetId`).
    AssetId,
    Asset
);
typed_id!(
    /// A device profile's id (`DeviceProfileId`).
    DeviceProfileId,
    DeviceProfile
);
typed_id!(
    /// A customer's id (`CustomerId`). The NULL customer ([`NULL_UUID`]) means "no customer".
    CustomerId,
    Customer
);
typed_id!(
    /// A user's id (`UserId`).
    UserId,
    User
);

impl CustomerId {
    /// Whether this is the NULL customer that unassigned entities and tenant users carry.
    pub fn is_null(self) -> bool {
        self.0 == NULL_UUID
    }

    /// The customer an entity or user belongs to: `None` when the id is absent, `null` or the
    /// NULL customer, all of which the server reads as unassigned
    /// (`AssetController.unassignAssetFromCustomer` checks `customerId == null || NULL_UUID`).
    pub fn assigned(id: Option<CustomerId>) -> Option<CustomerId> {
        id.filter(|c| !c.is_null())
    }
}

/// An id of another entity type than the one wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongEntityType {
    pub expected: EntityType,
    pub found: EntityType,
}

impl fmt::Display for WrongEntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected an id of entity type {}, found {}", self.expected, self.found)
    }
}

impl std::error::Error for WrongEntityType {}

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
    fn typed_ids_keep_the_wire_shape_and_refuse_other_types() {
        let text = r#"{"entityType":"DEVICE","id":"6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"}"#;
        let device: DeviceId = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&device).unwrap(), text);
        assert_eq!(device.to_string(), "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60");
        assert_eq!(EntityId::from(device).entity_type, EntityType::Device);
        let err = serde_json::from_str::<AssetId>(text).unwrap_err();
        assert!(err.to_string().contains("expected an id of entity type ASSET, found DEVICE"), "{err}");
        assert!(DeviceProfileId::try_from(device.entity_id()).is_err());
    }

    #[test]
    fn null_uuid_matches_thingsboard() {
        assert_eq!(NULL_UUID.to_string(), "13814000-1dd2-11b2-8080-808080808080");
    }

    #[test]
    fn the_null_customer_and_a_missing_one_are_both_unassigned() {
        let null: CustomerId =
            serde_json::from_str(r#"{"entityType":"CUSTOMER","id":"13814000-1dd2-11b2-8080-808080808080"}"#)
                .unwrap();
        assert!(null.is_null());
        assert_eq!(CustomerId::assigned(Some(null)), None);
        assert_eq!(CustomerId::assigned(None), None);
        let real = CustomerId(Uuid::from_u128(7));
        assert_eq!(CustomerId::assigned(Some(real)), Some(real));
        assert!(serde_json::from_str::<UserId>(
            r#"{"entityType":"CUSTOMER","id":"13814000-1dd2-11b2-8080-808080808080"}"#
        )
        .is_err());
    }
}

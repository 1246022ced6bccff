//! Relations (`CD/relation/*`) and the multi-level relation query (`POST /api/relations[/info]`).

use crate::id::{EntityId, EntityType};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

pub const CONTAINS: &str = "Contains";

/// `EntityRelation`, and `EntityRelationInfo` when the far end's name is filled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityRelation {
    pub from: EntityId,
    pub to: EntityId,
    #[serde(rename = "type")]
    pub relation_type: String,
    #[serde(default = "RelationTypeGroup::common")]
    pub type_group: RelationTypeGroup,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(default)]
    pub additional_info: Option<Value>,
    /// Present only in the `Info` variants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    /// Present only in the `Info` variants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum RelationTypeGroup {
    Common,
    Dashboard,
    RuleChain,
    RuleNode,
    Edge,
    EdgeAutoAssignRuleChain,
}

impl RelationTypeGroup {
    fn common() -> Self {
        Self::Common
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SearchDirection {
    From,
    To,
}

/// `EntityRelationsQuery`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityRelationsQuery {
    pub parameters: RelationsSearchParameters,
    #[serde(default)]
    pub filters: Vec<RelationEntityTypeFilter>,
}

/// `RelationsSearchParameters`. The server treats an omitted `maxLevel` as 0 = unlimited,
/// so the client always sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelationsSearchParameters {
    pub root_id: Uuid,
    pub root_type: EntityType,
    pub direction: Option<SearchDirection>,
    #[serde(default)]
    pub relation_type_group: Option<RelationTypeGroup>,
    #[serde(default)]
    pub max_level: i32,
    #[serde(default)]
    pub fetch_last_level_only: bool,
}

/// `RelationEntityTypeFilter`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelationEntityTypeFilter {
    #[serde(default)]
    pub relation_type: Option<String>,
    #[serde(default)]
    pub entity_types: Vec<EntityType>,
    #[serde(default)]
    pub negate: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_info_parses_reference_example() {
        let rel: EntityRelation = serde_json::from_str(
            r#"{"from": {"entityType": "ASSET", "id": "0f4e5d60-3b7e-11ef-9a1d-1b2c3d4e5f60"},
 "to": {"entityType": "DEVICE", "id": "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"},
 "type": "Contains", "typeGroup": "COMMON", "version": 1, "additionalInfo": null, "fromName": null, "toName": "Soil probe 7"}"#,
        )
        .unwrap();
        assert_eq!(rel.relation_type, CONTAINS);
        assert_eq!(rel.to_name.as_deref(), Some("Soil probe 7"));
    }

    #[test]
    fn query_always_carries_max_level() {
        let q = EntityRelationsQuery {
            parameters: RelationsSearchParameters {
                root_id: Uuid::nil(),
                root_type: EntityType::Asset,
                direction: Some(SearchDirection::From),
                relation_type_group: Some(RelationTypeGroup::Common),
                max_level: 0,
                fetch_last_level_only: false,
            },
            filters: vec![],
        };
        let v = serde_json::to_value(&q).unwrap();
        assert_eq!(v["parameters"]["maxLevel"], 0);
        assert_eq!(v["parameters"]["rootType"], "ASSET");
    }
}

use crate::client::{Client, RequestSpec};
use crate::error::Error;
use tb_proto::relation::{EntityRelation, EntityRelationsQuery};
use tb_proto::EntityId;

impl Client {
    /// `GET /api/relations/info?fromId&fromType[&relationType]`: one level, with the far end's name.
    pub async fn relations_from(
        &self,
        from: EntityId,
        relation_type: Option<&str>,
    ) -> Result<Vec<EntityRelation>, Error> {
        let mut spec = RequestSpec::get("api/relations/info")
            .query("fromId", from.id)
            .query("fromType", from.entity_type);
        if let Some(t) = relation_type {
            spec = spec.query("relationType", t);
        }
        self.get_json(spec).await
    }

    /// `GET /api/relations?toId&toType[&relationType]`: incoming relations.
    pub async fn relations_to(
        &self,
        to: EntityId,
        relation_type: Option<&str>,
    ) -> Result<Vec<EntityRelation>, Error> {
        let mut spec = RequestSpec::get("api/relations").query("toId", to.id).query("toType", to.entity_type);
        if let Some(t) = relation_type {
            spec = spec.query("relationType", t);
        }
        self.get_json(spec).await
    }

    /// `POST /api/relations/info`: the whole subtree as a flat edge list with names, in one call.
    pub async fn query_relations_info(
        &self,
        query: &EntityRelationsQuery,
    ) -> Result<Vec<EntityRelation>, Error> {
        self.get_json(RequestSpec::post("api/relations/info", query)).await
    }
}

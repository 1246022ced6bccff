//! Time-series and attribute key names (`GET .../keys/...`, `TelemetryController.getTimeseriesKeys`, `getAttributeKeys`).

use crate::client::{Client, RequestSpec};
use crate::error::Error;
use tb_proto::telemetry::AttributeScope;
use tb_proto::EntityId;

impl Client {
    /// The time-series keys `entity` has a latest value for.
    pub async fn timeseries_keys(&self, entity: EntityId) -> Result<Vec<String>, Error> {
        self.get_json(RequestSpec::get(format!(
            "api/plugins/telemetry/{}/{}/keys/timeseries",
            entity.entity_type, entity.id
        )))
        .await
    }

    /// The attribute keys of one scope, or of all scopes merged when `scope` is `None`.
    pub async fn attribute_keys(
        &self,
        entity: EntityId,
        scope: Option<AttributeScope>,
    ) -> Result<Vec<String>, Error> {
        let base = format!("api/plugins/telemetry/{}/{}/keys/attributes", entity.entity_type, entity.id);
        let path = match scope {
            Some(scope) => format!("{base}/{}", scope.as_str()),
            None => base,
        };
        self.get_json(RequestSpec::get(path)).await
    }
}

//! Attribute writes (`POST .../attributes/{scope}`, `TelemetryController.saveEntityAttributesV2`).

use crate::client::{Client, RequestSpec};
use crate::error::Error;
use serde_json::Value;
use tb_proto::telemetry::AttributeScope;
use tb_proto::EntityId;

impl Client {
    /// Writes `values` (a JSON object of key -> value) as `SERVER_SCOPE` or `SHARED_SCOPE`
    /// attributes of `entity`. `CLIENT_SCOPE` belongs to the device and is refused here with
    /// [`Error::InvalidArgument`], as is anything but a non-empty object, without a request.
    pub async fn save_attributes(
        &self,
        entity: EntityId,
        scope: AttributeScope,
        values: &Value,
    ) -> Result<(), Error> {
        if scope == AttributeScope::ClientScope {
            return Err(Error::InvalidArgument(
                "CLIENT_SCOPE attributes are written by the device itself: write SERVER_SCOPE or SHARED_SCOPE"
                    .into(),
            ));
        }
        match values {
            Value::Object(map) if !map.is_empty() => {}
            _ => {
                return Err(Error::InvalidArgument(
                    "attributes to write must be a non-empty JSON object of key -> value".into(),
                ))
            }
        }
        let spec = RequestSpec::post(
            format!(
                "api/plugins/telemetry/{}/{}/attributes/{}",
                entity.entity_type,
                entity.id,
                scope.as_str()
            ),
            values,
        );
        self.execute(&spec).await?.empty()
    }
}

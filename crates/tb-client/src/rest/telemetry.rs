use crate::client::{Client, RequestSpec};
use crate::error::Error;
use crate::value::{LatestValue, TbValue};
use tb_proto::telemetry::{AttributeData, AttributeScope, TimeseriesResponse};
use tb_proto::EntityId;

impl Client {
    /// Latest time series of `keys` (all keys when empty), typed.
    pub async fn latest_timeseries(
        &self,
        entity: EntityId,
        keys: &[&str],
    ) -> Result<Vec<LatestValue>, Error> {
        let mut spec = RequestSpec::get(format!(
            "api/plugins/telemetry/{}/{}/values/timeseries",
            entity.entity_type, entity.id
        ));
        if !keys.is_empty() {
            spec = spec.query("keys", keys.join(","));
        }
        let response: TimeseriesResponse = self.get_json(spec).await?;
        Ok(response
            .into_iter()
            .filter_map(|(key, points)| {
                let point = points.into_iter().next()?;
                Some(LatestValue { key, ts: point.ts, value: TbValue::from_json(&point.value) })
            })
            .collect())
    }

    /// Attributes of one scope, or of all scopes when `scope` is `None`.
    pub async fn attributes(
        &self,
        entity: EntityId,
        scope: Option<AttributeScope>,
        keys: &[&str],
    ) -> Result<Vec<AttributeData>, Error> {
        let base = format!("api/plugins/telemetry/{}/{}/values/attributes", entity.entity_type, entity.id);
        let path = match scope {
            Some(scope) => format!("{base}/{}", scope.as_str()),
            None => base,
        };
        let mut spec = RequestSpec::get(path);
        if !keys.is_empty() {
            spec = spec.query("keys", keys.join(","));
        }
        self.get_json(spec).await
    }
}

//! Historical time series with aggregation (`GET .../values/timeseries?startTs&endTs`, `TelemetryController.getTimeseries`).
//!
//! The plain `values/timeseries` path with both `startTs` and `endTs` is used rather than the
//! `values/timeseries/history` alias: every 3.x/4.x server answers it.

use crate::client::{Client, RequestSpec};
use crate::error::Error;
use crate::value::TbValue;
use std::collections::BTreeMap;
use std::time::Duration;
use tb_proto::history::{interval_count, MAX_INTERVALS};
pub use tb_proto::history::{AggregationFunction, SortOrder};
use tb_proto::telemetry::TimeseriesResponse;
use tb_proto::EntityId;

/// How to aggregate a history query: `agg` over buckets of `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Aggregation {
    pub interval: Duration,
    pub agg: AggregationFunction,
}

impl Aggregation {
    /// Raw points, no aggregation.
    pub const NONE: Self = Self { interval: Duration::ZERO, agg: AggregationFunction::None };

    pub fn new(agg: AggregationFunction, interval: Duration) -> Self {
        Self { interval, agg }
    }

    fn interval_ms(&self) -> i64 {
        i64::try_from(self.interval.as_millis()).unwrap_or(i64::MAX)
    }
}

impl Default for Aggregation {
    fn default() -> Self {
        Self::NONE
    }
}

/// One time-series point, its value typed. An aggregated point is stamped at its bucket's midpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct TsPoint {
    pub ts: i64,
    pub value: TbValue,
}

impl Client {
    /// Points of `keys` with `startTs <= ts < endTs` (ms), raw (newest first unless `order` says
    /// otherwise, at most `limit` per key) or aggregated per `aggregation.interval` (one point per
    /// non-empty bucket, oldest first; `limit` does not apply).
    ///
    /// Every requested key is in the answer, with no points when it has no data in the range.
    /// Refused before sending: no keys, `end_ts < start_ts`, an aggregation without an interval
    /// (the server would silently answer raw points), or more than 700 buckets (the server's limit).
    #[allow(clippy::too_many_arguments)]
    pub async fn timeseries_history(
        &self,
        entity: EntityId,
        keys: &[&str],
        start_ts: i64,
        end_ts: i64,
        aggregation: Aggregation,
        limit: u32,
        order: SortOrder,
    ) -> Result<BTreeMap<String, Vec<TsPoint>>, Error> {
        if keys.is_empty() || keys.iter().any(|k| k.is_empty() || k.contains(',')) {
            return Err(Error::InvalidArgument(
                "a history query needs at least one key, and keys cannot be empty or contain ','".into(),
            ));
        }
        if end_ts < start_ts {
            return Err(Error::InvalidArgument(format!(
                "the history range ends ({end_ts}) before it starts ({start_ts})"
            )));
        }
        let interval = aggregation.interval_ms();
        if aggregation.agg != AggregationFunction::None {
            if interval == 0 {
                return Err(Error::InvalidArgument(format!(
                    "{} aggregation needs an interval",
                    aggregation.agg.as_str()
                )));
            }
            let buckets = interval_count(start_ts, end_ts, interval);
            if buckets > MAX_INTERVALS {
                return Err(Error::InvalidArgument(format!(
                    "{buckets} aggregation intervals are more than the server's {MAX_INTERVALS}: use a longer interval or a shorter range"
                )));
            }
        }
        let spec = RequestSpec::get(format!(
            "api/plugins/telemetry/{}/{}/values/timeseries",
            entity.entity_type, entity.id
        ))
        .query("keys", keys.join(","))
        .query("startTs", start_ts)
        .query("endTs", end_ts)
        .query("interval", interval)
        .query("agg", aggregation.agg.as_str())
        .query("limit", limit)
        .query("orderBy", order.as_str());
        let response: TimeseriesResponse = self.get_json(spec).await?;
        let mut out: BTreeMap<String, Vec<TsPoint>> =
            keys.iter().map(|k| ((*k).to_owned(), Vec::new())).collect();
        for (key, points) in response {
            out.insert(
                key,
                points
                    .into_iter()
                    .map(|p| TsPoint { ts: p.ts, value: TbValue::from_json(&p.value) })
                    .collect(),
            );
        }
        Ok(out)
    }
}

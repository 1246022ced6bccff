//! Historical time series (`GET .../values/timeseries?startTs&endTs`, `TelemetryController.getTimeseries`): raw points
//! in `[startTs, endTs)` with `limit` and `orderBy`, or `MIN/MAX/AVG/SUM/COUNT` per `interval`
//! bucket, one point per non-empty bucket stamped at the bucket's midpoint, ascending.

use crate::kv::KvValue;
use tb_proto::history::{interval_count, AggregationFunction, SortOrder, MAX_INTERVALS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HistoryQuery {
    pub(crate) start_ts: i64,
    pub(crate) end_ts: i64,
    pub(crate) interval: i64,
    pub(crate) limit: usize,
    pub(crate) agg: AggregationFunction,
    pub(crate) order: SortOrder,
}

impl HistoryQuery {
    /// `BaseTimeseriesService.validate`; the text is the server's plain-text 400 body.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.aggregates() {
            let intervals = interval_count(self.start_ts, self.end_ts, self.interval);
            if intervals > MAX_INTERVALS {
                return Err(format!(
                    "Incorrect TsKvQuery. Number of intervals is to high - {intervals}. Please increase 'interval' parameter for your query or reduce the time range of the query."
                ));
            }
        }
        Ok(())
    }

    /// With `agg != NONE` and `interval == 0` the query silently becomes raw.
    fn aggregates(&self) -> bool {
        self.agg != AggregationFunction::None && self.interval > 0
    }

    /// The answer for one key's stored points (oldest first).
    pub(crate) fn run<'a>(&self, points: impl Iterator<Item = &'a (i64, KvValue)>) -> Vec<(i64, KvValue)> {
        let mut in_range: Vec<&(i64, KvValue)> =
            points.filter(|(ts, _)| *ts >= self.start_ts && *ts < self.end_ts).collect();
        in_range.sort_by_key(|(ts, _)| *ts);
        if !self.aggregates() {
            let mut raw: Vec<(i64, KvValue)> = in_range.into_iter().cloned().collect();
            if self.order == SortOrder::Desc {
                raw.reverse();
            }
            raw.truncate(self.limit);
            return raw;
        }
        let mut out = Vec::new();
        let mut rest = &in_range[..];
        let mut bucket_start = self.start_ts;
        while bucket_start < self.end_ts {
            let bucket_end = bucket_start.saturating_add(self.interval).min(self.end_ts);
            let (inside, after) = rest.split_at(rest.partition_point(|(ts, _)| *ts < bucket_end));
            rest = after;
            let bucket: Vec<&KvValue> = inside.iter().map(|(_, v)| v).collect();
            if let Some(value) = aggregate(self.agg, &bucket) {
                out.push((bucket_start + (bucket_end - bucket_start) / 2, value));
            }
            bucket_start = bucket_end;
        }
        out
    }
}

/// One bucket's value: longs stay longs for MIN/MAX/SUM, AVG is a double, COUNT a long.
fn aggregate(agg: AggregationFunction, values: &[&KvValue]) -> Option<KvValue> {
    if values.is_empty() {
        return None;
    }
    if agg == AggregationFunction::Count {
        return Some(KvValue::Long(values.len() as i64));
    }
    let numbers: Vec<f64> = values.iter().filter_map(|v| v.as_f64()).collect();
    if numbers.is_empty() {
        return None;
    }
    let all_long = values.iter().all(|v| matches!(v, KvValue::Long(_)));
    let fold = |f: fn(f64, f64) -> f64| numbers.iter().copied().reduce(f).unwrap_or_default();
    let value = match agg {
        AggregationFunction::Min => fold(f64::min),
        AggregationFunction::Max => fold(f64::max),
        AggregationFunction::Sum => numbers.iter().sum(),
        AggregationFunction::Avg => {
            return Some(KvValue::Double(numbers.iter().sum::<f64>() / numbers.len() as f64))
        }
        AggregationFunction::Count | AggregationFunction::None => return None,
    };
    Some(if all_long { KvValue::Long(value as i64) } else { KvValue::Double(value) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points() -> Vec<(i64, KvValue)> {
        (0..10).map(|i| (1000 + i * 100, KvValue::Long(i))).collect()
    }

    fn query(agg: AggregationFunction, interval: i64) -> HistoryQuery {
        HistoryQuery { start_ts: 1000, end_ts: 2000, interval, limit: 100, agg, order: SortOrder::Desc }
    }

    #[test]
    fn raw_is_half_open_newest_first_and_limited() {
        let mut q = query(AggregationFunction::None, 0);
        q.end_ts = 1500;
        let out = q.run(points().iter());
        assert_eq!(out.iter().map(|(ts, _)| *ts).collect::<Vec<_>>(), vec![1400, 1300, 1200, 1100, 1000]);
        q.limit = 2;
        q.order = SortOrder::Asc;
        assert_eq!(q.run(points().iter()), vec![(1000, KvValue::Long(0)), (1100, KvValue::Long(1))]);
        // AVG without an interval is raw.
        assert_eq!(query(AggregationFunction::Avg, 0).run(points().iter()).len(), 10);
    }

    #[test]
    fn buckets_are_ascending_at_midpoints() {
        let out = query(AggregationFunction::Avg, 500).run(points().iter());
        assert_eq!(out, vec![(1250, KvValue::Double(2.0)), (1750, KvValue::Double(7.0))]);
        let out = query(AggregationFunction::Max, 500).run(points().iter());
        assert_eq!(out[1], (1750, KvValue::Long(9)));
        assert_eq!(query(AggregationFunction::Count, 300).run(points().iter())[3], (1950, KvValue::Long(1)));
        let mut too_many = query(AggregationFunction::Avg, 1000);
        too_many.end_ts = 1000 + 701 * 1000;
        assert!(too_many
            .validate()
            .unwrap_err()
            .starts_with("Incorrect TsKvQuery. Number of intervals is to high"));
    }
}

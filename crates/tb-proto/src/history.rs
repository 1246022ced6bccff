//! The history query's vocabulary (`GET .../values/timeseries?startTs&endTs`,
//! `TelemetryController.getTimeseries`): the aggregation function (`agg`, the server's
//! `Aggregation` enum), the order of raw points (`orderBy`) and the bucket limit
//! `BaseTimeseriesService.validate` enforces.

/// `DATABASE_TS_MAX_INTERVALS`: the server refuses aggregations with more buckets.
pub const MAX_INTERVALS: i64 = 700;

/// The number of buckets the server counts for a range: `(endTs - startTs) / max(interval, 1 s)`.
pub fn interval_count(start_ts: i64, end_ts: i64, interval_ms: i64) -> i64 {
    end_ts.saturating_sub(start_ts) / interval_ms.max(1000)
}

/// The aggregation function (`agg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AggregationFunction {
    /// Raw points (`limit` applies).
    #[default]
    None,
    Min,
    Max,
    Avg,
    Sum,
    Count,
}

impl AggregationFunction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Min => "MIN",
            Self::Max => "MAX",
            Self::Avg => "AVG",
            Self::Sum => "SUM",
            Self::Count => "COUNT",
        }
    }

    /// The exact upper-case name, as Java's `Aggregation.valueOf` takes it.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "NONE" => Self::None,
            "MIN" => Self::Min,
            "MAX" => Self::Max,
            "AVG" => Self::Avg,
            "SUM" => Self::Sum,
            "COUNT" => Self::Count,
            _ => return None,
        })
    }
}

/// Order of raw points (`orderBy`). Aggregated buckets always come oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortOrder {
    Asc,
    /// Newest first, the server's default.
    #[default]
    Desc,
}

impl SortOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "ASC",
            Self::Desc => "DESC",
        }
    }

    /// The `orderBy` parameter as the server reads it: `ASC` (any case) is ascending, anything
    /// else or nothing the default, descending.
    pub fn from_param(param: Option<&str>) -> Self {
        if param.is_some_and(|o| o.eq_ignore_ascii_case("ASC")) {
            Self::Asc
        } else {
            Self::Desc
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_parse_strictly() {
        for agg in [
            AggregationFunction::None,
            AggregationFunction::Min,
            AggregationFunction::Max,
            AggregationFunction::Avg,
            AggregationFunction::Sum,
            AggregationFunction::Count,
        ] {
            assert_eq!(AggregationFunction::parse(agg.as_str()), Some(agg));
        }
        assert_eq!(AggregationFunction::parse("avg"), None);
        assert_eq!(SortOrder::from_param(Some("asc")), SortOrder::Asc);
        assert_eq!(SortOrder::from_param(None), SortOrder::Desc);
    }

    #[test]
    fn buckets_are_counted_with_at_least_a_second_each() {
        let day = 86_400_000;
        assert_eq!(interval_count(0, 7 * day, 900_000), 672);
        assert!(interval_count(0, 7 * day, 600_000) > MAX_INTERVALS);
        assert_eq!(interval_count(0, 10_000, 1), 10, "an interval under 1 s counts as 1 s");
    }
}

//! History charts without IO: which buckets a span gets, and how the server's MIN/AVG/MAX
//! answers (or many devices' averages) become one chart.
//!
//! The server aggregates per bucket of `interval` from `startTs`
//! (`TelemetryController.getTimeseries`, `BaseTimeseriesService.validate` refuses more than 700
//! buckets) and stamps each non-empty bucket at its middle. A chart wants 100 to 300 points:
//! enough to show a day's shape, few enough to draw on a phone.

use atrium_ipc::{AppError, ErrorCode, HistoryPoint, HistorySeries, HistorySpan};
use std::collections::{BTreeMap, HashMap};
use tb_client::proto::history::{interval_count, MAX_INTERVALS};
use tb_client::TsPoint;

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// The most points a chart asks for.
pub(crate) const MAX_POINTS: i64 = 300;

/// Bucket widths a person reads easily, each at most about twice the one before, so the first
/// that gives at most [`MAX_POINTS`] buckets gives at least about 100.
const INTERVALS: &[i64] = &[
    SECOND,
    2 * SECOND,
    5 * SECOND,
    10 * SECOND,
    15 * SECOND,
    30 * SECOND,
    MINUTE,
    2 * MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    2 * DAY,
    4 * DAY,
    7 * DAY,
    14 * DAY,
    30 * DAY,
    60 * DAY,
    91 * DAY,
];

/// Points kept per series whatever the server sends.
const MAX_SERIES_POINTS: usize = MAX_INTERVALS as usize + 1;

/// The buckets of one chart: `[start_ms, end_ms)` in buckets of `interval_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) start_ms: i64,
    pub(crate) end_ms: i64,
    pub(crate) interval_ms: i64,
}

/// The buckets for `span` at `now_ms`. A fixed span is widened to whole buckets, ending with the
/// one holding now, so the same buckets come back on every reload within a bucket.
pub(crate) fn plan(span: HistorySpan, now_ms: i64) -> Result<Plan, AppError> {
    let (start, end, aligned) = match span {
        HistorySpan::LastHour => (now_ms - HOUR, now_ms, true),
        HistorySpan::LastDay => (now_ms - DAY, now_ms, true),
        HistorySpan::LastWeek => (now_ms - 7 * DAY, now_ms, true),
        HistorySpan::Custom { start_ms, end_ms } => (start_ms, end_ms, false),
    };
    if end <= start {
        return Err(AppError::new(ErrorCode::InvalidRequest, "The range must end after it starts.", false));
    }
    let too_long = || {
        let years = INTERVALS[INTERVALS.len() - 1] * MAX_POINTS / (365 * DAY);
        AppError::new(ErrorCode::InvalidRequest, format!("Choose a range of at most {years} years."), false)
    };
    let length = end.checked_sub(start).ok_or_else(too_long)?;
    let interval =
        INTERVALS.iter().copied().find(|i| buckets(length, *i) <= MAX_POINTS).ok_or_else(too_long)?;
    let plan = if aligned {
        // Whole buckets from the one holding the span's start to the one holding now.
        Plan {
            start_ms: start.div_euclid(interval) * interval,
            end_ms: end.div_euclid(interval) * interval + interval,
            interval_ms: interval,
        }
    } else {
        Plan { start_ms: start, end_ms: end, interval_ms: interval }
    };
    debug_assert!(interval_count(plan.start_ms, plan.end_ms, plan.interval_ms) <= MAX_INTERVALS);
    Ok(plan)
}

/// Buckets of `interval` that cover `length` (both positive).
fn buckets(length: i64, interval: i64) -> i64 {
    length / interval + i64::from(length % interval != 0)
}

/// A finite number, or nothing: text, booleans and absurd values are not drawn.
fn number(point: &TsPoint) -> Option<f64> {
    point.value.as_f64().filter(|n| n.is_finite())
}

/// One device's series from its AVG, MIN and MAX answers (same buckets); a bucket without an
/// average is left out, a missing MIN or MAX falls back to the average.
pub(crate) fn device_series(key: &str, avg: &[TsPoint], min: &[TsPoint], max: &[TsPoint]) -> HistorySeries {
    let by_ts = |points: &[TsPoint]| -> HashMap<i64, f64> {
        points.iter().filter_map(|p| number(p).map(|n| (p.ts, n))).collect()
    };
    let (min, max) = (by_ts(min), by_ts(max));
    let mut points: Vec<HistoryPoint> = avg
        .iter()
        .filter_map(|p| {
            let avg = number(p)?;
            let low = min.get(&p.ts).copied().unwrap_or(avg).min(avg);
            let high = max.get(&p.ts).copied().unwrap_or(avg).max(avg);
            Some(HistoryPoint { ts: p.ts, avg, min: low, max: high })
        })
        .collect();
    tidy(&mut points);
    HistorySeries { key: key.to_owned(), points }
}

/// A place's series: per bucket, the mean of the devices' averages, between the lowest and the
/// highest of them.
pub(crate) fn place_series<'a>(key: &str, devices: impl IntoIterator<Item = &'a [TsPoint]>) -> HistorySeries {
    #[derive(Default)]
    struct Bucket {
        sum: f64,
        count: u32,
        min: f64,
        max: f64,
    }
    let mut buckets: BTreeMap<i64, Bucket> = BTreeMap::new();
    for series in devices {
        for (ts, n) in series.iter().filter_map(|p| number(p).map(|n| (p.ts, n))) {
            let bucket = buckets.entry(ts).or_insert(Bucket {
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
                ..Bucket::default()
            });
            bucket.sum += n;
            bucket.count += 1;
            bucket.min = bucket.min.min(n);
            bucket.max = bucket.max.max(n);
        }
    }
    let mut points: Vec<HistoryPoint> = buckets
        .into_iter()
        .map(|(ts, b)| HistoryPoint { ts, avg: b.sum / f64::from(b.count), min: b.min, max: b.max })
        .filter(|p| p.avg.is_finite())
        .collect();
    tidy(&mut points);
    HistorySeries { key: key.to_owned(), points }
}

/// Oldest first, one point per time, no more than a chart can have.
fn tidy(points: &mut Vec<HistoryPoint>) {
    points.sort_by_key(|p| p.ts);
    points.dedup_by_key(|p| p.ts);
    points.truncate(MAX_SERIES_POINTS);
}

/// How often a key is reported, from its newest raw points (any order): the median gap between
/// them; `None` with fewer than three points.
pub(crate) fn reporting_interval(points: &[TsPoint]) -> Option<i64> {
    let mut times: Vec<i64> = points.iter().map(|p| p.ts).collect();
    times.sort_unstable();
    times.dedup();
    let mut gaps: Vec<i64> =
        times.windows(2).filter_map(|w| w[1].checked_sub(w[0])).filter(|g| *g > 0).collect();
    if gaps.len() < 2 {
        return None;
    }
    gaps.sort_unstable();
    Some(gaps[gaps.len() / 2])
}

/// `count` items spread evenly over `0..total`: which of many devices a place's average reads.
pub(crate) fn spread(total: usize, count: usize) -> Vec<usize> {
    if total <= count {
        return (0..total).collect();
    }
    (0..count).map(|i| i * total / count).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tb_client::TbValue;

    fn point(ts: i64, value: f64) -> TsPoint {
        TsPoint { ts, value: TbValue::from_json(&serde_json::json!(value)) }
    }

    #[test]
    fn each_span_gets_100_to_300_buckets_within_the_server_limit() {
        let now = 1_733_212_345_678;
        for (span, interval) in [
            (HistorySpan::LastHour, 15 * SECOND),
            (HistorySpan::LastDay, 5 * MINUTE),
            (HistorySpan::LastWeek, HOUR),
        ] {
            let plan = plan(span, now).expect("a plan");
            assert_eq!(plan.interval_ms, interval, "{span:?}");
            assert_eq!(plan.end_ms % interval, 0, "aligned to the bucket");
            assert!(plan.end_ms > now && plan.end_ms - now <= interval, "ends with the bucket holding now");
            let buckets = interval_count(plan.start_ms, plan.end_ms, plan.interval_ms);
            assert!((100..=300).contains(&buckets), "{span:?}: {buckets}");
            assert!(plan.start_ms <= now - (plan.end_ms - plan.start_ms - interval), "covers the whole span");
        }
        // Any custom range from a minute to decades.
        for length in [MINUTE, 7 * MINUTE, 3 * HOUR, 2 * DAY, 30 * DAY, 400 * DAY, 20 * 365 * DAY] {
            let plan =
                plan(HistorySpan::Custom { start_ms: now - length, end_ms: now }, now).expect("a plan");
            let buckets = interval_count(plan.start_ms, plan.end_ms, plan.interval_ms);
            assert!(buckets <= MAX_POINTS, "{length}: {buckets}");
            assert!(buckets >= 85 || length < 100 * SECOND, "{length}: only {buckets}");
            assert_eq!((plan.start_ms, plan.end_ms), (now - length, now), "a custom range is kept as chosen");
        }
    }

    #[test]
    fn impossible_ranges_are_refused_with_what_to_do() {
        let backwards = plan(HistorySpan::Custom { start_ms: 10, end_ms: 5 }, 0).unwrap_err();
        assert_eq!(backwards.code, ErrorCode::InvalidRequest);
        assert!(plan(HistorySpan::Custom { start_ms: 5, end_ms: 5 }, 0).is_err());
        let huge = plan(HistorySpan::Custom { start_ms: i64::MIN, end_ms: i64::MAX }, 0).unwrap_err();
        assert!(huge.message.contains("at most 74 years"), "{}", huge.message);
    }

    #[test]
    fn a_device_series_joins_min_avg_and_max_and_drops_what_cannot_be_drawn() {
        let avg = [point(300, 21.0), point(100, 20.0), point(500, f64::NAN), point(700, 22.0)];
        let text = TsPoint { ts: 900, value: TbValue::from_json(&serde_json::json!("on")) };
        let avg: Vec<TsPoint> = avg.into_iter().chain([text]).collect();
        let min = [point(100, 19.5), point(300, 20.5)];
        let max = [point(100, 20.5), point(300, 21.5), point(700, 21.0)];
        let series = device_series("temperature", &avg, &min, &max);
        assert_eq!(
            series.points,
            vec![
                HistoryPoint { ts: 100, avg: 20.0, min: 19.5, max: 20.5 },
                HistoryPoint { ts: 300, avg: 21.0, min: 20.5, max: 21.5 },
                // No MIN: the average; a MAX below the average cannot be: the average.
                HistoryPoint { ts: 700, avg: 22.0, min: 22.0, max: 22.0 },
            ]
        );
    }

    #[test]
    fn the_reporting_interval_is_the_median_gap_so_one_outage_does_not_skew_it() {
        let points: Vec<TsPoint> =
            [0, 60_000, 120_000, 180_000, 3_600_000].iter().map(|ts| point(*ts, 1.0)).collect();
        assert_eq!(reporting_interval(&points), Some(60_000));
        assert_eq!(reporting_interval(&points[..2]), None, "one gap says little");
    }

    #[test]
    fn a_place_averages_its_devices_per_bucket_between_the_lowest_and_highest() {
        let a = [point(100, 20.0), point(300, 22.0)];
        let b = [point(100, 24.0)];
        let series = place_series("temperature", [&a[..], &b[..]]);
        assert_eq!(
            series.points,
            vec![
                HistoryPoint { ts: 100, avg: 22.0, min: 20.0, max: 24.0 },
                HistoryPoint { ts: 300, avg: 22.0, min: 22.0, max: 22.0 },
            ]
        );
        assert_eq!(spread(10, 4), vec![0, 2, 5, 7]);
        assert_eq!(spread(3, 4), vec![0, 1, 2]);
    }
}

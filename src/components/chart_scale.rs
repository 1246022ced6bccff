//! A history chart's geometry, without the DOM: value and time ticks, the split at gaps, the
//! paths of the average line and the min/max band, and the bucket under a pointer.

use atrium_ipc::time::civil_from_days;
use atrium_ipc::HistoryPoint;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// The drawing area inside the SVG, in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Frame {
    pub(crate) left: f64,
    pub(crate) top: f64,
    pub(crate) width: f64,
    pub(crate) height: f64,
}

/// Maps times and values onto a [`Frame`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scale {
    pub(crate) frame: Frame,
    pub(crate) start_ms: i64,
    pub(crate) end_ms: i64,
    pub(crate) low: f64,
    pub(crate) high: f64,
}

impl Scale {
    pub(crate) fn x(&self, ts: i64) -> f64 {
        let span = (self.end_ms - self.start_ms).max(1) as f64;
        self.frame.left + ts.saturating_sub(self.start_ms) as f64 / span * self.frame.width
    }

    pub(crate) fn y(&self, value: f64) -> f64 {
        let span = (self.high - self.low).max(f64::EPSILON);
        self.frame.top + (self.high - value) / span * self.frame.height
    }

    /// The time under `x`, clamped to the chart.
    pub(crate) fn ts_at(&self, x: f64) -> i64 {
        let fraction = ((x - self.frame.left) / self.frame.width.max(1.0)).clamp(0.0, 1.0);
        self.start_ms + (fraction * (self.end_ms - self.start_ms) as f64) as i64
    }
}

/// Round value ticks (1, 2 or 5 times a power of ten apart) covering `low..=high`, about
/// `wanted` of them; the first and last are the axis's ends.
pub(crate) fn value_ticks(low: f64, high: f64, wanted: usize) -> Vec<f64> {
    if !low.is_finite() || !high.is_finite() {
        return Vec::new();
    }
    let (low, high) = if high - low < 1e-9 { (low - 1.0, high + 1.0) } else { (low, high) };
    let rough = (high - low) / wanted.max(1) as f64;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step =
        [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= rough).unwrap_or(10.0 * magnitude);
    let first = (low / step).floor() * step;
    let last = (high / step).ceil() * step;
    let count = ((last - first) / step).round() as usize;
    (0..=count.min(50)).map(|i| first + i as f64 * step).collect()
}

/// Time ticks for `start_ms..end_ms` at round local times, about `wanted` of them, each with
/// its label. `offset_minutes` is the local time's offset from UTC (east positive).
pub(crate) fn time_ticks(
    start_ms: i64,
    end_ms: i64,
    offset_minutes: i64,
    wanted: usize,
) -> Vec<(i64, String)> {
    let span = (end_ms - start_ms).max(1);
    const STEPS: [i64; 12] = [
        MINUTE,
        5 * MINUTE,
        10 * MINUTE,
        15 * MINUTE,
        30 * MINUTE,
        HOUR,
        3 * HOUR,
        6 * HOUR,
        12 * HOUR,
        DAY,
        7 * DAY,
        30 * DAY,
    ];
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span / s <= wanted.max(1) as i64)
        .unwrap_or(span / wanted.max(1) as i64);
    let offset = offset_minutes * MINUTE;
    let local_start = start_ms + offset;
    let first = local_start.div_euclid(step) * step + step;
    (0..)
        .map(|i| first + i * step)
        .take_while(|local| *local < end_ms + offset)
        .take(60)
        .map(|local| (local - offset, time_label(local, step)))
        .collect()
}

/// A local time (ms since the epoch, already offset) as a tick label at `step`.
fn time_label(local_ms: i64, step: i64) -> String {
    let minutes = local_ms.div_euclid(MINUTE);
    let (hour, minute) = (minutes.div_euclid(60).rem_euclid(24), minutes.rem_euclid(60));
    let (year, month, day) = civil_from_days(local_ms.div_euclid(DAY));
    if step < DAY {
        if hour == 0 && minute == 0 {
            format!("{day} {}", MONTHS[month as usize - 1])
        } else {
            format!("{hour:02}:{minute:02}")
        }
    } else if step < 30 * DAY {
        let weekday = WEEKDAYS[local_ms.div_euclid(DAY).rem_euclid(7) as usize];
        format!("{weekday} {day}")
    } else {
        format!("{} {year}", MONTHS[month as usize - 1])
    }
}

/// A moment for the readout: "Thu 3 Dec, 14:35" in local time.
pub(crate) fn moment_label(ts: i64, offset_minutes: i64) -> String {
    let local = ts.saturating_add(offset_minutes.saturating_mul(MINUTE));
    let minutes = local.div_euclid(MINUTE);
    let (_, month, day) = civil_from_days(local.div_euclid(DAY));
    let weekday = WEEKDAYS[local.div_euclid(DAY).rem_euclid(7) as usize];
    format!(
        "{weekday} {day} {}, {:02}:{:02}",
        MONTHS[month as usize - 1],
        minutes.div_euclid(60).rem_euclid(24),
        minutes.rem_euclid(60)
    )
}

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/// Day 0 of the epoch was a Thursday.
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// Runs of points with no gap: two buckets further apart than one and a half intervals had a
/// bucket without data between them, where the line breaks.
pub(crate) fn segments(points: &[HistoryPoint], interval_ms: i64) -> Vec<&[HistoryPoint]> {
    let gap = interval_ms.max(1) * 3 / 2;
    points.chunk_by(|a, b| b.ts.saturating_sub(a.ts) <= gap).collect()
}

/// The SVG path of a segment's averages.
pub(crate) fn line_path(segment: &[HistoryPoint], scale: &Scale) -> String {
    let mut path = String::new();
    for (i, p) in segment.iter().enumerate() {
        let command = if i == 0 { 'M' } else { 'L' };
        path.push_str(&format!("{command}{:.1},{:.1}", scale.x(p.ts), scale.y(p.avg)));
    }
    path
}

/// The SVG path of a segment's band: along the maxima, back along the minima.
pub(crate) fn band_path(segment: &[HistoryPoint], scale: &Scale) -> String {
    let mut path = String::new();
    for (i, p) in segment.iter().enumerate() {
        let command = if i == 0 { 'M' } else { 'L' };
        path.push_str(&format!("{command}{:.1},{:.1}", scale.x(p.ts), scale.y(p.max)));
    }
    for p in segment.iter().rev() {
        path.push_str(&format!("L{:.1},{:.1}", scale.x(p.ts), scale.y(p.min)));
    }
    path.push('Z');
    path
}

/// The point nearest to `ts`, if one is within an interval of it.
pub(crate) fn nearest(points: &[HistoryPoint], ts: i64, interval_ms: i64) -> Option<HistoryPoint> {
    let after = points.partition_point(|p| p.ts < ts);
    let candidates = [after.checked_sub(1), Some(after)];
    candidates
        .into_iter()
        .flatten()
        .filter_map(|i| points.get(i))
        .min_by_key(|p| p.ts.abs_diff(ts))
        .filter(|p| p.ts.abs_diff(ts) <= interval_ms.max(1).unsigned_abs())
        .copied()
}

/// The lowest minimum and highest maximum of all points.
pub(crate) fn value_range<'a>(points: impl IntoIterator<Item = &'a HistoryPoint>) -> Option<(f64, f64)> {
    points.into_iter().fold(None, |range, p| match range {
        None => Some((p.min, p.max)),
        Some((low, high)) => Some((low.min(p.min), high.max(p.max))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(ts: i64, avg: f64) -> HistoryPoint {
        HistoryPoint { ts, avg, min: avg - 1.0, max: avg + 1.0 }
    }

    #[test]
    fn value_ticks_are_round_and_cover_the_range() {
        assert_eq!(value_ticks(19.3, 23.8, 4), vec![18.0, 20.0, 22.0, 24.0]);
        assert_eq!(value_ticks(0.0, 1000.0, 5), vec![0.0, 200.0, 400.0, 600.0, 800.0, 1000.0]);
        let flat = value_ticks(21.0, 21.0, 4);
        assert!(flat.first().is_some_and(|t| *t <= 20.0) && flat.last().is_some_and(|t| *t >= 22.0));
        assert!(value_ticks(f64::NAN, 1.0, 4).is_empty());
    }

    #[test]
    fn time_ticks_fall_on_round_local_times_with_readable_labels() {
        // 2026-12-03 10:07 UTC, a day back, in UTC+1.
        let end = 1_796_292_420_000;
        let ticks = time_ticks(end - DAY, end, 60, 8);
        assert!(ticks.iter().all(|(ts, _)| (ts + HOUR) % (3 * HOUR) == 0), "every 3 h local: {ticks:?}");
        assert!(ticks.iter().any(|(_, label)| label == "3 Dec"), "midnight names the day: {ticks:?}");
        assert!(ticks.iter().any(|(_, label)| label == "09:00"), "{ticks:?}");
        let week = time_ticks(end - 7 * DAY, end, 0, 7);
        assert_eq!(week.last().map(|(_, l)| l.as_str()), Some("Thu 3"), "{week:?}");
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(moment_label(end, 60), "Thu 3 Dec, 11:07");
        assert_eq!(civil_from_days(20_790), (2026, 12, 3));
    }

    #[test]
    fn lines_break_where_buckets_are_missing() {
        let points = [point(0, 1.0), point(10, 2.0), point(20, 3.0), point(50, 4.0), point(60, 5.0)];
        let runs = segments(&points, 10);
        assert_eq!(runs.iter().map(|r| r.len()).collect::<Vec<_>>(), vec![3, 2]);
        let frame = Frame { left: 0.0, top: 0.0, width: 60.0, height: 10.0 };
        let scale = Scale { frame, start_ms: 0, end_ms: 60, low: 0.0, high: 10.0 };
        assert_eq!(line_path(runs[1], &scale), "M50.0,6.0L60.0,5.0");
        assert_eq!(band_path(runs[1], &scale), "M50.0,5.0L60.0,4.0L60.0,6.0L50.0,7.0Z");
    }

    #[test]
    fn the_readout_takes_the_nearest_bucket_within_an_interval() {
        let points = [point(0, 1.0), point(10, 2.0), point(50, 4.0)];
        assert_eq!(nearest(&points, 12, 10).map(|p| p.ts), Some(10));
        assert_eq!(nearest(&points, 30, 10), None, "in a gap: nothing");
        assert_eq!(nearest(&points, 55, 10).map(|p| p.ts), Some(50));
        assert_eq!(value_range(&points), Some((0.0, 5.0)));
        let frame = Frame { left: 10.0, top: 0.0, width: 100.0, height: 10.0 };
        let scale = Scale { frame, start_ms: 0, end_ms: 1000, low: 0.0, high: 1.0 };
        assert_eq!((scale.ts_at(60.0), scale.ts_at(-5.0)), (500, 0));
    }
}

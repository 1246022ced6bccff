//! History charts: a device's keys, or a place's average of one key, over a span of time.

use serde::{Deserialize, Serialize};

/// The time a chart covers, ending now unless custom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum HistorySpan {
    LastHour,
    LastDay,
    LastWeek,
    /// Epoch milliseconds, `start_ms < end_ms`.
    #[serde(rename_all = "camelCase")]
    Custom {
        start_ms: i64,
        end_ms: i64,
    },
}

/// What a chart shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum HistorySubject {
    /// These keys of one device, drawn together (a thermostat's temperature and setpoint).
    #[serde(rename_all = "camelCase")]
    Device { device_id: String, keys: Vec<String> },
    /// The average of `key` across the devices below a place of the building.
    #[serde(rename_all = "camelCase")]
    Place { node_id: String, key: String },
}

/// Arguments of `load_history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryArgs {
    pub subject: HistorySubject,
    pub span: HistorySpan,
}

/// Arguments of `reporting_intervals`: a device and the keys it reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportingArgs {
    pub device_id: String,
    pub keys: Vec<String>,
}

/// A chart's data: one series per key, each point a bucket of `interval_ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryChart {
    pub start_ms: i64,
    pub end_ms: i64,
    /// Width of a bucket: two points further apart than this had no data between them.
    pub interval_ms: i64,
    pub series: Vec<HistorySeries>,
    /// For a place: how many devices the average covers.
    pub devices: Option<HistoryCoverage>,
}

/// One key's buckets, oldest first; buckets without data are absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistorySeries {
    pub key: String,
    pub points: Vec<HistoryPoint>,
}

/// A bucket stamped at its middle: the average, with the lowest and highest value in it (for a
/// place: the lowest and highest device average).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPoint {
    pub ts: i64,
    pub avg: f64,
    pub min: f64,
    pub max: f64,
}

/// Which devices a place's average covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryCoverage {
    /// Devices whose history is in the average.
    pub averaged: u32,
    /// Devices below the place that report the key (more than `averaged` when capped or failed).
    pub reporting: u32,
    /// Devices whose history could not be read.
    pub failed: u32,
}

impl HistoryChart {
    /// Whether no series has a point.
    pub fn is_empty(&self) -> bool {
        self.series.iter().all(|s| s.points.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_subjects_have_a_stable_json_shape() {
        let args = HistoryArgs {
            subject: HistorySubject::Device { device_id: "d".into(), keys: vec!["temperature".into()] },
            span: HistorySpan::Custom { start_ms: 1, end_ms: 2 },
        };
        let json = serde_json::to_value(&args).expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({
                "subject": {"kind": "device", "deviceId": "d", "keys": ["temperature"]},
                "span": {"kind": "custom", "startMs": 1, "endMs": 2},
            })
        );
        let day: HistorySpan =
            serde_json::from_value(serde_json::json!({"kind": "lastDay"})).expect("parses");
        assert_eq!(day, HistorySpan::LastDay);
    }
}

//! History charts in `Core`: a device's keys from the server's MIN/AVG/MAX aggregation, a place's
//! average from each reporting device's AVG, a few requests at a time.

use super::{now_ms, parse_device_id, Active, Core};
use crate::history::{device_series, place_series, plan, reporting_interval, spread, Plan};
use crate::rollup::devices_below;
use atrium_ipc::{AppError, ErrorCode, HistoryArgs, HistoryChart, HistoryCoverage, HistorySubject};
use std::collections::BTreeMap;
use std::sync::Arc;
use tb_client::proto::query::{EntityDataPageLink, EntityDataQuery, EntityKey, EntityKeyType};
use tb_client::proto::{EntityId, EntityType};
use tb_client::{Aggregation, AggregationFunction, Client, SortOrder, TsPoint};
use tokio::task::JoinSet;

/// Keys one device chart draws together.
const MAX_DEVICE_KEYS: usize = 4;
/// Devices of a place scanned for the key (one page of the entity query).
const PLACE_SCAN: i32 = 500;
/// Devices a place's average reads, spread over those that report the key.
const MAX_PLACE_DEVICES: usize = 40;
/// History requests in flight at once for a place.
const PLACE_CONCURRENCY: usize = 6;

type Series = BTreeMap<String, Vec<TsPoint>>;

/// Keys whose reporting interval one request asks for.
const MAX_INTERVAL_KEYS: usize = 50;
/// Newest raw points read per key to tell its interval.
const POINTS_PER_KEY: u32 = 9;
const WEEK_MS: i64 = 7 * 24 * 3_600_000;

impl Core {
    /// A chart of a device's keys, or of a place's average of one key, over `args.span`.
    pub async fn load_history(&self, args: HistoryArgs) -> Result<HistoryChart, AppError> {
        let active = self.shared.require()?;
        let plan = plan(args.span, now_ms())?;
        match args.subject {
            HistorySubject::Device { device_id, keys } => {
                self.device_history(&active, &device_id, &keys, plan).await
            }
            HistorySubject::Place { node_id, key } => self.place_history(&active, &node_id, &key, plan).await,
        }
    }

    /// How often each of `keys` of a device is reported (ms), from its newest points of the last
    /// week (one request); keys with too few points are left out. A value is late after a few
    /// of these, however often the device reports.
    pub async fn reporting_intervals(
        &self,
        device_id: &str,
        keys: &[String],
    ) -> Result<BTreeMap<String, i64>, AppError> {
        let active = self.shared.require()?;
        let device = EntityId::new(EntityType::Device, parse_device_id(device_id)?.0);
        let keys: Vec<&str> = keys
            .iter()
            .map(String::as_str)
            .filter(|k| !k.is_empty() && !k.contains(','))
            .take(MAX_INTERVAL_KEYS)
            .collect();
        if keys.is_empty() {
            return Ok(BTreeMap::new());
        }
        let end = now_ms();
        let points = active
            .client
            .timeseries_history(
                device,
                &keys,
                end - WEEK_MS,
                end,
                Aggregation::NONE,
                POINTS_PER_KEY,
                SortOrder::Desc,
            )
            .await
            .map_err(|e| self.fail(&active, &e))?;
        Ok(points
            .iter()
            .filter_map(|(key, points)| Some((key.clone(), reporting_interval(points)?)))
            .collect())
    }

    async fn device_history(
        &self,
        active: &Arc<Active>,
        device_id: &str,
        keys: &[String],
        plan: Plan,
    ) -> Result<HistoryChart, AppError> {
        if keys.is_empty()
            || keys.len() > MAX_DEVICE_KEYS
            || keys.iter().any(|k| k.is_empty() || k.contains(','))
        {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                format!("A chart shows one to {MAX_DEVICE_KEYS} keys, each without commas."),
                false,
            ));
        }
        let device = EntityId::new(EntityType::Device, parse_device_id(device_id)?.0);
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let client = &active.client;
        let (avg, min, max) = tokio::try_join!(
            aggregated(client, device, &keys, plan, AggregationFunction::Avg),
            aggregated(client, device, &keys, plan, AggregationFunction::Min),
            aggregated(client, device, &keys, plan, AggregationFunction::Max),
        )
        .map_err(|e| self.fail(active, &e))?;
        let points = |series: &Series, key: &str| series.get(key).cloned().unwrap_or_default();
        let series = keys
            .iter()
            .map(|key| device_series(key, &points(&avg, key), &points(&min, key), &points(&max, key)))
            .collect();
        Ok(chart(plan, series, None))
    }

    async fn place_history(
        &self,
        active: &Arc<Active>,
        node_id: &str,
        key: &str,
        plan: Plan,
    ) -> Result<HistoryChart, AppError> {
        if key.is_empty() || key.contains(',') {
            return Err(AppError::new(ErrorCode::InvalidRequest, "Pick a key to chart.", false));
        }
        let (root, _) = self.node_entity(node_id)?;
        let query = EntityDataQuery {
            entity_filter: Some(devices_below(root)),
            page_link: Some(EntityDataPageLink::new(PLACE_SCAN, 0)),
            latest_values: vec![EntityKey::new(EntityKeyType::TimeSeries, key)],
            ..EntityDataQuery::default()
        };
        let page = active.client.find_entity_data(&query).await.map_err(|e| self.fail(active, &e))?;
        let reporting: Vec<EntityId> = page
            .data
            .iter()
            .filter(|row| {
                row.value(EntityKeyType::TimeSeries, key).is_some_and(|p| p.value.as_f64().is_some())
            })
            .map(|row| row.entity_id)
            .collect();
        let chosen: Vec<EntityId> =
            spread(reporting.len(), MAX_PLACE_DEVICES).into_iter().map(|i| reporting[i]).collect();
        let mut requests = chosen.into_iter();
        let mut running = JoinSet::new();
        let mut averages: Vec<Vec<TsPoint>> = Vec::new();
        let mut first_error = None;
        let mut failed = 0u32;
        loop {
            while running.len() < PLACE_CONCURRENCY {
                let Some(device) = requests.next() else { break };
                let client = active.client.clone();
                let key = key.to_owned();
                running.spawn(async move {
                    aggregated(&client, device, &[&key], plan, AggregationFunction::Avg)
                        .await
                        .map(|mut series| series.remove(&key).unwrap_or_default())
                });
            }
            let Some(done) = running.join_next().await else { break };
            match done {
                Ok(Ok(points)) => averages.push(points),
                Ok(Err(e)) => {
                    failed += 1;
                    tracing::warn!(error = %e, "a device's history for a place chart could not be read");
                    first_error.get_or_insert(e);
                }
                Err(join) => {
                    failed += 1;
                    tracing::warn!(error = %join, "a place chart's history request stopped");
                }
            }
        }
        if averages.is_empty() {
            if let Some(e) = first_error {
                return Err(self.fail(active, &e));
            }
        }
        let coverage = HistoryCoverage {
            averaged: u32::try_from(averages.len()).unwrap_or(u32::MAX),
            reporting: u32::try_from(reporting.len()).unwrap_or(u32::MAX),
            failed,
        };
        let series = place_series(key, averages.iter().map(Vec::as_slice));
        Ok(chart(plan, vec![series], Some(coverage)))
    }
}

/// One aggregated history request over the plan's buckets.
async fn aggregated(
    client: &Client,
    entity: EntityId,
    keys: &[&str],
    plan: Plan,
    agg: AggregationFunction,
) -> Result<Series, tb_client::Error> {
    let interval = std::time::Duration::from_millis(u64::try_from(plan.interval_ms).unwrap_or(u64::MAX));
    let limit = u32::try_from(tb_client::proto::history::MAX_INTERVALS).unwrap_or(u32::MAX);
    client
        .timeseries_history(
            entity,
            keys,
            plan.start_ms,
            plan.end_ms,
            Aggregation::new(agg, interval),
            limit,
            SortOrder::Asc,
        )
        .await
}

fn chart(
    plan: Plan,
    series: Vec<atrium_ipc::HistorySeries>,
    devices: Option<HistoryCoverage>,
) -> HistoryChart {
    HistoryChart {
        start_ms: plan.start_ms,
        end_ms: plan.end_ms,
        interval_ms: plan.interval_ms,
        series,
        devices,
    }
}

//! A building's live summary: the values of every device below a place, as the node panel needs
//! them. Ours is one `ENTITY_DATA` subscription (the averaged key and `active` of all devices
//! below the place, in one snapshot); the baseline is what a client without it does, reading each
//! device's latest temperature and its `active` attribute over REST, 4 requests in flight. No
//! latency is added: the baseline's best case, on loopback; over a real network each of its
//! requests also pays a round trip.

use crate::report::Report;
use futures_util::StreamExt;
use std::collections::HashSet;
use std::time::{Duration, Instant};
use tb_client::live::{LiveConfig, LiveEvent, LiveHandle, SubscriptionSpec};
use tb_client::{Client, Secret};
use tb_emulator::{Emulator, EmulatorConfig, Preset};
use tb_proto::query::{EntityDataPageLink, EntityDataQuery, EntityFilter, EntityKey, EntityKeyType};
use tb_proto::telemetry::AttributeScope;
use tb_proto::{EntityId, EntityType};

const IN_FLIGHT: usize = 4;
/// Nothing here runs longer than this.
const DEADLINE: Duration = Duration::from_secs(120);

pub(crate) async fn run(report: &mut Report) -> anyhow::Result<()> {
    let (large_ms, devices, ours_requests) = subscribe_case(Preset::Large).await?;
    let (rest_ms, rest_requests) = rest_baseline().await?;
    let case = format!("large root, {devices} devices");
    report.add(
        "rollup",
        &case,
        "all values",
        "ms",
        large_ms,
        Some(("per-device REST, 4 in flight", rest_ms)),
        None,
    );
    report.add(
        "rollup",
        &case,
        "HTTP requests",
        "count",
        ours_requests as f64,
        Some(("per-device REST, 4 in flight", rest_requests as f64)),
        Some("1: the WebSocket upgrade"),
    );
    let (portfolio_ms, devices, _) = subscribe_case(Preset::Portfolio).await?;
    report.add(
        "rollup",
        &format!("portfolio root, {devices} devices"),
        "all values",
        "ms",
        portfolio_ms,
        None,
        Some("< 2000 ms"),
    );
    Ok(())
}

async fn logged_in(preset: Preset) -> anyhow::Result<(Emulator, Client, EntityId, Vec<EntityId>)> {
    let emu = Emulator::start(EmulatorConfig { preset, ..EmulatorConfig::for_tests() }).await?;
    let client = Client::builder(emu.base_url()).build()?;
    client.login("tenant@thingsboard.org", &Secret::new("tenant")).await?;
    let hierarchy = client.load_hierarchy(|_| {}).await?;
    let root = *hierarchy.roots.first().ok_or_else(|| anyhow::anyhow!("the preset has no root"))?;
    let devices = hierarchy.nodes.keys().filter(|id| id.entity_type == EntityType::Device).copied().collect();
    Ok((emu, client, root, devices))
}

/// Ours: from subscribing to holding every device's values. Returns (ms, devices, HTTP requests:
/// the WebSocket upgrade).
async fn subscribe_case(preset: Preset) -> anyhow::Result<(f64, usize, u64)> {
    let (emu, client, root, devices) = logged_in(preset).await?;
    let live = LiveHandle::spawn(&client, LiveConfig::default());
    emu.faults().reset_counters();
    let page = i32::try_from(devices.len() + devices.len() / 10 + 100)?;
    let query = EntityDataQuery {
        entity_filter: Some(EntityFilter::descendants(root, "Contains", vec![EntityType::Device])),
        page_link: Some(EntityDataPageLink::new(page, 0)),
        ..EntityDataQuery::default()
    };
    let started = Instant::now();
    let mut subscription = live.subscribe(SubscriptionSpec::EntityData {
        query: Box::new(query),
        latest: vec![
            EntityKey::new(EntityKeyType::TimeSeries, "temperature"),
            EntityKey::new(EntityKeyType::ServerAttribute, "active"),
        ],
    });
    let wanted: HashSet<EntityId> = devices.iter().copied().collect();
    let elapsed = tokio::time::timeout(DEADLINE, async {
        loop {
            match subscription.next().await {
                Some(LiveEvent::EntityValues { snapshot: true, values, .. }) => {
                    let seen: HashSet<EntityId> = values.iter().map(|v| v.entity).collect();
                    anyhow::ensure!(
                        seen == wanted,
                        "the snapshot holds {} of {} devices",
                        seen.len(),
                        wanted.len()
                    );
                    return Ok(started.elapsed());
                }
                Some(LiveEvent::Error(e)) => anyhow::bail!("subscription error: {}", e.message),
                Some(_) => {}
                None => anyhow::bail!("the subscription ended"),
            }
        }
    })
    .await
    .map_err(|_| anyhow::anyhow!("no snapshot within {DEADLINE:?}"))??;
    let requests = emu.faults().counters().requests_by_route.values().sum();
    live.shutdown();
    emu.shutdown().await;
    Ok((elapsed.as_secs_f64() * 1000.0, devices.len(), requests))
}

/// The baseline on the `large` preset: two REST reads per device. Returns (ms, requests).
async fn rest_baseline() -> anyhow::Result<(f64, u64)> {
    let (emu, client, _, devices) = logged_in(Preset::Large).await?;
    emu.faults().reset_counters();
    let started = Instant::now();
    let reads = futures_util::stream::iter(devices.iter().copied())
        .map(|device| {
            let client = client.clone();
            async move {
                client.latest_timeseries(device, &["temperature"]).await?;
                client.attributes(device, Some(AttributeScope::ServerScope), &["active"]).await?;
                Ok::<(), tb_client::Error>(())
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>();
    let results = tokio::time::timeout(DEADLINE, reads)
        .await
        .map_err(|_| anyhow::anyhow!("the baseline took over {DEADLINE:?}"))?;
    let elapsed = started.elapsed();
    results.into_iter().collect::<Result<Vec<()>, _>>()?;
    let requests = emu.faults().counters().requests_by_route.values().sum();
    emu.shutdown().await;
    Ok((elapsed.as_secs_f64() * 1000.0, requests))
}

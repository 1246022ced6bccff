//! What a building manager opens every day, on the `large` preset: a device's 7-day chart and a
//! place's live alarm list, through `atrium-core` as the app does, each beside what a client
//! without the server's aggregation or alarm subscription does. No latency is added: the
//! baselines' best case, on loopback.

use crate::report::Report;
use atrium_core::{Core, NoUiEvents};
use atrium_ipc::{
    walk_tree, AlarmList, HistoryArgs, HistorySpan, HistorySubject, LoginArgs, TreeNode, Walk,
    WatchAlarmsArgs,
};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tb_client::{Aggregation, Client, PageRequest, Secret, SortOrder};
use tb_emulator::{Emulator, EmulatorConfig, Preset};
use tb_proto::alarm::AlarmSearchStatus;
use tb_proto::{EntityId, EntityType};

const IN_FLIGHT: usize = 4;
const DEADLINE: Duration = Duration::from_secs(120);
const WEEK_MS: i64 = 7 * 24 * 3_600_000;

pub(crate) async fn run(report: &mut Report) -> anyhow::Result<()> {
    let emu = Emulator::start(EmulatorConfig {
        preset: Preset::Large,
        history_days: 7,
        ..EmulatorConfig::for_tests()
    })
    .await?;
    let core = Core::new(Arc::new(NoUiEvents));
    core.login(LoginArgs::new(emu.base_url(), "tenant@thingsboard.org", "tenant")).await?;
    let tree = core.load_tree(|_| {}).await?;
    week_chart(report, &emu, &core).await?;
    alarm_view(report, &emu, &core, &tree).await?;
    core.logout().await;
    emu.shutdown().await;
    Ok(())
}

fn requests(emu: &Emulator) -> f64 {
    emu.faults().counters().requests_by_route.values().sum::<u64>() as f64
}

async fn week_chart(report: &mut Report, emu: &Emulator, core: &Core) -> anyhow::Result<()> {
    let thermostat =
        emu.device_id("Lobby Thermostat").ok_or_else(|| anyhow::anyhow!("no Lobby Thermostat"))?;
    let keys = ["temperature", "setpoint"];
    let case = "7 d, thermostat (2 keys)";
    emu.faults().reset_counters();
    let started = Instant::now();
    let chart = core
        .load_history(HistoryArgs {
            subject: HistorySubject::Device {
                device_id: thermostat.to_string(),
                keys: keys.iter().map(|k| (*k).to_owned()).collect(),
            },
            span: HistorySpan::LastWeek,
        })
        .await?;
    let ours_ms = started.elapsed().as_secs_f64() * 1000.0;
    let ours_requests = requests(emu);
    let ours_points: usize = chart.series.iter().map(|s| s.points.len()).sum();

    // The baseline: every raw point of the week, as a client without aggregation reads them.
    let client = Client::builder(emu.base_url()).build()?;
    client.login("tenant@thingsboard.org", &Secret::new("tenant")).await?;
    let device = EntityId::new(EntityType::Device, thermostat);
    let end = chart.end_ms;
    emu.faults().reset_counters();
    let started = Instant::now();
    let raw = client
        .timeseries_history(device, &keys, end - WEEK_MS, end, Aggregation::NONE, 100_000, SortOrder::Asc)
        .await?;
    let raw_ms = started.elapsed().as_secs_f64() * 1000.0;
    let raw_points: usize = raw.values().map(Vec::len).sum();
    let raw_requests = requests(emu);
    let baseline = "raw points of the week";
    report.add("history", case, "time", "ms", ours_ms, Some((baseline, raw_ms)), None);
    report.add(
        "history",
        case,
        "points",
        "count",
        ours_points as f64,
        Some((baseline, raw_points as f64)),
        Some("100-300 per key"),
    );
    report.add(
        "history",
        case,
        "HTTP requests",
        "count",
        ours_requests,
        Some((baseline, raw_requests)),
        Some("3: AVG, MIN, MAX"),
    );
    anyhow::ensure!(
        ours_points > 0 && raw_points > ours_points,
        "the week has data: {ours_points} vs {raw_points}"
    );
    Ok(())
}

fn devices_below(node: &TreeNode, out: &mut Vec<EntityId>) {
    walk_tree(&node.children, |child, _| {
        if child.entity_type == "DEVICE" {
            if let Ok(id) = child.id.parse() {
                out.push(EntityId::new(EntityType::Device, id));
            }
        }
        Walk::Continue
    });
}

async fn alarm_view(
    report: &mut Report,
    emu: &Emulator,
    core: &Core,
    tree: &[TreeNode],
) -> anyhow::Result<()> {
    let building = tree
        .first()
        .and_then(|site| site.children.iter().find(|n| n.entity_type == "ASSET"))
        .ok_or_else(|| anyhow::anyhow!("no building"))?;
    let mut devices = Vec::new();
    devices_below(building, &mut devices);
    let case = format!("{}, {} devices", building.name, devices.len());

    emu.faults().reset_counters();
    let (tx, mut lists) = tokio::sync::mpsc::unbounded_channel::<AlarmList>();
    let started = Instant::now();
    let watch = core.watch_alarms(
        WatchAlarmsArgs { node_id: Some(building.id.clone()), ..WatchAlarmsArgs::default() },
        move |list| {
            let _ = tx.send(list);
        },
    )?;
    let first = tokio::time::timeout(DEADLINE, lists.recv())
        .await
        .map_err(|_| anyhow::anyhow!("no alarm list within {DEADLINE:?}"))?
        .ok_or_else(|| anyhow::anyhow!("the watch ended"))?;
    let ours_ms = started.elapsed().as_secs_f64() * 1000.0;
    // On the session's open socket: WebSocket commands, no HTTP.
    let ours_requests = requests(emu) + emu.faults().counters().alarm_data_subscriptions as f64;
    core.unwatch(watch);
    anyhow::ensure!(first.live && !first.rows.is_empty(), "a live list with the building's alarms");

    // The baseline: every device's active alarms over REST, 4 in flight, again at each poll.
    let client = Client::builder(emu.base_url()).build()?;
    client.login("tenant@thingsboard.org", &Secret::new("tenant")).await?;
    emu.faults().reset_counters();
    let started = Instant::now();
    let reads = futures_util::stream::iter(devices.iter().copied())
        .map(|device| {
            let client = client.clone();
            async move {
                client
                    .alarms_page(Some(device), AlarmSearchStatus::Active, &PageRequest::first(100))
                    .await
                    .map(|p| p.data.len())
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>();
    let results = tokio::time::timeout(DEADLINE, reads)
        .await
        .map_err(|_| anyhow::anyhow!("the baseline took over {DEADLINE:?}"))?;
    let rest_ms = started.elapsed().as_secs_f64() * 1000.0;
    let found: usize = results.into_iter().collect::<Result<Vec<_>, _>>()?.into_iter().sum();
    let rest_requests = requests(emu);
    anyhow::ensure!(found > 0, "the baseline sees the alarms too");
    let baseline = "per-device REST, 4 in flight";
    report.add("alarm_view", &case, "first list", "ms", ours_ms, Some((baseline, rest_ms)), None);
    report.add(
        "alarm_view",
        &case,
        "requests (HTTP + WS commands)",
        "count",
        ours_requests,
        Some((baseline, rest_requests)),
        Some("1 ALARM_DATA, then live; a poll repeats all"),
    );
    Ok(())
}

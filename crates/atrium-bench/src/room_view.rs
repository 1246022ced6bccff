//! A room on screen: 40 devices, each a tile with its live values, while the server reports
//! 10,000 updates a second across them. What counts is the messages the webview must take: ours
//! is one `watch_devices` for the room (one message a frame at most, latest value wins); the
//! baseline is a watch per device (`watch_device`, one message per 50 ms frame per device), as
//! the device page's hook would give each tile. Counted at the core's sinks, which the shell
//! turns one for one into channel messages.

use crate::report::Report;
use anyhow::Context;
use atrium_core::{Core, NoUiEvents};
use atrium_ipc::LoginArgs;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tb_emulator::{Emulator, EmulatorConfig};
use tokio::sync::Notify;
use uuid::Uuid;

const DEVICES: usize = 40;
const UPDATES_PER_SECOND: u64 = 10_000;
const RUN: Duration = Duration::from_secs(5);

pub(crate) async fn run(report: &mut Report) -> anyhow::Result<()> {
    let (ours, ours_sent) = measure(true).await?;
    let (baseline, baseline_sent) = measure(false).await?;
    let case = format!("{DEVICES} devices, {}k updates/s", UPDATES_PER_SECOND / 1000);
    report.add(
        "room_view",
        &case,
        "IPC messages/s",
        "count",
        ours,
        Some(("a watch per tile", baseline)),
        Some("<= 60 (one per frame)"),
    );
    println!("room_view: server updates sent {ours_sent} (ours) and {baseline_sent} (baseline) in {RUN:?}");
    anyhow::ensure!(ours <= 62.5, "{ours:.1} messages/s: more than one per 16 ms frame");
    Ok(())
}

/// Messages a second at the sinks while the room's devices report, and updates sent.
async fn measure(one_watch: bool) -> anyhow::Result<(f64, u64)> {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await?;
    let devices = add_bench_sensors(&emu, DEVICES)?;
    let core = Core::new(Arc::new(NoUiEvents));
    core.login(LoginArgs::new(emu.base_url(), "tenant@thingsboard.org", "tenant"))
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let messages = Arc::new(AtomicU64::new(0));
    let arrived = Arc::new(Notify::new());
    let count = |messages: &Arc<AtomicU64>, arrived: &Arc<Notify>| {
        let (messages, arrived) = (messages.clone(), arrived.clone());
        move || {
            messages.fetch_add(1, Ordering::Relaxed);
            arrived.notify_one();
        }
    };
    let ids: Vec<String> = devices.iter().map(Uuid::to_string).collect();
    if one_watch {
        let counted = count(&messages, &arrived);
        core.watch_devices(&ids, move |_| counted()).map_err(|e| anyhow::anyhow!(e.message))?;
    } else {
        for id in &ids {
            let counted = count(&messages, &arrived);
            core.watch_device(id, move |_| counted()).map_err(|e| anyhow::anyhow!(e.message))?;
        }
    }
    // The snapshots are in before counting starts: one message for the room, one per device
    // watched alone.
    let snapshots = if one_watch { 1 } else { DEVICES as u64 };
    tokio::time::timeout(Duration::from_secs(10), async {
        // A notification that came before this wait is kept as a permit: none is missed.
        while messages.load(Ordering::Relaxed) < snapshots {
            arrived.notified().await;
        }
    })
    .await
    .context("the watches' snapshots")?;
    messages.store(0, Ordering::Relaxed);
    let started = Instant::now();
    let mut sent = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    while started.elapsed() < RUN {
        tick.tick().await;
        // Catch up to the rate, whatever the tick's jitter.
        let due = (started.elapsed().as_secs_f64() * UPDATES_PER_SECOND as f64) as u64;
        while sent < due {
            let device = devices[(sent % DEVICES as u64) as usize];
            emu.publish_telemetry(
                device,
                serde_json::json!({"temperature": 20.0 + (sent % 50) as f64 / 10.0}),
            );
            sent += 1;
        }
    }
    let per_second = messages.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    core.logout().await;
    emu.shutdown().await;
    Ok((per_second, sent))
}

/// `count` air-quality sensors added to the emulator's Lobby, the room both room benchmarks watch.
pub(crate) fn add_bench_sensors(emu: &Emulator, count: usize) -> anyhow::Result<Vec<Uuid>> {
    let room = emu.asset_id("Lobby").context("the emulator's building has a lobby")?;
    (0..count)
        .map(|n| emu.add_device(room, &format!("Bench Sensor {n}"), "air-quality-sensor"))
        .collect::<Option<_>>()
        .context("devices added to the lobby")
}

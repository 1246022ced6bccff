//! The emulator itself: resident memory with `large` loaded, how long the presets take to build,
//! and WebSocket fan-out (raw tokio-tungstenite clients, many `TIMESERIES` subscriptions each,
//! one emulator, updates published as fast as the slowest client keeps up with).

use crate::report::Report;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tb_emulator::{Emulator, EmulatorConfig, Preset};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;

const SESSIONS: usize = 10;
const SUBSCRIPTIONS_PER_SESSION: usize = 100;
/// Rounds of publishing: each round writes one value to each subscribed device.
const ROUNDS: u64 = 100;
/// Updates a session may lag behind before the publisher waits (the server's queue holds 1000).
const WINDOW: u64 = 400;
/// Nothing in this module runs longer than this.
const DEADLINE: Duration = Duration::from_secs(60);

/// Makes `atrium-bench` load the `large` preset, print its memory and exit.
pub(crate) const RSS_PROBE_FLAG: &str = "--emulator-rss-probe";

/// The child's side: `VmRSS` in KiB before and after loading `large`, on one line.
pub(crate) async fn rss_probe() -> anyhow::Result<()> {
    let before = vm_rss_kib().ok_or_else(|| anyhow::anyhow!("no /proc/self/status"))?;
    let large =
        Emulator::start(EmulatorConfig { preset: Preset::Large, ..EmulatorConfig::for_tests() }).await?;
    let after = vm_rss_kib().ok_or_else(|| anyhow::anyhow!("no /proc/self/status"))?;
    println!("{before} {after}");
    large.shutdown().await;
    Ok(())
}

/// The emulator's resident memory with `large` loaded, in a fresh process of its own: in this
/// one, the benchmarks before it have grown the heap already.
async fn measure_rss(report: &mut Report) -> anyhow::Result<()> {
    let probe = std::process::Command::new(std::env::current_exe()?)
        .arg(RSS_PROBE_FLAG)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let output =
        tokio::time::timeout(DEADLINE, tokio::task::spawn_blocking(move || probe.wait_with_output()))
            .await
            .map_err(|_| anyhow::anyhow!("the memory probe took over {DEADLINE:?}"))???;
    anyhow::ensure!(
        output.status.success(),
        "the memory probe failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let mut numbers = text.split_whitespace().map(str::parse::<u64>);
    let (Some(Ok(before)), Some(Ok(after))) = (numbers.next(), numbers.next()) else {
        anyhow::bail!("the memory probe printed {text:?}");
    };
    let mib = |kib: u64| kib as f64 / 1024.0;
    report.add("emulator", "large loaded", "VmRSS", "MiB", mib(after), None, Some("< 200 MB"));
    report.add(
        "emulator",
        "large loaded",
        "VmRSS growth",
        "MiB",
        mib(after.saturating_sub(before)),
        None,
        None,
    );
    Ok(())
}

pub(crate) async fn run(report: &mut Report) -> anyhow::Result<()> {
    measure_rss(report).await?;
    let started = Instant::now();
    let large =
        Emulator::start(EmulatorConfig { preset: Preset::Large, ..EmulatorConfig::for_tests() }).await?;
    let large_ms = started.elapsed().as_secs_f64() * 1000.0;
    large.shutdown().await;
    report.add("emulator", "large (~4,000 devices)", "start", "ms", large_ms, None, Some("< 1000 ms"));

    let started = Instant::now();
    let portfolio =
        Emulator::start(EmulatorConfig { preset: Preset::Portfolio, ..EmulatorConfig::for_tests() }).await?;
    let portfolio_ms = started.elapsed().as_secs_f64() * 1000.0;
    portfolio.shutdown().await;
    report.add("emulator", "portfolio (~50,000 dev)", "start", "ms", portfolio_ms, None, Some("a few s"));

    let (delivered, secs) = fan_out().await?;
    let case = format!("{SESSIONS} ws x {SUBSCRIPTIONS_PER_SESSION} subs");
    report.add("emulator", &case, "fan-out", "updates/s", delivered as f64 / secs, None, Some(">= 20000/s"));
    report.add("emulator", &case, "delivered", "updates", delivered as f64, None, None);
    Ok(())
}

/// `VmRSS` of this process in KiB (Linux only).
fn vm_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Returns (updates delivered, seconds taken) for [`ROUNDS`] rounds of publishing.
async fn fan_out() -> anyhow::Result<(u64, f64)> {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await?;
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let token = login(&emu.base_url()).await?;
    let page: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/tenant/devices?pageSize={SUBSCRIPTIONS_PER_SESSION}&page=0", emu.base_url()))
        .header("X-Authorization", format!("Bearer {token}"))
        .send()
        .await?
        .json()
        .await?;
    let devices: Vec<uuid::Uuid> = page["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["id"]["id"].as_str().and_then(|id| id.parse().ok()))
        .collect();
    anyhow::ensure!(devices.len() == SUBSCRIPTIONS_PER_SESSION, "not enough devices: {}", devices.len());

    let received: Arc<Vec<AtomicU64>> = Arc::new((0..SESSIONS).map(|_| AtomicU64::new(0)).collect());
    let progress = Arc::new(Notify::new());
    let ws_url = format!("{}/api/ws", emu.base_url().replacen("http://", "ws://", 1));
    let mut readers = Vec::new();
    for session in 0..SESSIONS {
        let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url).await?;
        let cmds: Vec<_> = devices
            .iter()
            .enumerate()
            .map(|(i, d)| {
                json!({"type": "TIMESERIES", "cmdId": i + 1, "entityType": "DEVICE", "entityId": d,
                       "keys": "bench", "scope": "LATEST_TELEMETRY"})
            })
            .collect();
        ws.send(Message::text(json!({"authCmd": {"cmdId": 0, "token": token}}).to_string())).await?;
        // At most ten commands per message, like the official clients.
        for chunk in cmds.chunks(10) {
            ws.send(Message::text(json!({"cmds": chunk}).to_string())).await?;
        }
        let received = received.clone();
        let progress = progress.clone();
        readers.push(tokio::spawn(async move {
            while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, ws.next()).await {
                match message {
                    Message::Text(_) => {
                        received[session].fetch_add(1, Ordering::Relaxed);
                        progress.notify_one();
                    }
                    Message::Close(_) => break,
                    _ => {}
                }
            }
        }));
    }
    // Every subscription answers its snapshot first.
    let snapshots = SUBSCRIPTIONS_PER_SESSION as u64;
    wait_for(&received, &progress, snapshots, deadline).await?;

    let started = Instant::now();
    let per_round = SUBSCRIPTIONS_PER_SESSION as u64;
    for round in 0..ROUNDS {
        for device in &devices {
            emu.publish_telemetry(*device, json!({"bench": round}));
        }
        // Stay within the server's per-session queue: wait for the slowest reader.
        let published = snapshots + (round + 1) * per_round;
        wait_for(&received, &progress, published.saturating_sub(WINDOW), deadline).await?;
    }
    let total = snapshots + ROUNDS * per_round;
    wait_for(&received, &progress, total, deadline).await?;
    let secs = started.elapsed().as_secs_f64();
    let delivered: u64 =
        received.iter().map(|r| r.load(Ordering::Relaxed)).sum::<u64>() - snapshots * SESSIONS as u64;
    emu.shutdown().await;
    for reader in readers {
        let _ = reader.await;
    }
    Ok((delivered, secs))
}

/// Waits until every session has received at least `count` messages.
async fn wait_for(
    received: &[AtomicU64],
    progress: &Notify,
    count: u64,
    deadline: tokio::time::Instant,
) -> anyhow::Result<()> {
    loop {
        let slowest = received.iter().map(|r| r.load(Ordering::Relaxed)).min().unwrap_or(0);
        if slowest >= count {
            return Ok(());
        }
        if tokio::time::timeout_at(deadline, progress.notified()).await.is_err() {
            anyhow::bail!("fan-out stalled at {slowest} of {count} messages per session");
        }
    }
}

async fn login(base: &str) -> anyhow::Result<String> {
    let pair: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": "tenant@thingsboard.org", "password": "tenant"}))
        .send()
        .await?
        .json()
        .await?;
    pair["token"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("login failed: {pair}"))
}

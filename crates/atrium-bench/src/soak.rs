//! The soak: the app's core left running against a server that keeps breaking, as on a wall
//! screen left open for weeks. One session watches 1,000 devices (one subscription each, as the
//! device page does) and a floor's rollup while values are published at a steady rate and the
//! emulator, at random, drops every socket, refuses or stalls upgrades, goes silent on open
//! sockets, expires access tokens, fails requests with a 500 or a proxy's HTML page, sends a
//! malformed frame and takes devices offline and back. The core's REST side is kept busy too
//! (a device opened every few seconds).
//!
//! Then the faults stop and one last value goes to every device: the run passes when every
//! watch shows exactly that value (every subscription live, every latest value equal to the
//! emulator's), nothing panicked, no log line holds a token or the password (logging at trace),
//! and memory stayed bounded. Figures: faults injected, recoveries, the worst recovery time, RSS
//! over time.

use crate::report::Report;
use anyhow::{ensure, Context};
use atrium_core::{Core, UiEvents};
use atrium_ipc::{
    walk_tree, AppError, ConnectionState, LiveValue, LoginArgs, NodeKind, NodeRollupBatch, TelemetryBatch,
    TelemetryValue, TreeNode, Walk,
};
use parking_lot::Mutex;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tb_client::live::{Backoff, LiveConfig};
use tb_emulator::{Emulator, EmulatorConfig, FailureKind, Preset};
use uuid::Uuid;

/// Devices watched, one subscription each.
const WATCHED: usize = 1000;
/// Values published per second, spread over the watched devices.
const PUBLISH_PER_SECOND: u64 = 200;
/// The key the soak publishes: a sequence number, so the last one sent is known exactly.
const SOAK_KEY: &str = "soakSeq";
/// After the faults stop, every watch must show the last value within this.
const SETTLE: Duration = Duration::from_secs(120);
/// A soak fails if its memory grows by more than this from the first sample to the last.
const RSS_GROWTH_LIMIT_MIB: f64 = 256.0;
const PASSWORD: &str = "tenant";

/// What a run measured.
#[derive(Debug, Default)]
struct Outcome {
    faults: BTreeMap<&'static str, u64>,
    recoveries: usize,
    worst_recovery: Duration,
    rss_mib: Vec<(Duration, f64)>,
    matched: usize,
    log_lines: u64,
    secret_lines: u64,
    panics: usize,
    detail_errors: u64,
}

/// Panics anywhere in the process during a run (a tokio task's panic does not end the run).
static PANICS: AtomicUsize = AtomicUsize::new(0);

pub(crate) async fn run(report: &mut Report, length: Duration) -> anyhow::Result<()> {
    let logs = LogScan::install();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        previous(info);
    }));
    let outcome = soak(length, &logs).await?;
    let minutes = length.as_secs_f64() / 60.0;
    let case = format!("{minutes:.0} min, {WATCHED} subs + rollup");
    let injected: u64 = outcome.faults.values().sum();
    report.add("soak", &case, "faults injected", "count", injected as f64, None, None);
    report.add("soak", &case, "recoveries", "count", outcome.recoveries as f64, None, None);
    report.add(
        "soak",
        &case,
        "worst recovery",
        "s",
        outcome.worst_recovery.as_secs_f64(),
        None,
        Some("< dead_after + backoff"),
    );
    let first = outcome.rss_mib.first().map_or(0.0, |s| s.1);
    let last = outcome.rss_mib.last().map_or(0.0, |s| s.1);
    let max = outcome.rss_mib.iter().map(|s| s.1).fold(0.0, f64::max);
    report.add("soak", &case, "RSS start", "MiB", first, None, None);
    report.add("soak", &case, "RSS end", "MiB", last, None, None);
    report.add("soak", &case, "RSS max", "MiB", max, None, None);
    report.add("soak", &case, "values live at end", "count", outcome.matched as f64, None, Some("1000"));
    report.add(
        "soak",
        &case,
        "log lines with secrets",
        "count",
        outcome.secret_lines as f64,
        None,
        Some("0"),
    );
    report.add("soak", &case, "panics", "count", outcome.panics as f64, None, Some("0"));
    println!("soak: faults by kind {:?}", outcome.faults);
    println!(
        "soak: RSS over time (s, MiB): {}",
        outcome
            .rss_mib
            .iter()
            .map(|(t, m)| format!("{:.0}:{m:.0}", t.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "soak: {} log lines scanned; {} device opens failed during faults (expected)",
        outcome.log_lines, outcome.detail_errors
    );
    ensure!(outcome.panics == 0, "{} panics during the soak", outcome.panics);
    ensure!(outcome.secret_lines == 0, "{} log lines held a token or the password", outcome.secret_lines);
    ensure!(
        outcome.matched == WATCHED,
        "only {} of {WATCHED} watches showed the last value",
        outcome.matched
    );
    ensure!(
        last - first <= RSS_GROWTH_LIMIT_MIB,
        "memory grew from {first:.0} MiB to {last:.0} MiB over the soak"
    );
    Ok(())
}

/// The connection states the core reported, with when.
#[derive(Default)]
struct StateLog {
    changes: Mutex<Vec<(Instant, ConnectionState)>>,
}

impl UiEvents for StateLog {
    fn connection(&self, state: ConnectionState) {
        self.changes.lock().push((Instant::now(), state));
    }
    fn session_ended(&self, error: AppError) {
        eprintln!("soak: the session ended: {}", error.message);
    }
}

impl StateLog {
    /// Outages that ended (live, then not, then live again): how many, and the longest.
    fn recoveries(&self) -> (usize, Duration) {
        let mut down_since = None;
        let (mut count, mut worst) = (0, Duration::ZERO);
        for (at, state) in self.changes.lock().iter() {
            match (state, down_since) {
                (ConnectionState::Connected, Some(since)) => {
                    count += 1;
                    worst = worst.max(at.duration_since(since));
                    down_since = None;
                }
                (ConnectionState::Connected, None) => {}
                (_, None) => down_since = Some(*at),
                (_, Some(_)) => {}
            }
        }
        (count, worst)
    }
}

/// The live timing the soak runs with: the app's code paths with shorter clocks, so a run goes
/// through many outages (a silent socket is found dead in 12 s instead of 40).
fn live_config() -> LiveConfig {
    LiveConfig {
        ping_interval: Duration::from_secs(4),
        dead_after: Duration::from_secs(12),
        connect_timeout: Duration::from_secs(5),
        stable_after: Duration::from_secs(10),
        backoff: Backoff {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(5),
            ..Backoff::default()
        },
        ..LiveConfig::default()
    }
}

async fn soak(length: Duration, logs: &LogScan) -> anyhow::Result<Outcome> {
    let emu =
        Emulator::start(EmulatorConfig { preset: Preset::Large, ..EmulatorConfig::for_tests() }).await?;
    let states = Arc::new(StateLog::default());
    let core = Core::builder(states.clone()).live_config(live_config()).build();
    core.login(LoginArgs::new(emu.base_url(), "tenant@thingsboard.org", PASSWORD))
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let tree = core.load_tree(|_| {}).await.map_err(|e| anyhow::anyhow!(e.message))?;
    let devices = devices_of(&tree, WATCHED);
    ensure!(devices.len() == WATCHED, "the large preset has {} devices, not {WATCHED}", devices.len());
    let floor = first_of_kind(&tree, NodeKind::Floor).context("a floor to roll up")?;

    // Each watch keeps what it was told, as the device page does.
    let held: Arc<Mutex<HashMap<String, BTreeMap<String, LiveValue>>>> = Arc::default();
    for id in &devices {
        let held = held.clone();
        core.watch_device(id, move |batch: TelemetryBatch| {
            let device = batch.device_id.clone();
            batch.apply_to(held.lock().entry(device).or_default());
        })
        .map_err(|e| anyhow::anyhow!(e.message))?;
    }
    let rollups = Arc::new(AtomicU64::new(0));
    let last_rollup: Arc<Mutex<Option<NodeRollupBatch>>> = Arc::default();
    {
        let (rollups, last_rollup) = (rollups.clone(), last_rollup.clone());
        core.watch_node(&floor, None, move |batch| {
            rollups.fetch_add(1, Ordering::Relaxed);
            *last_rollup.lock() = Some(batch);
        })
        .map_err(|e| anyhow::anyhow!(e.message))?;
    }

    let started = Instant::now();
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x50a4);
    let mut outcome = Outcome::default();
    let expected: Arc<Mutex<HashMap<String, i64>>> = Arc::default();
    let mut seq: i64 = 0;
    let mut publish = tokio::time::interval(Duration::from_millis(100));
    let mut sample = tokio::time::interval(Duration::from_secs(5));
    let mut open_device = tokio::time::interval(Duration::from_secs(3));
    let mut next_fault = Instant::now() + Duration::from_secs(2);
    let mut undo: Vec<(Instant, Undo)> = Vec::new();
    while started.elapsed() < length {
        tokio::select! {
            _ = publish.tick() => {
                for _ in 0..PUBLISH_PER_SECOND / 10 {
                    seq += 1;
                    let device = &devices[rng.gen_range(0..devices.len())];
                    publish_seq(&emu, device, seq);
                    expected.lock().insert(device.clone(), seq);
                }
            }
            _ = sample.tick() => outcome.rss_mib.push((started.elapsed(), rss_mib())),
            _ = open_device.tick() => {
                let device = &devices[rng.gen_range(0..devices.len())];
                if core.device_detail(device).await.is_err() {
                    outcome.detail_errors += 1;
                }
            }
        }
        let now = Instant::now();
        undo.retain(|(at, action)| {
            if *at <= now {
                action.apply(&emu);
                false
            } else {
                true
            }
        });
        if now >= next_fault {
            let remaining = length.saturating_sub(started.elapsed());
            let fault = inject(&emu, &mut rng, &devices, remaining, &mut undo);
            *outcome.faults.entry(fault).or_default() += 1;
            next_fault = now + Duration::from_millis(rng.gen_range(2_000..6_000));
        }
    }

    // Everything back to normal, then one last value for every device.
    for (_, action) in undo.drain(..) {
        action.apply(&emu);
    }
    let faults = emu.faults();
    faults.refuse_websocket_upgrades(Duration::ZERO);
    faults.stall_websocket_upgrades(Duration::ZERO);
    faults.fail_next_requests(0, FailureKind::ServerError);
    for device in &devices {
        seq += 1;
        publish_seq(&emu, device, seq);
        expected.lock().insert(device.clone(), seq);
    }
    let deadline = Instant::now() + SETTLE;
    loop {
        outcome.matched = matching(&held, &expected);
        if outcome.matched == WATCHED || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    outcome.rss_mib.push((started.elapsed(), rss_mib()));
    (outcome.recoveries, outcome.worst_recovery) = states.recoveries();
    outcome.panics = PANICS.load(Ordering::SeqCst);
    outcome.log_lines = logs.lines.load(Ordering::Relaxed);
    outcome.secret_lines = logs.secret_lines.load(Ordering::Relaxed);
    ensure!(rollups.load(Ordering::Relaxed) > 0, "the rollup never reported");
    ensure!(last_rollup.lock().is_some(), "no rollup batch kept");
    core.logout().await;
    emu.shutdown().await;
    Ok(outcome)
}

/// How many devices show exactly the last value sent to them.
fn matching(
    held: &Mutex<HashMap<String, BTreeMap<String, LiveValue>>>,
    expected: &Mutex<HashMap<String, i64>>,
) -> usize {
    let held = held.lock();
    expected
        .lock()
        .iter()
        .filter(|(device, seq)| {
            held.get(*device).and_then(|values| values.get(SOAK_KEY)).is_some_and(|v| match v.value {
                TelemetryValue::Number(n) => n == **seq as f64,
                _ => false,
            })
        })
        .count()
}

fn publish_seq(emu: &Emulator, device: &str, seq: i64) {
    if let Ok(id) = Uuid::parse_str(device) {
        emu.publish_telemetry(id, serde_json::json!({ SOAK_KEY: seq }));
    }
}

/// A fault to lift later.
enum Undo {
    Online(Uuid),
}

impl Undo {
    fn apply(&self, emu: &Emulator) {
        match self {
            Undo::Online(id) => {
                emu.faults().set_device_online(*id, true);
            }
        }
    }
}

/// Injects one fault at random; the slow ones only while the run has time for them.
fn inject(
    emu: &Emulator,
    rng: &mut impl Rng,
    devices: &[String],
    remaining: Duration,
    undo: &mut Vec<(Instant, Undo)>,
) -> &'static str {
    let faults = emu.faults();
    let slow_ok = remaining > Duration::from_secs(25);
    loop {
        match rng.gen_range(0..9) {
            0 => {
                faults.drop_websockets();
                return "drop sockets";
            }
            1 => {
                faults.refuse_websocket_upgrades(Duration::from_secs(3));
                faults.drop_websockets();
                return "refuse upgrades";
            }
            2 if slow_ok => {
                faults.stall_websocket_upgrades(Duration::from_secs(8));
                faults.drop_websockets();
                return "stall handshakes";
            }
            3 if slow_ok => {
                faults.freeze_websockets();
                return "silent sockets";
            }
            4 => {
                faults.expire_access_tokens();
                return "expire access tokens";
            }
            5 => {
                faults.fail_next_requests(3, FailureKind::ServerError);
                return "5xx answers";
            }
            6 => {
                faults.fail_next_requests(3, FailureKind::BadGateway);
                return "HTML error pages";
            }
            7 => {
                let device = &devices[rng.gen_range(0..devices.len())];
                if let Ok(id) = Uuid::parse_str(device) {
                    faults.set_device_online(id, false);
                    undo.push((Instant::now() + Duration::from_secs(rng.gen_range(2..10)), Undo::Online(id)));
                }
                return "device offline";
            }
            8 => {
                faults.send_malformed_frame();
                return "malformed frame";
            }
            _ => {}
        }
    }
}

fn devices_of(tree: &[TreeNode], n: usize) -> Vec<String> {
    let mut out = Vec::new();
    walk_tree(tree, |node, _| {
        if node.kind == NodeKind::Device && !node.link && !out.contains(&node.id) {
            out.push(node.id.clone());
        }
        if out.len() >= n {
            Walk::Stop
        } else {
            Walk::Continue
        }
    });
    out
}

fn first_of_kind(tree: &[TreeNode], kind: NodeKind) -> Option<String> {
    let mut found = None;
    walk_tree(tree, |node, _| {
        if node.kind == kind {
            found = Some(node.id.clone());
            return Walk::Stop;
        }
        Walk::Continue
    });
    found
}

/// This process's resident memory (MiB), from /proc; 0 where there is none.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Every log line the run writes, at trace, scanned for secrets as it is written (not kept).
#[derive(Clone)]
struct LogScan {
    lines: Arc<AtomicU64>,
    secret_lines: Arc<AtomicU64>,
}

impl LogScan {
    fn install() -> Self {
        let scan = Self { lines: Arc::default(), secret_lines: Arc::default() };
        // The app's filter, at its finest; the emulator is the server, not the app.
        let filter = atrium_core::log_filter(Some("trace,tb_emulator=warn"));
        let writer = scan.clone();
        let installed = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .try_init();
        if installed.is_err() {
            eprintln!("soak: a logger was already installed; lines are not scanned");
        }
        scan
    }
}

impl Write for LogScan {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        for line in text.lines() {
            self.lines.fetch_add(1, Ordering::Relaxed);
            if line.contains("eyJ") || line.contains(&format!("\"{PASSWORD}\"")) || line.contains("token=") {
                self.secret_lines.fetch_add(1, Ordering::Relaxed);
                eprintln!("soak: a log line holds a secret: {line:.200}");
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

//! The live connection: delivery latency under load, recovery after a forced drop (against
//! ThingsBoard's own fixed 2 s reconnect), and memory per subscription.
//!
//! Every subscription is one (device, key) pair, so one `publish_telemetry` is one update for one
//! subscriber. Everything is bounded: fixed durations per rate, deadlines on every wait.

use crate::report::Report;
use futures_util::future::BoxFuture;
use futures_util::SinkExt;
use serde_json::json;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tb_client::live::transport::{ConnectError, Frame, FrameSink, FrameStream, Transport};
use tb_client::live::{
    Backoff, ConnectionState, LiveConfig, LiveEvent, LiveHandle, Subscription, SubscriptionSpec, TokenSource,
};
use tb_client::proto::EntityId;
use tb_client::{Client, Error, Secret, TbValue};
use tb_emulator::{Emulator, EmulatorConfig};
use tokio::task::JoinHandle;

const SUBSCRIPTIONS: usize = 1000;
const RATES: [u64; 2] = [1_000, 10_000];
const PHASE: Duration = Duration::from_secs(2);
const RECOVERY_ROUNDS: usize = 3;
const MEMORY_SUBSCRIPTIONS: usize = 10_000;
const WAIT: Duration = Duration::from_secs(20);

pub(crate) async fn run(report: &mut Report) -> anyhow::Result<()> {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await?;
    let client = Client::builder(emu.base_url()).build()?;
    client.login("tenant@thingsboard.org", &Secret::new("tenant")).await?;
    let devices: Vec<EntityId> = client.all_devices().await?.into_iter().map(|d| d.id.entity_id()).collect();
    anyhow::ensure!(!devices.is_empty(), "the emulator has no devices");

    latency(report, &emu, &client, &devices).await?;
    recovery(report, &emu, &client, &devices).await?;
    memory(report, &client, &devices).await?;
    emu.shutdown().await;
    Ok(())
}

/// Subscription `i`: device `i % n`, key `b{i / n}`: one subscriber per (device, key).
fn slot(devices: &[EntityId], i: usize) -> (EntityId, String) {
    (devices[i % devices.len()], format!("b{}", i / devices.len()))
}

/// What the subscriber tasks saw.
#[derive(Default)]
struct Seen {
    /// Send instants (ns since `base`) by sequence number; 0 = not sent.
    sent_ns: Vec<AtomicU64>,
    latencies_ns: Mutex<Vec<u64>>,
    /// The last value each subscription received (-1: none).
    last: Vec<AtomicI64>,
    snapshots: AtomicUsize,
}

fn spawn_subscribers(subs: Vec<Subscription>, seen: &Arc<Seen>, base: Instant) -> Vec<JoinHandle<()>> {
    subs.into_iter()
        .enumerate()
        .map(|(i, mut sub)| {
            let seen = seen.clone();
            tokio::spawn(async move {
                while let Some(event) = sub.next().await {
                    let LiveEvent::Values { snapshot, values } = event else { continue };
                    let now = base.elapsed().as_nanos() as u64;
                    if snapshot {
                        seen.snapshots.fetch_add(1, Ordering::Relaxed);
                    }
                    for value in values {
                        let TbValue::Number(n) = value.value else { continue };
                        let seq = n as i64;
                        seen.last[i].store(seq, Ordering::Relaxed);
                        if snapshot || seq < 0 {
                            continue;
                        }
                        let sent = seen.sent_ns.get(seq as usize).map_or(0, |s| s.load(Ordering::Relaxed));
                        if sent > 0 {
                            seen.latencies_ns.lock().expect("latencies").push(now.saturating_sub(sent));
                        }
                    }
                }
            })
        })
        .collect()
}

async fn wait_until(what: &str, deadline: Duration, mut done: impl FnMut() -> bool) -> anyhow::Result<()> {
    let started = Instant::now();
    while !done() {
        anyhow::ensure!(started.elapsed() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Ok(())
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank] as f64 / 1e6
}

async fn latency(
    report: &mut Report,
    emu: &Emulator,
    client: &Client,
    devices: &[EntityId],
) -> anyhow::Result<()> {
    let total: usize = RATES.iter().map(|r| (*r * PHASE.as_secs()) as usize).sum();
    let seen = Arc::new(Seen {
        sent_ns: (0..total).map(|_| AtomicU64::new(0)).collect(),
        last: (0..SUBSCRIPTIONS).map(|_| AtomicI64::new(-1)).collect(),
        ..Seen::default()
    });
    // Every key starts at -1 so the snapshots carry a number and nothing else.
    for (i, device) in devices.iter().enumerate() {
        let keys: serde_json::Map<String, serde_json::Value> = (0..SUBSCRIPTIONS)
            .filter(|j| j % devices.len() == i)
            .map(|j| (slot(devices, j).1, json!(-1)))
            .collect();
        emu.publish_telemetry(device.id, serde_json::Value::Object(keys));
    }
    let live = LiveHandle::spawn(client, LiveConfig::default());
    let subs: Vec<Subscription> = (0..SUBSCRIPTIONS)
        .map(|i| {
            let (entity, key) = slot(devices, i);
            live.subscribe(SubscriptionSpec::Timeseries { entity, keys: vec![key] })
        })
        .collect();
    let base = Instant::now();
    let tasks = spawn_subscribers(subs, &seen, base);
    wait_until("1,000 snapshots", WAIT, || seen.snapshots.load(Ordering::Relaxed) >= SUBSCRIPTIONS).await?;

    let mut seq = 0usize;
    for rate in RATES {
        seen.latencies_ns.lock().expect("latencies").clear();
        let count = (rate * PHASE.as_secs()) as usize;
        // Publish in 1 ms ticks: rate / 1000 updates per tick, round-robin over the subscriptions.
        let per_tick = (rate / 1000).max(1) as usize;
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut last_published = vec![-1i64; SUBSCRIPTIONS];
        let phase_start = seq;
        while seq < phase_start + count {
            tick.tick().await;
            for _ in 0..per_tick.min(phase_start + count - seq) {
                let i = seq % SUBSCRIPTIONS;
                let (entity, key) = slot(devices, i);
                seen.sent_ns[seq].store(base.elapsed().as_nanos().max(1) as u64, Ordering::Relaxed);
                emu.publish_telemetry(entity.id, json!({ key: seq }));
                last_published[i] = seq as i64;
                seq += 1;
            }
        }
        // Give the tail time to arrive, then count subscriptions whose latest value never came.
        let _ = wait_until("the latest values", Duration::from_secs(5), || {
            last_published
                .iter()
                .enumerate()
                .all(|(i, v)| *v < 0 || seen.last[i].load(Ordering::Relaxed) == *v)
        })
        .await;
        let lost = last_published
            .iter()
            .enumerate()
            .filter(|(i, v)| **v >= 0 && seen.last[*i].load(Ordering::Relaxed) != **v)
            .count();
        let mut latencies = std::mem::take(&mut *seen.latencies_ns.lock().expect("latencies"));
        latencies.sort_unstable();
        let case = format!("{rate}/s x {SUBSCRIPTIONS} subs");
        let target = (rate == 10_000).then_some("p99 < 5 ms");
        report.add("live_latency", &case, "p50", "ms", percentile(&latencies, 0.5), None, None);
        report.add("live_latency", &case, "p99", "ms", percentile(&latencies, 0.99), None, target);
        report.add(
            "live_latency",
            &case,
            "delivered",
            "count",
            latencies.len() as f64,
            Some(("published", count as f64)),
            Some("<= published (coalesced)"),
        );
        report.add("live_latency", &case, "latest lost", "count", lost as f64, None, Some("0"));
    }
    live.shutdown();
    for task in tasks {
        let _ = tokio::time::timeout(WAIT, task).await;
    }
    Ok(())
}

/// One forced drop: (time until every subscription delivered a fresh snapshot, backoff drawn).
async fn recovery_round(
    emu: &Emulator,
    client: &Client,
    devices: &[EntityId],
    config: LiveConfig,
) -> anyhow::Result<(Duration, Duration)> {
    let seen =
        Arc::new(Seen { last: (0..SUBSCRIPTIONS).map(|_| AtomicI64::new(-1)).collect(), ..Seen::default() });
    let live = LiveHandle::spawn(client, config);
    let subs: Vec<Subscription> = (0..SUBSCRIPTIONS)
        .map(|i| {
            let (entity, key) = slot(devices, i);
            live.subscribe(SubscriptionSpec::Timeseries { entity, keys: vec![key] })
        })
        .collect();
    let tasks = spawn_subscribers(subs, &seen, Instant::now());
    wait_until("the first snapshots", WAIT, || seen.snapshots.load(Ordering::Relaxed) >= SUBSCRIPTIONS)
        .await?;

    let mut state = live.state();
    state.borrow_and_update();
    let dropped = Instant::now();
    emu.faults().drop_websockets();
    let retry_in = match tokio::time::timeout(
        WAIT,
        state.wait_for(|s| matches!(s, ConnectionState::Reconnecting { .. })),
    )
    .await??
    .clone()
    {
        ConnectionState::Reconnecting { retry_in, .. } => retry_in,
        _ => Duration::ZERO,
    };
    wait_until("the fresh snapshots", WAIT, || seen.snapshots.load(Ordering::Relaxed) >= 2 * SUBSCRIPTIONS)
        .await?;
    let recovered = dropped.elapsed();
    live.shutdown();
    for task in tasks {
        let _ = tokio::time::timeout(WAIT, task).await;
    }
    Ok((recovered, retry_in))
}

async fn recovery(
    report: &mut Report,
    emu: &Emulator,
    client: &Client,
    devices: &[EntityId],
) -> anyhow::Result<()> {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    // ThingsBoard's own clients: reconnect after a fixed 2 s, no jitter.
    let fixed = LiveConfig {
        backoff: Backoff {
            initial: Duration::from_secs(2),
            max: Duration::from_secs(2),
            multiplier: 1.0,
            jitter: false,
            ..Backoff::default()
        },
        ..LiveConfig::default()
    };
    let (base_total, base_delay) = recovery_round(emu, client, devices, fixed).await?;
    let case = format!("drop, {SUBSCRIPTIONS} subs");
    for round in 1..=RECOVERY_ROUNDS {
        let (total, delay) = recovery_round(emu, client, devices, LiveConfig::default()).await?;
        let case = format!("{case} #{round}");
        report.add(
            "live_recovery",
            &case,
            "backoff drawn",
            "ms",
            ms(delay),
            Some(("fixed 2 s", ms(base_delay))),
            None,
        );
        report.add(
            "live_recovery",
            &case,
            "all resnapshotted",
            "ms",
            ms(total),
            Some(("fixed 2 s", ms(base_total))),
            Some("backoff + 500 ms"),
        );
        report.add(
            "live_recovery",
            &case,
            "beyond backoff",
            "ms",
            ms(total.saturating_sub(delay)),
            Some(("fixed 2 s", ms(base_total.saturating_sub(base_delay)))),
            Some("< 500 ms"),
        );
    }
    Ok(())
}

async fn memory(report: &mut Report, client: &Client, devices: &[EntityId]) -> anyhow::Result<()> {
    // The client alone: a transport that accepts and never answers, so only our side holds state.
    let live = LiveHandle::spawn_with(
        Arc::new(FixedToken),
        Arc::new(SilentTransport),
        url::Url::parse("ws://127.0.0.1:9/api/ws")?,
        LiveConfig::default(),
    );
    let before = crate::heap_bytes();
    let subs: Vec<Subscription> = (0..MEMORY_SUBSCRIPTIONS)
        .map(|i| {
            let (entity, key) = slot(devices, i);
            live.subscribe(SubscriptionSpec::Timeseries { entity, keys: vec![key] })
        })
        .collect();
    // Let the actor take every command into its table.
    wait_until("the actor to register them", WAIT, || live.stats().connections.load(Ordering::Relaxed) > 0)
        .await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client_only = crate::heap_bytes().saturating_sub(before) as f64 / MEMORY_SUBSCRIPTIONS as f64;
    drop(subs);
    live.shutdown();

    // End to end with the in-process emulator (its per-subscription state is counted too),
    // subscribing in waves so the emulator's 1,000-message session queue never overflows.
    let seen = Arc::new(Seen {
        last: (0..MEMORY_SUBSCRIPTIONS).map(|_| AtomicI64::new(-1)).collect(),
        ..Seen::default()
    });
    let live = LiveHandle::spawn(client, LiveConfig::default());
    let before = crate::heap_bytes();
    let mut tasks = Vec::new();
    for wave in 0..MEMORY_SUBSCRIPTIONS / 500 {
        let subs: Vec<Subscription> = (wave * 500..(wave + 1) * 500)
            .map(|i| {
                let (entity, key) = slot(devices, i);
                live.subscribe(SubscriptionSpec::Timeseries { entity, keys: vec![key] })
            })
            .collect();
        tasks.extend(spawn_subscribers(subs, &seen, Instant::now()));
        wait_until("a wave of snapshots", WAIT, || {
            seen.snapshots.load(Ordering::Relaxed) >= (wave + 1) * 500
        })
        .await?;
    }
    let with_server = crate::heap_bytes().saturating_sub(before) as f64 / MEMORY_SUBSCRIPTIONS as f64;
    live.shutdown();
    for task in tasks {
        let _ = tokio::time::timeout(WAIT, task).await;
    }
    let case = format!("{MEMORY_SUBSCRIPTIONS} subs");
    report.add("live_memory", &case, "client heap per sub", "bytes", client_only, None, None);
    report.add("live_memory", &case, "client+emu heap per sub", "bytes", with_server, None, None);
    Ok(())
}

struct FixedToken;

impl TokenSource for FixedToken {
    fn token(&self, _force_refresh: bool) -> BoxFuture<'_, Result<Secret, Error>> {
        Box::pin(async { Ok(Secret::new("token")) })
    }
}

/// Accepts every connection, swallows what is sent, never says anything.
struct SilentTransport;

impl Transport for SilentTransport {
    fn connect(&self, _url: url::Url) -> BoxFuture<'static, Result<(FrameSink, FrameStream), ConnectError>> {
        Box::pin(async {
            let sink = futures_util::sink::drain().sink_map_err(|_| Error::Live("drain".into()));
            let stream = futures_util::stream::pending::<Result<Frame, Error>>();
            Ok((Box::pin(sink) as FrameSink, Box::pin(stream) as FrameStream))
        })
    }
}

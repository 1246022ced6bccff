//! A room on screen in the real app (the release build, WebKitGTK under Xvfb, driven through
//! WebKitWebDriver): the webview's frame intervals, read with `requestAnimationFrame`, while the
//! room's 40 devices report 10,000 updates a second, beside the same room with nothing reporting.
//! `room_view` counts the messages the webview takes; this is what a person sees of them: whether
//! the page keeps its frame rate while the tiles follow.
//!
//! Needs the release app (`--app`), an X display, WebKitWebDriver and a secret store, as
//! `cargo xtask bench` provides.

use crate::report::Report;
use anyhow::Context;
use atrium_e2e::{action, wait, App, Home, Size};
use std::path::Path;
use std::time::{Duration, Instant};
use tb_emulator::{Emulator, EmulatorConfig};
use uuid::Uuid;

const DEVICES: usize = 40;
const UPDATES_PER_SECOND: u64 = 10_000;
const RECORD: Duration = Duration::from_secs(5);
/// An interval this long is a frame a person notices as a stutter.
const LONG_FRAME_MS: f64 = 50.0;

const FLOOR_1: &str = r#"#building-tree li.tree-node[data-name="Floor 1"]"#;
const LOBBY: &str = r#"#building-tree li.tree-node[data-name="Lobby"]"#;
const BENCH_TILES: &str = r#"#device-tiles li.device-tile[data-name^="Bench Sensor"]"#;
const FIRST_TILE_VALUE: &str =
    r#"#device-tiles li.device-tile[data-name="Bench Sensor 0"] .tile-reading-value"#;
/// How many bench tiles show a reading.
const TILES_WITH_A_READING: &str = "return [...document.querySelectorAll('#device-tiles li.device-tile')] \
    .filter(t => t.dataset.name.startsWith('Bench Sensor') && t.querySelector('.tile-reading-value')?.textContent) \
    .length;";

/// Records frame stamps for `arguments[0]` ms; meanwhile counts the text changes on the page and
/// the channel messages the backend delivers (Tauri's `__TAURI_INTERNALS__.callbacks`, each
/// wrapped to count it and time our handler). Answers `[stamps, changes, messages, handler_ms]`.
const RECORD_FRAMES: &str = "const [ms, done] = [arguments[0], arguments[1]]; \
    let changes = 0; \
    const observer = new MutationObserver(list => { changes += list.length; }); \
    observer.observe(document.body, { subtree: true, childList: true, characterData: true }); \
    let messages = 0; let handler_ms = 0; const wrapped = []; \
    const callbacks = window.__TAURI_INTERNALS__.callbacks; \
    for (const [id, f] of callbacks) { \
        wrapped.push([id, f]); \
        callbacks.set(id, d => { const t0 = performance.now(); messages += 1; \
            try { return f(d); } finally { handler_ms += performance.now() - t0; } }); } \
    const stamps = []; const start = performance.now(); \
    const tick = t => { stamps.push(t); \
        if (t - start < ms) { requestAnimationFrame(tick); return; } \
        observer.disconnect(); \
        for (const [id, f] of wrapped) { if (callbacks.has(id)) callbacks.set(id, f); } \
        done([stamps, changes, messages, handler_ms]); }; \
    requestAnimationFrame(tick);";

/// What one recording saw.
#[derive(Debug, Clone, Copy)]
struct Frames {
    per_second: f64,
    p50_ms: f64,
    p95_ms: f64,
    worst_ms: f64,
    long: usize,
    /// Text changes on the page.
    changes_per_second: f64,
    /// Channel messages into the webview.
    messages_per_second: f64,
    /// Milliseconds a second our handlers of those messages ran (decode, fold, reactive updates).
    handler_ms_per_second: f64,
}

impl Frames {
    fn from_recording(
        stamps: &[f64],
        changes: u64,
        messages: u64,
        handler_ms: f64,
    ) -> anyhow::Result<Frames> {
        anyhow::ensure!(stamps.len() > 10, "only {} frames were painted", stamps.len());
        let mut intervals: Vec<f64> = stamps.windows(2).map(|w| w[1] - w[0]).collect();
        intervals.sort_by(f64::total_cmp);
        let at = |q: f64| intervals[((intervals.len() - 1) as f64 * q).round() as usize];
        let span_s = (stamps[stamps.len() - 1] - stamps[0]) / 1000.0;
        Ok(Frames {
            per_second: intervals.len() as f64 / span_s,
            p50_ms: at(0.5),
            p95_ms: at(0.95),
            worst_ms: at(1.0),
            long: intervals.iter().filter(|&&i| i >= LONG_FRAME_MS).count(),
            changes_per_second: changes as f64 / span_s,
            messages_per_second: messages as f64 / span_s,
            handler_ms_per_second: handler_ms / span_s,
        })
    }
}

pub(crate) async fn run(report: &mut Report, app: Option<&Path>) -> anyhow::Result<()> {
    let Some(app_bin) = app else {
        println!("room_frames: skipped (pass --app <release binary>; `cargo xtask bench` does)");
        return Ok(());
    };
    let app_bin = std::path::absolute(app_bin)?;
    let emu = Emulator::start(EmulatorConfig::for_tests()).await?;
    let devices = crate::room_view::add_bench_sensors(&emu, DEVICES)?;
    for device in &devices {
        emu.publish_telemetry(*device, serde_json::json!({"temperature": 20.0}));
    }
    let home = Home::new("bench-room-frames")?;
    let app = App::launch_binary(&app_bin, &home, Size::DESKTOP).await?;
    let measured = measure(&app, &emu, &devices).await;
    if measured.is_err() {
        eprintln!("room_frames: {}", app.save_failure_artifacts("bench_room_frames").await);
    }
    let _ = app.close().await;
    emu.shutdown().await;
    let (idle, busy, sent) = measured?;

    let case = format!("{DEVICES} tiles, {}k updates/s", UPDATES_PER_SECOND / 1000);
    let quiet = "the room, nothing reporting";
    let mut row = |metric: &str, unit: &str, ours: f64, baseline: f64, target: Option<&str>| {
        report.add("room_frames", &case, metric, unit, ours, Some((quiet, baseline)), target);
    };
    row("frames/s", "count", busy.per_second, idle.per_second, None);
    row("frame p50", "ms", busy.p50_ms, idle.p50_ms, None);
    row("frame p95", "ms", busy.p95_ms, idle.p95_ms, None);
    row("worst frame", "ms", busy.worst_ms, idle.worst_ms, None);
    row("frames >= 50 ms", "count", busy.long as f64, idle.long as f64, None);
    row(
        "IPC msgs in",
        "count/s",
        busy.messages_per_second,
        idle.messages_per_second,
        Some("<= 60 (one per frame)"),
    );
    row("handler time", "ms/s", busy.handler_ms_per_second, idle.handler_ms_per_second, None);
    row("text changes", "count/s", busy.changes_per_second, idle.changes_per_second, None);
    println!(
        "room_frames: busy {busy:?}; idle {idle:?}; {sent} updates sent in {RECORD:?} (Xvfb, software rendering)"
    );
    anyhow::ensure!(busy.changes_per_second > 1.0, "the tiles did not follow the updates");
    Ok(())
}

/// The room's frames with nothing reporting, then while every device reports; and updates sent.
async fn measure(app: &App, emu: &Emulator, devices: &[Uuid]) -> anyhow::Result<(Frames, Frames, u64)> {
    let c = app.client();
    wait::for_element(c, "#server-url", atrium_e2e::APP_START).await.context("the sign-in screen")?;
    action::sign_in(c, &emu.base_url(), "tenant@thingsboard.org", "tenant").await?;
    wait::for_element(c, FLOOR_1, atrium_e2e::DEMO_LOAD).await.context("the building after signing in")?;
    // The tree opens with the first floors expanded; expanded or not, the lobby is then picked.
    if atrium_e2e::find::one(c, LOBBY).await.is_ok() {
        action::click_within(c, LOBBY, ".tree-label").await?;
    } else {
        action::open_child(c, FLOOR_1, LOBBY).await?;
    }
    wait::until(&format!("{DEVICES} bench tiles"), atrium_e2e::DEMO_LOAD, async || {
        let tiles = atrium_e2e::find::all(c, BENCH_TILES).await?;
        anyhow::ensure!(tiles.len() == DEVICES, "{} tiles", tiles.len());
        Ok(())
    })
    .await?;
    // Every tile shows its first reading before the quiet recording.
    wait::until("a reading on every bench tile", atrium_e2e::DEMO_LOAD, async || {
        let shown = app.client().execute(TILES_WITH_A_READING, vec![]).await?;
        anyhow::ensure!(shown.as_u64() == Some(DEVICES as u64), "{shown} tiles show a reading");
        Ok(())
    })
    .await?;
    settle(app).await?;
    let idle = record(app).await?;

    let publish = async {
        let started = Instant::now();
        let mut sent = 0u64;
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        // Longer than the recording, which starts once the stream is flowing.
        while started.elapsed() < RECORD + Duration::from_secs(2) {
            tick.tick().await;
            let due = (started.elapsed().as_secs_f64() * UPDATES_PER_SECOND as f64) as u64;
            while sent < due {
                let device = devices[(sent % DEVICES as u64) as usize];
                let step = sent / DEVICES as u64;
                emu.publish_telemetry(
                    device,
                    serde_json::json!({"temperature": 18.0 + (step % 80) as f64 / 10.0}),
                );
                sent += 1;
            }
        }
        sent
    };
    // Recorded once the stream shows: the first tile has left the quiet room's 20.0.
    let busy = async {
        wait::until("the tiles to follow the stream", atrium_e2e::DEMO_LOAD, async || {
            let text = atrium_e2e::find::text(c, FIRST_TILE_VALUE).await?;
            anyhow::ensure!(!text.starts_with("20.0"), "the first tile still reads {text}");
            Ok(())
        })
        .await?;
        record(app).await
    };
    let (sent, busy) = tokio::join!(publish, busy);
    Ok((idle, busy?, sent))
}

/// Two frames painted.
async fn settle(app: &App) -> anyhow::Result<()> {
    app.client()
        .execute_async(
            "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(done));",
            vec![],
        )
        .await?;
    Ok(())
}

async fn record(app: &App) -> anyhow::Result<Frames> {
    let answer = app
        .client()
        .execute_async(RECORD_FRAMES, vec![serde_json::json!(RECORD.as_millis() as u64)])
        .await
        .context("recording frames")?;
    let (stamps, changes, messages, handler_ms): (Vec<f64>, u64, u64, f64) =
        serde_json::from_value(answer).context("the recorded frames")?;
    Frames::from_recording(&stamps, changes, messages, handler_ms)
}

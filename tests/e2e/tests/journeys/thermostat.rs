//! The thermostat journey through the real app: open the demo building, select the Lobby
//! Thermostat, raise its setpoint one step, and see the device's own report confirm it.
//!
//! Run it like `demo_journey` (under `xvfb-run` with `ATRIUM_APP_BIN` set); it saves
//! `<target>/screenshots/thermostat_<width>.png`.

use std::time::Duration;

use anyhow::{Context, Result};
use atrium_e2e::{action, check, find, wait, App, DEMO_LOAD};

const CONFIRMATION: Duration = Duration::from_secs(15);

const LOBBY: &str = r#"li.tree-node[data-name="Lobby"]"#;
const LOBBY_THERMOSTAT: &str = r#"li.tree-node[data-name="Lobby Thermostat"]"#;
const SETPOINT: &str = "#control-setpoint";
const RAISE: &str = "#control-setpoint-increase";
const SETPOINT_STATUS: &str = "#control-setpoint-status";
const SLIDER: &str = "#control-setpoint-slider";
const SETPOINT_VALUE: &str = r#"#device-panel .live-value[data-key="setpoint"] .value"#;
const LOBBY_DOOR_LOCK: &str = r#"li.tree-node[data-name="Lobby Door Lock"]"#;
const LOCK: &str = "#control-lock";
/// The demo thermostats' `step` shared attribute.
const STEP: f64 = 0.5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thermostat() {
    atrium_e2e::at_each_size("thermostat", journey).await;
}

async fn reported_setpoint(app: &App) -> Result<f64> {
    let text = find::attr(app.client(), SETPOINT, "data-reported")
        .await?
        .with_context(|| format!("`{SETPOINT}` has no data-reported"))?;
    text.parse::<f64>().with_context(|| format!("`{SETPOINT}` reports {text:?}, not a number"))
}

async fn journey(app: &App) -> Result<()> {
    let c = app.client();
    action::open_demo(c, &format!("#building-tree {LOBBY}")).await?;

    action::open_child(c, LOBBY, LOBBY_THERMOSTAT).await?;
    wait::until("the device panel for Lobby Thermostat", DEMO_LOAD, async || {
        check::text_contains(c, "#device-panel", "Lobby Thermostat").await
    })
    .await?;

    let before = wait::until("the setpoint control with the reported setpoint", DEMO_LOAD, async || {
        reported_setpoint(app).await
    })
    .await?;
    // Two quick taps move the target two steps; one command goes when they pause.
    let wanted = before + 2.0 * STEP;
    action::click(c, RAISE).await?;
    action::click(c, RAISE).await?;
    // While the taps settle (1 s) the stepper shows their target; on a loaded machine the
    // WebDriver round trips can outlast that, so the attribute may be gone, never different.
    if let Some(target) = find::attr(c, SETPOINT, "data-target").await? {
        anyhow::ensure!(target == wanted.to_string(), "the stepper shows target {target}, not {wanted}");
    }
    wait::until(&format!("the setpoint raised to {wanted} and confirmed"), CONFIRMATION, async || {
        check::attr_eq(c, SETPOINT_STATUS, "data-status", "confirmed").await?;
        let now = reported_setpoint(app).await?;
        anyhow::ensure!((now - wanted).abs() < 1e-6, "the control shows {now}, not {wanted}");
        Ok(())
    })
    .await?;
    let live = find::text(c, SETPOINT_VALUE).await?;
    let shot = app.screenshot("thermostat").await?;

    // Dragging the slider sends its value once, on release.
    let dragged = wanted - 4.0 * STEP;
    let slider = find::one(c, SLIDER).await?;
    c.execute(
        "const s = arguments[0]; s.value = arguments[1]; \
         s.dispatchEvent(new Event('input', {bubbles: true})); \
         s.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![serde_json::to_value(slider)?, serde_json::json!(dragged.to_string())],
    )
    .await?;
    wait::until(&format!("the setpoint dragged to {dragged} and confirmed"), CONFIRMATION, async || {
        check::attr_eq(c, SETPOINT_STATUS, "data-status", "confirmed").await?;
        let now = reported_setpoint(app).await?;
        anyhow::ensure!((now - dragged).abs() < 1e-6, "the control shows {now}, not {dragged}");
        Ok(())
    })
    .await?;
    eprintln!(
        "thermostat: setpoint {before} -> {wanted} confirmed (live value {live}); screenshot {}",
        shot.display()
    );

    // The door lock is critical: it asks before sending, and the device confirms.
    action::click_within(c, LOBBY_DOOR_LOCK, ".tree-label").await?;
    let locked = wait::until("the lock control with the reported state", DEMO_LOAD, async || {
        let state = find::attr(c, LOCK, "data-reported").await?.unwrap_or_default();
        anyhow::ensure!(state == "locked" || state == "unlocked", "the lock reports {state:?}");
        Ok(state)
    })
    .await?;
    action::click(c, LOCK).await?;
    wait::for_element(c, "#control-lock-confirm", DEMO_LOAD)
        .await
        .context("the lock did not ask to confirm")?;
    check::attr_eq(c, "#control-lock-status", "data-status", "idle").await?;
    wait::until("the confirmation question", DEMO_LOAD, async || {
        check::text_contains(c, ".control-lock .confirm-question", "critical control").await
    })
    .await?;
    // Asking for its size also makes WebKit lay out and paint the box before the screenshot.
    let (_, _, width, height) = find::one(c, ".control-lock .confirm").await?.rectangle().await?;
    anyhow::ensure!(width > 0.0 && height > 0.0, "the confirmation box is not visible ({width}x{height})");
    let asking = app.screenshot("lock_confirm").await?;
    action::click(c, "#control-lock-confirm").await?;
    let flipped = if locked == "locked" { "unlocked" } else { "locked" };
    wait::until(&format!("the lock {flipped} and confirmed"), CONFIRMATION, async || {
        check::attr_eq(c, "#control-lock-status", "data-status", "confirmed").await?;
        check::attr_eq(c, LOCK, "data-reported", flipped).await
    })
    .await?;
    eprintln!("lock: {locked} -> {flipped} after confirmation; screenshot {}", asking.display());
    Ok(())
}

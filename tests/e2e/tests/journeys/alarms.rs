//! Alarms in the real app: a sensor's reading raises an alarm, the alarms view shows it placed in
//! its room, a person acknowledges it (pending, then confirmed by the server) and clears it after
//! confirming, and the list says when nothing is left.

use std::time::Duration;

use crate::common;

use anyhow::{Context, Result};
use atrium_e2e::{action, check, find, wait, App, APP_START};
use tb_emulator::{Emulator, EmulatorConfig};

const STEP: Duration = Duration::from_secs(30);
const ALARM: &str = r#"#alarm-list li.alarm-row[data-severity="MAJOR"]"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_acknowledges_and_clears_an_alarm() {
    // No simulation: the only alarm is the one this test raises.
    common::on_emulator_at_each_size(
        "alarms",
        EmulatorConfig { simulate: false, ..EmulatorConfig::demo() },
        async |app, emulator| journey(app, emulator, &emulator.base_url()).await,
    )
    .await;
}

async fn journey(app: &App, emulator: &Emulator, url: &str) -> Result<()> {
    let c = app.client();
    let sensor = emulator.device_id("Lobby Air Quality").context("the demo has a Lobby Air Quality")?;
    wait::for_element(c, "#sign-in", APP_START).await.context("the sign-in form did not appear")?;
    action::sign_in(c, url, "tenant@thingsboard.org", "tenant").await?;
    wait::until("the building", STEP, async || check::exists(c, "#building-tree li.tree-node").await).await?;

    action::click(c, "#alarms-button").await?;
    wait::until("the alarms view", STEP, async || {
        check::text_contains(c, "#alarms-title", "All alarms").await
    })
    .await?;
    // The demo's offline devices have CRITICAL alarms of their own: look at MAJOR ones only.
    let major = r#".severity-chips button[data-severity="MAJOR"]"#;
    action::click(c, major).await?;
    wait::until("the severity filter", STEP, async || check::attr_eq(c, major, "aria-pressed", "true").await)
        .await?;
    emulator.publish_telemetry(sensor, serde_json::json!({ "co2": 1450 }));
    wait::until("the High CO2 alarm, placed in the Lobby", STEP, async || {
        check::text_contains(c, &format!("{ALARM} .alarm-type"), "High CO2").await?;
        check::text_contains(c, &format!("{ALARM} .alarm-where"), "Lobby Air Quality · Lobby").await?;
        check::text_contains(c, &format!("{ALARM} .alarm-status"), "Active, unacknowledged").await.map(drop)
    })
    .await?;
    app.screenshot("alarm_raised").await?;

    action::click_within(c, ALARM, "button.alarm-ack").await?;
    wait::until("the acknowledgement confirmed", STEP, async || {
        check::attr_eq(c, ALARM, "data-acknowledged", "true").await?;
        check::text_contains(c, &format!("{ALARM} .alarm-status"), "Active, acknowledged").await.map(drop)
    })
    .await?;
    anyhow::ensure!(
        find::one(c, &format!("{ALARM} button.alarm-ack")).await.is_err(),
        "an acknowledged alarm still offers Acknowledge"
    );
    app.screenshot("alarm_acknowledged").await?;

    action::click_within(c, ALARM, "button.alarm-clear").await?;
    wait::until("the question before clearing", STEP, async || {
        check::exists(c, "button.alarm-clear-confirm").await
    })
    .await?;
    app.screenshot("alarm_clear_confirm").await?;
    action::click(c, "button.alarm-clear-confirm").await?;
    wait::until("the list empty of active alarms", STEP, async || {
        check::text_contains(c, "#alarms-empty", "No active major alarms anywhere.").await.map(drop)
    })
    .await?;

    // Every status: the cleared alarm is still there, marked so.
    action::select(c, "#alarm-status", "all").await?;
    wait::until("the cleared alarm", STEP, async || {
        check::text_contains(c, &format!("{ALARM} .alarm-status"), "Cleared, acknowledged").await.map(drop)
    })
    .await?;
    app.screenshot("alarm_cleared").await?;
    Ok(())
}

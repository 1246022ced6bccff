//! What a person may see and do, in the real app: a customer user sees only the part of the
//! building assigned to their customer; an offline device's control says so instead of
//! pretending to work.

use std::time::Duration;

use crate::common;

use anyhow::{Context, Result};
use atrium_e2e::{action, check, find, wait, App, APP_START};
use tb_emulator::EmulatorConfig;

const STEP: Duration = Duration::from_secs(30);

fn node(name: &str) -> String {
    format!(r#"#building-tree li.tree-node[data-name="{name}"]"#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_sees_only_their_floor() {
    common::on_emulator_at_each_size("customer", EmulatorConfig::demo(), async |app, emulator| {
        customer(app, &emulator.base_url()).await
    })
    .await;
}

/// Customer B rents the top floor of HQ (Floor 3) and nothing else.
async fn customer(app: &App, url: &str) -> Result<()> {
    let c = app.client();
    wait::for_element(c, "#sign-in", APP_START).await.context("the sign-in form did not appear")?;
    action::sign_in(c, url, "customerb@thingsboard.org", "customer").await?;
    wait::until("Customer B's floor", STEP, async || check::exists(c, &node("Floor 3")).await).await?;
    for elsewhere in ["Floor 1", "Floor 2", "Lobby"] {
        anyhow::ensure!(
            find::one(c, &node(elsewhere)).await.is_err(),
            "Customer B is shown {elsewhere}, which belongs to Customer A"
        );
    }
    app.screenshot("customer_tree").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_devices_control_says_it_is_offline() {
    common::on_emulator_at_each_size("offline_device", EmulatorConfig::demo(), async |app, emulator| {
        let light = emulator.device_id("Lobby Light").expect("the demo has a Lobby Light");
        assert!(emulator.faults().set_device_online(light, false), "the Lobby Light goes offline");
        offline_device(app, emulator, light).await
    })
    .await;
}

async fn offline_device(app: &App, emulator: &tb_emulator::Emulator, light_id: uuid::Uuid) -> Result<()> {
    let url = emulator.base_url();
    let url = url.as_str();
    let c = app.client();
    wait::for_element(c, "#sign-in", APP_START).await.context("the sign-in form did not appear")?;
    action::sign_in(c, url, "tenant@thingsboard.org", "tenant").await?;
    let lobby = node("Lobby");
    wait::until("the Lobby", STEP, async || check::exists(c, &lobby).await).await?;
    action::click_within(c, &lobby, ".tree-toggle").await?;
    let light = node("Lobby Light");
    wait::until("the Lobby Light", STEP, async || check::exists(c, &light).await).await?;
    action::click_within(c, &light, ".tree-label").await?;
    wait::until("the light's panel, marked offline", STEP, async || {
        check::text_contains(c, "#device-panel", "Lobby Light").await?;
        check::text_contains(c, "#device-panel .pill", "Offline").await.map(drop)
    })
    .await?;

    let before = find::attr(c, "#control-power", "data-reported").await?.unwrap_or_default();
    action::click(c, "#control-power").await?;
    wait::until("the control to say the device is offline", STEP, async || {
        check::attr_eq(c, "#control-power-status", "data-status", "offline").await?;
        check::text_contains(c, "#control-power-status", "offline").await.map(drop)
    })
    .await?;
    app.screenshot("offline_device").await?;

    // Queued on the server, it goes when the light is back, and the light's report confirms it.
    action::click(c, "#control-power-queue").await?;
    wait::until("the command queued", STEP, async || {
        check::attr_eq(c, "#control-power-status", "data-status", "queued").await?;
        check::text_contains(c, "#control-power-status", "queued").await.map(drop)
    })
    .await?;
    app.screenshot("offline_queued").await?;
    emulator.faults().set_device_online(light_id, true);
    let wanted = if before == "on" { "off" } else { "on" };
    wait::until("the queued command delivered and confirmed", STEP, async || {
        check::attr_eq(c, "#control-power-status", "data-status", "confirmed").await?;
        check::attr_eq(c, "#control-power", "data-reported", wanted).await
    })
    .await?;
    Ok(())
}

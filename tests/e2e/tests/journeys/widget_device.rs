//! A device already set up for ThingsBoard's own switch widget, with nothing configured in
//! Atrium: it answers only `getValue` and `setValue` and reports no telemetry. Its switch shows
//! the state the device answered and a toggle is confirmed by the device's answer.

use std::time::Duration;

use crate::common;

use anyhow::{Context, Result};
use atrium_e2e::{action, check, wait, App, APP_START};
use tb_emulator::{Emulator, EmulatorConfig};

const STEP: Duration = Duration::from_secs(30);
const LOBBY: &str = r#"#building-tree li.tree-node[data-name="Lobby"]"#;
const PLUG: &str = r#"#building-tree li.tree-node[data-name="Widget Plug"]"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switch_on_a_device_that_answers_only_get_value_and_set_value() {
    common::on_emulator_at_each_size("widget_switch", EmulatorConfig::demo(), async |app, emulator| {
        let lobby = emulator.asset_id("Lobby").context("the demo has a Lobby")?;
        let plug = emulator.add_device(lobby, "Widget Plug", "smart-plug").context("the plug is added")?;
        let device = emulator.widget_switch(plug, false);
        journey(app, emulator).await?;
        anyhow::ensure!(device.is_on(), "the device was not switched on: {:?}", device.calls());
        let methods: Vec<String> = device.calls().into_iter().map(|(method, _)| method).collect();
        anyhow::ensure!(
            methods.iter().filter(|m| *m == "setValue").count() == 1,
            "one setValue, not {methods:?}"
        );
        Ok(())
    })
    .await;
}

async fn journey(app: &App, emulator: &Emulator) -> Result<()> {
    let c = app.client();
    wait::for_element(c, "#sign-in", APP_START).await.context("the sign-in form did not appear")?;
    action::sign_in(c, &emulator.base_url(), "tenant@thingsboard.org", "tenant").await?;
    wait::until("the Lobby", STEP, async || check::exists(c, LOBBY).await).await?;
    action::open_child(c, LOBBY, PLUG).await?;
    wait::until("the plug's switch, read with getValue", STEP, async || {
        check::attr_eq(c, "#control-power", "data-reported", "off").await
    })
    .await?;
    action::click(c, "#control-power").await?;
    wait::until("the switch confirmed on by the device's answer", STEP, async || {
        check::attr_eq(c, "#control-power-status", "data-status", "confirmed").await?;
        check::attr_eq(c, "#control-power", "data-reported", "on").await
    })
    .await?;
    app.screenshot("widget_switch").await?;
    Ok(())
}

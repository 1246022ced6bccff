//! The demo journey through the real app: log in to the embedded demo building, find the lobby
//! light in the building tree, switch it, and see the switch confirmed by live data.
//!
//! Run it through `cargo xtask test` (it builds the app with embedded assets and runs this under
//! `xvfb-run` with `ATRIUM_APP_BIN` set).

use std::time::Duration;

use anyhow::{Context, Result};
use atrium_e2e::{action, check, wait, App, APP_START, DEMO_LOAD};

/// App start under Xvfb: process, webview, wasm download and mount (a debug build is slow).
/// The demo building loads locally, but give slow CI machines room.
/// A device command's round trip, confirmed by the device's own live data.
const CONFIRMATION: Duration = Duration::from_secs(15);

const LOBBY: &str = r#"li.tree-node[data-name="Lobby"]"#;
const LOBBY_LIGHT: &str = r#"li.tree-node[data-name="Lobby Light"]"#;
const STATE_VALUE: &str = r#"#device-panel .live-value[data-key="state"] .value"#;
const POWER: &str = "#control-power";
const POWER_STATUS: &str = "#control-power-status";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_journey() {
    atrium_e2e::at_each_size("demo_journey", journey).await;
}

async fn journey(app: &App) -> Result<()> {
    let c = app.client();

    // The app starts without ATRIUM_DEMO, so it shows the login screen.
    wait::for_element(c, "#sign-in", APP_START).await.context("the login screen did not appear")?;
    for field in ["#server-url", "#username", "#password", "#sign-in", "#open-demo"] {
        check::exists(c, field).await.context("the login screen is incomplete")?;
    }

    action::click(c, "#open-demo").await?;
    wait::until("the building tree with a site and the Lobby", DEMO_LOAD, async || {
        check::exists(c, r#"#building-tree li.tree-node[data-kind="site"]"#).await?;
        check::exists(c, &format!("#building-tree {LOBBY}")).await
    })
    .await?;

    // Expand the Lobby (its toggle, or its label if the tree expands on select).
    action::click_first_within(c, LOBBY, &[".tree-toggle", ".tree-label"]).await?;
    wait::for_element(c, LOBBY_LIGHT, DEMO_LOAD)
        .await
        .context("expanding the Lobby showed no Lobby Light")?;
    action::click_within(c, LOBBY_LIGHT, ".tree-label").await?;

    wait::until("the device panel for Lobby Light", DEMO_LOAD, async || {
        check::text_contains(c, "#device-panel", "Lobby Light").await
    })
    .await?;
    let state_before = wait::until("the Lobby Light's live `state` (On or Off)", DEMO_LOAD, async || {
        check::text_one_of(c, STATE_VALUE, &["On", "Off"]).await
    })
    .await?;
    let checked_before = check::attr_present(c, POWER, "aria-checked").await?;
    let checked_after = flipped_bool(&checked_before)?;
    let state_after = if state_before == "On" { "Off" } else { "On" };

    action::click(c, POWER).await?;
    wait::until(
        &format!(
            "the power switch to be confirmed (status confirmed, aria-checked {checked_after}, state {state_after})"
        ),
        CONFIRMATION,
        async || {
            check::attr_eq(c, POWER_STATUS, "data-status", "confirmed").await?;
            check::attr_eq(c, POWER, "aria-checked", checked_after).await?;
            check::text_eq(c, STATE_VALUE, state_after).await.map(drop)
        },
    )
    .await?;

    check::attr_eq(c, "#connection-state", "data-state", "connected").await?;
    let shot = app.screenshot("demo_journey").await?;
    eprintln!(
        "demo journey: Lobby Light {state_before} -> {state_after}, confirmed; screenshot {}",
        shot.display()
    );
    Ok(())
}

fn flipped_bool(aria_checked: &str) -> Result<&'static str> {
    match aria_checked {
        "true" => Ok("false"),
        "false" => Ok("true"),
        other => {
            anyhow::bail!("expected `{POWER}` aria-checked to be true or false, the page shows {other:?}")
        }
    }
}

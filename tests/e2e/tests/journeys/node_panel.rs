//! The node panel through the real app: open the demo building, select "Floor 1", and see one
//! live row per room (devices, offline, average temperature, worst alarm) in the right pane;
//! then average humidity instead.
//!
//! Run it through `cargo xtask test` (it builds the app with embedded assets and runs this under
//! `xvfb-run` with `ATRIUM_APP_BIN` set).

use anyhow::{Context, Result};
use atrium_e2e::{action, check, find, wait, App, DEMO_LOAD};

const FLOOR_1: &str = r#"li.tree-node[data-name="Floor 1"]"#;
const LOBBY_ROW: &str = r#"#node-panel .rollup-row[data-name="Lobby"]"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_panel() {
    atrium_e2e::at_each_size("node_panel", journey).await;
}

async fn journey(app: &App) -> Result<()> {
    let c = app.client();

    action::open_demo(c, &format!("#building-tree {FLOOR_1}")).await?;

    // Selecting a floor opens it in the right pane (and toggles it in the tree).
    action::click_within(c, FLOOR_1, ".tree-label").await?;
    wait::for_element(c, LOBBY_ROW, DEMO_LOAD).await.context("Floor 1's node panel showed no Lobby row")?;
    check::text_contains(c, "#node-name", "Floor 1").await?;
    check::text_contains(c, "#node-kind", "Floor").await?;
    wait::until("the Lobby's device count and live average temperature", DEMO_LOAD, async || {
        let devices = find::text(c, &format!("{LOBBY_ROW} .devices")).await?;
        anyhow::ensure!(
            devices.parse::<u32>().is_ok_and(|n| n > 0),
            "the Lobby row counts {devices:?} devices"
        );
        check::text_contains(c, &format!("{LOBBY_ROW} .average"), "°C").await
    })
    .await?;
    check::text_eq(c, &format!("{LOBBY_ROW} .offline"), "0").await?;
    check::attr_eq(c, LOBBY_ROW, "data-stale", "false").await?;
    check::attr_eq(c, "#connection-state", "data-state", "connected").await?;

    check::text_eq(c, "#node-panel .average-label", "Temperature").await?;

    // The person averages humidity instead: the column and the values follow.
    wait::for_element(c, r#"#average-key option[value="humidity"]"#, DEMO_LOAD)
        .await
        .context("humidity is not offered as a key to average")?;
    action::select(c, "#average-key", "humidity").await?;
    wait::until("the Lobby's average humidity", DEMO_LOAD, async || {
        check::text_eq(c, "#node-panel .average-label", "Humidity").await?;
        check::text_contains(c, &format!("{LOBBY_ROW} .average"), "%").await
    })
    .await?;
    check::text_contains(c, "#node-summary", "Humidity").await?;

    let shot = app.screenshot("node_panel").await?;
    eprintln!("node panel: Floor 1 with its rooms, averaging humidity; screenshot {}", shot.display());
    Ok(())
}

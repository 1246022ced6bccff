//! The device page and history journey through the real app on the demo building: the Lobby
//! Thermostat's values carry labels, units and ages, its connection reads with its last activity,
//! its attributes list by scope; its last 24 h draw temperature and setpoint together with units,
//! the readout follows the arrow keys, the 7-day span redraws, and Floor 1 charts its average
//! temperature across its devices.
//!
//! Saves `<target>/screenshots/history_device_<width>.png` and `history_place_<width>.png`.

use anyhow::{Context, Result};
use atrium_e2e::{action, check, find, wait, App, DEMO_LOAD};
use fantoccini::key::Key;

const LOBBY: &str = r#"li.tree-node[data-name="Lobby"]"#;
const LOBBY_THERMOSTAT: &str = r#"li.tree-node[data-name="Lobby Thermostat"]"#;
const FLOOR_1: &str = r#"li.tree-node[data-name="Floor 1"]"#;
const DEVICE_CHART: &str = "#device-history-svg";
const PLACE_CHART: &str = "#place-history-svg";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history() {
    atrium_e2e::at_each_size("history", journey).await;
}

/// How many separate lines (runs between gaps) a series of `chart` draws.
async fn lines(app: &App, chart: &str, series: usize) -> Result<usize> {
    Ok(find::all(app.client(), &format!("{chart} .series-{series} .line")).await?.len())
}

async fn journey(app: &App) -> Result<()> {
    let c = app.client();
    action::open_demo(c, &format!("#building-tree {LOBBY}")).await?;
    action::open_child(c, LOBBY, LOBBY_THERMOSTAT).await?;

    // The page: labelled values with units and ages, the connection with its last activity.
    let temperature = r#"#device-panel .live-value[data-key="temperature"]"#;
    wait::until("the temperature with its unit and age", DEMO_LOAD, async || {
        check::text_contains(c, &format!("{temperature} .value"), "°C").await?;
        check::text_contains(c, &format!("{temperature} .reading-label"), "Temperature").await?;
        let age = find::text(c, &format!("{temperature} .age")).await?;
        anyhow::ensure!(age == "just now" || age.ends_with(" ago"), "the age reads {age:?}");
        check::text_contains(c, "#device-status", "Online · ").await?;
        check::text_contains(c, "#device-place", "Lobby · Floor 1 · HQ").await?;
        check::exists(c, "#device-alarms-empty").await
    })
    .await?;

    // The day: temperature first, the setpoint with it (same unit), a band under each.
    wait::until("the thermostat's 24 h chart", DEMO_LOAD, async || {
        check::attr_eq(c, r#"#device-history .span-choice[data-span="24 h"]"#, "aria-pressed", "true")
            .await?;
        anyhow::ensure!(lines(app, DEVICE_CHART, 0).await? >= 1, "no temperature line");
        anyhow::ensure!(lines(app, DEVICE_CHART, 1).await? >= 1, "no setpoint line");
        check::exists(c, &format!("{DEVICE_CHART} .series-0 .band")).await
    })
    .await?;
    check::attr_eq(c, &format!("{DEVICE_CHART} .series-0"), "data-key", "temperature").await?;
    check::attr_eq(c, &format!("{DEVICE_CHART} .series-1"), "data-key", "setpoint").await?;
    check::text_eq(c, &format!("{DEVICE_CHART} .unit"), "°C").await?;
    let ticks = find::all(c, &format!("{DEVICE_CHART} .time-tick")).await?.len();
    anyhow::ensure!(ticks >= 2, "only {ticks} time labels");
    let caption = check::text_contains(c, "#device-history .chart-caption", "over the last 24 h").await?;
    anyhow::ensure!(caption.contains("Temperature from") && caption.contains("°C"), "caption: {caption}");
    // Without a cursor (Escape takes away one a pointer left) the readout shows the latest bucket.
    let chart = find::one(c, DEVICE_CHART).await?;
    chart.send_keys(&Key::Escape.to_string()).await.context("pressing Escape on the chart")?;
    check::text_contains(c, "#device-history-readout", "Latest").await?;

    // The keyboard moves the readout to the first bucket of the day.
    chart.send_keys(&Key::Home.to_string()).await.context("pressing Home on the chart")?;
    wait::until("the readout on the first bucket", DEMO_LOAD, async || {
        let text = find::text(c, "#device-history-readout").await?;
        anyhow::ensure!(!text.contains("Latest") && text.contains("°C"), "readout: {text}");
        check::exists(c, &format!("{DEVICE_CHART} .cursor")).await
    })
    .await?;
    app.screenshot("history_device").await?;

    // The attributes, by scope, once opened.
    action::click(c, "#device-attributes summary").await?;
    wait::until("the shared attributes", DEMO_LOAD, async || {
        check::exists(c, r#"#device-attributes [data-scope="shared"] tr[data-key="minSetpoint"]"#).await?;
        check::exists(c, r#"#device-attributes [data-scope="server"] tr[data-key="lastActivityTime"]"#).await
    })
    .await?;
    action::scroll_to(c, "#device-attributes").await?;
    app.screenshot("device_attributes").await?;
    action::scroll_to(c, "#device-panel .live-values").await?;
    app.screenshot("device_values").await?;

    // The week redraws with hourly buckets.
    action::click(c, r#"#device-history .span-choice[data-span="7 d"]"#).await?;
    wait::until("the 7-day chart", DEMO_LOAD, async || {
        check::text_contains(c, "#device-history .chart-caption", "over the last 7 days").await?;
        anyhow::ensure!(lines(app, DEVICE_CHART, 0).await? >= 1, "no temperature line");
        Ok(())
    })
    .await?;

    // A place: Floor 1's average temperature across the devices reporting it.
    action::click_within(c, FLOOR_1, ".tree-label").await?;
    wait::until("Floor 1's average temperature chart", DEMO_LOAD, async || {
        // The section titles are upper case on screen.
        let title = find::text(c, "#place-history-title").await?.to_lowercase();
        anyhow::ensure!(title == "temperature over time", "the section is titled {title:?}");
        anyhow::ensure!(lines(app, PLACE_CHART, 0).await? >= 1, "no line");
        check::text_contains(c, "#place-history .chart-caption", "Average of").await
    })
    .await?;
    action::scroll_to(c, "#place-history").await?;
    app.screenshot("history_place").await?;
    Ok(())
}

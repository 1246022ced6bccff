//! Finding one's way through the building on the demo, at a phone's size and a desktop's: a
//! phone shows one level per screen (the tree, a floor, a room, a device) under a breadcrumb;
//! the back button, Escape and the platform's back each go up one level; a room shows its devices
//! as tiles whose controls work there; nothing scrolls sideways at 360 px or 200 % zoom; a restart
//! reopens the place; the room reads in dark too.
//!
//! Saves `room_tiles`, `room_tiles_dark`, `device_from_tile` and `floor_screen` screenshots.

use anyhow::{Context, Result};
use atrium_e2e::{action, check, find, wait, App, Home, DEMO_LOAD, SIZES};
use fantoccini::key::Key;

const FLOOR_1: &str = r#"#building-tree li.tree-node[data-name="Floor 1"]"#;
const LOBBY_ROW: &str = r#"#node-panel .rollup-row[data-name="Lobby"]"#;
const LIGHT_TILE: &str = r#"#device-tiles li.device-tile[data-name="Lobby Light"]"#;

fn phone(app: &App) -> bool {
    app.size().width < 600
}

/// Whether the element matching `css` is laid out (not `display: none`, nor inside such).
async fn shown(app: &App, css: &str) -> Result<bool> {
    let script = format!("const e = document.querySelector({css:?}); return !!e && e.offsetParent !== null;");
    let answer = app.client().execute(&script, vec![]).await?;
    Ok(answer.as_bool().unwrap_or(false))
}

/// The page is no wider than the window: nothing to scroll sideways.
async fn no_sideways_scroll(app: &App, screen: &str) -> Result<()> {
    let widths = app
        .client()
        .execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![])
        .await?;
    let (page, window): (u64, u64) = serde_json::from_value(widths)?;
    anyhow::ensure!(page <= window, "the {screen} is {page} px wide in a {window} px window");
    Ok(())
}

async fn current_place(app: &App, name: &str) -> Result<()> {
    let c = app.client();
    wait::until(&format!("{name} on screen"), DEMO_LOAD, async || {
        check::text_eq(c, "#node-name", name).await?;
        check::text_contains(c, "#breadcrumb .crumb-current", name).await.map(drop)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drill_down_control_a_room_and_go_back() {
    atrium_e2e::at_each_size("navigation", journey).await;
}

async fn journey(app: &App) -> Result<()> {
    let c = app.client();
    action::open_demo(c, FLOOR_1).await?;
    if phone(app) {
        anyhow::ensure!(!shown(app, "#breadcrumb").await?, "a phone starts on the tree alone");
    }

    // Down: a floor, then a room from the floor's table.
    action::click_within(c, FLOOR_1, ".tree-label").await?;
    current_place(app, "Floor 1").await?;
    if phone(app) {
        anyhow::ensure!(!shown(app, ".tree-panel").await?, "the floor has the phone's screen to itself");
    }
    check::text_contains(c, "#breadcrumb", "HQ").await?;
    no_sideways_scroll(app, "floor screen").await?;
    app.screenshot("floor_screen").await?;
    action::click_within(c, LOBBY_ROW, ".rollup-open").await?;
    current_place(app, "Lobby").await?;

    // The room's devices as tiles, live.
    wait::until("the Lobby Light's tile with its state", DEMO_LOAD, async || {
        check::exists(c, &format!("{LIGHT_TILE} .tile-reading")).await?;
        check::attr_present(c, &format!("{LIGHT_TILE} .tile-control button.switch"), "data-reported").await
    })
    .await?;
    no_sideways_scroll(app, "room screen").await?;
    app.screenshot("room_tiles").await?;

    // The light switched from its tile, confirmed by the device.
    let switch = format!("{LIGHT_TILE} .tile-control button.switch");
    let before = find::attr(c, &switch, "data-reported").await?.unwrap_or_default();
    let wanted = if before == "on" { "off" } else { "on" };
    action::click(c, &switch).await?;
    wait::until("the tile's switch confirmed", DEMO_LOAD, async || {
        check::attr_eq(c, &format!("{LIGHT_TILE} .control-status"), "data-status", "confirmed").await?;
        check::attr_eq(c, &switch, "data-reported", wanted).await
    })
    .await?;

    // A device opened from its tile, then back up: the room, the floor, and (the platform's
    // back) the building around it.
    action::click_within(c, LIGHT_TILE, ".tile-open").await?;
    wait::until("the Lobby Light's page", DEMO_LOAD, async || {
        check::text_eq(c, "#device-name", "Lobby Light").await?;
        check::text_contains(c, "#breadcrumb .crumb-current", "Lobby Light").await.map(drop)
    })
    .await?;
    check::text_contains(c, "#breadcrumb", "Lobby").await?;
    no_sideways_scroll(app, "device screen").await?;
    app.screenshot("device_from_tile").await?;
    action::click(c, "#nav-back").await?;
    current_place(app, "Lobby").await?;
    find::one(c, "body").await?.send_keys(&Key::Escape.to_string()).await.context("pressing Escape")?;
    current_place(app, "Floor 1").await?;
    c.back().await.context("the platform's back")?;
    current_place(app, "HQ").await?;

    // The building's top: on a phone, the tree again.
    action::click(c, "#nav-home").await?;
    wait::until("the tree", DEMO_LOAD, async || {
        anyhow::ensure!(shown(app, "#building-tree").await?, "the tree is hidden");
        Ok(())
    })
    .await?;

    // The room in dark.
    action::click_within(c, FLOOR_1, ".tree-label").await?;
    current_place(app, "Floor 1").await?;
    action::click_within(c, LOBBY_ROW, ".rollup-open").await?;
    current_place(app, "Lobby").await?;
    action::click(c, "#account-menu").await?;
    action::click(c, r#"label[for="theme-dark"]"#).await?;
    action::click(c, "#account-menu").await?;
    wait::for_element(c, &format!("{LIGHT_TILE} .tile-reading"), DEMO_LOAD).await?;
    app.screenshot("room_tiles_dark").await?;
    Ok(())
}

/// Narrow windows (the smallest phone the window allows, and a 1280 px desktop at 200 % zoom,
/// whose page is 640 CSS px wide): every screen reflows, none scrolls sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_scrolls_sideways_at_360_px_or_at_200_percent_zoom() {
    let result = atrium_e2e::run_journey("narrow", atrium_e2e::Size::PHONE, async |app| {
        let c = app.client();
        action::open_demo(c, FLOOR_1).await?;
        for width in [360, 640] {
            app.resize(width, 800).await?;
            if find::one(c, "#nav-home").await.is_ok() && shown(app, "#nav-home").await? {
                action::click(c, "#nav-home").await?;
            }
            wait::for_element(c, FLOOR_1, DEMO_LOAD).await?;
            no_sideways_scroll(app, &format!("tree at {width} px")).await?;
            action::click_within(c, FLOOR_1, ".tree-label").await?;
            current_place(app, "Floor 1").await?;
            no_sideways_scroll(app, &format!("floor at {width} px")).await?;
            action::click_within(c, LOBBY_ROW, ".rollup-open").await?;
            current_place(app, "Lobby").await?;
            wait::for_element(c, &format!("{LIGHT_TILE} .tile-reading"), DEMO_LOAD).await?;
            no_sideways_scroll(app, &format!("room at {width} px")).await?;
            action::click_within(c, LIGHT_TILE, ".tile-open").await?;
            wait::for_element(c, "#device-name", DEMO_LOAD).await?;
            no_sideways_scroll(app, &format!("device at {width} px")).await?;
        }
        Ok(())
    })
    .await;
    if let Err(err) = result {
        panic!("the narrow journey failed: {err:#}");
    }
}

/// A restart reopens the place the person was at, on either size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_reopens_the_place() {
    for size in SIZES {
        let home = Home::new(&format!("reopen_{}", size.width)).expect("a home");
        let first = atrium_e2e::run_journey_in("reopen", &home, size, async |app| {
            let c = app.client();
            action::open_demo(c, FLOOR_1).await?;
            action::click_within(c, FLOOR_1, ".tree-label").await?;
            current_place(app, "Floor 1").await?;
            action::click_within(c, LOBBY_ROW, ".rollup-open").await?;
            current_place(app, "Lobby").await
        })
        .await;
        let second = match first {
            Ok(()) => {
                atrium_e2e::run_journey_in("reopened", &home, size, async |app| {
                    let c = app.client();
                    action::open_demo(c, "#node-name").await?;
                    current_place(app, "Lobby").await
                })
                .await
            }
            Err(err) => Err(err),
        };
        if let Err(err) = second {
            panic!("the reopen journey at {size} failed: {err:#}");
        }
    }
}

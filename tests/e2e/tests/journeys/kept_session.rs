//! Staying signed in, in the real app: sign in once, restart, and land in the building without
//! a password; restart with the server down and see the cached building with its age and the
//! offline banner, which goes by itself when the server is back.
//!
//! The app keeps its session in Secret Service: `cargo xtask test` runs this inside a D-Bus
//! session with an unlocked gnome-keyring, as on a desktop.

use std::time::Duration;

use anyhow::{Context, Result};
use atrium_e2e::{action, check, find, wait, App, Home, Size, APP_START};
use tb_emulator::{Emulator, EmulatorConfig};

const LOAD: Duration = Duration::from_secs(30);
/// The live connection retries with backoff (up to 30 s between tries, with jitter).
const RECOVERY: Duration = Duration::from_secs(60);

/// A demo server that accepts its tokens again after a restart on the same address.
fn config(bind: std::net::SocketAddr) -> EmulatorConfig {
    EmulatorConfig { bind, signing_key: Some([11; 64]), ..EmulatorConfig::demo() }
}

const FLOOR_1: &str = r#"#building-tree li.tree-node[data-name="Floor 1"]"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_lands_in_the_building_and_survives_the_server_being_down() {
    for size in atrium_e2e::SIZES {
        restart_journeys(size).await;
    }
}

async fn restart_journeys(size: Size) {
    let home = Home::new(&format!("kept_session_{}", size.width)).expect("a home for the app");
    let emulator =
        Emulator::start(config("127.0.0.1:0".parse().unwrap())).await.expect("the emulator starts");
    let addr = emulator.local_addr();
    let url = emulator.base_url();

    let first =
        atrium_e2e::run_journey_in("kept_session_sign_in", &home, size, async |app| sign_in(app, &url).await)
            .await;
    if let Err(err) = first {
        panic!("signing in at {size} failed: {err:#}");
    }
    let restart =
        atrium_e2e::run_journey_in("kept_session_restart", &home, size, async |app| restarted(app).await)
            .await;
    if let Err(err) = restart {
        panic!("the restart at {size} did not land in the building: {err:#}");
    }

    emulator.shutdown().await;
    let mut server = None;
    let offline = atrium_e2e::run_journey_in("kept_session_offline", &home, size, async |app| {
        server_down_then_back(app, addr, &mut server).await
    })
    .await;
    if let Some(server) = server {
        server.shutdown().await;
    }
    if let Err(err) = offline {
        panic!("the server-down restart at {size} failed: {err:#}");
    }
}

async fn sign_in(app: &App, url: &str) -> Result<()> {
    let c = app.client();
    wait::for_element(c, "#sign-in", APP_START).await.context("the sign-in form did not appear")?;
    action::sign_in(c, url, "tenant@thingsboard.org", "tenant").await?;
    wait::until("the building tree", LOAD, async || check::exists(c, FLOOR_1).await).await?;
    wait::until("the live connection", LOAD, async || {
        check::attr_eq(c, "#connection-state", "data-state", "connected").await
    })
    .await?;
    Ok(())
}

async fn restarted(app: &App) -> Result<()> {
    let c = app.client();
    // No password asked: the building comes at once.
    wait::for_element(c, FLOOR_1, APP_START).await.context("the restarted app did not show the building")?;
    anyhow::ensure!(find::one(c, "#password").await.is_err(), "the restarted app asked for a password");
    wait::until("the live connection", LOAD, async || {
        check::attr_eq(c, "#connection-state", "data-state", "connected").await
    })
    .await?;
    let shot = app.screenshot("kept_session_restart").await?;
    eprintln!("kept session: restart screenshot {}", shot.display());
    Ok(())
}

async fn server_down_then_back(
    app: &App,
    addr: std::net::SocketAddr,
    server: &mut Option<Emulator>,
) -> Result<()> {
    let c = app.client();
    wait::for_element(c, FLOOR_1, APP_START).await.context("the cached building did not show")?;
    check::text_contains(c, "#tree-cache-note", "Showing the building as of").await?;
    wait::until("the offline banner", LOAD, async || {
        check::text_contains(c, "#offline-text", "Offline: showing data from").await
    })
    .await?;
    check::exists(c, "#offline-retry").await?;
    let shot = app.screenshot("kept_session_offline").await?;
    eprintln!("kept session: offline screenshot {}", shot.display());

    // The server comes back: the app recovers by itself, and "Retry now" only makes it sooner.
    *server = Some(Emulator::start(config(addr)).await.context("the emulator restarts")?);
    // The app's own next try may beat the tap: then the banner, and its button, are gone already.
    if let Err(err) = action::click(c, "#offline-retry").await {
        anyhow::ensure!(
            find::one(c, "#offline-retry").await.is_err(),
            "Retry now did not take the tap: {err:#}"
        );
        eprintln!("kept session: the app reconnected by itself before Retry now was tapped");
    }
    wait::until("the live connection", RECOVERY, async || {
        check::attr_eq(c, "#connection-state", "data-state", "connected").await
    })
    .await?;
    wait::until("the banner to go", LOAD, async || {
        anyhow::ensure!(find::one(c, "#offline-banner").await.is_err(), "the banner is still up");
        Ok(())
    })
    .await?;
    wait::until("the fresh building", LOAD, async || {
        anyhow::ensure!(find::one(c, "#tree-cache-note").await.is_err(), "still showing the cached building");
        Ok(())
    })
    .await?;
    Ok(())
}

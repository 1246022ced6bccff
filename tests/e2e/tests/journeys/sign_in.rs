//! Signing in to a server typed at runtime: the real app, an emulator in the test process that
//! answers every request 250 ms late, and the building loading with its progress on screen.
//!
//! Run it through `cargo xtask test` (it builds the app with embedded assets and runs this under
//! `xvfb-run` with `ATRIUM_APP_BIN` set).

use std::time::Duration;

use crate::common;

use anyhow::{Context, Result};
use atrium_e2e::{action, check, find, wait, App, APP_START};
use tb_emulator::{Emulator, EmulatorConfig};

/// App start under Xvfb: process, webview, wasm download and mount (a debug build is slow).
/// Sign-in and the first load take a dozen slowed requests.
const LOAD: Duration = Duration::from_secs(30);
/// Slow enough that every step of the load stays on screen for a few polls.
const LATENCY: Duration = Duration::from_millis(250);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in() {
    common::on_emulator_at_each_size("sign_in", EmulatorConfig::demo(), async |app, emulator| {
        journey(app, emulator, &emulator.base_url()).await
    })
    .await;
}

async fn journey(app: &App, emulator: &Emulator, url: &str) -> Result<()> {
    let c = app.client();
    wait::for_element(c, "#sign-in", APP_START).await.context("the login screen did not appear")?;

    // A wrong password is refused with a message, and nothing else changes.
    action::sign_in(c, url, "tenant@thingsboard.org", "not-the-password").await?;
    wait::until("the wrong password's message", LOAD, async || {
        check::text_contains(c, "#login-error", "Wrong username or password").await
    })
    .await?;

    emulator.faults().set_latency(LATENCY, Duration::ZERO);
    action::fill(c, "#password", "tenant").await?;
    action::click(c, "#sign-in").await?;

    // A fresh server has no cached building: the tree says what it is reading while it loads.
    let step = wait::until("the building's load progress", LOAD, async || {
        let text = find::text(c, "#tree-progress").await?;
        anyhow::ensure!(
            text.starts_with("Listing") || text.starts_with("Reading"),
            "progress reads {text:?}"
        );
        Ok(text)
    })
    .await?;
    eprintln!("sign in: load progress seen: {step}");
    let shot = app.screenshot("sign_in_progress").await?;
    eprintln!("sign in: loading screenshot {}", shot.display());

    wait::until("the building tree", LOAD, async || {
        check::exists(c, r#"#building-tree li.tree-node[data-name="Floor 1"]"#).await
    })
    .await?;
    wait::until("the live connection", LOAD, async || {
        check::attr_eq(c, "#connection-state", "data-state", "connected").await
    })
    .await?;
    anyhow::ensure!(find::one(c, "#tree-progress").await.is_err(), "the progress line is gone once loaded");
    Ok(())
}

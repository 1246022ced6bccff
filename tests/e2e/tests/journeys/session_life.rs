//! A session's life in the real app, against an emulator in this process: a value the device
//! reports shows up with its age; every WebSocket dropped (and refused for a while) brings up
//! the offline banner, which goes by itself when the live data is back; an expired access token
//! changes nothing a person sees; a revoked refresh token leads back to sign-in with the reason.

use std::time::Duration;

use crate::common;

use anyhow::{Context, Result};
use atrium_e2e::{action, check, find, wait, App, APP_START};
use tb_emulator::{Emulator, EmulatorConfig};

const STEP: Duration = Duration::from_secs(30);
/// The live connection retries with backoff and jitter; refused upgrades last 5 s.
const RECOVERY: Duration = Duration::from_secs(60);

const LOBBY: &str = r#"#building-tree li.tree-node[data-name="Lobby"]"#;
const THERMOSTAT: &str = r#"#building-tree li.tree-node[data-name="Lobby Thermostat"]"#;
const LIGHT: &str = r#"#building-tree li.tree-node[data-name="Lobby Light"]"#;
const TEMPERATURE: &str = r#"#device-panel .live-value[data-key="temperature"]"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_values_outlive_dropped_sockets_and_expired_tokens() {
    // No simulation: the only temperatures are the ones this test reports.
    common::on_emulator_at_each_size(
        "session_life",
        EmulatorConfig { simulate: false, ..EmulatorConfig::demo() },
        async |app, emulator| journey(app, emulator, &emulator.base_url()).await,
    )
    .await;
}

async fn journey(app: &App, emulator: &Emulator, url: &str) -> Result<()> {
    let c = app.client();
    let thermostat = emulator.device_id("Lobby Thermostat").context("the demo has a Lobby Thermostat")?;
    wait::for_element(c, "#sign-in", APP_START).await.context("the sign-in form did not appear")?;
    action::sign_in(c, url, "tenant@thingsboard.org", "tenant").await?;
    wait::until("the Lobby", STEP, async || check::exists(c, LOBBY).await).await?;
    action::click_within(c, LOBBY, ".tree-toggle").await?;
    wait::until("the Lobby Thermostat", STEP, async || check::exists(c, THERMOSTAT).await).await?;
    action::click_within(c, THERMOSTAT, ".tree-label").await?;
    wait::until("the thermostat's panel", STEP, async || {
        check::text_contains(c, "#device-panel", "Lobby Thermostat").await
    })
    .await?;
    wait::until("the live connection", STEP, async || {
        check::attr_eq(c, "#connection-state", "data-state", "connected").await
    })
    .await?;

    // A report from the device: its value, and how old it is.
    emulator.publish_telemetry(thermostat, serde_json::json!({ "temperature": 31.7 }));
    shows_temperature(c, "31.7", STEP).await?;
    app.screenshot("live_value").await?;

    // Every socket dropped, and upgrades refused for a while: the banner says so.
    emulator.faults().refuse_websocket_upgrades(Duration::from_secs(5));
    emulator.faults().drop_websockets();
    wait::until("the offline banner", STEP, async || {
        check::text_contains(c, "#offline-text", "Offline").await
    })
    .await?;
    app.screenshot("connection_lost").await?;
    // Nobody touches anything: the app comes back, resubscribed.
    wait::until("the live connection back", RECOVERY, async || {
        check::attr_eq(c, "#connection-state", "data-state", "connected").await?;
        anyhow::ensure!(find::one(c, "#offline-banner").await.is_err(), "the banner is still up");
        Ok(())
    })
    .await?;
    emulator.publish_telemetry(thermostat, serde_json::json!({ "temperature": 32.4 }));
    shows_temperature(c, "32.4", STEP).await.context("no live value after the reconnect")?;

    // The access token expires: refreshed behind the scenes, the next device opens as usual.
    let refreshes = emulator.faults().counters().requests("POST /api/auth/token");
    emulator.faults().expire_access_tokens();
    action::click_within(c, LIGHT, ".tree-label").await?;
    wait::until("the Lobby Light's panel", STEP, async || {
        check::text_contains(c, "#device-panel", "Lobby Light").await
    })
    .await?;
    anyhow::ensure!(find::one(c, "#sign-in").await.is_err(), "an expired access token led to sign-in");
    let refreshed = emulator.faults().counters().requests("POST /api/auth/token") - refreshes;
    anyhow::ensure!(refreshed == 1, "expected one token refresh, the server saw {refreshed}");

    // The refresh token is revoked too: the next request cannot be made, and the person is told.
    emulator.faults().revoke_refresh_tokens();
    emulator.faults().expire_access_tokens();
    action::click_within(c, THERMOSTAT, ".tree-label").await?;
    wait::until("the sign-in screen with the reason", STEP, async || {
        check::exists(c, "#sign-in").await?;
        check::text_contains(c, "#login-error", "Sign in again").await.map(drop)
    })
    .await?;
    app.screenshot("session_ended").await?;
    Ok(())
}

/// The thermostat's temperature row shows `value` and an age ("just now", "3 s ago").
async fn shows_temperature(c: &fantoccini::Client, value: &str, within: Duration) -> Result<()> {
    wait::until(&format!("the temperature {value} with its age"), within, async || {
        check::text_contains(c, &format!("{TEMPERATURE} .value"), value).await?;
        let age = find::text(c, &format!("{TEMPERATURE} .age")).await?;
        anyhow::ensure!(age == "just now" || age.ends_with(" ago"), "the age reads {age:?}");
        Ok(())
    })
    .await
}

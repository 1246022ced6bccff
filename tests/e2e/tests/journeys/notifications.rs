//! OS notifications of new alarms through the real app: a new major alarm raises exactly one
//! notification naming it and its place; the same alarm getting worse raises none; once it has
//! cleared, the next one is new and raises another; a device dropping off raises a critical one.
//!
//! What the app asks the desktop to show is read off the session bus: a `dbus-monitor` sees every
//! `org.freedesktop.Notifications.Notify` call (no notification daemon runs under Xvfb; the call
//! is what the app controls). Needs the D-Bus session `cargo xtask test` runs the suite in.

use crate::common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use atrium_e2e::{action, check, wait, App, APP_START};
use tb_emulator::{Emulator, EmulatorConfig};

const STEP: Duration = Duration::from_secs(30);
const ALARM: &str = r#"#alarm-list li.alarm-row[data-severity="MAJOR"]"#;

/// `dbus-monitor` on the session bus, writing the `Notify` calls it sees to a file.
struct NotifyMonitor {
    child: Child,
    log: PathBuf,
}

impl NotifyMonitor {
    async fn start(name: &str) -> Result<Self> {
        let log = atrium_e2e::screenshots_dir()?.join(format!("{name}.notify.log"));
        let file = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let child = Command::new("dbus-monitor")
            .args([
                "--session",
                "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
            ])
            .stdout(file)
            .stderr(Stdio::null())
            .spawn()
            .context("starting dbus-monitor (Debian package dbus-bin) in the D-Bus session")?;
        let monitor = Self { child, log };
        // Attached once the bus has told it its name.
        wait::until("dbus-monitor attached to the session bus", STEP, async || {
            anyhow::ensure!(monitor.text()?.contains("NameAcquired"), "not yet");
            Ok(())
        })
        .await?;
        Ok(monitor)
    }

    fn text(&self) -> Result<String> {
        std::fs::read_to_string(&self.log).with_context(|| format!("reading {}", self.log.display()))
    }

    /// The summary (title) of every `Notify` call so far: its fourth argument.
    fn titles(&self) -> Result<Vec<String>> {
        let text = self.text()?;
        Ok(text
            .split("method call ")
            .filter(|call| call.contains("member=Notify"))
            .filter_map(|call| {
                let strings: Vec<&str> =
                    call.lines().filter_map(|l| l.trim().strip_prefix("string \"")).collect();
                strings.get(2).map(|s| s.trim_end_matches('"').to_owned())
            })
            .collect())
    }
}

impl Drop for NotifyMonitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_alarm_notifies_once() {
    // No simulation: the only alarms raised are this test's.
    common::on_emulator_at_each_size(
        "notifications",
        EmulatorConfig { simulate: false, ..EmulatorConfig::demo() },
        async |app, emulator| journey(app, emulator).await,
    )
    .await;
}

async fn notified(monitor: &NotifyMonitor, count: usize) -> Result<Vec<String>> {
    wait::until(&format!("{count} notification(s)"), STEP, async || {
        let titles = monitor.titles()?;
        anyhow::ensure!(titles.len() >= count, "notified so far: {titles:?}");
        Ok(titles)
    })
    .await
}

async fn journey(app: &App, emulator: &Emulator) -> Result<()> {
    let c = app.client();
    let sensor = emulator.device_id("Lobby Air Quality").context("the demo has a Lobby Air Quality")?;
    let monitor = NotifyMonitor::start(&format!("notifications_{}", app.size().width)).await?;
    wait::for_element(c, "#sign-in", APP_START).await.context("the sign-in form did not appear")?;
    action::sign_in(c, &emulator.base_url(), "tenant@thingsboard.org", "tenant").await?;
    wait::until("the building", STEP, async || check::exists(c, "#building-tree li.tree-node").await).await?;
    // The demo's offline devices have critical alarms already: they existed at sign-in, so none
    // of them is announced. Their list is read before anything new is raised: the badges show it.
    wait::until("the alarm badges", STEP, async || check::exists(c, "#building-tree .alarm-badge").await)
        .await?;

    emulator.publish_telemetry(sensor, serde_json::json!({ "co2": 1450 }));
    let titles = notified(&monitor, 1).await?;
    anyhow::ensure!(titles == ["Major: High CO2"], "the new alarm, once: {titles:?}");
    anyhow::ensure!(
        monitor.text()?.contains("Lobby Air Quality · Lobby"),
        "the body names the device and its room"
    );

    // The alarms view shows what the app has received, so the checks below follow it.
    action::click(c, "#alarms-button").await?;
    let first = wait::until("the alarm in the alarms view", STEP, async || {
        check::text_contains(c, &format!("{ALARM} .alarm-type"), "High CO2").await?;
        check::attr_present(c, ALARM, "data-id").await
    })
    .await?;

    // Worse, but the same alarm: no new notification.
    emulator.publish_telemetry(sensor, serde_json::json!({ "co2": 1900 }));
    wait::until("the alarm updated", STEP, async || {
        check::text_contains(c, &format!("{ALARM} .alarm-details"), "1900").await.map(drop)
    })
    .await?;
    // Cleared, then raised again: a new alarm, a new notification.
    emulator.publish_telemetry(sensor, serde_json::json!({ "co2": 600 }));
    emulator.publish_telemetry(sensor, serde_json::json!({ "co2": 1500 }));
    wait::until("the new alarm in the alarms view", STEP, async || {
        let id = check::attr_present(c, ALARM, "data-id").await?;
        anyhow::ensure!(id != first, "still the first alarm");
        Ok(())
    })
    .await?;
    let titles = notified(&monitor, 2).await?;
    anyhow::ensure!(
        titles == ["Major: High CO2", "Major: High CO2"],
        "one per alarm, not per update: {titles:?}"
    );

    // A device dropping off raises a critical alarm: announced too.
    let light = emulator.device_id("Lobby Light").context("the demo has a Lobby Light")?;
    anyhow::ensure!(emulator.faults().set_device_online(light, false), "the Lobby Light goes offline");
    let titles = notified(&monitor, 3).await?;
    anyhow::ensure!(titles.last().is_some_and(|t| t == "Critical: Device Offline"), "{titles:?}");
    Ok(())
}

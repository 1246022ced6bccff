//! Cold start of the real app to the painted cached building, beside the cold start to the first
//! building painted from the network (no cache): the median of a few starts each.
//!
//! Needs a release app binary (`--app`, built by `cargo xtask bench`), an X display and a secret
//! store, as `cargo xtask bench` provides (Xvfb, a D-Bus session with gnome-keyring). The app
//! reports its paints through `ATRIUM_STARTUP_PROBE`; a start is timed from the spawn of its
//! process to the line for the paint.

use crate::report::Report;
use atrium_core::accounts::SettingsStore;
use atrium_core::secrets::OsSecretStore;
use atrium_core::{Core, NoUiEvents};
use atrium_ipc::LoginArgs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tb_emulator::{Emulator, EmulatorConfig};

/// The app's identifier: where it files its data, cache and secret store entries.
const IDENTIFIER: &str = "io.atrium.client";
const STARTS: usize = 5;
/// A start that has painted nothing by then has failed.
const START_DEADLINE: Duration = Duration::from_secs(60);

/// The settings file as `tauri-plugin-store` keeps it: `{"accounts": <document>}`.
struct StoreFile(PathBuf);

impl SettingsStore for StoreFile {
    fn load(&self) -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(&self.0).ok()?;
        serde_json::from_str::<serde_json::Value>(&text).ok()?.get("accounts").cloned()
    }

    fn save(&self, document: serde_json::Value) -> Result<(), String> {
        if let Some(dir) = self.0.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(&self.0, serde_json::json!({ "accounts": document }).to_string())
            .map_err(|e| e.to_string())
    }
}

struct Home(PathBuf);

impl Home {
    fn data(&self) -> PathBuf {
        self.0.join("data")
    }
    fn cache(&self) -> PathBuf {
        self.0.join("cache")
    }
    fn buildings(&self) -> PathBuf {
        self.cache().join(IDENTIFIER).join("buildings")
    }
}

fn epoch_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Signs in once through the core, as the app would, so that the next start finds a saved
/// account, a kept session and (with `cache`) the cached building.
async fn prepare(home: &Home, emu: &Emulator) -> anyhow::Result<()> {
    let core = Core::builder(Arc::new(NoUiEvents))
        .settings(Arc::new(StoreFile(home.data().join(IDENTIFIER).join("settings.json"))))
        .secrets(Arc::new(OsSecretStore::new(IDENTIFIER)))
        .cache_dir(home.buildings())
        .build();
    let status = core.secret_store_status().await;
    anyhow::ensure!(
        !matches!(status, atrium_ipc::SecretStoreStatus::Unavailable { .. }),
        "no secret store for the kept session ({status:?}): run through `cargo xtask bench`"
    );
    core.login(LoginArgs::new(emu.base_url(), "tenant@thingsboard.org", "tenant")).await?;
    core.load_tree(|_| {}).await?;
    core.switch_account().await;
    // The next start reopens it by itself.
    let settings = StoreFile(home.data().join(IDENTIFIER).join("settings.json"));
    let mut document = settings.load().unwrap_or_default();
    document["lastAccount"] = serde_json::Value::String(atrium_core::accounts::account_id(
        &emu.base_url(),
        "tenant@thingsboard.org",
    ));
    settings.save(document).map_err(anyhow::Error::msg)?;
    Ok(())
}

/// One start of the app: ms from spawn to each paint it reported.
fn start_once(app: &Path, home: &Home, want: &str) -> anyhow::Result<Vec<(String, f64)>> {
    let probe = home.0.join("probe.jsonl");
    let _ = std::fs::remove_file(&probe);
    let log_path = home.0.join("app.log");
    let log = std::fs::File::create(&log_path)?;
    let spawned = epoch_ms();
    let started = Instant::now();
    let mut child = std::process::Command::new(app)
        .env("XDG_DATA_HOME", home.data())
        .env("XDG_CACHE_HOME", home.cache())
        .env("XDG_CONFIG_HOME", home.0.join("config"))
        .env("ATRIUM_STARTUP_PROBE", &probe)
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()?;
    let marks = loop {
        let marks: Vec<(String, f64)> = std::fs::read_to_string(&probe)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter_map(|v| Some((v["what"].as_str()?.to_owned(), v["epochMs"].as_f64()? - spawned)))
            .collect();
        if marks.iter().any(|(what, _)| what == want) {
            break marks;
        }
        if started.elapsed() > START_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(12).collect::<Vec<_>>().into_iter().rev().collect();
            anyhow::bail!(
                "the app painted no {want} within {START_DEADLINE:?} (saw {marks:?}); the end of its log:\n{}",
                tail.join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let _ = child.kill();
    let _ = child.wait();
    Ok(marks)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

pub(crate) async fn run(report: &mut Report, app: Option<&Path>) -> anyhow::Result<()> {
    let Some(app) = app else {
        println!("startup: skipped (pass --app <release binary>; `cargo xtask bench` does)");
        return Ok(());
    };
    let dir = std::env::temp_dir().join(format!("atrium-bench-startup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let home = Home(dir.clone());
    let emu =
        Emulator::start(EmulatorConfig { signing_key: Some([3; 64]), ..EmulatorConfig::demo() }).await?;
    prepare(&home, &emu).await?;

    // A nearby server (as in the tree-load benchmark) and one over a slow mobile network.
    for latency_ms in [20, 200] {
        emu.faults().set_latency(Duration::from_millis(latency_ms), Duration::ZERO);
        let app = app.to_owned();
        let starts = Home(dir.clone());
        let (cached, from_network) =
            tokio::task::spawn_blocking(move || -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
                let first = |what: &str, marks: Vec<(String, f64)>| {
                    marks.into_iter().find(|(w, _)| w == what).map(|(_, ms)| ms)
                };
                let mut cached = Vec::new();
                let mut from_network = Vec::new();
                // The fresh load of each start rewrites the cache for the next one.
                for _ in 0..STARTS {
                    cached.extend(first("cached_building", start_once(&app, &starts, "cached_building")?));
                }
                for _ in 0..STARTS {
                    let _ = std::fs::remove_dir_all(starts.buildings());
                    from_network.extend(first("building", start_once(&app, &starts, "building")?));
                }
                Ok((cached, from_network))
            })
            .await??;
        report.add(
            "startup",
            &format!("{latency_ms} ms/request, median of {STARTS}"),
            "to painted building",
            "ms",
            median(cached),
            Some(("no cache: from the network", median(from_network))),
            Some("< 1500 ms"),
        );
    }
    emu.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

//! Watching a device feeds the offline cache: the values the panel showed are remembered, and
//! written to disk when the panel closes, so the next start has them.

use atrium_core::{Core, NoUiEvents};
use atrium_ipc::LoginArgs;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tb_emulator::{Emulator, EmulatorConfig};
use tokio::sync::mpsc;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir() -> TempDir {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("atrium-core-values-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// The saved cache files (not a write in progress, whose temporary file is renamed when complete).
fn cache_text(dir: &TempDir) -> String {
    std::fs::read_dir(&dir.0)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

#[tokio::test]
async fn watched_values_are_remembered_and_saved_when_the_watch_ends() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let dir = temp_dir();
    let core = Core::with_cache_dir(Arc::new(NoUiEvents), &dir.0);
    let login = LoginArgs::new(emu.base_url(), "tenant@thingsboard.org", "tenant");
    core.login(login.clone()).await.unwrap();
    core.load_tree(|_| {}).await.unwrap();
    assert!(!cache_text(&dir).contains(r#""key":"temperature""#), "no values before any watch");

    let thermostat = emu.device_id("Lobby Thermostat").unwrap().to_string();
    let (tx, mut batches) = mpsc::unbounded_channel();
    let watch = core
        .watch_device(&thermostat, move |batch| {
            let _ = tx.send(batch);
        })
        .unwrap();
    timeout(WAIT, async {
        loop {
            let batch = batches.recv().await.expect("watching");
            if batch.values.iter().any(|v| v.key == "temperature") {
                return;
            }
        }
    })
    .await
    .expect("the thermostat's temperature in time");
    assert!(core.cached_values(&thermostat).iter().any(|v| v.key == "temperature"), "remembered");

    core.unwatch(watch);
    timeout(WAIT, async {
        while !cache_text(&dir).contains(r#""key":"temperature""#) {
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the values written to the cache after the watch ended");

    // The next start shows them.
    let reopened = Core::with_cache_dir(Arc::new(NoUiEvents), &dir.0);
    reopened.login(login).await.unwrap();
    assert!(reopened.cached_tree().await.is_some());
    assert!(reopened.cached_values(&thermostat).iter().any(|v| v.key == "temperature"));
}

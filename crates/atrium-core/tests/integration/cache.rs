//! The cached building through `Core`: shown at once after login, refreshed by `load_tree`,
//! kept apart per user, searched, and deleted at logout.

use atrium_core::{Core, NoUiEvents};
use atrium_ipc::{CachedTree, LiveValue, LoginArgs, NodeKind, TelemetryBatch, TelemetryValue};
use std::path::PathBuf;
use std::sync::Arc;
use tb_emulator::{Emulator, EmulatorConfig};

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("atrium-core-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn files(&self) -> usize {
        std::fs::read_dir(&self.0).unwrap().count()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn login(core: &Core, emu: &Emulator, user: &str, password: &str) {
    core.login(LoginArgs::new(emu.base_url(), user, password)).await.unwrap();
}

#[tokio::test]
async fn the_cached_building_is_shown_at_once_searched_and_deleted_at_logout() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let dir = TempDir::new("cache");

    let core = Core::with_cache_dir(Arc::new(NoUiEvents), &dir.0);
    assert!(core.cached_tree().await.is_none(), "no session, no cache");
    login(&core, &emu, "customer@thingsboard.org", "customer").await;
    assert!(core.cached_tree().await.is_none(), "nothing cached yet");
    let tree = core.load_tree(|_| {}).await.unwrap();
    assert_eq!(dir.files(), 1);
    assert!(core.tree_warnings().is_empty(), "{:?}", core.tree_warnings());
    core.remember_values(&TelemetryBatch {
        device_id: "lobby-light".into(),
        snapshot: true,
        values: vec![LiveValue { key: "state".into(), ts: 7, value: TelemetryValue::Bool(true) }],
    });
    core.save_cache().await;

    // Search works across the whole building, by name, label or type.
    let hits = core.search("lobby li").await;
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].path, ["Atrium Campus", "HQ", "Floor 1", "Lobby"]);
    assert_eq!(hits[0].kind, NodeKind::Device);
    assert_eq!(core.search("PARTITION").await.len(), 2, "a device in two rooms is found in both");
    assert!(core.search("thermostat").await.len() > 10, "by type");

    // A fresh start (the app reopened): the cached building is there before any request.
    let reopened = Core::with_cache_dir(Arc::new(NoUiEvents), &dir.0);
    login(&reopened, &emu, "customer@thingsboard.org", "customer").await;
    emu.faults().reset_counters();
    let CachedTree { nodes: cached, age_ms, .. } = reopened.cached_tree().await.expect("cached");
    assert_eq!(cached, tree);
    assert!(age_ms < 60_000, "{age_ms}");
    assert_eq!(reopened.search("lobby li").await.len(), 1, "search works from the cache");
    assert_eq!(reopened.cached_values("lobby-light")[0].value, TelemetryValue::Bool(true));
    assert_eq!(
        emu.faults().counters().requests_by_route.values().sum::<u64>(),
        0,
        "no request for any of it"
    );

    // Another user of the same server has a cache of their own.
    let other = Core::with_cache_dir(Arc::new(NoUiEvents), &dir.0);
    login(&other, &emu, "customerb@thingsboard.org", "customer").await;
    assert!(other.cached_tree().await.is_none());
    assert!(other.search("lobby").await.is_empty(), "nothing of another user's building");
    other.load_tree(|_| {}).await.unwrap();
    assert_eq!(dir.files(), 2);

    // Logging out deletes that user's cache only.
    reopened.logout().await;
    assert_eq!(dir.files(), 1);
    login(&reopened, &emu, "customer@thingsboard.org", "customer").await;
    assert!(reopened.cached_tree().await.is_none());
    assert!(reopened.search("lobby").await.is_empty());
    assert!(other.cached_tree().await.is_some());
    core.logout().await;
    other.logout().await;
    reopened.logout().await;
    emu.shutdown().await;
}

#[tokio::test]
async fn without_a_cache_directory_nothing_is_written_and_search_uses_the_last_tree() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let core = Core::new(Arc::new(NoUiEvents));
    login(&core, &emu, "tenant@thingsboard.org", "tenant").await;
    assert!(core.cached_tree().await.is_none());
    assert!(core.search("chiller").await.is_empty(), "no tree yet");
    core.load_tree(|_| {}).await.unwrap();
    let hits = core.search("chiller").await;
    assert_eq!(
        hits.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
        ["Chiller Plant", "Chiller Power Meter"]
    );
    assert_eq!(hits[1].kind, NodeKind::Device);
    let tree = core.cached_tree().await.expect("the last tree, in memory").nodes;
    assert_eq!(tree.len(), 1);
    core.logout().await;
    emu.shutdown().await;
}

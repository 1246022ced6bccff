use super::*;
use atrium_ipc::{NodeKind, TelemetryValue};

/// A fresh directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "atrium-{tag}-{}-{nanos}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn tree() -> Vec<TreeNode> {
    let leaf = TreeNode {
        id: "00000000-0000-0000-0000-000000000002".into(),
        entity_type: "DEVICE".into(),
        name: "Lobby Light".into(),
        label: Some("Entrance light".into()),
        kind: NodeKind::Device,
        type_name: "light".into(),
        children: vec![],
        link: false,
    };
    vec![TreeNode {
        id: "00000000-0000-0000-0000-000000000001".into(),
        entity_type: "ASSET".into(),
        name: "HQ".into(),
        label: None,
        kind: NodeKind::Building,
        type_name: "building".into(),
        children: vec![leaf],
        link: false,
    }]
}

const SERVER: &str = "https://tb.example.com";

#[test]
fn round_trip_with_values() {
    let dir = TempDir::new("cache-rt");
    let cache = TreeCache::new(&dir.0);
    let mut building = CachedBuilding::new(SERVER, "Ada@Example.com", 1_000, tree());
    building.merge_values(&TelemetryBatch {
        device_id: "d1".into(),
        snapshot: true,
        values: vec![LiveValue { key: "temperature".into(), ts: 50, value: TelemetryValue::Number(21.5) }],
    });
    // An older value never replaces a newer one.
    building.merge_values(&TelemetryBatch {
        device_id: "d1".into(),
        snapshot: false,
        values: vec![LiveValue { key: "temperature".into(), ts: 40, value: TelemetryValue::Number(19.0) }],
    });
    cache.save(&building).unwrap();
    let loaded = cache.load(SERVER, "ada@example.com").expect("the user's e-mail is case-insensitive");
    assert_eq!(loaded, building);
    assert_eq!(loaded.values["d1"]["temperature"].ts, 50);
    assert_eq!(loaded.age_ms(1_500), 500);
    assert_eq!(loaded.age_ms(0), 0, "a clock set back counts as fresh");
    // Saving again replaces the file and leaves no temporary files behind.
    cache.save(&CachedBuilding::new(SERVER, "ada@example.com", 2_000, vec![])).unwrap();
    assert_eq!(cache.load(SERVER, "ada@example.com").unwrap().saved_at_ms, 2_000);
    let files: Vec<_> = fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
}

#[test]
fn users_and_servers_are_kept_apart() {
    let dir = TempDir::new("cache-users");
    let cache = TreeCache::new(&dir.0);
    cache.save(&CachedBuilding::new(SERVER, "ada@example.com", 1, tree())).unwrap();
    cache.save(&CachedBuilding::new(SERVER, "bo@example.com", 2, vec![])).unwrap();
    assert_eq!(cache.load(SERVER, "ada@example.com").unwrap().saved_at_ms, 1);
    assert_eq!(cache.load(SERVER, "bo@example.com").unwrap().saved_at_ms, 2);
    assert!(cache.load("https://other.example.com", "ada@example.com").is_none());
    cache.remove(SERVER, "ada@example.com").unwrap();
    assert!(cache.load(SERVER, "ada@example.com").is_none());
    assert!(cache.load(SERVER, "bo@example.com").is_some(), "logout deletes only that user's cache");
    cache.remove(SERVER, "ada@example.com").unwrap();
}

#[test]
fn a_corrupt_or_old_file_is_ignored_and_removed() {
    let dir = TempDir::new("cache-bad");
    let cache = TreeCache::new(&dir.0);
    let path = cache.path_for(SERVER, "ada@example.com");
    let old = serde_json::json!({"format": 0, "tree": "whatever the old app wrote"});
    for bad in [
        b"{\"format\": 1, \"tree\": [tru".to_vec(),
        b"\x00\xff garbage".to_vec(),
        old.to_string().into_bytes(),
    ] {
        fs::write(&path, &bad).unwrap();
        assert!(cache.load(SERVER, "ada@example.com").is_none());
        assert!(!path.exists(), "a bad cache file is removed");
    }
    // The right format with a broken body is just as harmless.
    fs::write(&path, r#"{"format": 1, "serverUrl": 3}"#).unwrap();
    assert!(cache.load(SERVER, "ada@example.com").is_none());
    assert!(!path.exists());
}

#[test]
fn a_missing_directory_is_created_and_an_absent_file_is_none() {
    let dir = TempDir::new("cache-new");
    let cache = TreeCache::new(dir.0.join("nested/app"));
    assert!(cache.load(SERVER, "ada@example.com").is_none());
    cache.save(&CachedBuilding::new(SERVER, "ada@example.com", 1, tree())).unwrap();
    assert!(cache.load(SERVER, "ada@example.com").is_some());
}

#[cfg(unix)]
#[test]
fn files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("cache-mode");
    let cache = TreeCache::new(&dir.0);
    cache.save(&CachedBuilding::new(SERVER, "ada@example.com", 1, tree())).unwrap();
    let mode = fs::metadata(cache.path_for(SERVER, "ada@example.com")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// A device (or a server) sending ever new keys grew the cache, on disk too, without end.
#[test]
fn a_device_keeps_at_most_so_many_keys_and_a_huge_file_is_not_read() {
    let mut building = CachedBuilding::new(SERVER, "ada@example.com", 1, tree());
    for round in 0..3 {
        let values = (0..200)
            .map(|k| LiveValue { key: format!("k{round}-{k}"), ts: 1, value: TelemetryValue::Number(1.0) })
            .collect();
        building.merge_values(&TelemetryBatch { device_id: "d1".into(), snapshot: false, values });
    }
    assert_eq!(building.values["d1"].len(), MAX_KEYS_PER_DEVICE);
    let newer = LiveValue { key: "k0-0".into(), ts: 2, value: TelemetryValue::Number(9.0) };
    building.merge_values(&TelemetryBatch {
        device_id: "d1".into(),
        snapshot: false,
        values: vec![newer.clone()],
    });
    assert_eq!(building.values["d1"]["k0-0"], newer, "a held key still updates");

    let dir = TempDir::new("cache-huge");
    let cache = TreeCache::new(&dir.0);
    let path = cache.path_for(SERVER, "ada@example.com");
    let file = fs::File::create(&path).unwrap();
    file.set_len(MAX_CACHE_BYTES + 1).unwrap();
    assert!(cache.load(SERVER, "ada@example.com").is_none());
    assert!(!path.exists(), "discarded");
}

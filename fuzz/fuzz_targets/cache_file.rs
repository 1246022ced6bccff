//! The cache file: whatever bytes are in a building cache file (a crash mid-write on a platform
//! without atomic rename, another version, a disk error) are refused or read as a building that
//! saves and loads again, and that every reader of the tree walks without panicking.
//! Input: the file's bytes.

#![no_main]

use atrium_core::cache::{CachedBuilding, CACHE_FORMAT};
use atrium_core::fuzzing::{around, cache_file, devices_below, find_node, place_of, places};
use atrium_ipc::{walk_tree, LiveValue, TelemetryBatch, TelemetryValue, Walk};
use libfuzzer_sys::fuzz_target;

fn exercise_tree(building: &CachedBuilding) {
    let tree = &building.tree;
    let mut ids = Vec::new();
    walk_tree(tree, |node, _| {
        ids.push(node.id.as_str());
        Walk::Continue
    });
    let where_ = places(tree);
    let around = around(tree);
    for id in ids.iter().take(64) {
        assert!(where_.contains_key(*id));
        let ids_around = around(id);
        assert!(!ids_around.iter().any(|a| a == id), "{id} is not around itself");
        let _ = place_of(tree, id);
        if let Some(node) = find_node(tree, id) {
            assert!(!node.link && node.id == *id);
        }
    }
    let below = devices_below(tree);
    for root in tree.iter().take(8) {
        let _ = below(root);
    }
    let _ = atrium_core::search(tree, ids.first().copied().unwrap_or("a"), 50);
}

fuzz_target!(|data: &[u8]| {
    let Ok(building) = cache_file(data) else { return };
    assert_eq!(building.format, CACHE_FORMAT);
    exercise_tree(&building);
    let _ = building.age_ms(i64::MIN);
    let _ = building.age_ms(i64::MAX);

    // What is saved loads again, the same.
    let saved = serde_json::to_vec(&building).expect("a building serializes");
    let again = cache_file(&saved).expect("a saved building loads");
    assert_eq!(again.tree, building.tree);
    assert_eq!(
        again.values.iter().map(|(d, v)| (d, v.keys().collect::<Vec<_>>())).collect::<Vec<_>>(),
        building.values.iter().map(|(d, v)| (d, v.keys().collect::<Vec<_>>())).collect::<Vec<_>>()
    );

    // The values it holds keep their bound as new keys come in.
    let mut kept = CachedBuilding::new(&building.server_url, &building.user, 0, building.tree.clone());
    kept.keep_values_of(building.clone());
    assert!(kept.values.keys().all(|d| building.values.contains_key(d)));
    if let Some(device) = building.values.keys().next() {
        let held = building.values[device].len();
        let mut merged = building.clone();
        let values = (0..300)
            .map(|n| LiveValue { key: format!("k{n}"), ts: n, value: TelemetryValue::Number(n as f64) })
            .collect();
        merged.merge_values(&TelemetryBatch { device_id: device.clone(), snapshot: false, values });
        let limit = atrium_core::cache::MAX_KEYS_PER_DEVICE.max(held);
        assert!(merged.values[device].len() <= limit);
    }
});

//! The hierarchy loader against the emulator's demo building: round trips, the fallback, customers.

use std::collections::HashSet;
use tb_client::hierarchy::{Hierarchy, LoadMode, LoadOptions, LoadProgress};
use tb_client::proto::{EntityId, EntityType};
use tb_client::{Client, Secret};
use tb_emulator::{Emulator, EmulatorConfig};

async fn login(emu: &Emulator, user: &str, password: &str) -> Client {
    let client = Client::builder(emu.base_url()).build().unwrap();
    client.login(user, &Secret::new(password)).await.unwrap();
    emu.faults().reset_counters();
    client
}

fn asset(emu: &Emulator, name: &str) -> EntityId {
    EntityId::new(EntityType::Asset, emu.asset_id(name).unwrap_or_else(|| panic!("no asset {name}")))
}

fn device(emu: &Emulator, name: &str) -> EntityId {
    EntityId::new(EntityType::Device, emu.device_id(name).unwrap_or_else(|| panic!("no device {name}")))
}

fn names(h: &Hierarchy, ids: &[EntityId]) -> Vec<String> {
    ids.iter().map(|id| h.nodes[id].name.clone()).collect()
}

fn children(h: &Hierarchy, id: EntityId) -> Vec<String> {
    names(h, h.children.get(&id).map_or(&[], Vec::as_slice))
}

#[tokio::test]
async fn the_fast_path_takes_one_relation_query_and_one_detail_query() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = login(&emu, "tenant@thingsboard.org", "tenant").await;
    let mut steps = Vec::new();
    let h = client.load_hierarchy(|p| steps.push(p)).await.unwrap();

    assert_eq!(h.mode, LoadMode::Queries);
    assert_eq!(names(&h, &h.roots), ["Atrium Campus"]);
    let hq = children(&h, asset(&emu, "HQ"));
    assert_eq!(hq, ["Chiller Plant", "Floor 1", "Floor 2", "Floor 3", "Server Room"]);
    let partition = device(&emu, "Partition Occupancy");
    let parents = h.children.values().filter(|c| c.contains(&partition)).count();
    assert_eq!(parents, 2, "a device in two rooms stays in both");
    assert_eq!(h.nodes[&partition].type_name, "occupancy");
    assert_eq!(h.nodes[&device(&emu, "Lobby Light")].label.as_deref(), Some("Lobby Light"));
    assert_eq!(h.nodes[&asset(&emu, "Chiller Plant")].type_name, "plant-room-equipment");
    assert!(steps.iter().any(|p| matches!(p, LoadProgress::Details { known, total } if known == total)));

    let c = emu.faults().counters();
    assert_eq!(c.requests("POST /api/relations/info"), 1, "{c:?}");
    assert_eq!(c.requests("POST /api/entitiesQuery/find"), 1, "{c:?}");
    assert_eq!(c.requests("GET /api/tenant/devices"), 0, "devices are not listed: {c:?}");
    assert_eq!(c.requests("GET /api/relations/info"), 0, "{c:?}");
    let total: u64 = c.requests_by_route.values().sum();
    assert_eq!(total, 4, "assets + device count + relation query + details: {c:?}");
    assert_eq!(h.requests, 4);
    emu.shutdown().await;
}

#[tokio::test]
async fn the_fallback_gives_the_same_tree_level_by_level() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = login(&emu, "tenant@thingsboard.org", "tenant").await;
    let fast = client.load_hierarchy(|_| {}).await.unwrap();
    emu.faults().reset_counters();
    let mut levels = Vec::new();
    let options = LoadOptions { prefer_queries: false, ..LoadOptions::default() };
    let slow = client
        .load_hierarchy_with(&options, |p| {
            if let LoadProgress::Level { level, .. } = p {
                levels.push(level);
            }
        })
        .await
        .unwrap();
    assert_eq!(slow.mode, LoadMode::LevelByLevel);
    assert_eq!((&slow.roots, &slow.children), (&fast.roots, &fast.children));
    assert_eq!(slow.nodes, fast.nodes);
    assert_eq!(levels, [0, 1, 2, 3], "site, building, floors, rooms (devices are leaves)");

    let c = emu.faults().counters();
    let assets = fast.nodes.keys().filter(|id| id.entity_type == EntityType::Asset).count() as u64;
    assert_eq!(c.requests("GET /api/relations/info"), assets, "each asset expanded once: {c:?}");
    assert_eq!(c.requests("POST /api/relations/info") + c.requests("POST /api/entitiesQuery/find"), 0);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_customer_sees_its_building_and_nothing_of_the_others() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = login(&emu, "customer@thingsboard.org", "customer").await;
    let h = client.load_hierarchy(|_| {}).await.unwrap();
    assert_eq!(names(&h, &h.roots), ["Atrium Campus"]);
    let hq = children(&h, asset(&emu, "HQ"));
    assert_eq!(
        hq,
        ["Floor 1", "Floor 2", "Server Room"],
        "Floor 3 is Customer B's, the chiller the tenant's"
    );
    assert!(!h.nodes.contains_key(&device(&emu, "Chiller Power Meter")));
    assert!(h.nodes.values().all(|n| !n.type_name.is_empty()), "every node described");
    let c = emu.faults().counters();
    assert_eq!(c.requests("GET /api/tenant/assets"), 0);
    assert_eq!(c.requests_by_route.values().sum::<u64>(), 4, "{c:?}");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_disconnected_customer_tree_keeps_its_orphans_as_roots() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    // Customer B rents the top floor only: the site and the building above it are not readable.
    let client = login(&emu, "customerb@thingsboard.org", "customer").await;
    for prefer_queries in [true, false] {
        let options = LoadOptions { prefer_queries, ..LoadOptions::default() };
        let h = client.load_hierarchy_with(&options, |_| {}).await.unwrap();
        assert_eq!(names(&h, &h.roots), ["Floor 3"], "prefer_queries={prefer_queries}");
        let rooms = children(&h, asset(&emu, "Floor 3"));
        assert_eq!(rooms.len(), 10, "{rooms:?}");
        let unique: HashSet<&EntityId> = h.nodes.keys().collect();
        assert_eq!(unique.len(), h.nodes.len());
        assert!(!h.nodes.contains_key(&asset(&emu, "HQ")));
    }
    emu.shutdown().await;
}

//! Messy buildings against an in-memory source that counts every call.

use super::*;
use std::sync::Mutex;

fn asset(n: u128) -> EntityId {
    EntityId::new(EntityType::Asset, Uuid::from_u128(n))
}

fn device(n: u128) -> EntityId {
    EntityId::new(EntityType::Device, Uuid::from_u128(n))
}

#[derive(Debug, Default)]
struct Calls {
    assets: usize,
    count: usize,
    devices: usize,
    subtree: usize,
    details: usize,
    children: HashMap<EntityId, usize>,
}

/// A server in memory. Edges with an unreadable end are dropped, as ThingsBoard drops them.
#[derive(Debug, Default)]
struct Fake {
    entities: HashMap<EntityId, EntitySummary>,
    edges: Vec<(EntityId, EntityId)>,
    unreadable: HashSet<EntityId>,
    refuse_subtree: bool,
    refuse_details: bool,
    calls: Mutex<Calls>,
}

fn forbidden() -> Error {
    Error::Api { status: 403, error_code: Some(20), message: "You don't have permission".into() }
}

impl Fake {
    fn add(&mut self, id: EntityId, name: &str, type_name: &str) -> EntityId {
        let summary = EntitySummary { id, name: name.into(), type_name: type_name.into(), label: None };
        self.entities.insert(id, summary);
        id
    }

    fn link(&mut self, from: EntityId, to: EntityId) {
        self.edges.push((from, to));
    }

    fn readable(&self, id: &EntityId) -> bool {
        self.entities.contains_key(id) && !self.unreadable.contains(id)
    }

    fn out_of(&self, node: EntityId) -> Vec<Edge> {
        self.edges
            .iter()
            .filter(|(from, to)| *from == node && self.readable(from) && self.readable(to))
            .map(|(from, to)| Edge { from: *from, to: *to, to_name: Some(self.entities[to].name.clone()) })
            .collect()
    }

    fn listed(&self, entity_type: EntityType) -> Vec<EntitySummary> {
        let mut out: Vec<EntitySummary> = self
            .entities
            .values()
            .filter(|e| e.id.entity_type == entity_type && self.readable(&e.id))
            .cloned()
            .collect();
        out.sort_by_key(|e| e.id);
        out
    }

    fn calls(&self) -> std::sync::MutexGuard<'_, Calls> {
        self.calls.lock().unwrap()
    }
}

impl Source for Fake {
    async fn assets(&self) -> Result<Vec<EntitySummary>, Error> {
        self.calls().assets += 1;
        Ok(self.listed(EntityType::Asset))
    }

    async fn device_count(&self) -> Result<u64, Error> {
        self.calls().count += 1;
        Ok(self.listed(EntityType::Device).len() as u64)
    }

    async fn devices(&self) -> Result<Vec<EntitySummary>, Error> {
        self.calls().devices += 1;
        Ok(self.listed(EntityType::Device))
    }

    async fn subtree(&self, root: EntityId) -> Result<Vec<Edge>, Error> {
        self.calls().subtree += 1;
        if self.refuse_subtree {
            return Err(forbidden());
        }
        // Breadth first, every child expanded once, like `BaseRelationService.findByQuery`.
        let mut seen = HashSet::from([root]);
        let mut queue = std::collections::VecDeque::from([root]);
        let mut out = Vec::new();
        while let Some(node) = queue.pop_front() {
            for e in self.out_of(node) {
                if seen.insert(e.to) {
                    queue.push_back(e.to);
                }
                out.push(e);
            }
        }
        Ok(out)
    }

    async fn children(&self, node: EntityId) -> Result<Vec<Edge>, Error> {
        *self.calls().children.entry(node).or_default() += 1;
        Ok(self.out_of(node))
    }

    async fn details(&self, entity_type: EntityType, ids: &[Uuid]) -> Result<Vec<EntitySummary>, Error> {
        self.calls().details += 1;
        if self.refuse_details {
            return Err(forbidden());
        }
        Ok(ids
            .iter()
            .map(|id| EntityId::new(entity_type, *id))
            .filter(|id| self.readable(id))
            .map(|id| self.entities[&id].clone())
            .collect())
    }
}

async fn load(fake: &Fake, prefer_queries: bool) -> Hierarchy {
    let options = LoadOptions { prefer_queries, ..LoadOptions::default() };
    let mut steps = Vec::new();
    let h = walk(fake, &options, &mut |p| steps.push(p)).await.unwrap();
    assert_eq!(steps.first(), Some(&LoadProgress::ListingEntities));
    h
}

fn child_names(h: &Hierarchy, id: EntityId) -> Vec<String> {
    h.children.get(&id).into_iter().flatten().map(|c| h.nodes[c].name.clone()).collect()
}

/// A site with every untidiness at once.
fn messy() -> Fake {
    let mut f = Fake::default();
    let site = f.add(asset(1), "Campus", "site");
    let building = f.add(asset(2), "HQ", "building");
    let floor = f.add(asset(3), "Floor 1", "floor");
    let room_a = f.add(asset(4), "Room 2", "room");
    let room_b = f.add(asset(5), "Room 10", "room");
    let server_room = f.add(asset(6), "Server Room", "room");
    let weird = f.add(asset(7), "", "plant-room-equipment");
    let shared = f.add(device(100), "Partition", "occupancy");
    let on_floor = f.add(device(101), "Floor Meter", "smart-plug");
    let nameless = f.add(device(102), "", "");
    f.link(site, building);
    f.link(building, floor);
    f.link(building, server_room); // a room directly under the building
    f.link(building, weird);
    f.link(floor, room_a);
    f.link(floor, room_b);
    f.link(room_a, shared); // a device in two rooms
    f.link(room_b, shared);
    f.link(floor, on_floor); // a device directly under a floor
    f.link(weird, nameless);
    f.link(room_b, room_a); // a cycle: room_a <-> room_b
    f.link(room_a, room_b);
    f.link(room_a, site); // and one back to the top
    f
}

#[tokio::test]
async fn a_messy_building_loads_the_same_both_ways() {
    let fake = messy();
    let fast = load(&fake, true).await;
    assert_eq!(fast.mode, LoadMode::Queries);
    assert_eq!(fast.roots, vec![asset(1)], "the site is the only root despite the cycle back to it");
    assert_eq!(child_names(&fast, asset(3)), ["Floor Meter", "Room 2", "Room 10"]);
    assert_eq!(child_names(&fast, asset(4)), ["Campus", "Partition", "Room 10"]);
    assert_eq!(fast.nodes[&device(100)].type_name, "occupancy");
    assert_eq!(fast.nodes.len(), 10);
    {
        let calls = fake.calls();
        assert_eq!((calls.assets, calls.count, calls.subtree, calls.details), (1, 1, 1, 1));
        assert_eq!(calls.devices, 0, "devices are described by the entity query, not listed");
    }

    let fake = messy();
    let slow = load(&fake, false).await;
    assert_eq!(slow.mode, LoadMode::LevelByLevel);
    assert_eq!((&slow.roots, &slow.children), (&fast.roots, &fast.children));
    assert_eq!(slow.nodes, fast.nodes);
    let calls = fake.calls();
    assert!(calls.children.values().all(|n| *n == 1), "each node expanded once: {:?}", calls.children);
    assert_eq!(calls.children.len(), 7, "every asset, no device");
    assert_eq!(calls.subtree + calls.details, 0);
}

#[tokio::test]
async fn a_refused_relation_query_switches_to_levels() {
    let mut fake = messy();
    fake.refuse_subtree = true;
    let h = load(&fake, true).await;
    assert_eq!(h.mode, LoadMode::LevelByLevel);
    assert!(h.notes.iter().any(|n| n.contains("level by level")), "{:?}", h.notes);
    assert_eq!(h.roots, vec![asset(1)]);
    assert_eq!(child_names(&h, asset(3)), ["Floor Meter", "Room 2", "Room 10"]);
    let calls = fake.calls();
    assert_eq!(calls.subtree, 1, "one refusal is enough to switch");
    assert!(calls.children.values().all(|n| *n == 1));
}

#[tokio::test]
async fn a_refused_entity_query_lists_devices_instead() {
    let mut fake = messy();
    fake.refuse_details = true;
    let h = load(&fake, true).await;
    assert_eq!(h.nodes[&device(101)].type_name, "smart-plug");
    assert_eq!(fake.calls().devices, 1);
}

#[tokio::test]
async fn unreadable_parents_leave_orphans_as_extra_roots() {
    let mut fake = messy();
    // A customer who may not read the floor: its rooms (and their devices) hang loose.
    fake.unreadable.insert(asset(3));
    fake.unreadable.insert(device(101));
    for prefer_queries in [true, false] {
        let h = load(&fake, prefer_queries).await;
        let names: Vec<&str> = h.roots.iter().map(|r| h.nodes[r].name.as_str()).collect();
        assert_eq!(names, ["Campus", "Room 2"], "prefer_queries={prefer_queries}");
        assert_eq!(child_names(&h, asset(4)), ["Campus", "Partition", "Room 10"]);
        assert!(!h.nodes.contains_key(&asset(3)));
    }
}

#[tokio::test]
async fn a_cycle_nobody_enters_still_gets_a_root() {
    let mut f = Fake::default();
    let a = f.add(asset(1), "A", "zone");
    let b = f.add(asset(2), "B", "zone");
    f.link(a, b);
    f.link(b, a);
    for prefer_queries in [true, false] {
        let h = load(&f, prefer_queries).await;
        assert_eq!(h.roots, vec![a], "prefer_queries={prefer_queries}");
    }
}

#[tokio::test]
async fn loose_devices_become_roots() {
    let mut f = messy();
    f.add(device(200), "Spare Sensor", "air-quality");
    let h = load(&f, true).await;
    assert_eq!(h.roots, vec![asset(1), device(200)]);
    assert_eq!(f.calls().devices, 1, "listed only because the count said a device was missing");
}

#[tokio::test]
async fn ten_thousand_devices_in_few_calls() {
    let mut f = Fake::default();
    let site = f.add(asset(1), "Tower", "building");
    let mut n = 1000;
    for room in 0..100u128 {
        let room = f.add(asset(10 + room), &format!("Room {room}"), "room");
        f.link(site, room);
        for _ in 0..101 {
            n += 1;
            let d = f.add(device(n), &format!("Sensor {n}"), "thermostat");
            f.link(room, d);
        }
    }
    let h = load(&f, true).await;
    assert_eq!(h.nodes.len(), 1 + 100 + 10_100);
    assert_eq!(h.roots, vec![site]);
    {
        let calls = f.calls();
        assert_eq!((calls.subtree, calls.details, calls.devices), (1, 3, 0), "{calls:?}");
    }

    let f2 = Fake { refuse_subtree: false, ..f };
    *f2.calls() = Calls::default();
    let h2 = load(&f2, false).await;
    assert_eq!(h2.children, h.children);
    let calls = f2.calls();
    assert_eq!(calls.children.len(), 101, "one lookup per asset, devices are leaves");
    assert!(calls.children.values().all(|n| *n == 1));
}

#[test]
fn likely_roots_rank_first() {
    let mut types = vec!["room", "weird-type", "floor", "site", "building"];
    types.sort_by_key(|t| height_rank(t));
    assert_eq!(types, ["site", "building", "floor", "room", "weird-type"]);
}

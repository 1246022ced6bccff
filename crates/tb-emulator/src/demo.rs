//! The demo building, generated deterministically from the seed.
//!
//! Small preset: site "Atrium Campus" > building "HQ" > "Floor 1".."Floor 3" > ten rooms each
//! ("Lobby", then "Room 1.02".."Room 1.10", "Room 2.01"..), about 120 devices named
//! "<room> <Kind>" (e.g. "Lobby Light", "Room 2.05 Thermostat"). It is deliberately untidy the way
//! real installations are: a room hangs directly off the building ("Server Room"), one device sits
//! in two rooms ("Partition Occupancy"), one asset has a type nobody expects ("Chiller Plant",
//! `plant-room-equipment`), a few devices are offline (never Lobby's), and "Room 2.03 Flaky Plug"
//! (in every preset) leaves every second RPC unanswered.
//!
//! Large: 20 floors x 25 rooms x 8 devices. Portfolio: 50 buildings of 10 floors x 20 rooms x 5
//! devices; building 1 is "HQ" with the small preset's names, buildings 2..50 ("Building 02"..)
//! prefix every floor, room and device name with "B02 ".."B50 ".

use crate::auth::UserRec;
use crate::kv::KvValue;
use crate::store::{AssetRec, CustomerRec, DeviceRec, Store};
use crate::two_factor::UserTwoFactor;
use crate::Preset;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use tb_proto::auth::{Authority, TwoFaProviderType};
use tb_proto::telemetry::AttributeScope;
use tb_proto::{EntityId, EntityType};
use uuid::Uuid;

/// What a simulated device is; the device type (profile name) is [`DeviceKind::type_name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum DeviceKind {
    Light,
    Thermostat,
    AirQuality,
    Occupancy,
    Plug,
    DoorLock,
    Blinds,
}

impl DeviceKind {
    pub(crate) fn type_name(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Thermostat => "thermostat",
            Self::AirQuality => "air-quality",
            Self::Occupancy => "occupancy",
            Self::Plug => "smart-plug",
            Self::DoorLock => "door-lock",
            Self::Blinds => "blinds",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Light => "Light",
            Self::Thermostat => "Thermostat",
            Self::AirQuality => "Air Quality",
            Self::Occupancy => "Occupancy",
            Self::Plug => "Plug",
            Self::DoorLock => "Door Lock",
            Self::Blinds => "Blinds",
        }
    }

    /// Initial latest values.
    fn initial_telemetry(self, rng: &mut StdRng) -> Vec<(&'static str, KvValue)> {
        let tenth = |rng: &mut StdRng, lo: f64, hi: f64| (rng.gen_range(lo..hi) * 10.0).round() / 10.0;
        match self {
            Self::Light => vec![
                ("state", KvValue::Bool(rng.gen_bool(0.5))),
                ("brightness", KvValue::Long(rng.gen_range(0..=100))),
            ],
            Self::Thermostat => {
                let setpoint = [20.5, 21.0, 21.5, 22.0][rng.gen_range(0..4)];
                vec![
                    ("temperature", KvValue::Double(tenth(rng, 18.5, 24.5))),
                    ("humidity", KvValue::Long(rng.gen_range(35..60))),
                    ("setpoint", KvValue::Double(setpoint)),
                    ("mode", KvValue::Str(["heat", "cool", "auto"][rng.gen_range(0..3)].to_owned())),
                ]
            }
            Self::AirQuality => {
                vec![
                    ("co2", KvValue::Long(rng.gen_range(420..900))),
                    ("tvoc", KvValue::Long(rng.gen_range(50..400))),
                ]
            }
            Self::Occupancy => {
                let count = rng.gen_range(0..6);
                vec![("occupied", KvValue::Bool(count > 0)), ("count", KvValue::Long(count))]
            }
            Self::Plug => vec![
                ("power", KvValue::Double(tenth(rng, 0.0, 250.0))),
                ("state", KvValue::Bool(rng.gen_bool(0.7))),
            ],
            Self::DoorLock => {
                vec![("locked", KvValue::Bool(true)), ("battery", KvValue::Long(rng.gen_range(40..100)))]
            }
            Self::Blinds => vec![("position", KvValue::Long(rng.gen_range(0..=100)))],
        }
    }
}

/// The generated world: the store, the users and each device's kind.
#[derive(Debug)]
pub(crate) struct Demo {
    pub(crate) store: Store,
    pub(crate) users: Vec<UserRec>,
    pub(crate) kinds: BTreeMap<Uuid, DeviceKind>,
    /// "Room 2.03 Flaky Plug": answers every second RPC only.
    pub(crate) flaky: Option<Uuid>,
}

/// The flaky device, present in every preset.
pub(crate) const FLAKY_DEVICE: &str = "Room 2.03 Flaky Plug";

struct Shape {
    buildings: u32,
    floors: u32,
    rooms_per_floor: u32,
    extras: &'static [DeviceKind],
    extras_per_room: usize,
    offline: usize,
}

const BASE_CREATED: i64 = 1_719_830_400_000;

struct Builder {
    rng: StdRng,
    store: Store,
    kinds: BTreeMap<Uuid, DeviceKind>,
    profiles: BTreeMap<String, Uuid>,
    now: i64,
}

impl Builder {
    fn uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.rng.gen()).into_uuid()
    }

    fn created(&self) -> i64 {
        BASE_CREATED + (self.store.assets.len() + self.store.devices.len()) as i64 * 1000
    }

    fn profile(&mut self, type_name: &str) -> Uuid {
        if let Some(id) = self.profiles.get(type_name) {
            return *id;
        }
        let id = self.uuid();
        self.profiles.insert(type_name.to_owned(), id);
        id
    }

    fn asset(
        &mut self,
        name: &str,
        asset_type: &str,
        customer: Option<Uuid>,
        parent: Option<EntityId>,
    ) -> EntityId {
        let id = self.uuid();
        let profile_id = self.profile(asset_type);
        let created_time = self.created();
        self.store.assets.insert(
            id,
            AssetRec {
                id,
                created_time,
                name: name.to_owned(),
                asset_type: asset_type.to_owned(),
                label: None,
                customer,
                profile_id,
            },
        );
        let entity = EntityId::new(EntityType::Asset, id);
        if let Some(parent) = parent {
            self.store.add_relation(parent, entity);
        }
        entity
    }

    fn device(&mut self, name: &str, kind: DeviceKind, customer: Option<Uuid>, room: EntityId) -> EntityId {
        let id = self.uuid();
        let profile_id = self.profile(kind.type_name());
        self.store.device_profiles.insert(profile_id, kind.type_name().to_owned());
        let created_time = self.created();
        self.store.devices.insert(
            id,
            DeviceRec {
                id,
                created_time,
                name: name.to_owned(),
                device_type: kind.type_name().to_owned(),
                label: Some(name.to_owned()),
                customer,
                profile_id,
                online: true,
            },
        );
        self.kinds.insert(id, kind);
        let entity = EntityId::new(EntityType::Device, id);
        self.store.add_relation(room, entity);
        let ts = self.now - self.rng.gen_range(0..60_000);
        let values =
            kind.initial_telemetry(&mut self.rng).into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        self.store.save_timeseries(entity, ts, values);
        if kind == DeviceKind::Thermostat {
            let shared = vec![
                ("minSetpoint".to_owned(), KvValue::Long(16)),
                ("maxSetpoint".to_owned(), KvValue::Long(28)),
                ("step".to_owned(), KvValue::Double(0.5)),
            ];
            self.store.save_attributes(entity, AttributeScope::SharedScope, BASE_CREATED, shared);
        }
        self.store.save_attributes(
            entity,
            AttributeScope::ServerScope,
            ts,
            vec![
                ("active".to_owned(), KvValue::Bool(true)),
                ("lastActivityTime".to_owned(), KvValue::Long(ts)),
                ("lastConnectTime".to_owned(), KvValue::Long(self.now - 3_600_000)),
            ],
        );
        entity
    }
}

/// Builds the demo world for `preset` from `seed`.
pub(crate) fn build(preset: Preset, seed: u64) -> Demo {
    use DeviceKind::*;
    let shape = match preset {
        Preset::Small => Shape {
            buildings: 1,
            floors: 3,
            rooms_per_floor: 10,
            extras: &[AirQuality, Occupancy, Plug, Blinds],
            extras_per_room: 2,
            offline: 4,
        },
        Preset::Large => Shape {
            buildings: 1,
            floors: 20,
            rooms_per_floor: 25,
            extras: &[AirQuality, Occupancy, Plug, Blinds, Light, Plug],
            extras_per_room: 6,
            offline: 80,
        },
        Preset::Portfolio => Shape {
            buildings: 50,
            floors: 10,
            rooms_per_floor: 20,
            extras: &[AirQuality, Occupancy, Plug, Blinds],
            extras_per_room: 3,
            offline: 500,
        },
    };
    let mut b = Builder {
        rng: StdRng::seed_from_u64(seed),
        store: Store::default(),
        kinds: BTreeMap::new(),
        profiles: BTreeMap::new(),
        now: crate::clock::now_ms(),
    };
    b.store.tenant_id = b.uuid();
    let customer_a = b.uuid();
    let customer_b = b.uuid();
    let customer = |id, title: &str, email: &str| CustomerRec {
        id,
        created_time: BASE_CREATED,
        title: title.to_owned(),
        email: Some(email.to_owned()),
        phone: None,
        additional_info: None,
        version: 1,
    };
    b.store.customers = vec![
        customer(customer_a, "Customer A", "facilities@customer-a.example"),
        customer(customer_b, "Customer B", "office@customer-b.example"),
    ];

    let site = b.asset("Atrium Campus", "site", Some(customer_a), None);
    let mut shared_rooms = Vec::new();
    let mut hq = None;
    for building_no in 1..=shape.buildings {
        // Building 1 is "HQ" with unprefixed names; the others prefix every name with their code.
        let (building_name, prefix) = if building_no == 1 {
            ("HQ".to_owned(), String::new())
        } else {
            (format!("Building {building_no:02}"), format!("B{building_no:02} "))
        };
        let building = b.asset(&building_name, "building", Some(customer_a), Some(site));
        hq.get_or_insert(building);
        for floor in 1..=shape.floors {
            // The top floor is let to Customer B; everything else belongs to Customer A.
            let owner = if floor == shape.floors { customer_b } else { customer_a };
            let floor_id = b.asset(&format!("{prefix}Floor {floor}"), "floor", Some(owner), Some(building));
            for room in 1..=shape.rooms_per_floor {
                let name = if floor == 1 && room == 1 {
                    format!("{prefix}Lobby")
                } else {
                    format!("{prefix}Room {floor}.{room:02}")
                };
                let room_id = b.asset(&name, "room", Some(owner), Some(floor_id));
                if building_no == 1 && floor == 1 && (room == 3 || room == 4) {
                    shared_rooms.push(room_id);
                }
                let mut kinds = vec![Light, Thermostat];
                if floor == 1 && room == 1 {
                    kinds.extend([AirQuality, Occupancy, DoorLock]);
                } else {
                    let mut extras = shape.extras.to_vec();
                    extras.shuffle(&mut b.rng);
                    kinds.extend(extras.into_iter().take(shape.extras_per_room));
                }
                let mut used: BTreeMap<DeviceKind, u32> = BTreeMap::new();
                for kind in kinds {
                    let n = used.entry(kind).or_default();
                    *n += 1;
                    let device_name = match *n {
                        1 => format!("{name} {}", kind.label()),
                        n => format!("{name} {} {n}", kind.label()),
                    };
                    b.device(&device_name, kind, Some(owner), room_id);
                }
            }
        }
    }
    let building = hq.unwrap_or(site);
    // The untidy parts.
    let server_room = b.asset("Server Room", "room", Some(customer_a), Some(building));
    b.device("Server Room Thermostat", Thermostat, Some(customer_a), server_room);
    b.device("Server Room Plug", Plug, Some(customer_a), server_room);
    let chiller = b.asset("Chiller Plant", "plant-room-equipment", None, Some(building));
    b.device("Chiller Power Meter", Plug, None, chiller);
    if let [first, second] = shared_rooms[..] {
        let partition = b.device("Partition Occupancy", Occupancy, Some(customer_a), first);
        b.store.add_relation(second, partition);
    }

    let candidates: Vec<Uuid> =
        b.store.devices.values().filter(|d| !d.name.contains("Lobby ")).map(|d| d.id).collect();
    let offline: Vec<Uuid> = candidates.choose_multiple(&mut b.rng, shape.offline).copied().collect();
    let now = b.now;
    for id in offline {
        b.store.set_online(id, false, now - b.rng.gen_range(600_000..86_400_000));
    }

    let user = |b: &mut Builder,
                email: &str,
                password: &str,
                authority,
                customer: Option<Uuid>,
                name: (&str, &str)| {
        UserRec {
            id: b.uuid(),
            created_time: BASE_CREATED,
            email: email.to_owned(),
            credentials: crate::auth::Credentials::active(password),
            authority,
            customer,
            customer_title: customer.and_then(|c| b.store.customer_title(c)).map(str::to_owned),
            first_name: name.0.to_owned(),
            last_name: name.1.to_owned(),
            phone: None,
            additional_info: Some(serde_json::json!({"description": "", "lang": "en_US"})),
            two_factor: None,
            must_set_up_two_factor: false,
        }
    };
    let mut users = vec![
        user(&mut b, "tenant@thingsboard.org", "tenant", Authority::TenantAdmin, None, ("Tenant", "Admin")),
        user(
            &mut b,
            "customer@thingsboard.org",
            "customer",
            Authority::CustomerUser,
            Some(customer_a),
            ("Ada", "A"),
        ),
        user(
            &mut b,
            "customerb@thingsboard.org",
            "customer",
            Authority::CustomerUser,
            Some(customer_b),
            ("Bo", "B"),
        ),
    ];
    // Last, so that it draws its id after everything else and the older ids stay put.
    let mut two_factor =
        user(&mut b, "twofa@thingsboard.org", "twofa", Authority::TenantAdmin, None, ("Tess", "Totp"));
    two_factor.two_factor = Some(UserTwoFactor {
        providers: vec![
            TwoFaProviderType::Totp,
            TwoFaProviderType::Email,
            TwoFaProviderType::Sms,
            TwoFaProviderType::BackupCode,
        ],
        email: "twofa@thingsboard.org".to_owned(),
        phone: "+15550123456".to_owned(),
        backup_codes: vec!["0a1b2c3d".to_owned(), "4e5f6a7b".to_owned(), "8c9d0e1f".to_owned()],
    });
    users.push(two_factor);
    // Last of all, so that every older id stays put: the flaky plug, never offline.
    let flaky =
        b.store.asset_by_name("Room 2.03").map(|a| (a.id, a.customer)).map(|(room, owner)| {
            b.device(FLAKY_DEVICE, Plug, owner, EntityId::new(EntityType::Asset, room)).id
        });
    // After the flaky plug, so that its id stays put too: 2FA enforced by policy, not set up.
    let mut must_set_up =
        user(&mut b, "mfa@thingsboard.org", "mfa", Authority::TenantAdmin, None, ("Mia", "Setup"));
    must_set_up.must_set_up_two_factor = true;
    users.push(must_set_up);
    Demo { store: b.store, users, kinds: b.kinds, flaky }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_preset_has_the_promised_shape() {
        let demo = build(Preset::Small, 7);
        let store = &demo.store;
        let lobby_light = store.device_by_name("Lobby Light").unwrap();
        assert_eq!(lobby_light.device_type, "light");
        assert_eq!(lobby_light.label.as_deref(), Some("Lobby Light"));
        assert!(lobby_light.online);
        assert!(store.device_by_name("Lobby Thermostat").unwrap().online);
        let count = store.devices.len();
        assert!((100..=140).contains(&count), "{count} devices");
        let offline = store.devices.values().filter(|d| !d.online).count();
        assert!((1..=6).contains(&offline));
        assert_eq!(store.asset_by_name("Chiller Plant").unwrap().asset_type, "plant-room-equipment");
        let partition = store.device_by_name("Partition Occupancy").unwrap().id;
        assert_eq!(store.relations.iter().filter(|r| r.to.id == partition).count(), 2);
        let lobby = store.asset_by_name("Lobby").unwrap().id;
        assert!(store.relations.iter().any(|r| r.from.id == lobby && r.to.id == lobby_light.id));
    }

    #[test]
    fn same_seed_same_world() {
        let a = build(Preset::Small, 42);
        let b = build(Preset::Small, 42);
        assert_eq!(
            a.store.device_by_name("Lobby Light").unwrap().id,
            b.store.device_by_name("Lobby Light").unwrap().id
        );
        let names =
            |d: &Demo| d.store.devices.values().map(|d| (d.name.clone(), d.online)).collect::<Vec<_>>();
        assert_eq!(names(&a), names(&b));
        let c = build(Preset::Small, 43);
        assert_ne!(
            a.store.device_by_name("Lobby Light").unwrap().id,
            c.store.device_by_name("Lobby Light").unwrap().id
        );
    }

    #[test]
    fn large_preset_scales_up() {
        let demo = build(Preset::Large, 1);
        assert!(demo.store.devices.len() >= 4000, "{}", demo.store.devices.len());
        assert!(demo.store.asset_by_name("Room 20.25").is_some());
        assert!(demo.store.device_by_name(FLAKY_DEVICE).is_some_and(|d| d.online));
    }

    #[test]
    fn every_preset_has_one_online_flaky_device() {
        for preset in [Preset::Small, Preset::Large] {
            let demo = build(preset, 3);
            let flaky = demo.store.device_by_name(FLAKY_DEVICE).unwrap();
            assert_eq!(demo.flaky, Some(flaky.id));
            assert!(flaky.online);
            assert_eq!(demo.kinds[&flaky.id], DeviceKind::Plug);
        }
    }

    #[test]
    fn portfolio_has_fifty_buildings_and_fifty_thousand_devices() {
        let demo = build(Preset::Portfolio, 1);
        let buildings = demo.store.assets.values().filter(|a| a.asset_type == "building").count();
        assert_eq!(buildings, 50);
        let devices = demo.store.devices.len();
        assert!((49_000..=52_000).contains(&devices), "{devices} devices");
        assert!(demo.store.device_by_name("Lobby Light").is_some());
        assert!(demo.store.device_by_name("B50 Lobby Light").is_some());
        assert!(demo.store.device_by_name(FLAKY_DEVICE).is_some());
        let names: std::collections::HashSet<&str> =
            demo.store.devices.values().map(|d| d.name.as_str()).collect();
        assert_eq!(names.len(), devices, "device names are unique");
    }
}

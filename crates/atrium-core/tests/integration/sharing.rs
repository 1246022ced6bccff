//! Sharing a place with a customer, through the core, against the emulator: the plan, what
//! another customer has, a re-run that does only what is missing, a plan that changes nothing,
//! stopping sharing, refusals, and a new customer user who activates the account and then sees
//! only the shared room.

use crate::common::Recorder;
use atrium_core::Core;
use atrium_ipc::{
    CustomerChoice, ErrorCode, LoginArgs, NewCustomerUser, OnConflict, SharedItem, SharingProgress, TreeNode,
};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use tb_client::proto::user::activation_token;
use tb_client::{Client, Secret};
use tb_emulator::{Emulator, EmulatorConfig, FailureKind};
use uuid::Uuid;

fn find<'a>(nodes: &'a [TreeNode], name: &str) -> Option<&'a TreeNode> {
    nodes.iter().find_map(|n| if n.name == name { Some(n) } else { find(&n.children, name) })
}

async fn signed_in(emu: &Emulator, user: &str, password: &str) -> (Core, Vec<TreeNode>) {
    let core = Core::new(Arc::new(Recorder::default()));
    core.login(LoginArgs::new(emu.base_url(), user, password)).await.unwrap();
    let tree = core.load_tree(|_| {}).await.unwrap();
    (core, tree)
}

async fn tenant(emu: &Emulator) -> (Core, Vec<TreeNode>) {
    signed_in(emu, "tenant@thingsboard.org", "tenant").await
}

fn node_id(tree: &[TreeNode], name: &str) -> String {
    find(tree, name).unwrap_or_else(|| panic!("{name} is in the tree")).id.clone()
}

fn titled(title: &str) -> CustomerChoice {
    CustomerChoice::Title { title: title.into(), create: false, email: None }
}

fn names(items: &[SharedItem]) -> BTreeSet<String> {
    items.iter().map(|i| i.name.clone()).collect()
}

fn owner(emu: &Emulator, item: &SharedItem) -> Option<Uuid> {
    emu.owner(Uuid::parse_str(&item.id).unwrap())
}

/// Requests that change who has what (assign, unassign, create).
fn writes(emu: &Emulator) -> u64 {
    let counters = emu.faults().counters();
    counters
        .requests_by_route
        .iter()
        .filter(|(route, _)| {
            route.starts_with("POST /api/customer")
                || route.starts_with("DELETE /api/customer")
                || route.starts_with("POST /api/user")
        })
        .map(|(_, n)| n)
        .sum()
}

fn no_progress(_: SharingProgress) {}

#[tokio::test]
async fn an_unshared_place_is_planned_assigned_and_a_rerun_only_reads() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (core, tree) = tenant(&emu).await;
    let chiller = node_id(&tree, "Chiller Plant");
    let customer_b = emu.customer_id("Customer B").unwrap();

    emu.faults().reset_counters();
    let plan = core.plan_share(&chiller, titled("Customer B"), None).await.unwrap();
    assert_eq!(writes(&emu), 0, "a plan changes nothing");
    assert_eq!(plan.place.name, "Chiller Plant");
    assert_eq!(plan.customer.id, Some(customer_b.to_string()));
    assert_eq!(
        names(&plan.to_assign),
        BTreeSet::from(["Chiller Plant".into(), "Chiller Power Meter".into()])
    );
    assert!(plan.already.is_empty() && plan.conflicts.is_empty() && plan.missing.is_empty());

    let seen = Mutex::new(Vec::new());
    let summary = core.share(&plan, OnConflict::Skip, |p| seen.lock().unwrap().push(p)).await.unwrap();
    assert_eq!(names(&summary.assigned), names(&plan.to_assign));
    assert!(summary.failed.is_empty() && summary.moved.is_empty() && summary.skipped.is_empty());
    assert!(!summary.customer_created);
    assert_eq!(seen.into_inner().unwrap().last(), Some(&SharingProgress { done: 2, total: 2 }));
    assert!(plan.to_assign.iter().all(|i| owner(&emu, i) == Some(customer_b)));

    // A re-run plans nothing to do and sends no change.
    let again = core.plan_share(&chiller, titled("Customer B"), None).await.unwrap();
    assert!(again.to_assign.is_empty() && again.conflicts.is_empty());
    assert_eq!(names(&again.already), names(&plan.to_assign));
    emu.faults().reset_counters();
    let summary = core.share(&again, OnConflict::Skip, no_progress).await.unwrap();
    assert_eq!(summary.already.len(), 2);
    assert!(summary.assigned.is_empty());
    assert_eq!(writes(&emu), 0);
    // Even the first plan, run again, only finds everything done.
    let summary = core.share(&plan, OnConflict::Skip, no_progress).await.unwrap();
    assert_eq!((summary.assigned.len(), summary.already.len()), (0, 2));
    assert_eq!(writes(&emu), 0);
}

#[tokio::test]
async fn what_another_customer_has_is_shown_skipped_and_moved_only_when_chosen() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (core, tree) = tenant(&emu).await;
    let floor = node_id(&tree, "Floor 1");
    let customer_a = emu.customer_id("Customer A").unwrap();
    let create = CustomerChoice::Title {
        title: "Flat 12B".into(),
        create: true,
        email: Some("flat@example.com".into()),
    };

    let plan = core.plan_share(&floor, create.clone(), None).await.unwrap();
    assert_eq!(plan.customer.id, None, "to be made by the run");
    assert!(plan.to_assign.is_empty(), "Customer A has the whole floor");
    assert!(plan
        .conflicts
        .iter()
        .all(|c| c.customer_title == "Customer A" && c.customer_id == customer_a.to_string()));
    // The partition sensor sits in two rooms and counts once.
    assert_eq!(plan.conflicts.iter().filter(|c| c.item.name == "Partition Occupancy").count(), 1);
    let everything = plan.conflicts.len();
    assert!(everything > 30, "{everything}");

    let skipped = core.share(&plan, OnConflict::Skip, no_progress).await.unwrap();
    assert!(skipped.customer_created);
    assert_eq!(skipped.customer.title, "Flat 12B");
    assert_eq!(skipped.customer.email.as_deref(), Some("flat@example.com"));
    assert_eq!(skipped.skipped.len(), everything);
    assert!(skipped.assigned.is_empty() && skipped.moved.is_empty());
    assert!(plan.conflicts.iter().all(|c| owner(&emu, &c.item) == Some(customer_a)), "nobody lost access");

    // The same choice again finds the customer made by the first run; this time, move.
    let plan = core.plan_share(&floor, create, None).await.unwrap();
    let flat = emu.customer_id("Flat 12B").unwrap();
    assert_eq!(plan.customer.id, Some(flat.to_string()));
    let moved = core.share(&plan, OnConflict::Move, no_progress).await.unwrap();
    assert!(!moved.customer_created);
    assert_eq!(moved.moved.len(), everything);
    assert!(
        moved.moved.iter().all(|c| c.customer_title == "Customer A"),
        "the summary says whom it was taken from"
    );
    assert!(plan.conflicts.iter().all(|c| owner(&emu, &c.item) == Some(flat)));
}

#[tokio::test]
async fn what_went_to_another_customer_after_the_plan_is_never_taken_from_it() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (core, tree) = tenant(&emu).await;
    let chiller = node_id(&tree, "Chiller Plant");
    let plan = core.plan_share(&chiller, titled("Customer B"), None).await.unwrap();
    assert_eq!(plan.to_assign.len(), 2);

    // Meanwhile someone gives the plant room to Customer A.
    let admin = Client::builder(emu.base_url()).build().unwrap();
    admin.login("tenant@thingsboard.org", &Secret::new("tenant")).await.unwrap();
    let customer_a = emu.customer_id("Customer A").unwrap();
    let plant = tb_client::proto::AssetId(emu.asset_id("Chiller Plant").unwrap());
    admin.assign_asset(tb_client::proto::CustomerId(customer_a), plant).await.unwrap();

    let summary = core.share(&plan, OnConflict::Move, no_progress).await.unwrap();
    assert_eq!(names(&summary.assigned), BTreeSet::from(["Chiller Power Meter".into()]));
    assert_eq!(summary.skipped.len(), 1, "moving was chosen for what the plan showed, not for this");
    assert_eq!(summary.skipped[0].customer_title, "Customer A");
    assert_eq!(emu.owner(plant.0), Some(customer_a));
}

#[tokio::test]
async fn stopping_sharing_takes_back_only_what_the_customer_still_has() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (core, tree) = tenant(&emu).await;
    let lobby = node_id(&tree, "Lobby");
    let customer_a = emu.customer_id("Customer A").unwrap();
    let customer_b = emu.customer_id("Customer B").unwrap();

    emu.faults().reset_counters();
    let plan = core.plan_unshare(&lobby, titled("Customer A")).await.unwrap();
    assert_eq!(writes(&emu), 0);
    assert_eq!(plan.customer.id, customer_a.to_string());
    assert_eq!(plan.to_unassign.len(), 6, "the lobby and its five devices: {:?}", names(&plan.to_unassign));
    assert!(plan.not_theirs.is_empty());

    // Meanwhile the lobby's door lock goes to Customer B: the run must not take it from B.
    let lock = emu.device_id("Lobby Door Lock").unwrap();
    let admin = Client::builder(emu.base_url()).build().unwrap();
    admin.login("tenant@thingsboard.org", &Secret::new("tenant")).await.unwrap();
    admin
        .assign_device(tb_client::proto::CustomerId(customer_b), tb_client::proto::DeviceId(lock))
        .await
        .unwrap();

    let seen = Mutex::new(Vec::new());
    let summary = core.unshare(&plan, |p| seen.lock().unwrap().push(p)).await.unwrap();
    assert_eq!(summary.unassigned.len(), 5);
    assert_eq!(names(&summary.unchanged), BTreeSet::from(["Lobby Door Lock".into()]));
    assert!(summary.failed.is_empty());
    assert_eq!(seen.into_inner().unwrap().last(), Some(&SharingProgress { done: 6, total: 6 }));
    assert!(summary.unassigned.iter().all(|i| owner(&emu, i).is_none()));
    assert_eq!(emu.owner(lock), Some(customer_b));

    let again = core.plan_unshare(&lobby, titled("Customer A")).await.unwrap();
    assert!(again.to_unassign.is_empty());
    assert_eq!(again.not_theirs.len(), 6);
    let access = core.place_access(&lobby).await.unwrap();
    assert_eq!(access.customers.len(), 1);
    assert_eq!(access.customers[0].customer.title, "Customer B");
    assert!(!access.customers[0].has_place);
    assert_eq!(access.unshared.len(), 5);
}

#[tokio::test]
async fn a_customer_user_is_refused_before_anything_is_sent() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (core, tree) = signed_in(&emu, "customer@thingsboard.org", "customer").await;
    let lobby = node_id(&tree, "Lobby");
    emu.faults().reset_counters();
    let refusals = [
        core.plan_share(&lobby, titled("Customer A"), None).await.unwrap_err(),
        core.plan_unshare(&lobby, titled("Customer A")).await.unwrap_err(),
        core.place_access(&lobby).await.unwrap_err(),
        core.customers(None).await.unwrap_err(),
    ];
    for err in refusals {
        assert_eq!(err.code, ErrorCode::PermissionDenied);
        assert!(err.message.contains("tenant administrator"), "{}", err.message);
    }
    assert_eq!(emu.faults().counters().requests_by_route.values().sum::<u64>(), 0, "not one request");
}

#[tokio::test]
async fn the_servers_refusal_stops_the_run_and_is_the_answer_when_nothing_changed() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (core, tree) = tenant(&emu).await;
    let floor = node_id(&tree, "Floor 3");
    let plan = core.plan_share(&floor, titled("Customer A"), None).await.unwrap();
    assert!(plan.conflicts.len() > 30);
    emu.faults().reset_counters();
    // A role without the permission: every request is refused with 403.
    emu.faults().fail_next_requests(1000, FailureKind::PermissionDenied);
    let err = core.share(&plan, OnConflict::Move, no_progress).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert!(err.message.contains("permission"), "{}", err.message);
    let refused = emu.faults().counters().injected_failures;
    assert!(
        refused <= 2 + 8,
        "the run stopped instead of trying all {} items: {refused}",
        plan.conflicts.len()
    );
    emu.faults().fail_next_requests(0, FailureKind::PermissionDenied);
    let customer_b = emu.customer_id("Customer B").unwrap();
    assert!(plan.conflicts.iter().all(|c| owner(&emu, &c.item) == Some(customer_b)));
}

#[tokio::test]
async fn a_new_user_activates_from_the_link_and_then_sees_only_the_shared_room() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (core, tree) = tenant(&emu).await;
    let room = node_id(&tree, "Room 2.05");
    let user = NewCustomerUser {
        email: "alice@example.com".into(),
        first_name: Some("Alice".into()),
        last_name: None,
    };
    let create = CustomerChoice::Title { title: "Flat 2.05".into(), create: true, email: None };
    let plan = core.plan_share(&room, create.clone(), Some(user.clone())).await.unwrap();
    assert_eq!(plan.user.as_ref().map(|u| u.exists), Some(false));
    let summary = core.share(&plan, OnConflict::Move, no_progress).await.unwrap();
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    let shared = summary.user.clone().expect("the plan had a user");
    assert!(shared.created && shared.error.is_none(), "{shared:?}");
    assert_eq!(shared.activated, Some(false));
    let link = shared.activation_link.clone().expect("a link to hand over");

    let access = core.place_access(&room).await.unwrap();
    assert_eq!(access.customers.len(), 1);
    let flat = &access.customers[0];
    assert_eq!(flat.customer.title, "Flat 2.05");
    assert!(flat.has_place);
    assert_eq!(flat.users.len(), 1);
    assert_eq!((flat.users[0].name.as_str(), flat.users[0].activated), ("Alice", Some(false)));

    // A re-run finds the user and hands the same link out again.
    let plan = core.plan_share(&room, create, Some(user)).await.unwrap();
    assert_eq!(plan.user.as_ref().map(|u| u.exists), Some(true));
    let again = core.share(&plan, OnConflict::Skip, no_progress).await.unwrap();
    let again_user = again.user.expect("the plan had a user");
    assert!(!again_user.created);
    assert_eq!(again_user.activation_link.as_deref(), Some(link.as_str()));

    let alice = Client::builder(emu.base_url()).build().unwrap();
    alice.activate_user(activation_token(&link).unwrap(), &Secret::new("flat-2.05")).await.unwrap();
    let access = core.place_access(&room).await.unwrap();
    assert_eq!(access.customers[0].users[0].activated, Some(true));

    let (alice_core, alice_tree) = signed_in(&emu, "alice@example.com", "flat-2.05").await;
    assert_eq!(alice_tree.len(), 1, "one root: {:?}", alice_tree.iter().map(|n| &n.name).collect::<Vec<_>>());
    assert_eq!(alice_tree[0].name, "Room 2.05");
    let devices: BTreeSet<String> = alice_tree[0].children.iter().map(|n| n.name.clone()).collect();
    let expected: BTreeSet<String> =
        find(&tree, "Room 2.05").unwrap().children.iter().map(|n| n.name.clone()).collect();
    assert_eq!(devices, expected);
    assert!(find(&alice_tree, "Lobby").is_none() && find(&alice_tree, "Floor 2").is_none());
    let refused = alice_core.plan_share(&room, titled("Flat 2.05"), None).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::PermissionDenied);
}

#[tokio::test]
async fn an_unknown_customer_or_place_is_explained() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let (core, tree) = tenant(&emu).await;
    let lobby = node_id(&tree, "Lobby");
    let err = core.plan_share(&lobby, titled("Nobody"), None).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.message.contains("'Nobody'"), "{}", err.message);
    let err = core.plan_share(&Uuid::new_v4().to_string(), titled("Customer A"), None).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let bad_user = NewCustomerUser { email: "not-an-address".into(), first_name: None, last_name: None };
    let err = core.plan_share(&lobby, titled("Customer A"), Some(bad_user)).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
    let customers = core.customers(None).await.unwrap();
    assert_eq!(customers.iter().map(|c| c.title.as_str()).collect::<Vec<_>>(), ["Customer A", "Customer B"]);
    let by_id = CustomerChoice::Id { customer_id: customers[1].id.clone() };
    let plan = core.plan_share(&lobby, by_id, None).await.unwrap();
    assert_eq!(plan.customer.title, "Customer B");
    // The core's futures can run on any thread (the shell spawns them).
    let core = Arc::new(core);
    let spawned = tokio::spawn(async move { core.share(&plan, OnConflict::Skip, no_progress).await });
    assert_eq!(spawned.await.unwrap().unwrap().skipped.len(), 6);
}

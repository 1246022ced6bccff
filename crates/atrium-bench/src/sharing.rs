//! Sharing a floor of the `large` building (the floor, its 25 rooms and their 200 devices, all
//! another customer's, moved to a new one) with 20 ms of added latency per request: our run,
//! [`atrium_core::sharing::IN_FLIGHT`] requests at a time, beside the same plan and run one
//! request at a time. Each shares its own floor, so both start from the same state; requests
//! are counted by the emulator.

use crate::report::Report;
use atrium_core::building_tree;
use atrium_core::sharing::{Sharing, IN_FLIGHT};
use atrium_ipc::{CustomerChoice, OnConflict, TreeNode};
use std::time::{Duration, Instant};
use tb_client::{Client, Secret};
use tb_emulator::{Emulator, EmulatorConfig, Preset};

const LATENCY: Duration = Duration::from_millis(20);

/// REST requests since the last reset.
fn requests(emu: &Emulator) -> u64 {
    emu.faults().counters().requests_by_route.values().sum()
}

struct Figures {
    plan_ms: f64,
    share_ms: f64,
    requests: u64,
    moved: usize,
}

async fn share_floor(
    emu: &Emulator,
    client: &Client,
    tree: &[TreeNode],
    floor: &str,
    in_flight: usize,
) -> anyhow::Result<Figures> {
    let node = find(tree, floor).ok_or_else(|| anyhow::anyhow!("no {floor} in the tree"))?;
    let sharing = Sharing::new(client).in_flight(in_flight);
    let customer = CustomerChoice::Title { title: format!("Tenants of {floor}"), create: true, email: None };
    emu.faults().reset_counters();
    let started = Instant::now();
    let plan = sharing.plan_share(tree, &node.id, &customer, None).await?;
    let plan_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    let summary = sharing.share(&plan, OnConflict::Move, &|_| {}).await?;
    let share_ms = started.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(summary.failed.is_empty(), "{} items failed", summary.failed.len());
    anyhow::ensure!(summary.moved.len() == plan.conflicts.len(), "not everything moved");
    Ok(Figures { plan_ms, share_ms, requests: requests(emu), moved: summary.moved.len() })
}

fn find<'a>(nodes: &'a [TreeNode], name: &str) -> Option<&'a TreeNode> {
    let mut stack: Vec<&TreeNode> = nodes.iter().collect();
    while let Some(node) = stack.pop() {
        if node.name == name {
            return Some(node);
        }
        stack.extend(&node.children);
    }
    None
}

pub(crate) async fn run(report: &mut Report) -> anyhow::Result<()> {
    let emu =
        Emulator::start(EmulatorConfig { preset: Preset::Large, ..EmulatorConfig::for_tests() }).await?;
    let client = Client::builder(emu.base_url()).build()?;
    client.login("tenant@thingsboard.org", &Secret::new("tenant")).await?;
    let hierarchy = client.load_hierarchy(|_| {}).await?;
    let tree = building_tree(&client, &hierarchy).await.tree;
    emu.faults().set_latency(LATENCY, Duration::ZERO);

    let ours = share_floor(&emu, &client, &tree, "Floor 5", IN_FLIGHT).await?;
    let serial = share_floor(&emu, &client, &tree, "Floor 6", 1).await?;
    anyhow::ensure!(ours.moved == serial.moved, "the two floors differ: {} and {}", ours.moved, serial.moved);

    let case = format!("floor, {} items", ours.moved);
    let baseline = "one request at a time";
    let target = format!("{IN_FLIGHT} in flight");
    report.add(
        "sharing",
        &case,
        "plan time",
        "ms",
        ours.plan_ms,
        Some((baseline, serial.plan_ms)),
        Some(&target),
    );
    report.add(
        "sharing",
        &case,
        "share time",
        "ms",
        ours.share_ms,
        Some((baseline, serial.share_ms)),
        Some(&target),
    );
    report.add(
        "sharing",
        &case,
        "requests",
        "count",
        ours.requests as f64,
        Some((baseline, serial.requests as f64)),
        Some("the same requests"),
    );
    emu.shutdown().await;
    Ok(())
}

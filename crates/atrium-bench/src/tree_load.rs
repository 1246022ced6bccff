//! Loading the whole building: our loader (relation query per root) against the seed's
//! recursion (one `GET /api/relations` per asset, depth first), round trips counted by the emulator.

use crate::report::Report;
use std::time::Instant;
use tb_client::{Client, Secret};
use tb_emulator::{Emulator, EmulatorConfig, Preset};
use tb_proto::relation::EntityRelation;
use tb_proto::EntityType;

pub(crate) async fn run(report: &mut Report) -> anyhow::Result<()> {
    for (name, preset) in [("small", Preset::Small), ("large", Preset::Large)] {
        let emu = Emulator::start(EmulatorConfig { preset, ..EmulatorConfig::for_tests() }).await?;
        let total_requests = |emu: &Emulator| emu.faults().counters().requests_by_route.values().sum::<u64>();

        let client = Client::builder(emu.base_url()).build()?;
        client.login("tenant@thingsboard.org", &Secret::new("tenant")).await?;
        emu.faults().reset_counters();
        let started = Instant::now();
        let hierarchy = client.load_hierarchy(|_| {}).await?;
        let ours_ms = started.elapsed().as_secs_f64() * 1000.0;
        let ours_requests = total_requests(&emu);
        let nodes = hierarchy.nodes.len();

        let http = reqwest::Client::new();
        let token = seed_login(&http, &emu.base_url()).await?;
        emu.faults().reset_counters();
        let started = Instant::now();
        let seed_nodes = seed_recursion(&http, &emu.base_url(), &token).await?;
        let seed_ms = started.elapsed().as_secs_f64() * 1000.0;
        let seed_requests = total_requests(&emu);
        anyhow::ensure!(seed_nodes > 0, "the seed recursion found nothing");

        let case = format!("{name} ({nodes} nodes)");
        report.add(
            "tree_load",
            &case,
            "round trips",
            "count",
            ours_requests as f64,
            Some(("seed recursion", seed_requests as f64)),
            Some("<= 3 per root"),
        );
        report.add(
            "tree_load",
            &case,
            "time",
            "ms",
            ours_ms,
            Some(("seed recursion", seed_ms)),
            Some(">= 50x faster at 20 ms latency"),
        );
        emu.shutdown().await;
    }
    Ok(())
}

async fn seed_login(http: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let pair: serde_json::Value = http
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({"username": "tenant@thingsboard.org", "password": "tenant"}))
        .send()
        .await?
        .json()
        .await?;
    Ok(pair["token"].as_str().unwrap_or_default().to_owned())
}

/// What the seed describes: list the assets, then recurse with one relations call per asset.
async fn seed_recursion(http: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<usize> {
    let assets: serde_json::Value = http
        .get(format!("{base}/api/tenant/assets?pageSize=1000&page=0"))
        .header("X-Authorization", format!("Bearer {token}"))
        .send()
        .await?
        .json()
        .await?;
    let root = assets["data"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["type"] == "site"))
        .and_then(|x| x["id"]["id"].as_str())
        .ok_or_else(|| anyhow::anyhow!("no site asset"))?
        .to_owned();
    let mut stack = vec![root];
    let mut seen = std::collections::HashSet::new();
    let mut nodes = 0;
    while let Some(asset) = stack.pop() {
        if !seen.insert(asset.clone()) {
            continue;
        }
        let relations: Vec<EntityRelation> = http
            .get(format!("{base}/api/relations?fromId={asset}&fromType=ASSET&relationType=Contains"))
            .header("X-Authorization", format!("Bearer {token}"))
            .send()
            .await?
            .json()
            .await?;
        for r in relations {
            nodes += 1;
            if r.to.entity_type == EntityType::Asset {
                stack.push(r.to.id.to_string());
            }
        }
    }
    Ok(nodes)
}

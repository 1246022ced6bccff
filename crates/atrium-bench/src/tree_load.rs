//! Loading the whole `large` building (about 4,000 devices) with 20 ms of added latency per
//! request: our loader (a relation query per root, details in batched entity data queries), our
//! level-by-level fallback, the seed's recursion (one `GET /api/relations` per asset, depth first)
//! and the same recursion written with ThingsBoard's official Python client (`tb-rest-client`),
//! side by side, round trips counted by the emulator.
//!
//! The Python comes from `ATRIUM_PYTHON`, else the venv the emulator's fidelity test builds under
//! `<target dir>/py-fidelity/venv`; without either that row is skipped, saying so.

use crate::report::Report;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tb_client::hierarchy::{Hierarchy, LoadOptions};
use tb_client::{Client, Secret};
use tb_emulator::{Emulator, EmulatorConfig, Preset};
use tb_proto::relation::EntityRelation;
use tb_proto::EntityType;

const LATENCY: Duration = Duration::from_millis(20);
const USER: &str = "tenant@thingsboard.org";
const PASSWORD: &str = "tenant";
/// Runs of our loader; the median is reported.
const OUR_RUNS: usize = 3;
/// The Python recursion must finish within this.
const PYTHON_TIMEOUT: Duration = Duration::from_secs(300);

/// REST requests since the last reset, logins left out (each contender logs in its own way).
fn round_trips(emu: &Emulator) -> u64 {
    let c = emu.faults().counters();
    c.requests_by_route.iter().filter(|(route, _)| !route.contains("/api/auth/")).map(|(_, n)| n).sum()
}

pub(crate) async fn run(report: &mut Report) -> anyhow::Result<()> {
    let emu =
        Emulator::start(EmulatorConfig { preset: Preset::Large, ..EmulatorConfig::for_tests() }).await?;
    emu.faults().set_latency(LATENCY, Duration::ZERO);
    let base = emu.base_url();
    let client = Client::builder(&base).build()?;
    client.login(USER, &Secret::new(PASSWORD)).await?;

    // Ours, fast path: the median of a few runs.
    let mut times = Vec::new();
    let mut last: Option<(Hierarchy, u64, u64)> = None;
    for _ in 0..OUR_RUNS {
        emu.faults().reset_counters();
        let started = Instant::now();
        let h = client.load_hierarchy(|_| {}).await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        let c = emu.faults().counters();
        let per_root = c.requests("POST /api/relations/info") + c.requests("POST /api/entitiesQuery/find");
        last = Some((h, round_trips(&emu), per_root));
    }
    times.sort_by(f64::total_cmp);
    let ours_ms = times[times.len() / 2];
    let (hierarchy, ours_requests, per_root_requests) = last.expect("at least one run");
    let roots = hierarchy.roots.len().max(1) as f64;
    let nodes = hierarchy.nodes.len();
    let devices = hierarchy.nodes.keys().filter(|id| id.entity_type == EntityType::Device).count();

    // Ours, forced level by level (what servers refusing the queries get).
    emu.faults().reset_counters();
    let started = Instant::now();
    let options = LoadOptions { prefer_queries: false, ..LoadOptions::default() };
    let fallback = client.load_hierarchy_with(&options, |_| {}).await?;
    let fallback_ms = started.elapsed().as_secs_f64() * 1000.0;
    let fallback_requests = round_trips(&emu);
    anyhow::ensure!(fallback.children == hierarchy.children, "the fallback found another tree");

    // The seed's recursion, in Rust on the same HTTP stack.
    let http = reqwest::Client::new();
    let token = seed_login(&http, &base).await?;
    emu.faults().reset_counters();
    let started = Instant::now();
    let seed_edges = seed_recursion(&http, &base, &token).await?;
    let seed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let seed_requests = round_trips(&emu);
    let our_edges: usize = hierarchy.children.values().map(Vec::len).sum();
    anyhow::ensure!(seed_edges == our_edges, "the seed recursion found {seed_edges} edges, ours {our_edges}");

    // The same recursion with ThingsBoard's Python client.
    emu.faults().reset_counters();
    let python = python_recursion(&base).await;
    let python_requests = round_trips(&emu);

    let case = format!("large, {} ms", LATENCY.as_millis());
    println!(
        "tree_load: large preset, {nodes} nodes ({devices} devices), {} root(s), {} ms added per request",
        hierarchy.roots.len(),
        LATENCY.as_millis()
    );
    report.add(
        "tree_load",
        &case,
        "round trips",
        "count",
        ours_requests as f64,
        Some(("seed recursion", seed_requests as f64)),
        None,
    );
    report.add(
        "tree_load",
        &case,
        "queries per root",
        "count",
        per_root_requests as f64 / roots,
        None,
        Some("<= 3 per root"),
    );
    report.add(
        "tree_load",
        &case,
        "time",
        "ms",
        ours_ms,
        Some(("seed recursion", seed_ms)),
        Some(">= 50x faster"),
    );
    report.add(
        "tree_load",
        &case,
        "time (fallback)",
        "ms",
        fallback_ms,
        Some(("seed recursion", seed_ms)),
        Some("level by level, 4 in flight"),
    );
    report.add(
        "tree_load",
        &case,
        "round trips (fallback)",
        "count",
        fallback_requests as f64,
        Some(("seed recursion", seed_requests as f64)),
        None,
    );
    match python {
        Ok((python_ms, python_edges)) => {
            if python_edges != our_edges {
                println!("tree_load: the Python recursion found {python_edges} edges, ours {our_edges}");
            }
            report.add(
                "tree_load",
                &case,
                "time",
                "ms",
                ours_ms,
                Some(("tb-rest-client recursion", python_ms)),
                Some(">= 50x faster"),
            );
            report.add(
                "tree_load",
                &case,
                "round trips",
                "count",
                ours_requests as f64,
                Some(("tb-rest-client recursion", python_requests as f64)),
                None,
            );
        }
        Err(e) => println!("tree_load: the tb-rest-client recursion was skipped: {e:#}"),
    }
    emu.faults().set_latency(Duration::ZERO, Duration::ZERO);
    emu.shutdown().await;
    portfolio(report).await
}

/// The `portfolio` preset (50 buildings, about 50,000 devices), no added latency: load time and
/// the loader's peak memory (the emulator runs in the same process, so its share is taken out).
async fn portfolio(report: &mut Report) -> anyhow::Result<()> {
    let emu =
        Emulator::start(EmulatorConfig { preset: Preset::Portfolio, ..EmulatorConfig::for_tests() }).await?;
    let client = Client::builder(emu.base_url()).build()?;
    client.login(USER, &Secret::new(PASSWORD)).await?;
    let before_mib = memory_kib("VmRSS:").unwrap_or(0) as f64 / 1024.0;
    // Resets the peak so VmHWM below is this load's (Linux >= 4.0).
    let peak_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    emu.faults().reset_counters();
    let started = Instant::now();
    let hierarchy = client.load_hierarchy(|_| {}).await?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let peak_mib = memory_kib("VmHWM:").unwrap_or(0) as f64 / 1024.0;
    let devices = hierarchy.nodes.keys().filter(|id| id.entity_type == EntityType::Device).count();
    let case = format!("portfolio ({devices} devices)");
    report.add("tree_load", &case, "time", "ms", ms, None, None);
    report.add("tree_load", &case, "round trips", "count", round_trips(&emu) as f64, None, None);
    if peak_reset {
        let growth = peak_mib - before_mib;
        report.add(
            "tree_load",
            &case,
            "peak RSS growth",
            "MiB",
            growth,
            None,
            Some("client and server during the load"),
        );
    }
    drop(hierarchy);
    emu.shutdown().await;
    Ok(())
}

/// A `/proc/self/status` field in KiB.
fn memory_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn seed_login(http: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let pair: serde_json::Value = http
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({"username": USER, "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    Ok(pair["token"].as_str().unwrap_or_default().to_owned())
}

/// What the seed describes: list the assets, then recurse with one relations call per asset.
/// Returns the number of edges found.
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
    let mut edges = 0;
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
            edges += 1;
            if r.to.entity_type == EntityType::Asset {
                stack.push(r.to.id.to_string());
            }
        }
    }
    Ok(edges)
}

/// This crate's directory: `cargo run` sets it at run time; a shared target dir may hold a binary
/// built from another clone, so the compile-time value is a fallback.
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
}

/// `ATRIUM_PYTHON`, or the fidelity test's venv under the target directory.
fn python() -> anyhow::Result<PathBuf> {
    if let Some(python) = std::env::var_os("ATRIUM_PYTHON") {
        return Ok(PathBuf::from(python));
    }
    let manifest = manifest_dir();
    let target = match std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => manifest.join("../..").join(dir),
        None => manifest.join("../../target"),
    };
    let python = target.join("py-fidelity/venv/bin/python");
    anyhow::ensure!(
        python.exists(),
        "no python with tb-rest-client at {} (run `cargo test -p tb-emulator --test integration python_client` once, or set ATRIUM_PYTHON)",
        python.display()
    );
    Ok(python)
}

/// Runs `python/seed_recursion.py`; returns its own timing (login and interpreter start left out) and edge count.
async fn python_recursion(base: &str) -> anyhow::Result<(f64, usize)> {
    let python = python()?;
    let script = manifest_dir().join("python/seed_recursion.py");
    let base = base.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<(f64, usize)> {
        let mut child = std::process::Command::new(&python)
            .arg(&script)
            .args([base.as_str(), USER, PASSWORD])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()?;
        let deadline = Instant::now() + PYTHON_TIMEOUT;
        while child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                anyhow::bail!("the Python recursion took more than {PYTHON_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let output = child.wait_with_output()?;
        anyhow::ensure!(
            output.status.success(),
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr).lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default()
        );
        let line = String::from_utf8_lossy(&output.stdout);
        let answer: serde_json::Value = serde_json::from_str(line.trim().lines().last().unwrap_or_default())?;
        let ms = answer["ms"].as_f64().ok_or_else(|| anyhow::anyhow!("no timing in {line}"))?;
        let nodes = answer["nodes"].as_u64().unwrap_or(0) as usize;
        if answer["path_style"] == false {
            println!(
                "tree_load: the server has no /api/relations/from/{{type}}/{{id}}/{{relationType}}, which \
                 tb-rest-client's find_by_from calls; its ApiClient called /api/relations?fromId&fromType&relationType instead"
            );
        }
        Ok((ms, nodes))
    })
    .await?
}

//! Atrium's benchmarks: `cargo xtask bench` (or `cargo run --release -p atrium-bench -- --report FILE`).
//!
//! Every benchmark runs against the in-process emulator on 127.0.0.1 and prints its figures beside
//! the baseline it is meant to beat, measured in the same run. Results also go to a JSON report.

mod emulator;
mod history_view;
mod live;
mod package;
mod refresh_storm;
mod report;
mod rollup;
mod room_frames;
mod room_view;
mod sharing;
mod soak;
mod startup;
mod tree_load;

use report::Report;

/// Every allocation of the benchmarks goes through this counter ([`heap_bytes`]).
#[global_allocator]
static ALLOCATOR: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// Bytes allocated and not yet freed, in this whole process.
pub(crate) fn heap_bytes() -> usize {
    ALLOCATOR.allocated()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut report_path = None;
    let mut only: Option<String> = None;
    let mut app: Option<std::path::PathBuf> = None;
    let mut packages: Vec<std::path::PathBuf> = Vec::new();
    let mut soak_seconds: u64 = 60;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--report" => report_path = args.next(),
            "--only" => only = args.next(),
            "--app" => app = args.next().map(Into::into),
            "--package" => packages.extend(args.next().map(Into::into)),
            "--soak-seconds" => {
                let value = args.next().unwrap_or_default();
                soak_seconds = value
                    .parse()
                    .map_err(|_| anyhow::anyhow!("--soak-seconds takes a number, not {value:?}"))?;
            }
            // Internal: the emulator's memory is measured in a process of its own.
            emulator::RSS_PROBE_FLAG => return emulator::rss_probe().await,
            "-h" | "--help" => {
                println!(
                    "atrium-bench [--report FILE] [--app RELEASE_BINARY] [--package FILE]... [--soak-seconds N] [--only tree_load|refresh_storm|emulator|live|rollup|history_view|room_view|sharing|startup|room_frames|package|soak]"
                );
                return Ok(());
            }
            other => anyhow::bail!("unknown argument {other:?} (try --help)"),
        }
    }
    let wanted = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let mut report = Report::default();
    // One benchmark failing does not lose the others' figures: each is reported, then the run fails.
    let mut failed = Vec::new();
    macro_rules! bench {
        ($name:literal, $run:expr) => {
            if wanted($name) {
                if let Err(e) = $run.await {
                    eprintln!("{}: failed: {e:#}", $name);
                    failed.push($name);
                }
            }
        };
    }
    bench!("tree_load", tree_load::run(&mut report));
    bench!("refresh_storm", refresh_storm::run(&mut report));
    bench!("emulator", emulator::run(&mut report));
    bench!("live", live::run(&mut report));
    bench!("rollup", rollup::run(&mut report));
    bench!("history_view", history_view::run(&mut report));
    bench!("room_view", room_view::run(&mut report));
    bench!("sharing", sharing::run(&mut report));
    bench!("startup", startup::run(&mut report, app.as_deref()));
    bench!("room_frames", room_frames::run(&mut report, app.as_deref()));
    bench!("package", async { package::run(&mut report, &packages, app.as_deref()) });
    // Last: it logs at trace for the rest of the process.
    bench!("soak", soak::run(&mut report, std::time::Duration::from_secs(soak_seconds)));
    report.print();
    if let Some(path) = report_path {
        report.write(std::path::Path::new(&path))?;
        println!("\nreport written to {path}");
    }
    anyhow::ensure!(failed.is_empty(), "benchmarks failed: {}", failed.join(", "));
    Ok(())
}

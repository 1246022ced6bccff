//! `cargo xtask`: Atrium's build, test and setup tasks, in Rust instead of shell scripts.
//!
//! Like rust-analyzer's xtask it has few dependencies (`anyhow`, and wasm-bindgen's CLI library,
//! which compiles in less than a fifth of the time `cargo install wasm-bindgen-cli` takes), and it
//! only runs the same tools a developer would run by hand (`apt-get`, `rustup`, `cargo`, `npm`,
//! `xvfb-run`), printing each command first. It is not a build system: cargo does the building;
//! `ui` only strings together the three steps trunk would run for this app (see ui.rs).
//!
//! ```text
//! cargo xtask setup     # install the toolchain (idempotent, well under a second when present)
//! cargo xtask test      # everything CI checks, with a timing table
//! ```

mod demo;
mod fuzz;
mod lint;
mod mobile;
mod package;
mod project;
mod setup;
mod test;
mod ui;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use crate::project::{run, Project};

const HELP: &str = "\
cargo xtask <command> [flags]

commands:
  setup                 install what builds and tests need, skipping what is present:
                        apt packages, wasm32 target, npm packages (Tauri CLI, wasm-opt),
                        cargo-fuzz
  tools                 only the tool cargo builds: cargo-fuzz (needs the nightly toolchain)
  phones                clippy of the shell (and what it links) for Android and iOS, without
                        their SDKs; needs dist/ (`cargo xtask ui`)
  ui [--release]        build the Leptos UI into dist/ (cargo, wasm-bindgen's library, wasm-opt);
                        `trunk serve` reads the same index.html for live reload (optional)
  demo [--release] [--screenshot FILE]
                        build and run the app logged in to the embedded demo building;
                        --screenshot runs it under its own Xvfb and saves FILE (PNG) instead
  test [--quick]        what CI runs: setup, fmt, the UI build, one build of every host target (the
                        UI and it linted by clippy as they are built), unit tests (in a kernel
                        session keyring), the Secret Service test, a 1-minute soak beside a few
                        seconds of each fuzz target, the .deb (contents, fields, its binary started
                        under Xvfb to the sign-in screen), end-to-end tests under Xvfb with a
                        Secret Service, with `phones` beside them on the cores they leave idle;
                        --quick skips the .deb and the end-to-end tests
  fuzz [--seconds N] [--target NAME]
                        build the cargo-fuzz targets in fuzz/ (nightly; cargo-fuzz installed if
                        missing) and run each for N seconds (default 60) on a copy of its
                        committed corpus; a crash fails, naming its input (make it a regression test)
  bench [ARGS...]       the release app and its .deb/.rpm, then (under Xvfb, with a Secret Service)
                        cargo run --release -p atrium-bench -- --report <target>/bench/report.json
                        --app <release app> --package <deb> --package <rpm> ARGS (e.g. --only startup)
  soak [--minutes N]    the core left running (default 30 min, release) against an emulator that
                        drops sockets, stalls and refuses upgrades, goes silent, expires tokens,
                        fails requests and takes devices offline; fails on a panic, a stale value,
                        a secret in the log or memory growth (the test command runs 1 min)
  bundle [--deb] [--rpm] [--appimage] [--android] [--ios]
                        release packages via the Tauri CLI (default: deb and rpm)
  help                  this text
";

fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` prints the whole context chain on one line, without anyhow's backtrace.
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn try_main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_else(|| "help".to_owned());
    let args: Vec<String> = args.collect();
    let project = Project::locate()?;
    match command.as_str() {
        "setup" => {
            no_flags(&command, &args)?;
            setup::run(&project)
        }
        "tools" => {
            no_flags(&command, &args)?;
            fuzz::tools(&project)
        }
        "phones" => {
            no_flags(&command, &args)?;
            mobile::check(&project)
        }
        "ui" => {
            let flags = Flags::parse(&args, &["--release"], &[])?;
            ui(&project, flags.has("--release"))
        }
        "demo" => {
            let flags = Flags::parse(&args, &["--release"], &["--screenshot"])?;
            let screenshot = flags.value("--screenshot").map(std::path::absolute).transpose()?;
            demo::run(&project, flags.has("--release"), screenshot)
        }
        "test" => {
            let flags = Flags::parse(&args, &["--quick"], &[])?;
            test::run(&project, flags.has("--quick"))
        }
        "fuzz" => {
            let flags = Flags::parse(&args, &[], &["--seconds", "--target"])?;
            let seconds = match flags.text("--seconds") {
                Some(n) => n.parse().with_context(|| format!("--seconds takes a whole number, not `{n}`"))?,
                None => fuzz::DEFAULT_SECONDS,
            };
            fuzz::run(&project, seconds, flags.text("--target"))
        }
        "bench" => bench(&project, &args),
        "soak" => {
            let flags = Flags::parse(&args, &[], &["--minutes"])?;
            let minutes = match flags.value("--minutes") {
                Some(m) => m.to_string_lossy().parse::<u64>().context("--minutes takes a whole number")?,
                None => 30,
            };
            let seconds = (minutes * 60).to_string();
            run(project.cargo().args([
                "run",
                "--release",
                "-p",
                "atrium-bench",
                "--",
                "--only",
                "soak",
                "--soak-seconds",
                &seconds,
            ]))
        }
        "bundle" => {
            let flags = Flags::parse(&args, &["--deb", "--rpm", "--appimage", "--android", "--ios"], &[])?;
            bundle(&project, &flags)
        }
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => {
            eprint!("{HELP}");
            bail!("unknown command `{other}`")
        }
    }
}

/// `cargo xtask ui`: the UI into dist/ (cargo, wasm-bindgen, and wasm-opt for release).
pub(crate) fn ui(project: &Project, release: bool) -> Result<()> {
    ui::build(project, release)
        .context("building the UI failed (run `cargo xtask setup` if a tool is missing)")
}

/// `cargo xtask bench`: the benchmark crate, writing its JSON report into the target dir. The
/// start-up benchmark times the release app, so that is built first (release UI embedded), and
/// everything runs under Xvfb with a Secret Service for the app's kept session.
fn bench(project: &Project, extra: &[String]) -> Result<()> {
    setup::prerequisites(project)?;
    let target = project.target_dir()?;
    let report_dir = target.join("bench");
    std::fs::create_dir_all(&report_dir).with_context(|| format!("creating {}", report_dir.display()))?;
    let report = report_dir.join("report.json");
    ui(project, true)?;
    run(project.cargo().args(["build", "--release", "-p", "atrium"]))?;
    // The packages users download, from the binary just built, for the size rows.
    run(project.cmd("tauri").args(["bundle", "--bundles", "deb,rpm", "--ci"]))?;
    let bundles = target.join("release").join("bundle");
    let packages = [
        package::newest_with_extension(&bundles.join("deb"), "deb")?,
        package::newest_with_extension(&bundles.join("rpm"), "rpm")?,
    ];
    let mut bench = project.cmd("xvfb-run");
    bench
        .args(["-a", "-s", test::XVFB_SERVER_ARGS])
        .arg(project::cargo_program())
        .args(["run", "--release", "-p", "atrium-bench", "--", "--report"])
        .arg(&report)
        .arg("--app")
        .arg(target.join("release").join("atrium"));
    for package in &packages {
        bench.arg("--package").arg(package);
    }
    bench.args(extra);
    let keyring = target.join("scratch").join("bench-keyring");
    let _ = std::fs::remove_dir_all(&keyring);
    std::fs::create_dir_all(&keyring)?;
    run(&mut test::with_secret_service(project, bench, &keyring))?;
    println!("bench: report in {}", report.display());
    Ok(())
}

/// `cargo xtask bundle`: `tauri build --bundles deb,rpm`; says plainly what cannot be built here.
fn bundle(project: &Project, flags: &Flags) -> Result<()> {
    if flags.has("--appimage") {
        bail!(
            "AppImage bundling cannot work on this machine: Tauri's AppImage step downloads AppRun \
             and linuxdeploy from github.com, which is unreachable here (only crates.io, npm, PyPI \
             and Debian apt are). Build AppImages on a builder with GitHub access; deb and rpm work here."
        );
    }
    if flags.has("--android") {
        bail!(
            "Android builds cannot work on this machine: they need the Android SDK and NDK, which \
             are not on any reachable registry (npm, PyPI, crates.io, Debian apt). A compile check \
             without the NDK is possible with clang in freestanding mode."
        );
    }
    if flags.has("--ios") {
        bail!(
            "iOS builds cannot work on this machine: they need macOS with Xcode. Only a `cargo check` \
             against a stub SDK is possible here."
        );
    }
    let mut bundles = Vec::new();
    if flags.has("--deb") {
        bundles.push("deb");
    }
    if flags.has("--rpm") {
        bundles.push("rpm");
    }
    if bundles.is_empty() {
        bundles = vec!["deb", "rpm"];
    }
    setup::prerequisites(project)?;
    // The Tauri CLI runs beforeBuildCommand (`cargo xtask ui --release`) itself.
    let mut tauri = project.cmd("tauri");
    tauri.args(["build", "--bundles", &bundles.join(",")]);
    run(&mut tauri)?;
    println!("bundle: packages in {}", project.target_dir()?.join("release/bundle").display());
    Ok(())
}

fn no_flags(command: &str, args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        bail!("`cargo xtask {command}` takes no arguments, got `{arg}` (see `cargo xtask help`)");
    }
    Ok(())
}

/// Hand-rolled flag parsing: boolean switches and `--name VALUE` options, nothing else.
#[derive(Debug, Default)]
struct Flags {
    switches: Vec<String>,
    values: Vec<(String, String)>,
}

impl Flags {
    fn parse(args: &[String], switches: &[&str], options: &[&str]) -> Result<Flags> {
        let mut flags = Flags::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if switches.contains(&arg.as_str()) {
                flags.switches.push(arg.clone());
            } else if options.contains(&arg.as_str()) {
                let value = args.next().with_context(|| format!("`{arg}` needs a value"))?;
                flags.values.push((arg.clone(), value.clone()));
            } else if let Some((name, value)) = arg.split_once('=').filter(|(name, _)| options.contains(name))
            {
                flags.values.push((name.to_owned(), value.to_owned()));
            } else {
                bail!("unknown argument `{arg}` (see `cargo xtask help`)");
            }
        }
        Ok(flags)
    }

    fn has(&self, switch: &str) -> bool {
        self.switches.iter().any(|s| s == switch)
    }

    fn value(&self, option: &str) -> Option<PathBuf> {
        self.text(option).map(PathBuf::from)
    }

    fn text(&self, option: &str) -> Option<&str> {
        self.values.iter().find(|(name, _)| name == option).map(|(_, value)| value.as_str())
    }
}

//! `cargo xtask fuzz`: the cargo-fuzz targets in fuzz/fuzz_targets/, each run for a while on a
//! copy of its committed corpus (fuzz/corpus/<target>/), with its dictionary (fuzz/dicts/) if it
//! has one, one line each.
//!
//! cargo-fuzz runs on the nightly toolchain and is installed at the version pinned here. The
//! build goes to `<target dir>/fuzz`, outside the clone when CARGO_TARGET_DIR is (as on CI, where
//! it is kept between runs), with no sanitizer: the workspace forbids unsafe code, so what there
//! is to find is panics and broken invariants (debug assertions and overflow checks stay on), and
//! without AddressSanitizer a target runs about five times as many inputs in the same time, in a
//! tenth of the memory. The corpus copies and logs live there too; only a crashing input is
//! written into the clone, under fuzz/artifacts/ (git-ignored), where cargo-fuzz's own commands
//! look for it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::project::{self, probe, Project};
use crate::setup;

pub(crate) const CARGO_FUZZ_VERSION: &str = "0.13.2";
/// How long each target runs by default.
pub(crate) const DEFAULT_SECONDS: u64 = 60;
/// How long each target runs in `cargo xtask test`: enough to replay the corpus and try a few
/// hundred thousand new inputs.
pub(crate) const TEST_SECONDS: u64 = 4;
/// libFuzzer gives up on one input after this long (its default is 20 minutes).
const INPUT_TIMEOUT_SECS: u64 = 30;
/// cargo-fuzz's build and run flags; both must match, or a run rebuilds.
const SANITIZER: [&str; 2] = ["--sanitizer", "none"];

/// Builds every target (or `only`), runs each for `seconds`, and fails if any crashed.
pub(crate) fn run(project: &Project, seconds: u64, only: Option<&str>) -> Result<()> {
    let fuzz_dir = project.root.join("fuzz");
    let mut targets = targets(&fuzz_dir)?;
    if let Some(only) = only {
        if !targets.iter().any(|t| t == only) {
            bail!("there is no fuzz target `{only}`; the targets are {}", targets.join(", "));
        }
        targets.retain(|t| t == only);
    }
    tools(project)?;
    let target_dir = project.target_dir()?.join("fuzz");
    let start = Instant::now();
    let mut build = nightly(project);
    build.args(["fuzz", "build"]).args(SANITIZER).arg("--target-dir").arg(&target_dir);
    build.args(only);
    project::run(&mut build)?;
    let plural = if targets.len() == 1 { "" } else { "s" };
    println!("fuzz: {} target{plural} built in {:.1} s", targets.len(), start.elapsed().as_secs_f64());

    // Runs write under the shared target dir: another clone's run waits, as cargo's builds do.
    std::fs::create_dir_all(target_dir.join("runs"))?;
    let lock = std::fs::File::create(target_dir.join("runs").join(".lock"))?;
    lock.lock().context("locking the fuzz runs directory")?;
    // libFuzzer runs one thread per process: as many targets at a time as there are cores.
    let at_once = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut crashed = Vec::new();
    for batch in targets.chunks(at_once) {
        let outcomes: Vec<Result<Outcome>> = std::thread::scope(|scope| {
            let runs: Vec<_> = batch
                .iter()
                .map(|target| scope.spawn(|| run_target(project, &fuzz_dir, &target_dir, target, seconds)))
                .collect();
            runs.into_iter()
                .map(|run| {
                    run.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a fuzz run's thread panicked")))
                })
                .collect()
        });
        for (target, outcome) in batch.iter().zip(outcomes) {
            let outcome = outcome?;
            println!("{}", outcome.line(target));
            if outcome.crashed() {
                println!("{}", outcome.crash_report(target, &target_dir));
                crashed.push(target.as_str());
            }
        }
    }
    if !crashed.is_empty() {
        bail!(
            "fuzzing found a crash in {}: fix it and add the input as a regression test to that \
             crate's unit tests",
            crashed.join(", ")
        );
    }
    Ok(())
}

/// The nightly toolchain (checked, not installed: rustup would download it) and cargo-fuzz.
pub(crate) fn tools(project: &Project) -> Result<()> {
    if probe(nightly(project).arg("--version")).is_none() {
        bail!(
            "cargo-fuzz needs the nightly toolchain, which `cargo +nightly` does not find: \
             `rustup toolchain install nightly --profile minimal`"
        );
    }
    setup::cargo_tool(project, "cargo-fuzz", CARGO_FUZZ_VERSION, "~1 min", &["fuzz", "--version"], |out| {
        out.split_whitespace().nth(1) == Some(CARGO_FUZZ_VERSION)
    })
}

/// `cargo +nightly`, through rustup's proxy (cargo's bin dir comes first on the project's PATH).
fn nightly(project: &Project) -> Command {
    let mut cargo = project.cmd("cargo");
    cargo.arg("+nightly");
    cargo
}

/// The targets: fuzz/fuzz_targets/<name>.rs, by name.
fn targets(fuzz_dir: &Path) -> Result<Vec<String>> {
    let dir = fuzz_dir.join("fuzz_targets");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs") {
            names.extend(path.file_stem().map(|s| s.to_string_lossy().into_owned()));
        }
    }
    names.sort();
    Ok(names)
}

fn run_target(
    project: &Project,
    fuzz_dir: &Path,
    target_dir: &Path,
    target: &str,
    seconds: u64,
) -> Result<Outcome> {
    // A fresh copy: the committed corpus stays as it is, and every run starts from it.
    let work = target_dir.join("runs").join(target);
    let corpus = work.join("corpus");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&corpus).with_context(|| format!("creating {}", corpus.display()))?;
    let seeds = fuzz_dir.join("corpus").join(target);
    for seed in std::fs::read_dir(&seeds).with_context(|| format!("reading {}", seeds.display()))? {
        let seed = seed?.path();
        std::fs::copy(&seed, corpus.join(seed.file_name().unwrap_or_default()))?;
    }
    // The words of the target's format, which libFuzzer would take long to guess (an enum's names).
    let dict = fuzz_dir.join("dicts").join(format!("{target}.dict"));
    let log_path = work.join("log.txt");
    let log = std::fs::File::create(&log_path)?;
    let mut fuzz = nightly(project);
    fuzz.args(["fuzz", "run"])
        .args(SANITIZER)
        .arg("--target-dir")
        .arg(target_dir)
        .arg(target)
        .arg(&corpus)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-timeout={INPUT_TIMEOUT_SECS}"))
        .arg("-print_final_stats=1")
        .args(dict.is_file().then(|| format!("-dict={}", dict.display())))
        .stdout(log.try_clone()?)
        .stderr(log);
    let start = Instant::now();
    let status = fuzz.status().context("could not start `cargo +nightly fuzz run`")?;
    let seconds_taken = start.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&std::fs::read(&log_path)?).into_owned();
    let mut outcome = Outcome::parse(&text);
    outcome.seconds = seconds_taken;
    outcome.log = log_path;
    if !status.success() && !outcome.crashed() {
        let tail: Vec<&str> = text.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!("`cargo fuzz run {target}` failed ({status}) without a crashing input:\n{}", tail.join("\n"));
    }
    Ok(outcome)
}

/// What one run reported, read from libFuzzer's output.
#[derive(Debug, Default, PartialEq)]
struct Outcome {
    runs: Option<u64>,
    execs_per_sec: Option<u64>,
    /// Coverage (edges) after the corpus was replayed, and at the end.
    coverage: (Option<u64>, Option<u64>),
    /// Corpus entries after the replay, and at the end.
    corpus: (Option<u64>, Option<u64>),
    /// The crashing input libFuzzer wrote.
    artifact: Option<String>,
    /// The panic message, or libFuzzer's error line.
    failure: Option<String>,
    seconds: f64,
    log: PathBuf,
}

impl Outcome {
    fn parse(log: &str) -> Outcome {
        let mut outcome = Outcome::default();
        let field = |line: &str, name: &str| -> Option<u64> {
            let rest = line.split(name).nth(1)?.trim_start();
            rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
        };
        let mut lines = log.lines();
        while let Some(line) = lines.next() {
            if line.starts_with('#') && line.contains(" cov: ") {
                if line.contains("INITED") {
                    outcome.coverage.0 = field(line, " cov:");
                    outcome.corpus.0 = field(line, " corp:");
                }
                outcome.coverage.1 = field(line, " cov:");
                outcome.corpus.1 = field(line, " corp:");
            } else if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
                outcome.runs = n.trim().parse().ok();
            } else if let Some(n) = line.strip_prefix("stat::average_exec_per_sec:") {
                outcome.execs_per_sec = n.trim().parse().ok();
            } else if let Some((_, path)) = line.split_once("Test unit written to ") {
                outcome.artifact = Some(path.trim().to_owned());
            } else if line.contains("panicked at") {
                let message = lines.next().unwrap_or_default();
                outcome.failure = Some(format!("{} {}", line.trim(), message.trim()));
            } else if let Some((_, error)) = line.split_once("ERROR: libFuzzer: ") {
                outcome.failure.get_or_insert_with(|| format!("libFuzzer: {}", error.trim()));
            }
        }
        outcome
    }

    fn crashed(&self) -> bool {
        self.artifact.is_some()
    }

    /// `fuzz: ws_frame  4.1 s  210000 runs (52500/s)  cov 1445 -> 1502 (+57)  corpus 12 -> 140  ok`
    fn line(&self, target: &str) -> String {
        let n = |v: Option<u64>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
        let new = match self.coverage {
            (Some(start), Some(end)) => format!(" (+{})", end.saturating_sub(start)),
            _ => String::new(),
        };
        format!(
            "fuzz: {target:<20} {:>6.1} s  {:>9} runs ({}/s)  cov {} -> {}{new}  corpus {} -> {}  {}",
            self.seconds,
            n(self.runs),
            n(self.execs_per_sec),
            n(self.coverage.0),
            n(self.coverage.1),
            n(self.corpus.0),
            n(self.corpus.1),
            if self.crashed() { "CRASH" } else { "ok" }
        )
    }

    fn crash_report(&self, target: &str, target_dir: &Path) -> String {
        let artifact = self.artifact.as_deref().unwrap_or("?");
        format!(
            "      {}\n      input: {artifact}\n      again: cargo +nightly fuzz run {} --target-dir {} {target} {artifact}\n      log:   {}",
            self.failure.as_deref().unwrap_or("no message"),
            SANITIZER.join(" "),
            target_dir.display(),
            self.log.display()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSED: &str = "\
INFO: Seed: 3
#16\tINITED cov: 1445 ft: 2009 corp: 15/1458b exec/s: 0 rss: 77Mb
#1024\tpulse  cov: 1500 ft: 2100 corp: 40/3Kb lim: 4096 exec/s: 512 rss: 80Mb
#242269\tDONE   cov: 2010 ft: 4793 corp: 1083/116Kb lim: 596 exec/s: 15141 rss: 498Mb
Done 242269 runs in 16 second(s)
stat::number_of_executed_units: 242269
stat::average_exec_per_sec:     15141
stat::new_units_added:          1068
";

    #[test]
    fn reads_what_libfuzzer_reports() {
        let outcome = Outcome::parse(PASSED);
        assert_eq!(outcome.runs, Some(242_269));
        assert_eq!(outcome.execs_per_sec, Some(15_141));
        assert_eq!(outcome.coverage, (Some(1445), Some(2010)));
        assert_eq!(outcome.corpus, (Some(15), Some(1083)));
        assert!(!outcome.crashed());
        let line = outcome.line("ws_frame");
        assert!(line.contains("cov 1445 -> 2010 (+565)") && line.ends_with("ok"), "{line}");
    }

    #[test]
    fn reads_a_crash_with_its_message_and_input() {
        let log = "\
#8\tINITED cov: 1497 ft: 3435 corp: 7/144b exec/s: 0 rss: 77Mb

thread '<unnamed>' (30310) panicked at fuzz_targets/tree_builder.rs:82:9:
level 2 over the limit 1
stack backtrace:
==30310== ERROR: libFuzzer: deadly signal
artifact_prefix='/w/fuzz/artifacts/tree_builder/'; Test unit written to /w/fuzz/artifacts/tree_builder/crash-a4fa
";
        let outcome = Outcome::parse(log);
        assert!(outcome.crashed());
        assert_eq!(outcome.artifact.as_deref(), Some("/w/fuzz/artifacts/tree_builder/crash-a4fa"));
        let failure = outcome.failure.as_deref().unwrap();
        assert!(failure.ends_with("tree_builder.rs:82:9: level 2 over the limit 1"), "{failure}");
        assert!(outcome.line("tree_builder").ends_with("CRASH"));
        assert!(outcome.crash_report("tree_builder", Path::new("/t")).contains("crash-a4fa"));
    }

    /// Every target is built (a `[[bin]]` in fuzz/Cargo.toml) and starts from committed seeds,
    /// which stay small: hand-written, a few KB, not a fuzzer's whole corpus.
    #[test]
    fn every_target_is_declared_and_has_small_seeds() {
        let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets it");
        let fuzz_dir = Path::new(&manifest_dir).join("..").join("fuzz");
        let manifest = std::fs::read_to_string(fuzz_dir.join("Cargo.toml")).unwrap();
        let targets = targets(&fuzz_dir).unwrap();
        assert!(targets.len() >= 8, "{targets:?}");
        for target in &targets {
            assert!(
                manifest.contains(&format!("name = \"{target}\"")),
                "fuzz/Cargo.toml has no [[bin]] {target}"
            );
            let seeds: Vec<_> = std::fs::read_dir(fuzz_dir.join("corpus").join(target))
                .unwrap_or_else(|e| panic!("fuzz/corpus/{target}: {e}"))
                .map(|entry| entry.unwrap().metadata().unwrap().len())
                .collect();
            assert!(!seeds.is_empty(), "fuzz/corpus/{target} has no seeds");
            assert!(seeds.iter().all(|len| *len <= 16 * 1024), "fuzz/corpus/{target}: a seed over 16 KiB");
        }
    }

    /// libFuzzer refuses a dictionary with a byte outside printable ASCII (write `\xNN`).
    #[test]
    fn dictionaries_are_what_libfuzzer_reads() {
        let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets it");
        let dicts = Path::new(&manifest_dir).join("..").join("fuzz").join("dicts");
        let targets = targets(&dicts.join("..")).unwrap();
        for entry in std::fs::read_dir(&dicts).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            assert!(targets.contains(&name), "{} is for no target", path.display());
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let entry = line.starts_with('"') && line.ends_with('"') && line.len() > 2;
                let printable = line.bytes().all(|b| (b' '..=b'~').contains(&b));
                assert!(line.starts_with('#') || (entry && printable), "{}: {line:?}", path.display());
            }
        }
    }
}

//! `cargo xtask test`: everything CI checks, in order, failing fast, with a timing table.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::project::{self, json_string_field, Background, Project, Steps};
use crate::{fuzz, lint, mobile, package, setup, ui};

/// The X screen for Xvfb: the app's window is 1280x800.
pub(crate) const XVFB_SERVER_ARGS: &str = "-screen 0 1280x800x24";

/// `cmd` inside a fresh kernel session keyring (`keyctl session -`), with no D-Bus session.
fn in_session_keyring(project: &Project, cmd: Command) -> Command {
    let mut wrapped = project.cmd("keyctl");
    wrapped.args(["session", "-"]).arg(cmd.get_program()).args(cmd.get_args());
    copy_env(&cmd, &mut wrapped);
    wrapped.env_remove("DBUS_SESSION_BUS_ADDRESS").env_remove("DISPLAY");
    wrapped
}

/// `cmd` inside its own D-Bus session with an unlocked gnome-keyring (Secret Service), whose
/// keyrings live in `home` so no earlier run's keyring (or password) is in the way.
pub(crate) fn with_secret_service(project: &Project, cmd: Command, home: &std::path::Path) -> Command {
    let mut wrapped = project.cmd("dbus-run-session");
    wrapped
        .args(["--", "sh", "-c"])
        .arg("export $(printf atrium | gnome-keyring-daemon --unlock --components=secrets) && exec \"$@\"")
        .arg("sh")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    copy_env(&cmd, &mut wrapped);
    wrapped.env("XDG_DATA_HOME", home);
    wrapped
}

fn copy_env(from: &Command, to: &mut Command) {
    for (key, value) in from.get_envs() {
        match value {
            Some(value) => to.env(key, value),
            None => to.env_remove(key),
        };
    }
}

/// An emptied scratch directory under the target dir.
fn scratch(project: &Project, name: &str) -> Result<std::path::PathBuf> {
    let dir = project.target_dir()?.join("scratch").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

pub(crate) fn run(project: &Project, quick: bool) -> Result<()> {
    let mut steps = Steps::new("test");
    let cargo = |args: &[&str]| {
        let mut cmd = project.cargo();
        cmd.args(args);
        cmd
    };

    steps.run("setup", || setup::prerequisites(project))?;
    steps.run("fmt", || {
        project::run(&mut cargo(&["fmt", "--all", "--", "--check"]))?;
        // fuzz/ is a workspace of its own.
        project::run(&mut cargo(&["fmt", "--manifest-path", "fuzz/Cargo.toml", "--", "--check"]))
    })?;
    let clippy = lint::clippy_driver(project)?;
    // Before anything builds or checks the shell: its default `custom-protocol` feature embeds
    // dist/ at compile time, so that fails while dist/ does not exist. Linted as it is built (see
    // lint.rs): the UI and the contract crates it links (ARCHITECTURE.md: the wire types and the
    // UI contract have no IO and build for wasm32).
    steps.run("tools beside the UI's compile", || tools_beside_ui_compile(project, &clippy))?;
    steps.run("ui build and clippy (wasm)", || ui::build_linted(project, &clippy))?;
    // Every host target of the workspace in one build, linted as it is built, which the steps
    // after it run as built:
    // - Clippy runs as the workspace crates' rustc wrapper (lint.rs), so no separate `cargo
    //   clippy` checks every dependency a second time (that step took 142 s of a cold run). The
    //   host cargo commands below carry the same wrapper, or they rebuild.
    // - Cargo unifies dependency features over the packages a command selects: `cargo build -p
    //   atrium`, `cargo test -p atrium-e2e` and `cargo run -p atrium-bench` each select fewer than
    //   the tests, so each built serde, tokio, tauri and all that depends on them again. The unit
    //   tests select the workspace but atrium-e2e, which adds no feature (`cargo tree -e features`
    //   alike), so they reuse this build too.
    let host = |args: &[&str]| {
        let mut cmd = cargo(args);
        lint::with_clippy(&mut cmd, &clippy);
        cmd
    };
    steps.run("build and clippy (host, every target)", || {
        project::run(&mut host(&["build", "--workspace", "--all-targets"]))
    })?;
    // The unit tests, the soak and the fuzz targets side by side: the unit tests mostly wait (on
    // servers' timeouts and their own clocks: a fifth of the two cores in use, measured) and so
    // does the soak, while building the fuzz targets keeps both cores busy. None of them waits
    // for a deadline a busy machine could miss: the soak's checks wait up to two minutes for the
    // watches to settle.
    steps.run(
        &format!("unit tests and soak (1 min) beside fuzz ({} s per target)", fuzz::TEST_SECONDS),
        || {
            // The UI's own unit tests run natively too; only the end-to-end suite needs Xvfb. Inside
            // a kernel session keyring, as a desktop login gives one, and without a D-Bus session,
            // so kept sessions go to the kernel keyring.
            let mut test =
                in_session_keyring(project, host(&["test", "--workspace", "--exclude", "atrium-e2e"]));
            test.env("ATRIUM_EXPECT_SECRET_STORE", "kernel-keyring");
            let unit =
                Background::spawn("unit tests", &mut test, scratch(project, "unit")?.join("output.txt"))?;
            // A minute of the core against an emulator that keeps breaking (see atrium-bench's
            // soak.rs; `cargo xtask soak --minutes N` runs it longer, in release).
            let bench = project.target_dir()?.join("debug").join("atrium-bench");
            let mut soak = project.cmd(bench);
            soak.args(["--only", "soak", "--soak-seconds", "60"]);
            let soak = Background::spawn("soak", &mut soak, scratch(project, "soak")?.join("output.txt"))?;
            // Replays each target's corpus (the seeds and the inputs of crashes found before) and
            // tries new ones.
            if let Err(err) = fuzz::run(project, fuzz::TEST_SECONDS, None) {
                unit.stop();
                soak.stop();
                return Err(err);
            }
            let unit = unit.finish();
            let soak = soak.finish();
            unit.and(soak)
        },
    )?;
    steps.run("secret store (Secret Service)", || {
        // The unit tests' package selection, so features unify alike and nothing recompiles
        // (`-p atrium-core` alone rebuilt 85 crates, 45 s of a cold run).
        let mut test = host(&["test", "--workspace", "--exclude", "atrium-e2e", "--test", "os_secret_store"]);
        test.env("ATRIUM_EXPECT_SECRET_STORE", "secret-service");
        project::run(&mut with_secret_service(project, test, &scratch(project, "secret-service")?))
    })?;
    // The shell and what it links, for the phones: `#[cfg(mobile)]` code must keep compiling.
    // After the host build, whose build scripts and proc macros they reuse.
    if quick {
        steps.run("clippy (Android, iOS)", || mobile::check(project))?;
        println!("\ntest: --quick, skipping the .deb and the end-to-end tests");
    } else {
        let app_bin = project.target_dir()?.join("debug").join("atrium");
        steps.run("package (deb)", || {
            let deb = package::bundle_debug_deb(project)?;
            package::check_deb(project, &deb, &scratch(project, "package")?)
        })?;
        let list = host(&["test", "--workspace", "--no-run", "--message-format=json-render-diagnostics"]);
        steps.run("e2e tests (Xvfb), beside them clippy (Android, iOS)", || {
            let executables = e2e_executables(project, list)?;
            let phones = phones_on_idle_cores(project)?;
            let e2e = e2e(project, &executables, &app_bin);
            let phones = phones.finish();
            e2e.and(phones)
        })?;
    }
    steps.print_table(None);
    println!("test: all passed{}", if quick { " (--quick: no e2e)" } else { "" });
    Ok(())
}

/// `cargo xtask tools` (the `cargo install` of cargo-fuzz; about 22 s on a fresh machine) in a
/// process of its own, beside the UI's compile, which does not need it; its output is printed
/// when both are done.
fn tools_beside_ui_compile(project: &Project, clippy: &Path) -> Result<()> {
    let mut tools = project.cmd(this_xtask());
    tools.arg("tools");
    let tools = Background::spawn("xtask tools", &mut tools, scratch(project, "tools")?.join("output.txt"))?;
    if let Err(err) = project::run(&mut ui::cargo_build(project, false, Some(clippy))) {
        tools.stop();
        return Err(err);
    }
    tools.finish()
}

/// Runs each end-to-end test alone (the journeys binary holds them all), each under an Xvfb and
/// in a Secret Service of its own (the app keeps sessions there, as on a desktop); runs them all
/// and fails naming those that failed. Two at a time saved 90 s of a cold run's 350, but on a
/// machine that busy two journeys in three runs failed (a check outlasted by WebDriver round
/// trips, fixed; an app that could not open the display), so they stay one at a time.
fn e2e(project: &Project, executables: &[PathBuf], app_bin: &Path) -> Result<()> {
    let mut failed = Vec::new();
    for executable in executables {
        for test in tests_in(project, executable)? {
            if let Err(err) = run_e2e_test(project, executable, &test, app_bin) {
                println!("e2e: {test} FAILED: {err:#}");
                failed.push(test);
            }
        }
    }
    if !failed.is_empty() {
        bail!("end-to-end tests failed: {}", failed.join(", "));
    }
    Ok(())
}

/// `cargo xtask phones` in a process of its own at the idle scheduling class (`chrt --idle`):
/// the journeys leave about a third of the two cores idle (waiting on WebDriver round trips,
/// the app and the emulator), which the phones' checks (two full dependency checks, about 136 s
/// of both cores on a fresh machine) use without taking a cycle a journey wants. Started once
/// the journeys are listed: it holds cargo's lock on the target dir.
fn phones_on_idle_cores(project: &Project) -> Result<Background> {
    let mut phones = project.cmd("chrt");
    phones.args(["--idle", "0"]).arg(this_xtask()).arg("phones");
    Background::spawn("clippy (Android, iOS)", &mut phones, scratch(project, "phones")?.join("output.txt"))
}

/// This very xtask binary, to run another of its commands: by its `/proc` entry, which stays
/// runnable after the host build has replaced the file (`current_exe` then names a deleted path).
fn this_xtask() -> PathBuf {
    PathBuf::from(format!("/proc/{}/exe", std::process::id()))
}

/// The tests a libtest executable holds, from `--list --format terse` ("name: test" lines).
fn tests_in(project: &Project, executable: &Path) -> Result<Vec<String>> {
    let listed = project::output(project.cmd(executable).args(["--list", "--format", "terse"]))?;
    Ok(listed_tests(&listed))
}

fn listed_tests(terse_list: &str) -> Vec<String> {
    terse_list.lines().filter_map(|line| line.strip_suffix(": test")).map(str::to_owned).collect()
}

/// The longest one journey (at both sizes) may run (the longest takes about 30 s): a WebDriver
/// connection that dies mid-command otherwise leaves it waiting forever.
const E2E_TEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// The app's log filter in the journeys (atrium-core's `log_filter` caps what could print a secret).
const E2E_APP_LOG: &str = "info,tb_client=trace,atrium_core=debug,atrium_lib=debug,tb_emulator=debug";

/// One e2e test under its own Xvfb and Secret Service; prints how long it took and, if it failed,
/// its output.
fn run_e2e_test(project: &Project, executable: &Path, test: &str, app_bin: &Path) -> Result<()> {
    let scratch = scratch(project, &format!("e2e/{}", test.replace("::", "-")))?;
    let log_path = scratch.join("output.txt");
    let log = std::fs::File::create(&log_path)?;
    let mut journeys = project.cmd("xvfb-run");
    journeys
        .args(["-a", "-s", XVFB_SERVER_ARGS])
        .arg(executable)
        .args(["--exact", test, "--test-threads=1"])
        .env("ATRIUM_APP_BIN", app_bin)
        .env("CARGO_MANIFEST_DIR", project.root.join("tests").join("e2e"))
        // Every request the app made and what the core did: a journey that fails on something
        // that never came shows what did (printed only for a failed journey).
        .env("ATRIUM_LOG", E2E_APP_LOG);
    let mut journeys = with_secret_service(project, journeys, &scratch);
    journeys.stdin(std::process::Stdio::null()).stdout(log.try_clone()?).stderr(log);
    // Its own process group, so that a hung run is stopped with everything it started (Xvfb,
    // the D-Bus session, WebKitWebDriver, the app).
    std::os::unix::process::CommandExt::process_group(&mut journeys, 0);
    let start = std::time::Instant::now();
    let mut child = journeys.spawn().with_context(|| format!("could not start {test}"))?;
    let group = child.id();
    // Waited for on a thread of its own, so that the deadline is a wait on its answer.
    let (ended, end) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = ended.send(child.wait());
    });
    let status = match end.recv_timeout(E2E_TEST_TIMEOUT) {
        Ok(waited) => waited.with_context(|| format!("waiting for {test}")),
        Err(_) => {
            let _ = project.cmd("kill").args(["-KILL", "--", &format!("-{group}")]).status();
            let _ = end.recv();
            Err(anyhow::anyhow!("still running after {E2E_TEST_TIMEOUT:?}: stopped"))
        }
    };
    let passed = status.as_ref().is_ok_and(|status| status.success());
    let took = start.elapsed().as_secs_f64();
    if passed {
        println!("e2e: {test} passed in {took:.1} s ({})", log_path.display());
    } else {
        let output = String::from_utf8_lossy(&std::fs::read(&log_path)?).into_owned();
        println!("\ne2e: {test} FAILED in {took:.1} s\n{}\n", output.trim_end());
    }
    match status? {
        status if status.success() => Ok(()),
        status => bail!("{status}"),
    }
}

/// The atrium-e2e test executables (the journeys, the harness's own unit tests), from the messages
/// of `list`, a `cargo test --no-run` of the whole workspace, as the build step selected it:
/// selecting atrium-e2e alone unifies features differently and rebuilds most of the dependencies.
fn e2e_executables(project: &Project, mut list: Command) -> Result<Vec<PathBuf>> {
    let manifest = project.root.join("tests").join("e2e").join("Cargo.toml");
    let messages = project::output(&mut list)?;
    let mut executables = e2e_artifacts(&messages, &manifest);
    executables.sort();
    if executables.is_empty() {
        bail!("`cargo test --no-run` named no test executable of {}", manifest.display());
    }
    Ok(executables)
}

/// The executables among cargo's `compiler-artifact` messages whose package is `manifest`.
fn e2e_artifacts(messages: &str, manifest: &Path) -> Vec<PathBuf> {
    messages
        .lines()
        .filter(|line| line.contains("\"reason\":\"compiler-artifact\""))
        .filter(|line| {
            json_string_field(line, "manifest_path").is_some_and(|path| Path::new(&path) == manifest)
        })
        .filter_map(|line| json_string_field(line, "executable"))
        .map(PathBuf::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::{e2e_artifacts, listed_tests};

    #[test]
    fn reads_the_tests_from_libtests_terse_list() {
        let listed = "access::a_customer_sees_only_their_floor: test\nsign_in::sign_in: test\n\
                      common::helper: bench\n";
        assert_eq!(listed_tests(listed), ["access::a_customer_sees_only_their_floor", "sign_in::sign_in"]);
    }

    #[test]
    fn picks_the_e2e_packages_executables_from_cargos_messages() {
        let messages = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/tests/e2e#atrium-e2e@0.1.0","manifest_path":"/w/tests/e2e/Cargo.toml","target":{"kind":["test"],"name":"journeys"},"executable":"/t/debug/deps/journeys-1","fresh":true}
{"reason":"compiler-artifact","package_id":"path+file:///w/crates/atrium-core#0.1.0","manifest_path":"/w/crates/atrium-core/Cargo.toml","target":{"kind":["test"],"name":"integration"},"executable":"/t/debug/deps/integration-2","fresh":true}
{"reason":"compiler-artifact","package_id":"path+file:///w/tests/e2e#atrium-e2e@0.1.0","manifest_path":"/w/tests/e2e/Cargo.toml","target":{"kind":["lib"],"name":"atrium_e2e"},"executable":null,"fresh":true}
{"reason":"build-finished","success":true}"#;
        let found = e2e_artifacts(messages, Path::new("/w/tests/e2e/Cargo.toml"));
        assert_eq!(found, vec![PathBuf::from("/t/debug/deps/journeys-1")]);
    }
}

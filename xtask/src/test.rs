//! `cargo xtask test`: everything CI checks, in order, failing fast, with a timing table.

use std::process::Command;

use anyhow::Result;

use crate::project::{self, cargo_program, Project, Steps};
use crate::{fuzz, mobile, package, setup, ui};

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

    steps.run("setup", || setup::run(project))?;
    steps.run("fmt", || {
        project::run(&mut cargo(&["fmt", "--all", "--", "--check"]))?;
        // fuzz/ is a workspace of its own.
        project::run(&mut cargo(&["fmt", "--manifest-path", "fuzz/Cargo.toml", "--", "--check"]))
    })?;
    // Before clippy: the shell's default `custom-protocol` feature embeds dist/ at compile time,
    // so checking the shell fails while dist/ does not exist.
    steps.run("ui build", || ui(project, false))?;
    steps.run("clippy (host)", || {
        project::run(&mut cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))
    })?;
    let wasm_clippy = |packages: &[&str]| {
        let mut cmd = cargo(&["clippy", "--target", "wasm32-unknown-unknown"]);
        for package in packages {
            cmd.args(["-p", package]);
        }
        cmd.args(["--", "-D", "warnings"]);
        project::run(&mut cmd)
    };
    steps.run("clippy (wasm UI)", || wasm_clippy(&["atrium-ui"]))?;
    // ARCHITECTURE.md: the wire types and the UI contract have no IO and build for wasm32.
    steps.run("clippy (wasm contract crates)", || wasm_clippy(&["tb-proto", "atrium-ipc"]))?;
    // The shell and what it links, for the phones: `#[cfg(mobile)]` code must keep compiling.
    for target in [mobile::ANDROID, mobile::IOS] {
        steps.run(&format!("clippy ({target})"), || project::run(&mut mobile::clippy(project, target)?))?;
    }
    steps.run("unit tests", || {
        // The UI's own unit tests run natively too; only the end-to-end suite needs Xvfb. Inside
        // a kernel session keyring, as a desktop login gives one, and without a D-Bus session,
        // so kept sessions go to the kernel keyring.
        let mut test =
            in_session_keyring(project, cargo(&["test", "--workspace", "--exclude", "atrium-e2e"]));
        test.env("ATRIUM_EXPECT_SECRET_STORE", "kernel-keyring");
        project::run(&mut test)
    })?;
    steps.run("secret store (Secret Service)", || {
        // The unit tests' package selection, so features unify alike and nothing recompiles
        // (`-p atrium-core` alone rebuilt 85 crates, 45 s of a cold run).
        let mut test =
            cargo(&["test", "--workspace", "--exclude", "atrium-e2e", "--test", "os_secret_store"]);
        test.env("ATRIUM_EXPECT_SECRET_STORE", "secret-service");
        project::run(&mut with_secret_service(project, test, &scratch(project, "secret-service")?))
    })?;
    // A minute of the core against an emulator that keeps breaking (see atrium-bench's soak.rs);
    // `cargo xtask soak --minutes N` runs it longer, in release.
    steps.run("soak (1 min)", || {
        project::run(&mut cargo(&[
            "run",
            "-p",
            "atrium-bench",
            "--",
            "--only",
            "soak",
            "--soak-seconds",
            "60",
        ]))
    })?;
    // Replays each target's corpus (the seeds and the inputs of crashes found before) and tries new ones.
    steps.run(&format!("fuzz ({} s per target)", fuzz::TEST_SECONDS), || {
        fuzz::run(project, fuzz::TEST_SECONDS, None)
    })?;
    if quick {
        println!("\ntest: --quick, skipping the app build and the end-to-end tests");
    } else {
        let app_bin = project.target_dir()?.join("debug").join("atrium");
        steps.run("app build", || project::run(&mut cargo(&["build", "-p", "atrium"])))?;
        steps.run("package (deb)", || {
            let deb = package::bundle_debug_deb(project)?;
            package::check_deb(project, &deb, &scratch(project, "package")?)
        })?;
        steps.run("e2e build", || project::run(&mut cargo(&["test", "-p", "atrium-e2e", "--no-run"])))?;
        steps.run("e2e tests (Xvfb)", || {
            let mut e2e = project.cmd("xvfb-run");
            e2e.args(["-a", "-s", XVFB_SERVER_ARGS])
                .arg(cargo_program())
                .args(["test", "-p", "atrium-e2e", "--", "--test-threads=1"])
                .env("ATRIUM_APP_BIN", &app_bin);
            // The app keeps sessions in Secret Service, as on a desktop.
            project::run(&mut with_secret_service(project, e2e, &scratch(project, "e2e-keyring")?))
        })?;
    }
    steps.print_table(None);
    println!("test: all passed{}", if quick { " (--quick: no e2e)" } else { "" });
    Ok(())
}

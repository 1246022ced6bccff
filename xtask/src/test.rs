//! `cargo xtask test`: everything CI checks, in order, failing fast, with a timing table.

use anyhow::Result;

use crate::project::{self, cargo_program, Project, Steps};
use crate::{setup, ui};

/// The X screen for Xvfb: the app's window is 1280x800.
pub(crate) const XVFB_SERVER_ARGS: &str = "-screen 0 1280x800x24";

pub(crate) fn run(project: &Project, quick: bool) -> Result<()> {
    let mut steps = Steps::new("test");
    let cargo = |args: &[&str]| {
        let mut cmd = project.cargo();
        cmd.args(args);
        cmd
    };

    steps.run("setup", || setup::run(project))?;
    steps.run("fmt", || project::run(&mut cargo(&["fmt", "--all", "--", "--check"])))?;
    // Before clippy: the shell's default `custom-protocol` feature embeds dist/ at compile time,
    // so checking the shell fails while dist/ does not exist.
    steps.run("trunk build", || ui(project, false))?;
    steps.run("clippy (host)", || {
        project::run(&mut cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))
    })?;
    steps.run("clippy (wasm UI)", || {
        project::run(&mut cargo(&[
            "clippy",
            "-p",
            "atrium-ui",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    steps.run("clippy (wasm contract crates)", || {
        // ARCHITECTURE.md: the wire types and the UI contract have no IO and build for wasm32.
        project::run(&mut cargo(&[
            "clippy",
            "-p",
            "tb-proto",
            "-p",
            "atrium-ipc",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    steps.run("unit tests", || {
        // The UI's own unit tests run natively too; only the end-to-end suite needs Xvfb.
        project::run(&mut cargo(&["test", "--workspace", "--exclude", "atrium-e2e"]))
    })?;
    if quick {
        println!("\ntest: --quick, skipping the app build and the end-to-end tests");
    } else {
        let app_bin = project.target_dir()?.join("debug").join("atrium");
        steps.run("app build", || project::run(&mut cargo(&["build", "-p", "atrium"])))?;
        steps.run("e2e build", || project::run(&mut cargo(&["test", "-p", "atrium-e2e", "--no-run"])))?;
        steps.run("e2e tests (Xvfb)", || {
            let mut e2e = project.cmd("xvfb-run");
            e2e.args(["-a", "-s", XVFB_SERVER_ARGS])
                .arg(cargo_program())
                .args(["test", "-p", "atrium-e2e", "--", "--test-threads=1"])
                .env("ATRIUM_APP_BIN", &app_bin);
            project::run(&mut e2e)
        })?;
    }
    steps.print_table(None);
    println!("test: all passed{}", if quick { " (--quick: no e2e)" } else { "" });
    Ok(())
}

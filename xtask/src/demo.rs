//! `cargo xtask demo`: the app, logged in to the embedded demo building (`ATRIUM_DEMO=1`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::project::{self, Project};
use crate::test::XVFB_SERVER_ARGS;
use crate::{setup, ui};

/// Runs the app with `ATRIUM_DEMO=1` under `xvfb-run` (the only argument is the app binary, the
/// second the screenshot to write), waits until the screen is no longer uniform, gives live data
/// three more seconds, saves the screenshot and stops the app. The screenshot tools must run inside
/// the same `xvfb-run` to share its display and X authority.
const SCREENSHOT_SCRIPT: &str = r#"#!/usr/bin/env bash
set -euo pipefail
app=$1
out=$2
probe=$(mktemp --suffix=.png)
ATRIUM_DEMO=1 "$app" &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$probe"
}
trap cleanup EXIT
start=$SECONDS
while true; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "demo: the app exited before showing anything" >&2
    exit 1
  fi
  if import -window root "$probe" 2>/dev/null; then
    sd=$(convert "$probe" -format '%[fx:standard_deviation]' info: 2>/dev/null || echo 0)
    if awk -v sd="$sd" 'BEGIN { exit !(sd > 0.01) }'; then
      break
    fi
  fi
  if (( SECONDS - start >= 60 )); then
    echo "demo: the screen was still uniform after 60 s (blank window?)" >&2
    exit 1
  fi
  sleep 0.5
done
echo "demo: the window has content after $(( SECONDS - start )) s; waiting 3 s for live data"
sleep 3
import -window root "$out"
echo "demo: saved $out"
"#;

pub(crate) fn run(project: &Project, release: bool, screenshot: Option<PathBuf>) -> Result<()> {
    let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|var| std::env::var_os(var).is_some_and(|value| !value.is_empty()));
    // Say so before minutes of building, not after.
    if screenshot.is_none() && !has_display {
        bail!(
            "there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set), so the demo window \
             has nowhere to show. Run it on a virtual display:\n  \
             xvfb-run -a -s \"{XVFB_SERVER_ARGS}\" cargo xtask demo\n\
             or save a screenshot instead:\n  cargo xtask demo --screenshot demo.png"
        );
    }

    // Each step says what it does and how long it took: a first run installs tools and builds
    // everything, minutes of output that would otherwise look like a hang.
    let mut steps = project::Steps::new("demo");
    // Not cargo-fuzz: only the tests use it.
    steps.run("prerequisites (apt, rustup target, npm)", || setup::prerequisites(project))?;
    steps.run("UI (wasm)", || ui(project, release))?;
    steps.run("app", || {
        let mut build = project.cargo();
        build.args(["build", "-p", "atrium"]);
        if release {
            build.arg("--release");
        }
        project::run(&mut build)
    })?;
    steps.print_table(None);
    let app = project.target_dir()?.join(if release { "release" } else { "debug" }).join("atrium");

    match screenshot {
        Some(out) => take_screenshot(project, &app, &out),
        None => {
            let mut demo = project.cmd(&app);
            demo.env("ATRIUM_DEMO", "1");
            project::run(&mut demo)
        }
    }
}

fn take_screenshot(project: &Project, app: &Path, out: &Path) -> Result<()> {
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let script = std::env::temp_dir().join(format!("atrium-demo-screenshot-{}.sh", std::process::id()));
    std::fs::write(&script, SCREENSHOT_SCRIPT).with_context(|| format!("writing {}", script.display()))?;
    let mut xvfb = project.cmd("xvfb-run");
    xvfb.args(["-a", "-s", XVFB_SERVER_ARGS, "bash"]).arg(&script).arg(app).arg(out);
    let result = project::run(&mut xvfb);
    // Best effort: a stale script in the temp dir is harmless.
    let _ = std::fs::remove_file(&script);
    result?;
    println!("demo: screenshot saved to {}", out.display());
    Ok(())
}

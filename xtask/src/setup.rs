//! `cargo xtask setup`: installs what building and testing Atrium needs, skipping what is present.
//!
//! Every step first checks cheaply (dpkg-query, `--version`, file times) and prints one line, so a
//! re-run on a ready machine takes well under a second. Versions are the ones measured to work offline on Rust 1.95 (see the README).

use std::path::Path;
use std::time::{Instant, SystemTime};

use anyhow::{bail, Context, Result};

use crate::project::{self, cargo_bin_dir, probe, Project};
use crate::{mobile, ui};

/// Debian packages: WebKitGTK and friends for Tauri, Xvfb + ImageMagick for headless runs and
/// screenshots, WebKitWebDriver for the e2e tests (driven directly, no tauri-driver), keyutils
/// and gnome-keyring for the secret stores.
const APT_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "build-essential",
    "curl",
    "wget",
    "file",
    "libxdo-dev",
    "libssl-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "pkg-config",
    "xvfb",
    "xauth",
    "imagemagick",
    "x11-apps",
    "webkit2gtk-driver",
    "dbus-x11",
    "at-spi2-core",
    "keyutils",
    // Kept sessions: keyring's Secret Service backend links libdbus; tests run a gnome-keyring.
    "libdbus-1-dev",
    "dbus",
    "gnome-keyring",
    // The mobile compile checks build ring's C freestanding with clang (see mobile.rs).
    "clang",
    "llvm",
];

/// The UI's target, and the mobile targets the shell is compile-checked for.
const RUST_TARGETS: &[&str] = &[ui::WASM_TARGET, mobile::ANDROID, mobile::IOS];

pub(crate) fn run(project: &Project) -> Result<()> {
    let start = Instant::now();
    prerequisites(project)?;
    crate::fuzz::tools(project)?;
    println!("setup: done in {:.2} s", start.elapsed().as_secs_f64());
    Ok(())
}

/// The system packages, rust targets and npm packages: what comes ready-made.
pub(crate) fn prerequisites(project: &Project) -> Result<()> {
    let wasm_bindgen = locked_version(&project.root.join("Cargo.lock"), "wasm-bindgen")?;
    check_trunk_toml(&project.root.join("Trunk.toml"), &wasm_bindgen)?;
    apt_packages(project)?;
    rust_targets(project)?;
    npm_packages(project)
}

fn step(what: &str) {
    use std::io::Write;
    print!("setup: {what} ... ");
    // Flushed so the line shows before a long install starts.
    let _ = std::io::stdout().flush();
}

/// The version of `package` in Cargo.lock (the first one, if several).
pub(crate) fn locked_version(lock: &Path, package: &str) -> Result<String> {
    let text = std::fs::read_to_string(lock).with_context(|| format!("reading {}", lock.display()))?;
    let name_line = format!("name = \"{package}\"");
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == name_line {
            if let Some(version) = lines.next().and_then(|l| l.trim().strip_prefix("version = ")) {
                return Ok(version.trim_matches('"').to_owned());
            }
        }
    }
    bail!("{} has no `{package}` package", lock.display())
}

/// `trunk serve` (optional, for live reload) must ask for exactly the wasm-bindgen in Cargo.lock,
/// or (offline) it fails to find one.
fn check_trunk_toml(trunk_toml: &Path, locked: &str) -> Result<()> {
    step("Trunk.toml [tools] wasm_bindgen");
    let text =
        std::fs::read_to_string(trunk_toml).with_context(|| format!("reading {}", trunk_toml.display()))?;
    let pinned = text.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "wasm_bindgen").then(|| value.split('#').next().unwrap_or("").trim().trim_matches('"'))
    });
    match pinned {
        Some(pinned) if pinned == locked => {
            println!("{pinned} matches Cargo.lock");
            Ok(())
        }
        Some(pinned) => {
            println!("mismatch");
            bail!(
                "Trunk.toml pins wasm_bindgen = \"{pinned}\" but Cargo.lock has wasm-bindgen {locked}: \
                 set `wasm_bindgen = \"{locked}\"` under [tools] in Trunk.toml (trunk runs offline and \
                 would otherwise fail to find or download the tool)"
            )
        }
        None => {
            println!("missing");
            bail!("Trunk.toml has no `wasm_bindgen = \"{locked}\"` under [tools]")
        }
    }
}

fn apt_packages(project: &Project) -> Result<()> {
    let mut wanted: Vec<&str> = APT_PACKAGES.to_vec();
    // Node and npm come with this machine image; on a bare Debian take them from apt.
    if probe(project.cmd("npm").arg("--version")).is_none() {
        wanted.extend(["nodejs", "npm"]);
    }
    step(&format!("apt packages ({})", wanted.len()));
    let mut query = project.cmd("dpkg-query");
    query.args(["-W", "-f=${Package} ${Status}\\n"]).args(&wanted);
    // dpkg-query exits non-zero when a package is unknown, yet prints the known ones.
    let listed = match query.stderr(std::process::Stdio::null()).output() {
        Ok(out) => String::from_utf8_lossy(&out.stdout).into_owned(),
        Err(_) => {
            println!("skipped: no dpkg-query (not Debian); install the equivalents of {wanted:?}");
            return Ok(());
        }
    };
    let installed: Vec<&str> = listed
        .lines()
        .filter(|line| line.ends_with("install ok installed"))
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    let missing: Vec<&str> = wanted.into_iter().filter(|p| !installed.contains(p)).collect();
    if missing.is_empty() {
        println!("present");
        return Ok(());
    }
    println!("installing {} (takes ~30 s)", missing.join(" "));
    project::run(&mut apt(project, &["update"]))?;
    let mut install = apt(project, &["install", "-y", "--no-install-recommends"]);
    install.args(&missing);
    project::run(&mut install)
}

/// `apt-get ARGS` non-interactively, through sudo unless already root.
fn apt(project: &Project, args: &[&str]) -> std::process::Command {
    let is_root = probe(project.cmd("id").arg("-u")).is_some_and(|uid| uid.trim() == "0");
    let mut cmd = if is_root {
        let mut cmd = project.cmd("apt-get");
        cmd.env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    } else {
        // sudo resets the environment, so the variable goes on its command line.
        let mut cmd = project.cmd("sudo");
        cmd.args(["DEBIAN_FRONTEND=noninteractive", "apt-get"]);
        cmd
    };
    cmd.args(args);
    cmd
}

fn rust_targets(project: &Project) -> Result<()> {
    step(&format!("rust targets {}", RUST_TARGETS.join(" ")));
    let installed = probe(project.cmd("rustup").args(["target", "list", "--installed"]))
        .context("`rustup target list --installed` failed: is rustup installed?")?;
    let missing: Vec<&str> =
        RUST_TARGETS.iter().copied().filter(|t| !installed.lines().any(|line| line.trim() == *t)).collect();
    if missing.is_empty() {
        println!("present");
        return Ok(());
    }
    println!("installing {} (takes ~10 s each)", missing.join(" "));
    project::run(project.cmd("rustup").args(["target", "add"]).args(&missing))
}

/// `cargo install CRATE --version VERSION` unless its binary answers `check_args` acceptably.
pub(crate) fn cargo_tool(
    project: &Project,
    krate: &str,
    version: &str,
    takes: &str,
    check_args: &[&str],
    accept: impl Fn(&str) -> bool,
) -> Result<()> {
    let binary = krate.strip_suffix("-cli").unwrap_or(krate);
    step(&format!("{binary} {version}"));
    // PATH already has cargo's bin dir; look there explicitly too in case PATH lookup misses it.
    let candidates = [Some(binary.into()), cargo_bin_dir().map(|dir| dir.join(binary).into_os_string())];
    let found = candidates
        .into_iter()
        .flatten()
        .filter_map(|program| probe(project.cmd(&program).args(check_args)))
        .find(|out| accept(out));
    if found.is_some() {
        println!("present");
        return Ok(());
    }
    println!("installing (takes {takes} on 2 cores)");
    project::run(project.cargo().args(["install", krate, "--version", version, "--locked"]))
}

/// `npm ci` unless node_modules is at least as new as package-lock.json.
fn npm_packages(project: &Project) -> Result<()> {
    step("npm packages (@tauri-apps/cli, binaryen)");
    let lock = modified(&project.root.join("package-lock.json"))
        .context("package-lock.json is missing: run `npm install` once and commit it")?;
    let installed = modified(&project.root.join("node_modules/.package-lock.json"));
    if installed.is_some_and(|installed| installed >= lock) {
        println!("present");
        return Ok(());
    }
    println!("installing (takes ~5 s)");
    project::run(project.cmd("npm").args(["ci", "--no-audit", "--no-fund"]))
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|meta| meta.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_toml_must_match_the_lock_file() {
        let dir = std::env::temp_dir().join(format!("xtask-setup-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let toml = dir.join("Trunk.toml");
        std::fs::write(&toml, "[tools]\nwasm_bindgen = \"0.2.130\"   # comment\n").unwrap();
        assert!(check_trunk_toml(&toml, "0.2.130").is_ok());
        let err = check_trunk_toml(&toml, "0.2.131").unwrap_err().to_string();
        assert!(err.contains("0.2.131"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reads_the_locked_wasm_bindgen_version() {
        // Read at run time: a shared target dir may hold a binary built from another checkout.
        let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets it");
        let root = Path::new(&manifest_dir).join("..");
        let version = locked_version(&root.join("Cargo.lock"), "wasm-bindgen").unwrap();
        assert!(version.starts_with("0.2."), "{version}");
    }

    #[test]
    fn the_bindgen_linked_into_xtask_is_the_wasm_bindgen_the_ui_is_built_with() {
        let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets it");
        let lock = Path::new(&manifest_dir).join("../Cargo.lock");
        let ui = locked_version(&lock, "wasm-bindgen").unwrap();
        let linked = locked_version(&lock, "wasm-bindgen-cli-support").unwrap();
        assert_eq!(
            linked, ui,
            "set `wasm-bindgen-cli-support = \"={ui}\"` in xtask/Cargo.toml: another version \
             refuses the UI's module"
        );
    }
}

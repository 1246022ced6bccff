//! The .deb as a user gets it: what it holds, what it declares, and that its binary starts.
//!
//! `cargo xtask test` bundles the debug app it has just built (`tauri bundle --debug`, which
//! packages without compiling) and checks that package; `cargo xtask bundle` makes the release
//! ones with the same configuration, and `cargo xtask bench` reports their sizes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::project::{self, output, Project};
use crate::test::XVFB_SERVER_ARGS;

/// What the package must install: the binary, its desktop entry and the icons that entry names.
const REQUIRED_FILES: &[&str] = &[
    "usr/bin/atrium",
    "usr/share/applications/Atrium.desktop",
    "usr/share/icons/hicolor/32x32/apps/atrium.png",
    "usr/share/icons/hicolor/128x128/apps/atrium.png",
];

/// Libraries the webview shell cannot start without; the package must declare them, or an
/// install on a machine without them gives a binary that fails to load.
const REQUIRED_DEPENDS: &[&str] = &["libwebkit2gtk-4.1-0", "libgtk-3-0"];

/// A start that shows no sign-in screen by then has failed (a cold debug start takes ~2 s).
const PAINT_DEADLINE: Duration = Duration::from_secs(60);

/// `tauri bundle --debug --bundles deb`: packages `target/debug/atrium` as built; returns the .deb.
pub(crate) fn bundle_debug_deb(project: &Project) -> Result<PathBuf> {
    let mut tauri = project.cmd("tauri");
    tauri.args(["bundle", "--debug", "--bundles", "deb", "--ci"]);
    project::run(&mut tauri)?;
    newest_with_extension(&project.target_dir()?.join("debug/bundle/deb"), "deb")
}

pub(crate) fn newest_with_extension(dir: &Path, extension: &str) -> Result<PathBuf> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    entries
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == extension))
        .max_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok())
        .with_context(|| format!("no .{extension} in {}", dir.display()))
}

/// Checks the package's contents, fields and desktop entry, then unpacks it into `scratch` and
/// starts its binary under Xvfb until the sign-in screen is painted.
pub(crate) fn check_deb(project: &Project, deb: &Path, scratch: &Path) -> Result<()> {
    let contents = output(project.cmd("dpkg-deb").arg("--contents").arg(deb))?;
    let listed = listed_paths(&contents);
    let missing: Vec<&str> =
        REQUIRED_FILES.iter().copied().filter(|want| !listed.iter().any(|have| have == want)).collect();
    if !missing.is_empty() {
        bail!("{} lacks {missing:?}; it holds {listed:?}", deb.display());
    }
    let depends = output(project.cmd("dpkg-deb").arg("--field").arg(deb).arg("Depends"))?;
    let declared = depends_names(&depends);
    let undeclared: Vec<&str> =
        REQUIRED_DEPENDS.iter().copied().filter(|want| !declared.iter().any(|have| have == want)).collect();
    if !undeclared.is_empty() {
        bail!("{} does not declare {undeclared:?} (Depends: {})", deb.display(), depends.trim());
    }
    for field in ["Package", "Version", "Description"] {
        let value = output(project.cmd("dpkg-deb").arg("--field").arg(deb).arg(field))?;
        if value.trim().is_empty() {
            bail!("{} has an empty {field} field", deb.display());
        }
    }
    println!("package: {} holds {} files, depends on {}", deb.display(), listed.len(), depends.trim());

    let root = scratch.join("unpacked");
    project::run(project.cmd("dpkg-deb").arg("-x").arg(deb).arg(&root))?;
    let entry = std::fs::read_to_string(root.join("usr/share/applications/Atrium.desktop"))?;
    check_desktop_entry(&entry)?;
    let binary = root.join("usr/bin/atrium");
    let ldd = output(project.cmd("ldd").arg(&binary))?;
    if let Some(line) = ldd.lines().find(|line| line.contains("not found")) {
        bail!("the packaged binary cannot load a library: {}", line.trim());
    }
    starts_to_sign_in(project, &binary, scratch)
}

/// `usr/bin/atrium` from each `dpkg-deb --contents` line (`-rwxr-xr-x root/root 123 date ./usr/bin/atrium`;
/// tauri's archives name their members without the `./`).
fn listed_paths(contents: &str) -> Vec<String> {
    contents
        .lines()
        .filter_map(|line| line.split_whitespace().nth(5))
        .map(|path| path.trim_start_matches("./").trim_end_matches('/').to_owned())
        .collect()
}

/// Package names of a Depends field, without versions or alternatives' extra names.
fn depends_names(depends: &str) -> Vec<String> {
    depends
        .split(',')
        .filter_map(|dep| dep.split('|').next())
        .filter_map(|dep| dep.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// The fields a launcher needs: the product's name, the installed binary and its icon.
fn check_desktop_entry(entry: &str) -> Result<()> {
    let field =
        |key: &str| entry.lines().find_map(|line| line.strip_prefix(key)?.strip_prefix('=')).map(str::trim);
    let expected = [("Type", "Application"), ("Name", "Atrium"), ("Exec", "atrium"), ("Icon", "atrium")];
    for (key, want) in expected {
        if field(key) != Some(want) {
            bail!("the desktop entry has {key}={:?}, want {want:?}:\n{entry}", field(key));
        }
    }
    if field("Categories").is_none_or(str::is_empty) {
        bail!("the desktop entry has no Categories:\n{entry}");
    }
    Ok(())
}

/// Runs the unpacked binary with an empty home (so nothing is kept) until it reports the
/// sign-in screen painted, through the same start-up probe the start-up benchmark reads.
fn starts_to_sign_in(project: &Project, binary: &Path, scratch: &Path) -> Result<()> {
    let home = scratch.join("home");
    std::fs::create_dir_all(&home)?;
    let probe = scratch.join("probe.jsonl");
    let log_path = scratch.join("app.log");
    let mut app = project.cmd("xvfb-run");
    app.args(["-a", "-s", XVFB_SERVER_ARGS])
        .arg(binary)
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("ATRIUM_STARTUP_PROBE", &probe)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path)?);
    // Its own process group, so ending it ends Xvfb and the app too.
    std::os::unix::process::CommandExt::process_group(&mut app, 0);
    println!("package: starting {} under Xvfb until it paints the sign-in screen", binary.display());
    let started = Instant::now();
    let child = Killed(app.spawn().context("starting xvfb-run")?);
    loop {
        let probed = std::fs::read_to_string(&probe).unwrap_or_default();
        if probed.lines().any(|line| line.contains(r#""what":"sign_in""#)) {
            println!("package: sign-in screen painted {:.1} s after start", started.elapsed().as_secs_f64());
            drop(child);
            return Ok(());
        }
        if started.elapsed() > PAINT_DEADLINE {
            drop(child);
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            bail!("the packaged app painted no sign-in screen within {PAINT_DEADLINE:?}; its log:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The app's process group, ended when dropped: xvfb-run, Xvfb and the app together.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dpkg_deb_contents_and_depends() {
        let contents = "drwxr-xr-x root/root         0 2026-12-02 10:00 ./usr/\n\
                        -rwxr-xr-x root/root  35000000 2026-12-02 10:00 usr/bin/atrium\n";
        assert_eq!(listed_paths(contents), ["usr", "usr/bin/atrium"]);
        let depends = "libwebkit2gtk-4.1-0 (>= 2.40), libgtk-3-0 | libgtk-4-1, libc6";
        assert_eq!(depends_names(depends), ["libwebkit2gtk-4.1-0", "libgtk-3-0", "libc6"]);
    }

    #[test]
    fn a_desktop_entry_needs_name_exec_icon_and_categories() {
        let good =
            "[Desktop Entry]\nCategories=Utility;\nExec=atrium\nIcon=atrium\nName=Atrium\nType=Application\n";
        assert!(check_desktop_entry(good).is_ok());
        let wrong_exec = good.replace("Exec=atrium", "Exec=atrium-old");
        assert!(check_desktop_entry(&wrong_exec).unwrap_err().to_string().contains("Exec"));
        let no_categories = good.replace("Categories=Utility;\n", "");
        assert!(check_desktop_entry(&no_categories).unwrap_err().to_string().contains("Categories"));
    }
}

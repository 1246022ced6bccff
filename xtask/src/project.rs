//! Running commands: where the project is, which PATH tools come from, printing and timing.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// The workspace this xtask belongs to, and the PATH its commands run with.
#[derive(Debug)]
pub(crate) struct Project {
    pub(crate) root: PathBuf,
    path: OsString,
}

impl Project {
    pub(crate) fn locate() -> Result<Project> {
        // At run time cargo sets CARGO_MANIFEST_DIR for `cargo run`; the compile-time value is a
        // fallback only, since one shared target dir may hold a binary built from another clone.
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let root = manifest_dir.parent().context("xtask has no parent directory")?.to_path_buf();
        if !root.join("Cargo.toml").is_file() {
            bail!("{} is not the workspace root (no Cargo.toml)", root.display());
        }
        // node_modules/.bin first (npm's wasm-opt 132, the Tauri CLI), then cargo's bin dir
        // (cargo-fuzz), then the caller's PATH.
        let mut dirs = vec![root.join("node_modules/.bin")];
        dirs.extend(cargo_bin_dir());
        dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
        let path = std::env::join_paths(dirs).context("building PATH")?;
        Ok(Project { root, path })
    }

    /// `program` with the project's PATH (also used to look the program up), run in the root.
    pub(crate) fn cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.root).env("PATH", &self.path);
        cmd
    }

    /// The cargo that runs this xtask (`$CARGO`), so toolchain overrides carry over.
    pub(crate) fn cargo(&self) -> Command {
        self.cmd(cargo_program())
    }

    /// cargo's target directory, honouring CARGO_TARGET_DIR and config, from `cargo metadata`.
    pub(crate) fn target_dir(&self) -> Result<PathBuf> {
        let mut cargo = self.cargo();
        cargo.args(["metadata", "--format-version", "1", "--no-deps"]);
        let json = output(&mut cargo)?;
        json_string_field(&json, "target_directory")
            .map(PathBuf::from)
            .context("`cargo metadata` printed no target_directory")
    }
}

pub(crate) fn cargo_program() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// `$CARGO_HOME/bin`, or `~/.cargo/bin`.
pub(crate) fn cargo_bin_dir() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))?;
    Some(home.join("bin"))
}

/// Prints the command, runs it with inherited stdio, fails unless it succeeds.
pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    let shown = show(cmd);
    println!("$ {shown}");
    let status = cmd.status().with_context(|| format!("could not start `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// A command running beside the steps that follow, its output in a file, printed once it has
/// been waited for (so two commands' lines never interleave).
#[derive(Debug)]
pub(crate) struct Background {
    name: String,
    child: std::process::Child,
    log: PathBuf,
}

impl Background {
    /// Starts `cmd` with its output going to `log`.
    pub(crate) fn spawn(name: &str, cmd: &mut Command, log: PathBuf) -> Result<Background> {
        let file = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        println!("$ {} > {}  ({name}, beside what follows)", show(cmd), log.display());
        let child = cmd
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .spawn()
            .with_context(|| format!("could not start {name}"))?;
        Ok(Background { name: name.to_owned(), child, log })
    }

    /// Waits for it, prints its output, fails unless it succeeded.
    pub(crate) fn finish(mut self) -> Result<()> {
        let status = self.child.wait().with_context(|| format!("waiting for {}", self.name))?;
        let output = std::fs::read(&self.log).unwrap_or_default();
        println!("\n--- {} ({status}) ---\n{}", self.name, String::from_utf8_lossy(&output).trim_end());
        if !status.success() {
            bail!("{} failed ({status}); its output is above and in {}", self.name, self.log.display());
        }
        Ok(())
    }

    /// Stops it, for when a step beside it failed.
    pub(crate) fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the command quietly and returns its stdout; fails unless it succeeds.
pub(crate) fn output(cmd: &mut Command) -> Result<String> {
    let shown = show(cmd);
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("could not start `{shown}`"))?;
    if !out.status.success() {
        bail!("`{shown}` failed ({})", out.status);
    }
    String::from_utf8(out.stdout).with_context(|| format!("`{shown}` printed non-UTF-8"))
}

/// Runs the command quietly for a check: its stdout if it started and succeeded, else `None`.
pub(crate) fn probe(cmd: &mut Command) -> Option<String> {
    let out = cmd.stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8(out.stdout).ok()
}

fn show(cmd: &Command) -> String {
    let mut shown = String::new();
    for (key, value) in cmd.get_envs() {
        if key != "PATH" {
            if let Some(value) = value {
                shown.push_str(&format!("{}={} ", key.to_string_lossy(), value.to_string_lossy()));
            }
        }
    }
    shown.push_str(&Path::new(cmd.get_program()).file_name().unwrap_or_default().to_string_lossy());
    for arg in cmd.get_args() {
        let arg = arg.to_string_lossy();
        if arg.contains(' ') || arg.is_empty() {
            shown.push_str(&format!(" '{arg}'"));
        } else {
            shown.push(' ');
            shown.push_str(&arg);
        }
    }
    shown
}

/// The string value of `"field":"..."` in compact JSON (enough for `cargo metadata`'s paths).
pub(crate) fn json_string_field(json: &str, field: &str) -> Option<String> {
    let key = format!("\"{field}\":\"");
    let start = json.find(&key)? + key.len();
    let mut value = String::new();
    let mut chars = json[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => match chars.next()? {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                other => value.push(other),
            },
            c => value.push(c),
        }
    }
    None
}

/// Named steps with their durations, printed as they run and as a table at the end.
#[derive(Debug)]
pub(crate) struct Steps {
    title: &'static str,
    start: Instant,
    done: Vec<(String, Duration)>,
}

impl Steps {
    pub(crate) fn new(title: &'static str) -> Steps {
        Steps { title, start: Instant::now(), done: Vec::new() }
    }

    /// Runs one step; on failure prints the table so far and fails naming the step.
    pub(crate) fn run(&mut self, name: &str, step: impl FnOnce() -> Result<()>) -> Result<()> {
        println!("\n==> {}: {name}", self.title);
        let start = Instant::now();
        let result = step();
        let took = start.elapsed();
        self.done.push((name.to_owned(), took));
        match result {
            Ok(()) => {
                println!("<== {}: {name} ok in {:.1} s", self.title, took.as_secs_f64());
                Ok(())
            }
            Err(err) => {
                println!("<== {}: {name} FAILED after {:.1} s", self.title, took.as_secs_f64());
                self.print_table(Some(name));
                Err(err.context(format!("{} step `{name}` failed", self.title)))
            }
        }
    }

    pub(crate) fn print_table(&self, failed: Option<&str>) {
        let width = self.done.iter().map(|(name, _)| name.len()).max().unwrap_or(0).max(5);
        println!("\n{} summary:", self.title);
        println!("  {:<width$}  {:>8}", "step", "time");
        for (name, took) in &self.done {
            let mark = if Some(name.as_str()) == failed { "  FAILED" } else { "" };
            println!("  {name:<width$}  {:>6.1} s{mark}", took.as_secs_f64());
        }
        println!("  {:<width$}  {:>6.1} s", "total", self.start.elapsed().as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::json_string_field;

    #[test]
    fn reads_target_directory_from_cargo_metadata() {
        let json = r#"{"packages":[],"target_directory":"/var/cache/a \"b\"/target","version":1}"#;
        assert_eq!(
            json_string_field(json, "target_directory").as_deref(),
            Some(r#"/var/cache/a "b"/target"#)
        );
        assert_eq!(json_string_field(json, "workspace_root"), None);
    }
}

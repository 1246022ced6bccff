//! Clippy as the rustc wrapper of a build, so a build that the test command needs anyway also
//! lints, instead of a `cargo clippy` that checks every dependency a second time.
//!
//! `cargo clippy` is `cargo check` with clippy-driver as the workspace crates' rustc wrapper;
//! clippy-driver is rustc plus clippy's lints, so as the wrapper of `cargo build` it lints the
//! same crates and targets and then compiles them. Warnings are denied by a small script around
//! clippy-driver that adds `-D warnings` for the workspace's crates only: in RUSTFLAGS it would
//! also reach the dependencies' build scripts and proc macros, which then no longer match those
//! the phones' checks built. Every command that is to reuse such a build must carry the same
//! wrapper: cargo hashes its path into the workspace crates' artifacts.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::project::{self, Project};

/// The wrapper script under the target dir, (re)written only when it changes, for the
/// clippy-driver of the toolchain that runs this xtask.
pub(crate) fn clippy_wrapper(project: &Project) -> Result<PathBuf> {
    let sysroot = project::output(project.cmd("rustc").args(["--print", "sysroot"]))?;
    let driver = Path::new(sysroot.trim()).join("bin").join("clippy-driver");
    if !driver.is_file() {
        bail!("{} is missing: `rustup component add clippy`", driver.display());
    }
    let script = format!(
        "#!/bin/sh\n# Written by cargo xtask (xtask/src/lint.rs): clippy-driver, warnings denied.\nexec '{}' \"$@\" -D warnings\n",
        driver.display()
    );
    let path = project.target_dir()?.join("lint").join("clippy-deny-warnings");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(script.as_str()) {
        std::fs::create_dir_all(path.parent().context("the script has a parent")?)?;
        std::fs::write(&path, script).with_context(|| format!("writing {}", path.display()))?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(path)
}

/// Makes `cargo` (a build or test command) lint the workspace's crates with clippy, warnings
/// denied, as `cargo clippy -- -D warnings` would.
pub(crate) fn with_clippy<'a>(cargo: &'a mut Command, wrapper: &Path) -> &'a mut Command {
    cargo.env("RUSTC_WORKSPACE_WRAPPER", wrapper)
}

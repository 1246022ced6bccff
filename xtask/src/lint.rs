//! Clippy as the rustc wrapper of a build, so a build that the test command needs anyway also
//! lints, instead of a `cargo clippy` that checks every dependency a second time.
//!
//! `cargo clippy` is `cargo check` with clippy-driver as the workspace crates' rustc wrapper;
//! clippy-driver is rustc plus clippy's lints, so as the wrapper of `cargo build` it lints the
//! same crates and targets and then compiles them. Every command that is to reuse such a build
//! must carry the same wrapper and flags: cargo hashes both into the workspace crates' artifacts.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Result};

use crate::project::{self, Project};

/// clippy-driver of the toolchain that runs this xtask, by path.
pub(crate) fn clippy_driver(project: &Project) -> Result<PathBuf> {
    let sysroot = project::output(project.cmd("rustc").args(["--print", "sysroot"]))?;
    let driver =
        Path::new(sysroot.trim()).join("bin").join(format!("clippy-driver{}", std::env::consts::EXE_SUFFIX));
    if !driver.is_file() {
        bail!("{} is missing: `rustup component add clippy`", driver.display());
    }
    Ok(driver)
}

/// Makes `cargo` (a build or test command) lint the workspace's crates with clippy, warnings
/// denied, as `cargo clippy -- -D warnings` would.
pub(crate) fn with_clippy<'a>(cargo: &'a mut Command, driver: &Path) -> &'a mut Command {
    cargo.env("RUSTC_WORKSPACE_WRAPPER", driver).env("RUSTFLAGS", "-D warnings")
}

//! Clippy as the rustc wrapper of a build, so a build that the test command needs anyway also
//! lints, instead of a `cargo clippy` that checks every dependency a second time.
//!
//! `cargo clippy` is `cargo check` with clippy-driver as the workspace crates' rustc wrapper;
//! clippy-driver is rustc plus clippy's lints, so as the wrapper of `cargo build` it lints the
//! same crates and targets and then compiles them. It takes its own arguments, here `-D warnings`,
//! from `CLIPPY_ARGS` as cargo-clippy passes them (in RUSTFLAGS the flag would also reach the
//! dependencies' build scripts and proc macros, which then no longer match those other builds
//! made; a shell script around the driver lost cargo's `CARGO_BIN_EXE_atrium-cli`, a name dash
//! does not pass on). Every command that is to reuse such a build must carry the same wrapper
//! and arguments: cargo hashes the wrapper's path into the workspace crates' artifacts and
//! clippy-driver reports `CLIPPY_ARGS` as an input.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Result};

use crate::project::{self, Project};

/// clippy-driver of the toolchain that runs this xtask, by path.
pub(crate) fn clippy_driver(project: &Project) -> Result<PathBuf> {
    let sysroot = project::output(project.cmd("rustc").args(["--print", "sysroot"]))?;
    let driver = Path::new(sysroot.trim()).join("bin").join("clippy-driver");
    if !driver.is_file() {
        bail!("{} is missing: `rustup component add clippy`", driver.display());
    }
    Ok(driver)
}

/// Makes `cargo` (a build or test command) lint the workspace's crates with clippy, warnings
/// denied, as `cargo clippy -- -D warnings` would.
pub(crate) fn with_clippy<'a>(cargo: &'a mut Command, driver: &Path) -> &'a mut Command {
    // cargo-clippy's encoding: each argument followed by this separator.
    cargo
        .env("RUSTC_WORKSPACE_WRAPPER", driver)
        .env("CLIPPY_ARGS", "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__")
}

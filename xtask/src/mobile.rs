//! Compile checks of the shell for Android and iOS on a machine without their SDKs.
//!
//! `cargo clippy --target <mobile> -p atrium` lints the shell and the workspace crates it links
//! (atrium-core, tb-client, tb-proto, atrium-ipc), so `#[cfg(mobile)]` code and the platform
//! `cfg`s in them are compiled, not only written. Linking and packaging need the NDK or Xcode;
//! the README gives those commands for a machine that has them.
//!
//! The only C in the dependency graph that a check compiles is ring's (and on iOS
//! objc2-exception-helper's). Debian's clang builds them freestanding: `-nostdlibinc` keeps it off
//! glibc's headers, `RING_CORE_NOSTDLIBINC` is ring's own switch for building without libc
//! headers, and on iOS a stub SDK root with `TargetConditionals.h` stands in for Xcode's (any
//! `SDKROOT` stops cc-rs from calling `xcrun`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::project::Project;

pub(crate) const ANDROID: &str = "aarch64-linux-android";
pub(crate) const IOS: &str = "aarch64-apple-ios";

/// What Xcode's `TargetConditionals.h` says for an iPhone device build; enough for the C that a
/// check compiles, never for linking.
const TARGET_CONDITIONALS: &str = "\
/* Stub for compile checks without Xcode: written by cargo xtask (xtask/src/mobile.rs). */
#pragma once
#define TARGET_OS_MAC 1
#define TARGET_OS_IPHONE 1
#define TARGET_OS_IOS 1
#define TARGET_OS_OSX 0
#define TARGET_OS_SIMULATOR 0
";

/// `cargo xtask phones`: the shell's clippy for Android, then for iOS.
pub(crate) fn check(project: &Project) -> Result<()> {
    for target in [ANDROID, IOS] {
        crate::project::run(&mut clippy(project, target)?)?;
    }
    Ok(())
}

/// `cargo clippy` of the shell for `target` with the C settings above, warnings denied.
pub(crate) fn clippy(project: &Project, target: &str) -> Result<Command> {
    let mut cmd = project.cargo();
    cmd.args(["clippy", "--target", target, "-p", "atrium", "--", "-D", "warnings"]);
    let env_target = target.replace('-', "_");
    let mut cflags = "-nostdlibinc -DRING_CORE_NOSTDLIBINC=1".to_owned();
    if target == IOS {
        let sdk = stub_sdk(&project.target_dir()?)?;
        cflags.push_str(&format!(" -I{}", sdk.join("include").display()));
        cmd.env("SDKROOT", &sdk);
    }
    cmd.env(format!("CC_{env_target}"), "clang")
        .env(format!("AR_{env_target}"), "llvm-ar")
        .env(format!("CFLAGS_{env_target}"), cflags);
    Ok(cmd)
}

/// The stub iOS SDK root under the target dir, (re)written only when its header differs, so its
/// mtime stays and ring's build script does not rerun.
fn stub_sdk(target_dir: &Path) -> Result<PathBuf> {
    let sdk = target_dir.join("mobile-check").join("ios-stub-sdk");
    let header = sdk.join("include").join("TargetConditionals.h");
    if std::fs::read_to_string(&header).ok().as_deref() != Some(TARGET_CONDITIONALS) {
        std::fs::create_dir_all(header.parent().context("header has a parent")?)?;
        std::fs::write(&header, TARGET_CONDITIONALS)
            .with_context(|| format!("writing {}", header.display()))?;
    }
    Ok(sdk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stub_sdk_is_written_once() {
        let dir = std::env::temp_dir().join(format!("xtask-mobile-test-{}", std::process::id()));
        let sdk = stub_sdk(&dir).unwrap();
        let header = sdk.join("include/TargetConditionals.h");
        let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        std::fs::File::options().write(true).open(&header).unwrap().set_modified(old).unwrap();
        assert_eq!(stub_sdk(&dir).unwrap(), sdk);
        assert_eq!(std::fs::metadata(&header).unwrap().modified().unwrap(), old, "rewritten unchanged");
        std::fs::write(&header, "stale").unwrap();
        stub_sdk(&dir).unwrap();
        assert!(std::fs::read_to_string(&header).unwrap().contains("#define TARGET_OS_IPHONE 1"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

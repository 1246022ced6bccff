//! The sizes of the release packages (`cargo xtask bench` bundles them and passes them in) and of
//! the binary inside them, so a dependency that bloats what users download shows in the table.

use std::path::Path;

use crate::report::Report;

const MIB: f64 = 1024.0 * 1024.0;

pub(crate) fn run(
    report: &mut Report,
    packages: &[std::path::PathBuf],
    app: Option<&Path>,
) -> anyhow::Result<()> {
    if packages.is_empty() {
        println!("package: skipped (pass --package <file>; `cargo xtask bench` does)");
        return Ok(());
    }
    for package in packages {
        let size = std::fs::metadata(package)
            .map_err(|e| anyhow::anyhow!("{}: {e}", package.display()))?
            .len() as f64;
        let kind = package.extension().and_then(|e| e.to_str()).unwrap_or("file");
        report.add("package", kind, "download size", "MiB", size / MIB, None, None);
    }
    if let Some(app) = app {
        let size = std::fs::metadata(app)?.len() as f64;
        report.add("package", "release binary", "size on disk", "MiB", size / MIB, None, None);
    }
    Ok(())
}

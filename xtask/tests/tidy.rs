//! ARCHITECTURE.md's rules as a test (like rust-analyzer's tidy): the dependency rules between the
//! crates, read from `cargo metadata`, and conventions read from the sources. A rule that fails
//! names the crate or file and the rule, so the fix is obvious.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("..")
}

/// `cargo metadata --no-deps`: every workspace package with its declared dependencies.
fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// One declared dependency of a workspace package.
#[derive(Debug, Clone)]
struct Dep {
    package: String,
    name: String,
    /// `normal`, `dev` or `build`.
    kind: String,
    optional: bool,
}

fn dependencies(metadata: &Value) -> Vec<Dep> {
    let mut deps = Vec::new();
    for package in metadata["packages"].as_array().expect("packages") {
        let owner = package["name"].as_str().expect("name").to_owned();
        for dep in package["dependencies"].as_array().expect("dependencies") {
            deps.push(Dep {
                package: owner.clone(),
                name: dep["name"].as_str().expect("dependency name").to_owned(),
                kind: dep["kind"].as_str().unwrap_or("normal").to_owned(),
                optional: dep["optional"].as_bool().unwrap_or(false),
            });
        }
    }
    deps
}

/// The violations of the dependency rules in `deps`, one sentence each.
fn dependency_violations(deps: &[Dep]) -> Vec<String> {
    // Crates that only test or measure the others: they may use the emulator directly.
    const TOOLING: &[&str] = &["atrium-bench", "atrium-e2e", "xtask"];
    let allowed_deps = |package: &str| -> Option<&'static [&'static str]> {
        match package {
            "tb-proto" => Some(&["serde", "serde_json", "uuid"]),
            "atrium-ipc" => Some(&["serde", "serde_json", "tb-proto"]),
            _ => None,
        }
    };
    let mut found = Vec::new();
    for dep in deps {
        let shipped = dep.kind != "dev";
        let is_tauri = dep.name == "tauri" || dep.name.starts_with("tauri-");
        if is_tauri && dep.package != "atrium" {
            found.push(format!("{} depends on {}: only the shell (src-tauri) may", dep.package, dep.name));
        }
        if dep.package == "tb-client" && dep.name.starts_with("atrium-") {
            found.push(format!("tb-client depends on {}: it must know nothing of Atrium", dep.name));
        }
        if let Some(allowed) = allowed_deps(&dep.package) {
            if shipped && !allowed.contains(&dep.name.as_str()) {
                found.push(format!(
                    "{} depends on {}: it may depend only on {} (no IO, builds for wasm32)",
                    dep.package,
                    dep.name,
                    allowed.join(", ")
                ));
            }
        }
        if dep.name == "tb-emulator" && shipped && !TOOLING.contains(&dep.package.as_str()) {
            let behind_demo = dep.package == "atrium-core" && dep.optional;
            if !behind_demo {
                found.push(format!(
                    "{} depends on tb-emulator: only as a dev-dependency, or behind atrium-core's `demo` feature",
                    dep.package
                ));
            }
        }
    }
    found
}

/// Files under `dir` whose name ends with `ext`, skipping build output and dependencies.
fn files(dir: &Path, ext: &str, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | "node_modules" | "dist" | "gen" | "artifacts")
                && !name.starts_with('.')
            {
                files(&path, ext, into);
            }
        } else if name.ends_with(ext) {
            into.push(path);
        }
    }
}

/// Where comments point outside the repository (its readers have only the repository).
fn outside_citations(text: &str) -> Vec<String> {
    // Spelled in pieces so that this file does not match the very needles it looks for.
    const OUTSIDE: &[&str] = &[
        concat!("thingsboard-api", ".md"),
        concat!("../", "shared/"),
        concat!("shared/", "toolchain.md"),
        concat!("reference ", "§"),
    ];
    text.lines()
        .enumerate()
        .filter(|(_, line)| OUTSIDE.iter().any(|needle| line.contains(needle)))
        .map(|(i, line)| format!("line {}: {}", i + 1, line.trim()))
        .collect()
}

#[test]
fn crates_depend_only_on_what_architecture_md_allows() {
    let violations = dependency_violations(&dependencies(&metadata()));
    assert!(violations.is_empty(), "dependency rules broken:\n- {}", violations.join("\n- "));
}

#[test]
fn every_rule_is_checked_against_the_workspace_packages() {
    // A renamed crate would make the rules above pass vacuously.
    let metadata = metadata();
    let names: BTreeSet<&str> =
        metadata["packages"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
    for expected in
        ["atrium", "atrium-core", "atrium-ipc", "atrium-cli", "tb-proto", "tb-client", "tb-emulator"]
    {
        assert!(names.contains(expected), "no workspace package named {expected}: update tidy.rs");
    }
}

#[test]
fn the_rules_catch_a_violation() {
    let dep = |package: &str, name: &str, kind: &str, optional: bool| Dep {
        package: package.into(),
        name: name.into(),
        kind: kind.into(),
        optional,
    };
    let bad = [
        dep("atrium-core", "tauri", "normal", false),
        dep("tb-client", "atrium-ipc", "normal", false),
        dep("tb-proto", "reqwest", "normal", false),
        dep("atrium-cli", "tb-emulator", "normal", false),
        dep("atrium-core", "tb-emulator", "normal", false),
    ];
    assert_eq!(dependency_violations(&bad).len(), bad.len(), "{:#?}", dependency_violations(&bad));
    let fine = [
        dep("atrium", "tauri", "normal", false),
        dep("atrium-core", "tb-emulator", "normal", true),
        dep("tb-client", "tb-emulator", "dev", false),
        dep("atrium-bench", "tb-emulator", "normal", false),
        dep("tb-proto", "serde", "normal", false),
    ];
    assert!(dependency_violations(&fine).is_empty(), "{:#?}", dependency_violations(&fine));
}

#[test]
fn no_grab_bag_modules() {
    let mut sources = Vec::new();
    files(&root(), ".rs", &mut sources);
    let grab_bags: Vec<String> = sources
        .iter()
        .filter(|p| {
            matches!(
                p.file_name().and_then(|n| n.to_str()),
                Some("utils.rs" | "helpers.rs" | "util.rs" | "misc.rs")
            )
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(grab_bags.is_empty(), "name modules after what they hold: {grab_bags:?}");
}

#[test]
fn comments_cite_only_what_the_repository_holds() {
    let mut sources = Vec::new();
    files(&root(), ".rs", &mut sources);
    files(&root(), ".md", &mut sources);
    let mut found = Vec::new();
    for path in &sources {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for hit in outside_citations(&text) {
            found.push(format!("{}: {hit}", path.display()));
        }
    }
    assert!(
        found.is_empty(),
        "cite the ThingsBoard source (class, method) or a doc in this repository instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn outside_citations_are_recognised() {
    assert_eq!(outside_citations(concat!("// see reference ", "§3.3\nfn f() {}\n")).len(), 1);
    assert!(outside_citations("// `TelemetryController.getTimeseries`").is_empty());
}

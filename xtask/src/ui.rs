//! `cargo xtask ui`: the Leptos UI into dist/, built the way trunk builds this app, from cargo,
//! wasm-bindgen (the CLI's library, linked into xtask) and (release only) npm's wasm-opt.
//!
//! Compiling trunk took about 10 minutes of a fresh 2-core machine's first run, for three steps
//! this module does in a page. index.html keeps trunk's `data-trunk` links, so `trunk serve`
//! (optional, for live reload) reads the same file; a link kind this module does not know is an
//! error rather than a silently missing asset.
//!
//! Files are staged under the target dir and copied into dist/ only when their bytes changed:
//! the shell embeds dist/ and rebuilds whenever a file in it is newer, so an unchanged UI must
//! not look changed (trunk rewrote every file, costing a release relink of the shell per build).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::project::{self, Project};

/// The root package: the UI crate, whose binary wasm-bindgen turns into a web module.
const UI_PACKAGE: &str = "atrium-ui";
pub(crate) const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// wasm-bindgen's `--target web` module does not start itself; this file does, as trunk's inline
/// loader did. A file rather than an inline script, so the CSP's `script-src 'self'` covers it.
const START_SCRIPT: &str = "start.js";

fn start_script() -> String {
    format!(
        "// Written by `cargo xtask ui`: loads the UI's wasm module, whose start function mounts the app.\n\
         import init from \"./{UI_PACKAGE}.js\";\n\
         init({{ module_or_path: new URL(\"./{UI_PACKAGE}_bg.wasm\", import.meta.url) }});\n"
    )
}

pub(crate) fn build(project: &Project, release: bool) -> Result<()> {
    build_with(project, release, None)
}

/// The debug UI, its workspace crates linted by clippy as they are built (see lint.rs).
pub(crate) fn build_linted(project: &Project, clippy: &Path) -> Result<()> {
    build_with(project, false, Some(clippy))
        .context("building the UI failed (run `cargo xtask setup` if a tool is missing)")
}

/// The UI's `cargo build` for wasm, what [`build`] runs first; linted if given clippy-driver
/// (lint.rs).
pub(crate) fn cargo_build(project: &Project, release: bool, clippy: Option<&Path>) -> std::process::Command {
    let mut cargo = project.cargo();
    cargo.args(["build", "--target", WASM_TARGET, "-p", UI_PACKAGE]);
    if release {
        cargo.arg("--release");
    }
    if let Some(driver) = clippy {
        crate::lint::with_clippy(&mut cargo, driver);
    }
    cargo
}

fn build_with(project: &Project, release: bool, clippy: Option<&Path>) -> Result<()> {
    let target = project.target_dir()?;
    let profile = if release { "release" } else { "debug" };
    let stage = target.join("ui").join(profile);
    let _ = std::fs::remove_dir_all(&stage);
    std::fs::create_dir_all(&stage).with_context(|| format!("creating {}", stage.display()))?;

    let source = project.root.join("index.html");
    let html = std::fs::read_to_string(&source).with_context(|| format!("reading {}", source.display()))?;
    let page = Page::parse(&html)?;

    project::run(&mut cargo_build(project, release, clippy))?;
    let wasm = target.join(WASM_TARGET).join(profile).join(format!("{UI_PACKAGE}.wasm"));
    bindgen(&wasm, &stage)?;
    if release {
        if let Some(level) = &page.wasm_opt {
            optimize(project, &stage.join(format!("{UI_PACKAGE}_bg.wasm")), level)?;
        }
    }
    for asset in &page.copied {
        let from = project.root.join(asset);
        let name = file_name(asset)?;
        std::fs::copy(&from, stage.join(name)).with_context(|| format!("copying {}", from.display()))?;
    }
    std::fs::write(stage.join(START_SCRIPT), start_script())?;
    std::fs::write(stage.join("index.html"), &page.html)?;

    let dist = project.root.join("dist");
    let changed = sync(&stage, &dist)?;
    println!("ui: dist/ built ({profile}), {changed} file(s) changed");
    Ok(())
}

/// What `wasm-bindgen --target web --no-typescript` does, as trunk runs it, through the CLI's
/// library. It refuses a module built against another wasm-bindgen's schema, so Cargo.lock's
/// wasm-bindgen and xtask's pin must agree (a unit test checks).
fn bindgen(wasm: &Path, out_dir: &Path) -> Result<()> {
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(wasm)
        .web(true)?
        .typescript(false)
        // The CLI's default: init() without an argument finds the module beside the script.
        .omit_default_module_path(false)
        .out_name(UI_PACKAGE);
    bindgen.generate(out_dir).with_context(|| format!("wasm-bindgen on {}", wasm.display()))
}

/// npm's binaryen 132 wasm-opt, in place; Debian's 108 produces a module that never mounts.
fn optimize(project: &Project, wasm: &Path, level: &str) -> Result<()> {
    let optimized = wasm.with_extension("opt.wasm");
    let mut cmd = project.cmd("wasm-opt");
    cmd.arg(format!("-O{level}")).arg("--output").arg(&optimized).arg(wasm);
    project::run(&mut cmd).context("wasm-opt failed (run `cargo xtask setup` for npm's binaryen)")?;
    std::fs::rename(&optimized, wasm)?;
    Ok(())
}

/// index.html with its `data-trunk` links resolved.
#[derive(Debug, PartialEq)]
struct Page {
    html: String,
    /// Source files copied into dist/ under their file names.
    copied: Vec<String>,
    /// The `-O` level of `data-wasm-opt`, unless it is `0`.
    wasm_opt: Option<String>,
}

impl Page {
    fn parse(source: &str) -> Result<Page> {
        let mut page =
            Page { html: String::with_capacity(source.len() + 256), copied: Vec::new(), wasm_opt: None };
        let mut rest = source;
        let mut has_rust = false;
        while let Some(start) = rest.find("<link") {
            let end = start + rest[start..].find('>').context("index.html: a <link> is never closed")? + 1;
            let tag = &rest[start..end];
            page.html.push_str(&rest[..start]);
            rest = &rest[end..];
            let attrs = attributes(tag);
            if !attrs.iter().any(|(name, _)| name == "data-trunk") {
                page.html.push_str(tag);
                continue;
            }
            let attr = |name: &str| attrs.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.as_deref());
            let href = || attr("href").with_context(|| format!("index.html: `{tag}` has no href"));
            match attr("rel") {
                Some("icon") => {
                    let href = href()?;
                    page.html.push_str(&format!("<link rel=\"icon\" href=\"/{}\" />", file_name(href)?));
                    page.copied.push(href.to_owned());
                }
                // Copied as is (trunk's name for it); the page refers to it itself.
                Some("copy-file") => page.copied.push(href()?.to_owned()),
                Some("css") => {
                    let href = href()?;
                    page.html
                        .push_str(&format!("<link rel=\"stylesheet\" href=\"/{}\" />", file_name(href)?));
                    page.copied.push(href.to_owned());
                }
                Some("rust") => {
                    if has_rust {
                        bail!("index.html has more than one `data-trunk rel=\"rust\"` link");
                    }
                    has_rust = true;
                    page.wasm_opt = match attr("data-wasm-opt").unwrap_or("0") {
                        "0" => None,
                        level @ ("1" | "2" | "3" | "4" | "s" | "z") => Some(level.to_owned()),
                        other => bail!("index.html: data-wasm-opt=\"{other}\" is not 0-4, s or z"),
                    };
                    // Fetched while start.js loads, instead of one after the other.
                    page.html.push_str(&format!(
                        "<link rel=\"modulepreload\" href=\"/{UI_PACKAGE}.js\" />\n    \
                         <link rel=\"preload\" href=\"/{UI_PACKAGE}_bg.wasm\" as=\"fetch\" \
                         type=\"application/wasm\" crossorigin=\"anonymous\" />\n    \
                         <script type=\"module\" src=\"/{START_SCRIPT}\"></script>"
                    ));
                }
                other => bail!(
                    "index.html uses `<link data-trunk rel=\"{}\">`, which `cargo xtask ui` does not \
                     build: teach xtask/src/ui.rs that kind of asset",
                    other.unwrap_or("")
                ),
            }
        }
        page.html.push_str(rest);
        if !has_rust {
            bail!("index.html has no `<link data-trunk rel=\"rust\" />`: nothing would load the UI");
        }
        Ok(page)
    }
}

/// The attributes of one tag, `name="value"` or a bare `name`, in order.
fn attributes(tag: &str) -> Vec<(String, Option<String>)> {
    let inner = tag.trim_start_matches('<').trim_end_matches('>').trim_end_matches('/');
    let mut attrs = Vec::new();
    let mut rest = inner.split_once(char::is_whitespace).map_or("", |(_, rest)| rest);
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return attrs;
        }
        let name_end = rest.find(|c: char| c.is_whitespace() || c == '=').unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start();
        let value = match rest.strip_prefix('=') {
            Some(after) => {
                let after = after.trim_start();
                let (value, remainder) = match after.chars().next() {
                    Some(quote @ ('"' | '\'')) => {
                        let body = &after[1..];
                        let close = body.find(quote).unwrap_or(body.len());
                        (&body[..close], body.get(close + 1..).unwrap_or(""))
                    }
                    _ => after.split_at(after.find(char::is_whitespace).unwrap_or(after.len())),
                };
                rest = remainder;
                Some(value.to_owned())
            }
            None => None,
        };
        attrs.push((name, value));
    }
}

fn file_name(path: &str) -> Result<&str> {
    Path::new(path)
        .file_name()
        .and_then(|name| name.to_str())
        .with_context(|| format!("index.html: `{path}` names no file"))
}

/// Makes `to` hold exactly what `from` holds, writing only files whose bytes differ; returns how
/// many files it wrote or removed.
fn sync(from: &Path, to: &Path) -> Result<usize> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let mut changed = 0;
    let mut wanted: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        wanted.push(target.clone());
        if entry.file_type()?.is_dir() {
            if target.is_file() {
                std::fs::remove_file(&target)?;
            }
            changed += sync(&entry.path(), &target)?;
            continue;
        }
        if target.is_dir() {
            std::fs::remove_dir_all(&target)?;
        }
        let bytes = std::fs::read(entry.path())?;
        if std::fs::read(&target).ok().as_deref() != Some(bytes.as_slice()) {
            std::fs::write(&target, &bytes).with_context(|| format!("writing {}", target.display()))?;
            changed += 1;
        }
    }
    for entry in std::fs::read_dir(to)? {
        let path = entry?.path();
        if !wanted.contains(&path) {
            if path.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::remove_file(&path)?;
            }
            changed += 1;
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_the_trunk_links_of_index_html() {
        let page = Page::parse(
            "<head>\n<meta charset=\"utf-8\" />\n<link data-trunk rel=\"icon\" href=\"public/favicon.svg\" />\n\
             <link data-trunk rel='css' href=styles/app.css>\n<link rel=\"author\" href=\"humans.txt\" />\n\
             <link data-trunk rel=\"copy-file\" href=\"public/theme.js\" />\n\
             <link data-trunk rel=\"rust\" data-wasm-opt=\"z\" />\n</head>",
        )
        .unwrap();
        assert_eq!(page.copied, ["public/favicon.svg", "styles/app.css", "public/theme.js"]);
        assert_eq!(page.wasm_opt.as_deref(), Some("z"));
        assert!(page.html.contains("<link rel=\"icon\" href=\"/favicon.svg\" />"), "{}", page.html);
        assert!(page.html.contains("<link rel=\"stylesheet\" href=\"/app.css\" />"), "{}", page.html);
        assert!(page.html.contains("<script type=\"module\" src=\"/start.js\"></script>"), "{}", page.html);
        // Links that are not trunk's stay as written.
        assert!(page.html.contains("<link rel=\"author\" href=\"humans.txt\" />"), "{}", page.html);
        assert!(!page.html.contains("data-trunk"), "{}", page.html);
    }

    #[test]
    fn refuses_what_it_cannot_build() {
        let err = |html: &str| Page::parse(html).unwrap_err().to_string();
        assert!(err("<link data-trunk rel=\"sass\" href=\"a.scss\" />").contains("rel=\"sass\""));
        assert!(err("<link data-trunk rel=\"css\" href=\"a.css\" />")
            .contains("no `<link data-trunk rel=\"rust\""));
        assert!(err("<link data-trunk rel=\"rust\" data-wasm-opt=\"fast\" />").contains("data-wasm-opt"));
        assert!(err("<link data-trunk rel=\"css\" />").contains("has no href"));
    }

    #[test]
    fn the_real_index_html_is_understood() {
        let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets it");
        let html = std::fs::read_to_string(Path::new(&manifest_dir).join("../index.html")).unwrap();
        let page = Page::parse(&html).unwrap();
        assert_eq!(page.wasm_opt.as_deref(), Some("z"));
        for asset in &page.copied {
            assert!(Path::new(&manifest_dir).join("..").join(asset).is_file(), "{asset} is missing");
        }
    }

    #[test]
    fn sync_writes_only_what_changed_and_removes_the_rest() {
        let root = std::env::temp_dir().join(format!("xtask-ui-sync-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let (from, to) = (root.join("from"), root.join("to"));
        std::fs::create_dir_all(from.join("snippets")).unwrap();
        std::fs::create_dir_all(&to).unwrap();
        std::fs::write(from.join("same.js"), "same").unwrap();
        std::fs::write(from.join("new.css"), "new").unwrap();
        std::fs::write(from.join("snippets/a.js"), "a").unwrap();
        std::fs::write(to.join("same.js"), "same").unwrap();
        std::fs::write(to.join("new.css"), "old").unwrap();
        std::fs::write(to.join("stale.wasm"), "stale").unwrap();
        let before = std::fs::metadata(to.join("same.js")).unwrap().modified().unwrap();

        assert_eq!(
            sync(&from, &to).unwrap(),
            3,
            "new.css rewritten, snippets/a.js added, stale.wasm removed"
        );
        assert_eq!(std::fs::read_to_string(to.join("new.css")).unwrap(), "new");
        assert_eq!(std::fs::read_to_string(to.join("snippets/a.js")).unwrap(), "a");
        assert!(!to.join("stale.wasm").exists());
        assert_eq!(std::fs::metadata(to.join("same.js")).unwrap().modified().unwrap(), before);
        assert_eq!(sync(&from, &to).unwrap(), 0, "a second sync changes nothing");
        std::fs::remove_dir_all(&root).unwrap();
    }
}

//! Fidelity with ThingsBoard's own Python REST client (`tb-rest-client` from PyPI): it logs in,
//! lists assets, queries relations, reads telemetry and attributes, sends a two-way RPC and lists
//! alarms against the emulator, parsing every answer with its generated models.
//!
//! The Python comes from `ATRIUM_PYTHON` (a python with `tb-rest-client` installed) or from a venv
//! under `$CARGO_TARGET_DIR` (or `target/`)`/py-fidelity/venv`, created on first use. Without
//! network access to PyPI the venv cannot be created and this test fails, saying so.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The pinned client version.
const TB_REST_CLIENT: &str = "tb-rest-client==4.4";
/// Generous: a cold run includes nothing but the script; the venv is built before the clock starts.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);

/// Read at run time first: a shared target dir may hold a test binary built from another clone.
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                manifest_dir().join("../..").join(dir)
            }
        }
        None => manifest_dir().join("../../target"),
    }
}

fn run(command: &mut Command) -> Output {
    command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A python that can `import tb_rest_client`: `ATRIUM_PYTHON`, or the cached venv (built when missing).
fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("ATRIUM_PYTHON") {
        return PathBuf::from(python);
    }
    let root = target_dir().join("py-fidelity");
    let venv = root.join("venv");
    let python = venv.join("bin/python");
    let marker = root.join(format!("installed-{}", TB_REST_CLIENT.replace("==", "-")));
    if marker.exists() && python.exists() {
        return python;
    }
    std::fs::create_dir_all(&root).expect("create the py-fidelity directory");
    if !python.exists() {
        let output = run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
        assert!(output.status.success(), "python3 -m venv {} failed:\n{}", venv.display(), describe(&output));
    }
    let output = run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        TB_REST_CLIENT,
    ]));
    assert!(
        output.status.success(),
        "pip could not install {TB_REST_CLIENT} from PyPI into {} (no network?). Set ATRIUM_PYTHON to a python \
         with tb-rest-client installed to run this test offline.\n{}",
        venv.display(),
        describe(&output)
    );
    std::fs::write(&marker, TB_REST_CLIENT).expect("write the install marker");
    python
}

/// Runs the script to completion or until `SCRIPT_TIMEOUT`, whichever comes first.
fn run_script(python: &Path, script: &Path, base_url: &str) -> Output {
    let mut child = Command::new(python)
        .arg(script)
        .arg(base_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));
    let started = Instant::now();
    // A bounded wait for the child's exit: the script's own requests have timeouts.
    while child.try_wait().expect("poll the python process").is_none() {
        if started.elapsed() > SCRIPT_TIMEOUT {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("collect the python output")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thingsboards_python_rest_client_accepts_every_answer() {
    let python = tokio::task::spawn_blocking(python).await.unwrap();
    let emulator = common::start().await;
    let script = manifest_dir().join("tests/python/fidelity.py");
    let base_url = emulator.base_url();
    let output = {
        let python = python.clone();
        tokio::task::spawn_blocking(move || run_script(&python, &script, &base_url)).await.unwrap()
    };
    emulator.shutdown().await;
    assert!(
        output.status.success(),
        "ThingsBoard's python client (tb-rest-client via {}) rejected the emulator:\n{}",
        python.display(),
        describe(&output)
    );
}

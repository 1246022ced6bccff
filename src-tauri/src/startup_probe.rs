//! How long after the process started the UI painted a building: logged at info, and appended as
//! a JSON line to the file `ATRIUM_STARTUP_PROBE` names (how `cargo xtask bench` times a cold start).

use atrium_ipc::Painted;
use std::io::Write;
use std::sync::OnceLock;
use std::time::Instant;

static STARTED: OnceLock<Instant> = OnceLock::new();

/// Notes the start of the process; called first thing in `run()`.
pub(crate) fn started() {
    STARTED.get_or_init(Instant::now);
}

pub(crate) fn painted(what: Painted) {
    let since_start = STARTED.get().map(|t| t.elapsed().as_secs_f64() * 1000.0);
    let epoch_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    tracing::info!(?what, since_start_ms = since_start, "painted");
    let Some(path) = std::env::var_os("ATRIUM_STARTUP_PROBE") else { return };
    let line = serde_json::json!({ "what": what, "epochMs": epoch_ms, "sinceStartMs": since_start });
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| writeln!(file, "{line}"));
    if let Err(e) = written {
        tracing::warn!("the start-up probe could not be written: {e}");
    }
}

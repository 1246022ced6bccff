//! Waiting for the page: poll a check every 50 ms until it passes or a deadline passes.
//!
//! Never a fixed sleep: the UI mounts only after its wasm has loaded and live data arrives when it
//! arrives, so every wait is for a visible condition, bounded, and its timeout error carries the
//! last thing the page showed.

use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use fantoccini::elements::Element;
use fantoccini::Client;

use crate::find;

/// How often a wait re-checks the page.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Calls `probe` every [`POLL_INTERVAL`] until it returns `Ok`, for at most `timeout`.
///
/// `probe`'s errors mean "not yet" (including WebDriver errors such as a stale element while the
/// UI re-renders); the last one is reported if the deadline passes.
pub async fn until<T>(what: &str, timeout: Duration, mut probe: impl AsyncFnMut() -> Result<T>) -> Result<T> {
    let start = Instant::now();
    loop {
        match probe().await {
            Ok(value) => return Ok(value),
            Err(last) => {
                if start.elapsed() >= timeout {
                    return Err(anyhow!(
                        "timed out after {:.1} s waiting for {what}; last seen: {last:#}",
                        start.elapsed().as_secs_f64()
                    ));
                }
            }
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Waits until an element matches `css` and returns it.
pub async fn for_element(client: &Client, css: &str, timeout: Duration) -> Result<Element> {
    until(&format!("an element matching `{css}`"), timeout, async || find::one(client, css).await).await
}

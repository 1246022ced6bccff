//! What the core's integration tests share: a UI that records what it was told, and a wait for
//! a condition the core reaches by itself.
#![allow(dead_code, unreachable_pub)]

use atrium_core::UiEvents;
use atrium_ipc::{AppError, ConnectionState};
use std::sync::Mutex;
use std::time::Duration;

/// Every connection state and session end the core reported.
#[derive(Default)]
pub struct Recorder {
    pub states: Mutex<Vec<ConnectionState>>,
    pub ended: Mutex<Vec<AppError>>,
}

impl UiEvents for Recorder {
    fn connection(&self, state: ConnectionState) {
        self.states.lock().unwrap().push(state);
    }
    fn session_ended(&self, error: AppError) {
        self.ended.lock().unwrap().push(error);
    }
}

/// Polls `check` every 20 ms until it holds, failing after 20 s.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut poll = tokio::time::interval(Duration::from_millis(20));
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        poll.tick().await;
    }
}

/// The next update from a watch's channel that satisfies `ok`, failing after 10 s with `what`.
pub async fn next_matching<T>(
    updates: &mut tokio::sync::mpsc::UnboundedReceiver<T>,
    what: &str,
    ok: impl Fn(&T) -> bool,
) -> T {
    let wait = async {
        loop {
            let update = updates.recv().await.expect("the watch is running");
            if ok(&update) {
                return update;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or_else(|_| panic!("no update with {what} in time"))
}

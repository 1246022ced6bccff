//! A device set up for ThingsBoard's own switch widget, behaving as firmware written for that
//! widget does: it answers `getValue` with its state and takes `setValue` with a bare boolean,
//! on the same RPC path the device HTTP API serves (`GET /api/v1/{token}/rpc`), and reports no
//! telemetry at all. Tests use it to prove a client works with devices it was not written for.

use crate::rpc_hub::{self, PollGuard};
use crate::AppState;
use axum::body::Bytes;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::task::JoinHandle;
use tokio::time::{Duration, Instant};
use uuid::Uuid;

/// A running widget switch; it stops answering when dropped.
#[derive(Debug)]
pub struct WidgetSwitch {
    task: JoinHandle<()>,
    state: Arc<Mutex<SwitchState>>,
}

#[derive(Debug, Default)]
struct SwitchState {
    on: bool,
    /// Every request it was sent: (method, params).
    calls: Vec<(String, Value)>,
}

impl WidgetSwitch {
    pub(crate) fn start(app: Arc<AppState>, device: Uuid, on: bool) -> Self {
        let state = Arc::new(Mutex::new(SwitchState { on, calls: Vec::new() }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            // Connected for as long as it runs, as a device holding a long poll open.
            let link = PollGuard::new(app.clone(), device);
            // Bounded like every loop here: no test sends it this many commands.
            for _ in 0..10_000 {
                let Some(request) = link.next(Instant::now() + Duration::from_secs(60)).await else {
                    continue;
                };
                let reply = {
                    let mut s = shared.lock().unwrap_or_else(PoisonError::into_inner);
                    s.calls.push((request.method.clone(), request.params.clone()));
                    match (request.method.as_str(), request.params.as_bool()) {
                        ("getValue", _) => json!(s.on),
                        ("setValue", Some(on)) => {
                            s.on = on;
                            json!(on)
                        }
                        _ => json!({"error": format!("Unknown method: {}", request.method)}),
                    }
                };
                rpc_hub::device_reply(&app, device, request.id, Bytes::from(reply.to_string()));
            }
        });
        Self { task, state }
    }

    /// Whether it is on now.
    pub fn is_on(&self) -> bool {
        self.lock().on
    }

    /// Every request it was sent so far: (method, params).
    pub fn calls(&self) -> Vec<(String, Value)> {
        self.lock().calls.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SwitchState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for WidgetSwitch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

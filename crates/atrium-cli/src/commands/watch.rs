//! `watch`: live latest telemetry over the WebSocket. The live layer reconnects, resubscribes and
//! refreshes the token by itself; this only keeps reading until the count, the time or Ctrl-C.

use crate::failure::{Failure, AUTH, NETWORK, NOT_FOUND};
use crate::session::Session;
use crate::{output, resolve};
use serde_json::json;
use std::time::Duration;
use tb_client::live::{ConnectionState, LiveConfig, LiveEvent, LiveHandle, SubscriptionSpec};
use tb_client::proto::ws::error_code;
use tokio::time::Instant;

pub(crate) struct WatchArgs<'a> {
    pub(crate) device: &'a str,
    pub(crate) keys: Vec<String>,
    pub(crate) count: Option<u64>,
    pub(crate) seconds: Option<f64>,
}

pub(crate) async fn run(session: &Session, json: bool, args: WatchArgs<'_>) -> anyhow::Result<()> {
    let device = resolve::device(&session.client, args.device).await?;
    // The WebSocket reports an unknown id only as "Failed to fetch data!": ask REST first for a clear 404/403.
    session.client.device(device).await?;
    let entity = device.entity_id();
    let live = LiveHandle::spawn(&session.client, LiveConfig::default());
    let mut state = live.state();
    let keys: Vec<String> =
        args.keys.into_iter().map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()).collect();
    let mut subscription = live.subscribe(SubscriptionSpec::Timeseries { entity, keys });
    let deadline = args.seconds.map(|s| Instant::now() + Duration::from_secs_f64(s));
    let until_deadline = async {
        match deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(until_deadline);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut printed: u64 = 0;
    let mut was_connected = false;
    let result = loop {
        tokio::select! {
            () = &mut until_deadline => break Ok(()),
            _ = &mut ctrl_c => break Ok(()),
            changed = state.changed() => {
                if changed.is_ok() {
                    let now = state.borrow_and_update().clone();
                    report_state(&now, &mut was_connected);
                }
            }
            event = subscription.next() => match event {
                Some(LiveEvent::Values { values, .. }) => {
                    let mut done = false;
                    for value in values {
                        let line = if json {
                            json!({
                                "entityId": entity.id.to_string(),
                                "key": value.key,
                                "ts": value.ts,
                                "value": output::value_json(&value.value),
                            })
                            .to_string()
                        } else {
                            let shown = output::value_text(&output::value_json(&value.value));
                            format!("{} {}={shown}", output::iso_time(value.ts), value.key)
                        };
                        if let Err(e) = output::line(line) {
                            live.shutdown();
                            return Err(e);
                        }
                        printed += 1;
                        if args.count.is_some_and(|n| printed >= n) {
                            done = true;
                            break;
                        }
                    }
                    if done {
                        break Ok(());
                    }
                }
                Some(LiveEvent::Error(e)) => {
                    let code = if e.code == error_code::UNAUTHORIZED { NOT_FOUND } else { 1 };
                    break Err(Failure::new(code, format!("the server refused the subscription: {}", e.message)).into());
                }
                // A time-series subscription yields nothing else.
                Some(_) => {}
                None => break Err(closed(&live.state().borrow()).into()),
            },
        }
    };
    live.shutdown();
    result
}

/// Connection changes, on stderr so stdout stays data.
fn report_state(state: &ConnectionState, was_connected: &mut bool) {
    match state {
        ConnectionState::Connected if *was_connected => eprintln!("live connection restored"),
        ConnectionState::Connected => *was_connected = true,
        ConnectionState::Reconnecting { attempt, retry_in } => {
            eprintln!(
                "live connection lost; reconnecting in {:.1} s (attempt {attempt})",
                retry_in.as_secs_f64()
            );
        }
        _ => {}
    }
}

/// The live connection ended for good: a dead session, or a policy that gave up.
fn closed(state: &ConnectionState) -> Failure {
    match state {
        ConnectionState::Closed { reason } if reason.starts_with("the session has ended") => {
            Failure::new(AUTH, "Your session has ended. Sign in again.")
        }
        ConnectionState::Closed { reason } | ConnectionState::Offline { reason } => {
            Failure::new(NETWORK, format!("the live connection ended: {reason}"))
        }
        _ => Failure::new(NETWORK, "the live connection ended"),
    }
}

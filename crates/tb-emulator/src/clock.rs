//! Wall-clock helpers. Timestamps on the wire are wall-clock epoch milliseconds; timers
//! (RPC expiry, pings, the simulation tick) use tokio time so tests can pause it.

use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

pub(crate) fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

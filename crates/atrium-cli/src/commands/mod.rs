//! One module per command; each takes a logged-in session and the `--json` flag.

pub(crate) mod alarms;
pub(crate) mod attrs;
pub(crate) mod login;
pub(crate) mod rpc;
pub(crate) mod tree;
pub(crate) mod watch;

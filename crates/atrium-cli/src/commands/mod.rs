//! One module per command; each takes a logged-in session and the `--json` flag.

pub(crate) mod access;
pub(crate) mod alarms;
pub(crate) mod attrs;
pub(crate) mod login;
pub(crate) mod place;
pub(crate) mod rpc;
pub(crate) mod share;
pub(crate) mod tree;
pub(crate) mod unshare;
pub(crate) mod watch;

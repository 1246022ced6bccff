//! `<place>` of `share`, `unshare` and `access`: the signed-in user checked first (only a tenant
//! administrator shares), the argument resolved like any entity argument, and the building
//! loaded as the app shows it, since "below the place" is read from that tree.

use crate::resolve;
use crate::session::Session;
use atrium_core::sharing::Sharing;
use atrium_core::{building_tree, BuildingTree};
use atrium_ipc::{FailedItem, SharingProgress, TreeNode};
use std::io::{IsTerminal, Write};

/// A resolved place and the tree it is found in.
#[derive(Debug)]
pub(crate) struct Place {
    pub(crate) node_id: String,
    pub(crate) tree: Vec<TreeNode>,
}

pub(crate) async fn load(session: &Session, arg: &str) -> anyhow::Result<Place> {
    Sharing::new(&session.client).require_tenant_admin().await?;
    let entity = resolve::entity(&session.client, arg).await?;
    let hierarchy = session.client.load_hierarchy(|_| {}).await?;
    // The load's warnings concern kinds and layout, not who has what: not repeated here.
    let BuildingTree { tree, .. } = building_tree(&session.client, &hierarchy).await;
    Ok(Place { node_id: entity.id.to_string(), tree })
}

/// A counter on stderr while a run goes, for a person watching a terminal; nothing otherwise.
pub(crate) fn progress(json: bool) -> impl Fn(SharingProgress) + Send + Sync {
    let show = !json && std::io::stderr().is_terminal();
    move |p: SharingProgress| {
        if show {
            let mut err = std::io::stderr().lock();
            let end = if p.done == p.total { "\n" } else { "" };
            let _ = write!(err, "\r{}/{} done{end}", p.done, p.total);
            let _ = err.flush();
        }
    }
}

/// Exit 1 when items failed or the run stopped: the output above says which and why.
pub(crate) fn outcome(
    verb: &str,
    total: usize,
    failed: &[FailedItem],
    stopped: Option<&str>,
) -> anyhow::Result<()> {
    if let Some(reason) = stopped {
        return Err(crate::failure::Failure::new(
            crate::failure::OTHER,
            format!("the run stopped: {reason}"),
        )
        .into());
    }
    match failed.first() {
        None => Ok(()),
        Some(first) => Err(crate::failure::Failure::new(
            crate::failure::OTHER,
            format!(
                "{} of {total} could not be {verb}; first {}: {}",
                failed.len(),
                first.item.name,
                first.reason
            ),
        )
        .into()),
    }
}

/// `Name [kind]`.
pub(crate) fn item_text(item: &atrium_ipc::SharedItem) -> String {
    let kind =
        serde_json::to_value(item.kind).ok().and_then(|k| k.as_str().map(str::to_owned)).unwrap_or_default();
    format!("{} [{kind}]", item.name)
}

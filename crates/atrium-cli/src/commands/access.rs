//! `access <place>`: the customers that have the place or something below it, what they have,
//! and their users (active or still to activate).

use super::place::{self, item_text};
use crate::output;
use crate::session::Session;
use atrium_core::sharing::Sharing;
use atrium_ipc::PlaceAccess;

pub(crate) async fn run(session: &Session, json: bool, place_arg: &str) -> anyhow::Result<()> {
    let place = place::load(session, place_arg).await?;
    let access = Sharing::new(&session.client).place_access(&place.tree, &place.node_id).await?;
    if json {
        return output::line(serde_json::to_value(&access)?);
    }
    output::line(text(&access))
}

fn text(access: &PlaceAccess) -> String {
    let mut lines = vec![item_text(&access.place)];
    if access.customers.is_empty() {
        lines.push("no customer has it or anything below it".into());
    }
    for c in &access.customers {
        let email = c.customer.email.as_deref().map(|e| format!(" <{e}>")).unwrap_or_default();
        let below = c.items.len() - usize::from(c.has_place);
        let what =
            if c.has_place { format!("the place and {below} below it") } else { format!("{below} below it") };
        lines.push(format!("customer {}{email}: {what}", c.customer.title));
        if c.users.is_empty() {
            lines.push("  no users".into());
        }
        for u in &c.users {
            let state = match u.activated {
                Some(true) => "active",
                Some(false) => "still to activate",
                None => "activation unknown",
            };
            let who = if u.name == u.email { u.email.clone() } else { format!("{} <{}>", u.name, u.email) };
            lines.push(format!("  {who}: {state}"));
        }
    }
    lines.push(format!("no customer's: {}", access.unshared.len()));
    lines.join("\n")
}

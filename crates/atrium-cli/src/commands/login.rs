//! `login`: check credentials; print the user.

use crate::output;
use crate::session::Session;
use serde_json::json;

pub(crate) fn run(session: &Session, json: bool) -> anyhow::Result<()> {
    let p = &session.principal;
    let authority = serde_json::to_value(p.authority)?;
    if json {
        let user = json!({
            "email": p.email,
            "authority": authority,
            "tenantId": p.tenant_id,
            "customerId": p.customer_id,
        });
        return output::line(user);
    }
    let authority = output::value_text(&authority);
    let name = p.display_name();
    let who = if name == p.email { p.email.clone() } else { format!("{name} <{}>", p.email) };
    match &p.customer_id {
        Some(customer) => output::line(format!("logged in as {who} ({authority}, customer {customer})")),
        None => output::line(format!("logged in as {who} ({authority})")),
    }
}

//! Who has access to a place: each customer with what of it they have, and their users (active,
//! or still to activate their account).

use super::things;
use atrium_ipc::{AccessUser, CustomerAccess, PlaceAccess};
use leptos::prelude::*;

/// "This place and everything in it (14 things)", or what part of it the customer has.
fn scope_text(customer: &CustomerAccess, place_items: usize) -> String {
    let theirs = customer.items.len();
    match (customer.has_place, theirs == place_items) {
        (true, true) => format!("This place and everything in it ({})", things(theirs)),
        (true, false) => format!("This place and {} of what is in it", things(theirs.saturating_sub(1))),
        (false, _) => format!("{} in this place, not the place itself", things(theirs)),
    }
}

/// The state of a user's account, as a word and a class for its colour.
fn user_state(user: &AccessUser) -> (&'static str, &'static str) {
    match user.activated {
        Some(true) => ("Active", "active"),
        Some(false) => ("Not activated yet", "pending"),
        None => ("Unknown", "unknown"),
    }
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn AccessList(access: PlaceAccess) -> impl IntoView {
    // Everything at or below the place, whoever has it.
    let place_items = access.customers.iter().map(|c| c.items.len()).sum::<usize>()
        + access.unshared.len()
        + access.missing.len();
    let unshared = access.unshared.len();
    let missing = access.missing.len();
    let nobody = access.customers.is_empty();
    view! {
        {nobody.then(|| view! {
            <p id="access-none" class="muted">"No customer has this place or anything in it: only the tenant's users see it."</p>
        })}
        <ul id="access-list" class="access-list" aria-label="Customers with access">
            {access
                .customers
                .into_iter()
                .map(|c| view! { <CustomerItem customer=c place_items=place_items /> })
                .collect_view()}
        </ul>
        {(!nobody && unshared > 0).then(|| view! {
            <p id="access-unshared" class="muted">{format!("No customer has {} here.", things(unshared))}</p>
        })}
        {(missing > 0).then(|| view! {
            <p class="stale-notice" role="status">
                {format!("{} in the building on screen no longer exist on the server: reload the building.", things(missing))}
            </p>
        })}
    }
}

#[component]
fn CustomerItem(customer: CustomerAccess, place_items: usize) -> impl IntoView {
    let scope = scope_text(&customer, place_items);
    let title = customer.customer.title.clone();
    let data_title = title.clone();
    let no_users = customer.users.is_empty();
    view! {
        <li class="access-customer" data-title=data_title data-has-place=customer.has_place.to_string()>
            <div class="access-customer-head">
                <span class="access-customer-name">{title}</span>
                {customer.customer.email.clone().map(|e| view! { <span class="muted access-email">{e}</span> })}
            </div>
            <p class="muted access-scope">{scope}</p>
            {no_users.then(|| view! { <p class="muted access-no-users">"No users yet."</p> })}
            <ul class="access-users" aria-label=format!("Users of {}", customer.customer.title)>
                {customer.users.into_iter().map(|u| view! { <UserItem user=u /> }).collect_view()}
            </ul>
        </li>
    }
}

#[component]
fn UserItem(user: AccessUser) -> impl IntoView {
    let (state, class) = user_state(&user);
    // The name is the address when the user has none: say it once.
    let name = (user.name != user.email).then(|| user.name.clone());
    view! {
        <li class="access-user" data-email=user.email.clone() data-state=class>
            <span class="access-user-who">
                {name.map(|n| view! { <span class="access-user-name">{n}</span> })}
                <span class="access-email">{user.email.clone()}</span>
            </span>
            <span class=format!("pill access-user-state {class}")>{state}</span>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atrium_ipc::{CustomerRef, NodeKind, SharedItem};

    fn item(id: &str) -> SharedItem {
        SharedItem { id: id.into(), entity_type: "ASSET".into(), name: id.into(), kind: NodeKind::Room }
    }

    #[test]
    fn a_customer_scope_says_how_much_of_the_place_they_have() {
        let customer = CustomerAccess {
            customer: CustomerRef { id: "c".into(), title: "A".into(), email: None },
            has_place: true,
            items: vec![item("room"), item("light")],
            users: vec![],
        };
        assert_eq!(scope_text(&customer, 2), "This place and everything in it (2 things)");
        assert_eq!(scope_text(&customer, 5), "This place and 1 thing of what is in it");
        let part = CustomerAccess { has_place: false, items: vec![item("light")], ..customer };
        assert_eq!(scope_text(&part, 5), "1 thing in this place, not the place itself");
    }

    #[test]
    fn a_user_reads_as_active_or_still_to_activate() {
        let user =
            AccessUser { id: "u".into(), name: "Ana".into(), email: "a@x".into(), activated: Some(false) };
        assert_eq!(user_state(&user), ("Not activated yet", "pending"));
        assert_eq!(user_state(&AccessUser { activated: Some(true), ..user.clone() }).0, "Active");
        assert_eq!(user_state(&AccessUser { activated: None, ..user }).0, "Unknown");
    }
}

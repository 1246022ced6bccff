//! Sharing a place: who has access to it (read when asked, as it reads the owner of everything
//! below the place), and the two flows that change it, share and stop sharing, each a plan to
//! review, a run with its progress, then a summary.

mod flow;

pub(crate) use flow::{Flow, Stage};

use crate::ipc;
use atrium_ipc::{AppError, CustomerChoice, CustomerRef, NewCustomerUser, PlaceAccess, PlanShareArgs};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::future::Future;

/// Only tenant administrators may see and change who has access (the backend refuses anyone
/// else too). `SessionInfo::authority` is the wire spelling (`TENANT_ADMIN`); accounts saved by
/// earlier versions kept the enum's name (`TenantAdmin`), so both are read.
pub(crate) fn is_tenant_admin(authority: &str) -> bool {
    authority.replace('_', "").eq_ignore_ascii_case("TenantAdmin")
}

/// Something read from the server once asked for: not yet, under way, failed, or read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Loadable<T> {
    Idle,
    Loading,
    Failed(AppError),
    Loaded(T),
}

/// A read that can be started (and started again); an answer to an older start is dropped.
#[derive(Debug)]
pub(crate) struct Reader<T: Send + Sync + 'static> {
    state: RwSignal<Loadable<T>>,
    latest: StoredValue<u64>,
}

impl<T: Send + Sync + 'static> Clone for Reader<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Reader<T> {}

impl<T: Clone + Send + Sync + 'static> Reader<T> {
    fn new() -> Self {
        Self { state: RwSignal::new(Loadable::Idle), latest: StoredValue::new(0) }
    }

    /// Tracked.
    pub(crate) fn get(&self) -> Loadable<T> {
        self.state.get()
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.state.with_untracked(|s| matches!(s, Loadable::Idle))
    }

    fn start<F: Future<Output = Result<T, AppError>> + 'static>(&self, read: F) {
        let (state, latest) = (self.state, self.latest);
        let request = latest.get_value() + 1;
        latest.set_value(request);
        state.set(Loadable::Loading);
        spawn_local(async move {
            let next = match read.await {
                Ok(value) => Loadable::Loaded(value),
                Err(err) => Loadable::Failed(err),
            };
            if latest.try_get_value() == Some(request) {
                state.try_set(next);
            }
        });
    }
}

/// Who has access to one place.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Access {
    pub(crate) reader: Reader<PlaceAccess>,
    node_id: StoredValue<String>,
}

impl Access {
    /// Reads (or reads again) who has access.
    pub(crate) fn load(&self) {
        let node_id = self.node_id.get_value();
        self.reader.start(async move { ipc::place_access(&node_id).await });
    }
}

pub(crate) fn use_place_access(node_id: String) -> Access {
    Access { reader: Reader::new(), node_id: StoredValue::new(node_id) }
}

/// The tenant's customers to choose from, read once the share form opens.
pub(crate) fn use_customers() -> Reader<Vec<CustomerRef>> {
    let reader = Reader::new();
    reader.start(async { ipc::customers(None).await });
    reader
}

/// How many customers a search shows at most; a longer list asks for a narrower search.
pub(crate) const SHOWN_CUSTOMERS: usize = 50;

/// The customers whose title or contact address contains `search` (any case), in their order.
pub(crate) fn matching(customers: &[CustomerRef], search: &str) -> Vec<CustomerRef> {
    let needle = search.trim().to_lowercase();
    customers
        .iter()
        .filter(|c| {
            needle.is_empty()
                || c.title.to_lowercase().contains(&needle)
                || c.email.as_deref().is_some_and(|e| e.to_lowercase().contains(&needle))
        })
        .cloned()
        .collect()
}

/// What the share form holds, before it becomes a plan's arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ShareDraft {
    /// A new customer rather than one of the list.
    pub(crate) new_customer: bool,
    /// The customer chosen from the list.
    pub(crate) chosen: Option<CustomerRef>,
    pub(crate) search: String,
    pub(crate) new_title: String,
    pub(crate) new_email: String,
    pub(crate) with_user: bool,
    pub(crate) user_email: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
}

fn filled(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

impl ShareDraft {
    /// The plan's arguments, or what is missing, as a sentence (the server checks the rest).
    pub(crate) fn request(&self, node_id: &str) -> Result<PlanShareArgs, &'static str> {
        let customer = match (self.new_customer, &self.chosen) {
            (true, _) => CustomerChoice::Title {
                title: filled(&self.new_title).ok_or("Give the new customer's name.")?,
                create: true,
                email: filled(&self.new_email),
            },
            (false, Some(c)) => CustomerChoice::Id { customer_id: c.id.clone() },
            (false, None) => return Err("Choose a customer from the list, or a new customer."),
        };
        let user = match self.with_user {
            false => None,
            true => {
                let email = filled(&self.user_email).ok_or("Give the user's e-mail address.")?;
                if !email.contains('@') {
                    return Err("The user's e-mail address needs an @.");
                }
                Some(NewCustomerUser {
                    email,
                    first_name: filled(&self.first_name),
                    last_name: filled(&self.last_name),
                })
            }
        };
        Ok(PlanShareArgs { node_id: node_id.to_owned(), customer, user })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(title: &str, email: Option<&str>) -> CustomerRef {
        CustomerRef { id: format!("id-{title}"), title: title.into(), email: email.map(Into::into) }
    }

    #[test]
    fn a_tenant_administrator_is_known_in_either_spelling() {
        assert!(is_tenant_admin("TENANT_ADMIN"));
        assert!(is_tenant_admin("TenantAdmin"));
        assert!(!is_tenant_admin("CUSTOMER_USER"));
        assert!(!is_tenant_admin("CustomerUser"));
        assert!(!is_tenant_admin(""));
    }

    #[test]
    fn a_search_matches_title_or_address_in_any_case() {
        let all = [customer("Flat 12B", None), customer("Acme", Some("desk@flat.example"))];
        assert_eq!(matching(&all, "").len(), 2);
        assert_eq!(matching(&all, " flat ").len(), 2);
        assert_eq!(matching(&all, "ACME")[0].title, "Acme");
        assert!(matching(&all, "nobody").is_empty());
    }

    #[test]
    fn a_draft_becomes_a_plan_request_or_says_what_is_missing() {
        let mut draft = ShareDraft::default();
        assert_eq!(draft.request("n"), Err("Choose a customer from the list, or a new customer."));
        draft.chosen = Some(customer("Acme", None));
        assert_eq!(
            draft.request("n").unwrap().customer,
            CustomerChoice::Id { customer_id: "id-Acme".into() }
        );
        draft.new_customer = true;
        assert_eq!(draft.request("n"), Err("Give the new customer's name."));
        draft.new_title = " Flat 2.05 ".into();
        draft.new_email = "  ".into();
        let args = draft.request("n").unwrap();
        assert_eq!(
            args.customer,
            CustomerChoice::Title { title: "Flat 2.05".into(), create: true, email: None }
        );
        assert_eq!(args.user, None);

        draft.with_user = true;
        assert_eq!(draft.request("n"), Err("Give the user's e-mail address."));
        draft.user_email = "tenant".into();
        assert_eq!(draft.request("n"), Err("The user's e-mail address needs an @."));
        draft.user_email = "ana@flat.example".into();
        draft.first_name = "Ana".into();
        let user = draft.request("n").unwrap().user.unwrap();
        assert_eq!(
            (user.email.as_str(), user.first_name.as_deref(), user.last_name),
            ("ana@flat.example", Some("Ana"), None)
        );
    }
}

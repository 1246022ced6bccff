//! Sharing a place with the people who use it: who has access, a plan to share (or stop
//! sharing) a place with a customer, what a run did, and its progress.
//!
//! ThingsBoard Community Edition gives an asset or device to one customer at a time, so a plan
//! shows what another customer has before anything moves.

use crate::tree::NodeKind;
use serde::{Deserialize, Serialize};

/// An asset or device a plan or summary is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedItem {
    /// The entity's UUID.
    pub id: String,
    /// `ASSET` or `DEVICE`.
    pub entity_type: String,
    pub name: String,
    pub kind: NodeKind,
}

/// A customer of the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerRef {
    pub id: String,
    pub title: String,
    /// The contact address, when the customer has one.
    #[serde(default)]
    pub email: Option<String>,
}

/// Arguments of listing the tenant's customers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomersArgs {
    /// Only those whose title contains this (any case); all when `None`.
    #[serde(default)]
    pub search: Option<String>,
}

/// Which customer to share with (or stop sharing with).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum CustomerChoice {
    /// One of the tenant's customers, by id (from the customer list or [`PlaceAccess`]).
    Id { customer_id: String },
    /// The customer with exactly this title. With `create`, sharing makes it (with `email` as
    /// its contact address) when the tenant has none by that title; a plan only says so.
    Title {
        title: String,
        #[serde(default)]
        create: bool,
        #[serde(default)]
        email: Option<String>,
    },
}

/// A person to give access with the share: a user of the customer, activated with a link
/// Atrium shows (no mail is sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewCustomerUser {
    pub email: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
}

/// Arguments of a plan to share a place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanShareArgs {
    /// The place (asset) or device of the loaded building.
    pub node_id: String,
    pub customer: CustomerChoice,
    #[serde(default)]
    pub user: Option<NewCustomerUser>,
}

/// Arguments of a plan to stop sharing a place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanUnshareArgs {
    pub node_id: String,
    pub customer: CustomerChoice,
}

/// The customer a plan shares with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedCustomer {
    /// `None` when sharing will create it.
    pub id: Option<String>,
    pub title: String,
    #[serde(default)]
    pub email: Option<String>,
}

/// Something another customer has: sharing moves it only when the manager chooses to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareConflict {
    pub item: SharedItem,
    pub customer_id: String,
    pub customer_title: String,
}

/// The user a plan gives access to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedUser {
    pub email: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// The customer already has a user with this address: sharing only fetches its link.
    pub exists: bool,
}

/// What sharing a place would do, read from the server; nothing is changed by making one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharePlan {
    /// The place (its first item is in one of the lists below too).
    pub place: SharedItem,
    pub customer: PlannedCustomer,
    /// No customer has these: they will be assigned.
    pub to_assign: Vec<SharedItem>,
    /// Already the customer's: nothing to do (what makes a re-run do only what is missing).
    pub already: Vec<SharedItem>,
    /// Another customer has these: skipped, or moved when the manager chooses to.
    pub conflicts: Vec<ShareConflict>,
    /// In the loaded building but no longer on the server (reload the building).
    #[serde(default)]
    pub missing: Vec<SharedItem>,
    #[serde(default)]
    pub user: Option<PlannedUser>,
}

/// What to do with what another customer has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// Leave it with its customer.
    Skip,
    /// Give it to this customer; the other one loses access to it.
    Move,
}

/// Arguments of running a share plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareArgs {
    pub plan: SharePlan,
    pub on_conflict: OnConflict,
}

/// An item that could not be changed, and why (a sentence from the server's answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedItem {
    pub item: SharedItem,
    pub reason: String,
}

/// The user a share gave access to. The activation link lets whoever holds it set the
/// account's password: show it to the manager, never log it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedUser {
    pub email: String,
    /// Made by this run (else it existed).
    pub created: bool,
    /// `Some(true)` once the person has set a password; `None` when the server did not say.
    pub activated: Option<bool>,
    /// To copy or send to the person; `None` once activated or when it could not be read.
    pub activation_link: Option<String>,
    /// Why the user could not be created or its link read.
    #[serde(default)]
    pub error: Option<String>,
}

impl std::fmt::Debug for SharedUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedUser")
            .field("email", &self.email)
            .field("created", &self.created)
            .field("activated", &self.activated)
            .field("activation_link", &self.activation_link.as_ref().map(|_| "<redacted>"))
            .field("error", &self.error)
            .finish()
    }
}

/// What a share run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareSummary {
    pub customer: CustomerRef,
    /// The customer was made by this run.
    pub customer_created: bool,
    pub assigned: Vec<SharedItem>,
    /// Taken from another customer, as chosen.
    pub moved: Vec<ShareConflict>,
    /// Left with another customer: as chosen, or because it went to one after the plan.
    pub skipped: Vec<ShareConflict>,
    /// Already the customer's.
    pub already: Vec<SharedItem>,
    pub failed: Vec<FailedItem>,
    /// Why the run stopped before the end (the server refused, the session ended).
    #[serde(default)]
    pub stopped: Option<String>,
    #[serde(default)]
    pub user: Option<SharedUser>,
}

/// What stopping sharing a place would do; nothing is changed by making one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnsharePlan {
    pub place: SharedItem,
    pub customer: CustomerRef,
    /// The customer's: they will be taken back.
    pub to_unassign: Vec<SharedItem>,
    /// Below the place but not the customer's (another's, or the tenant's own): left alone.
    pub not_theirs: Vec<SharedItem>,
    #[serde(default)]
    pub missing: Vec<SharedItem>,
}

/// Arguments of running an unshare plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnshareArgs {
    pub plan: UnsharePlan,
}

/// What an unshare run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnshareSummary {
    pub customer: CustomerRef,
    pub unassigned: Vec<SharedItem>,
    /// No longer the customer's when the run reached them: left as they were.
    pub unchanged: Vec<SharedItem>,
    pub failed: Vec<FailedItem>,
    #[serde(default)]
    pub stopped: Option<String>,
}

/// How far a share or unshare run has come: items answered, of all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharingProgress {
    pub done: u32,
    pub total: u32,
}

/// A user of a customer, as "who has access" lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessUser {
    pub id: String,
    /// "First Last", or the e-mail address.
    pub name: String,
    pub email: String,
    /// `Some(false)` while the person still has to activate the account; `None` when the
    /// server did not say.
    pub activated: Option<bool>,
}

/// A customer with access to something at or below a place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerAccess {
    pub customer: CustomerRef,
    /// The place itself is the customer's (not only some things below it).
    pub has_place: bool,
    /// What at or below the place is the customer's.
    pub items: Vec<SharedItem>,
    pub users: Vec<AccessUser>,
}

/// Who has access to a place: the customers that have it or something below it, and their users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaceAccess {
    pub place: SharedItem,
    /// By title.
    pub customers: Vec<CustomerAccess>,
    /// At or below the place and no customer's.
    pub unshared: Vec<SharedItem>,
    #[serde(default)]
    pub missing: Vec<SharedItem>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item() -> SharedItem {
        SharedItem { id: "a".into(), entity_type: "ASSET".into(), name: "Lobby".into(), kind: NodeKind::Room }
    }

    #[test]
    fn a_customer_choice_says_how_it_chooses() {
        let by_title = CustomerChoice::Title { title: "Flat 12B".into(), create: true, email: None };
        assert_eq!(
            serde_json::to_value(&by_title).unwrap(),
            json!({"by": "title", "title": "Flat 12B", "create": true, "email": null})
        );
        let by_id: CustomerChoice = serde_json::from_value(json!({"by": "id", "customerId": "c1"})).unwrap();
        assert_eq!(by_id, CustomerChoice::Id { customer_id: "c1".into() });
        let short: CustomerChoice = serde_json::from_value(json!({"by": "title", "title": "X"})).unwrap();
        assert_eq!(short, CustomerChoice::Title { title: "X".into(), create: false, email: None });
        let all: CustomersArgs = serde_json::from_value(json!({})).unwrap();
        assert_eq!(all.search, None);
    }

    #[test]
    fn plans_and_summaries_have_the_contract_shape() {
        let plan = SharePlan {
            place: item(),
            customer: PlannedCustomer { id: None, title: "Flat 12B".into(), email: None },
            to_assign: vec![item()],
            already: vec![],
            conflicts: vec![],
            missing: vec![],
            user: None,
        };
        let args = serde_json::to_value(ShareArgs { plan, on_conflict: OnConflict::Move }).unwrap();
        assert_eq!(args["onConflict"], "move");
        assert_eq!(args["plan"]["toAssign"][0]["entityType"], "ASSET");
        assert_eq!(args["plan"]["place"]["kind"], "room");
        let back: ShareArgs = serde_json::from_value(args).unwrap();
        assert_eq!(back.on_conflict, OnConflict::Move);
        assert_eq!(
            serde_json::to_value(SharingProgress { done: 3, total: 9 }).unwrap(),
            json!({"done": 3, "total": 9})
        );
    }

    #[test]
    fn an_activation_link_is_never_printed() {
        let user = SharedUser {
            email: "a@example.com".into(),
            created: true,
            activated: Some(false),
            activation_link: Some("http://h/api/noauth/activate?activateToken=SECRET".into()),
            error: None,
        };
        assert!(!format!("{user:?}").contains("SECRET"));
        assert_eq!(
            serde_json::to_value(&user).unwrap()["activationLink"],
            user.activation_link.clone().unwrap()
        );
    }
}

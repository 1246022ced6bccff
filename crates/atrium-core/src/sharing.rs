//! Sharing a place with the people who use it: who has access to it, plans to share it with a
//! customer (or stop), and runs that carry a plan out.
//!
//! ThingsBoard Community Edition gives an asset or device to one customer at most, and
//! assigning one that another customer has moves it without a word
//! (`BaseAssetService.assignAssetToCustomer`). So a plan reads the owner of everything below the
//! place first, a run reads each owner again right before changing it, and nothing moves away
//! from another customer unless the manager chose [`OnConflict::Move`] for what the plan showed.
//! Assignments never cascade on the server: a run assigns the place and each asset and device
//! below it in the loaded tree, [`IN_FLIGHT`] at a time; a failure does not stop the others.
//! Only tenant administrators share; anyone else is refused before a request is sent.
//!
//! The app reaches this through [`crate::Core`]; the CLI through [`Sharing`] with its own client
//! and tree. The server's behaviour this relies on, version by version: `docs/thingsboard-sharing.md`.

mod below;
mod run;

use crate::app_error::to_app_error;
use atrium_ipc::{
    AccessUser, AppError, CustomerAccess, CustomerChoice, CustomerRef, ErrorCode, NewCustomerUser,
    OnConflict, PlaceAccess, PlannedCustomer, PlannedUser, ShareConflict, SharePlan, ShareSummary,
    SharedItem, SharingProgress, TreeNode, UnsharePlan, UnshareSummary,
};
use std::collections::BTreeMap;
use tb_client::proto::auth::Authority;
use tb_client::proto::customer::Customer;
use tb_client::proto::{AssetId, CustomerId, DeviceId, EntityId, EntityType};
use tb_client::Client;
use uuid::Uuid;

/// Requests a run (or a plan's reads) keeps in flight at once.
pub const IN_FLIGHT: usize = 8;

/// Sharing over one signed-in client. Cheap: holds a reference and a number.
#[derive(Debug, Clone, Copy)]
pub struct Sharing<'a> {
    client: &'a Client,
    in_flight: usize,
}

/// Who an asset or device belongs to, as the server says now.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Owner {
    customer: Option<CustomerId>,
    title: Option<String>,
}

impl Owner {
    fn conflict(&self, item: &SharedItem) -> Option<ShareConflict> {
        let customer = self.customer?;
        Some(ShareConflict {
            item: item.clone(),
            customer_id: customer.to_string(),
            customer_title: self.title.clone().unwrap_or_else(|| customer.to_string()),
        })
    }
}

fn entity_of(item: &SharedItem) -> Result<EntityId, AppError> {
    let id = Uuid::parse_str(&item.id).map_err(|_| invalid(format!("'{}' is not an entity id.", item.id)))?;
    match item.entity_type.as_str() {
        "ASSET" => Ok(EntityId::new(EntityType::Asset, id)),
        "DEVICE" => Ok(EntityId::new(EntityType::Device, id)),
        other => Err(invalid(format!("A {other} cannot be shared with a customer."))),
    }
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::InvalidRequest, message, false)
}

fn not_found(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::NotFound, message, false)
}

fn customer_ref(customer: &Customer) -> CustomerRef {
    CustomerRef { id: customer.id.to_string(), title: customer.title.clone(), email: customer.email.clone() }
}

fn parse_customer_id(text: &str) -> Result<CustomerId, AppError> {
    Uuid::parse_str(text.trim())
        .map(CustomerId)
        .map_err(|_| invalid(format!("'{text}' is not a customer id.")))
}

/// The Public customer makes what it has visible to anyone with a public link.
fn refuse_public(customer: &Customer) -> Result<(), AppError> {
    if customer.is_public() {
        return Err(invalid(
            "The Public customer shows what it has to anyone with a public link; share with a customer of real people instead.",
        ));
    }
    Ok(())
}

/// Reads the owner of an asset or device (`GET /api/asset/info/{id}`, `/api/device/info/{id}`:
/// the customer and its title in one answer).
async fn read_owner(client: &Client, entity: EntityId) -> Result<Owner, tb_client::Error> {
    match entity.entity_type {
        EntityType::Asset => {
            let info = client.asset_info(AssetId(entity.id)).await?;
            Ok(Owner { customer: info.asset.customer(), title: info.customer_title })
        }
        _ => {
            let info = client.device_info(DeviceId(entity.id)).await?;
            Ok(Owner { customer: info.device.customer(), title: info.customer_title })
        }
    }
}

/// Changes the one customer of an asset or device.
async fn assign(client: &Client, customer: CustomerId, entity: EntityId) -> Result<(), tb_client::Error> {
    match entity.entity_type {
        EntityType::Asset => client.assign_asset(customer, AssetId(entity.id)).await.map(drop),
        _ => client.assign_device(customer, DeviceId(entity.id)).await.map(drop),
    }
}

/// Takes an asset or device back from its customer; false when it had none.
async fn unassign(client: &Client, entity: EntityId) -> Result<bool, tb_client::Error> {
    match entity.entity_type {
        EntityType::Asset => client.unassign_asset(AssetId(entity.id)).await.map(|a| a.is_some()),
        _ => client.unassign_device(DeviceId(entity.id)).await.map(|d| d.is_some()),
    }
}

impl<'a> Sharing<'a> {
    pub fn new(client: &'a Client) -> Self {
        Self { client, in_flight: IN_FLIGHT }
    }

    /// Requests kept in flight at once (at least one; [`IN_FLIGHT`] by default).
    pub fn in_flight(self, in_flight: usize) -> Self {
        Self { in_flight: in_flight.max(1), ..self }
    }

    /// Refuses anyone but a tenant administrator before a request goes out (a resumed session
    /// learns who it is from its first refresh). Every call below checks it; a caller may check
    /// first to spare itself loading a building for nothing.
    pub async fn require_tenant_admin(&self) -> Result<(), AppError> {
        let principal = match self.client.principal() {
            Some(p) => p,
            None => self.client.current_principal().await.map_err(|e| to_app_error(&e))?,
        };
        if principal.authority == Authority::TenantAdmin {
            return Ok(());
        }
        Err(AppError::new(
            ErrorCode::PermissionDenied,
            "Only a tenant administrator can see and change who has access to a place; this account cannot.",
            false,
        ))
    }

    /// The tenant's customers whose title contains `search` (all when `None`), by title; the
    /// Public customer is left out.
    pub async fn customers(&self, search: Option<&str>) -> Result<Vec<CustomerRef>, AppError> {
        self.require_tenant_admin().await?;
        let customers = self.client.customers(search.map(str::trim)).await.map_err(|e| to_app_error(&e))?;
        Ok(customers.iter().filter(|c| !c.is_public()).map(customer_ref).collect())
    }

    /// The place and what is below it in `tree`.
    fn below(tree: &[TreeNode], node_id: &str) -> Result<(SharedItem, Vec<SharedItem>), AppError> {
        let node = below::find(tree, node_id)
            .ok_or_else(|| not_found("This place is not in the loaded building; reload it."))?;
        let items = below::items_below(tree, node);
        let place = below::item(node);
        if items.is_empty() {
            return Err(invalid(format!("{} is not an asset or a device.", place.name)));
        }
        Ok((place, items))
    }

    /// The owner of each item, [`IN_FLIGHT`] reads at a time; items the server no longer has
    /// come back apart. Any other failure fails the whole read.
    async fn owners(
        &self,
        items: Vec<SharedItem>,
    ) -> Result<(Vec<(SharedItem, Owner)>, Vec<SharedItem>), AppError> {
        let mut targets = Vec::with_capacity(items.len());
        for item in items {
            targets.push((entity_of(&item)?, item));
        }
        let client = self.client;
        let results = run::bounded(
            targets,
            self.in_flight,
            |(entity, _)| read_owner(client, entity),
            &|_| {},
            |result| result.as_ref().is_err_and(|e| !e.is_not_found()),
        )
        .await;
        let mut owners = Vec::new();
        let mut missing = Vec::new();
        for ((_, item), result) in results.done {
            match result {
                Ok(owner) => owners.push((item, owner)),
                Err(e) if e.is_not_found() => missing.push(item),
                Err(e) => return Err(to_app_error(&e)),
            }
        }
        Ok((owners, missing))
    }

    /// Who has access to a place: each customer that has it or something below it (with those
    /// things and its users, active or still to activate), and what no customer has.
    pub async fn place_access(&self, tree: &[TreeNode], node_id: &str) -> Result<PlaceAccess, AppError> {
        self.require_tenant_admin().await?;
        let (place, items) = Self::below(tree, node_id)?;
        let (owners, missing) = self.owners(items).await?;
        let mut by_customer: BTreeMap<CustomerId, (Option<String>, Vec<SharedItem>)> = BTreeMap::new();
        let mut unshared = Vec::new();
        for (item, owner) in owners {
            match owner.customer {
                Some(customer) => {
                    let entry = by_customer.entry(customer).or_default();
                    entry.0 = entry.0.take().or(owner.title);
                    entry.1.push(item);
                }
                None => unshared.push(item),
            }
        }
        let mut customers = Vec::new();
        for (id, (title, items)) in by_customer {
            let customer = match self.client.customer(id).await {
                Ok(c) => customer_ref(&c),
                // Deleted since: still say who the server names as the owner.
                Err(e) if e.is_not_found() => CustomerRef {
                    id: id.to_string(),
                    title: title.unwrap_or_else(|| id.to_string()),
                    email: None,
                },
                Err(e) => return Err(to_app_error(&e)),
            };
            let users = self.users_of(id).await?;
            let has_place = items.iter().any(|i| i.id == place.id);
            customers.push(CustomerAccess { customer, has_place, items, users });
        }
        customers.sort_by(|a, b| a.customer.title.cmp(&b.customer.title));
        Ok(PlaceAccess { place, customers, unshared, missing })
    }

    /// A customer's users and whether each has activated the account.
    async fn users_of(&self, customer: CustomerId) -> Result<Vec<AccessUser>, AppError> {
        let users = match self.client.customer_users(customer).await {
            Ok(users) => users,
            Err(e) if e.is_not_found() => return Ok(Vec::new()),
            Err(e) => return Err(to_app_error(&e)),
        };
        let client = self.client;
        let results = run::bounded(
            users,
            self.in_flight,
            |user| async move { client.user_activated(user.id).await.ok() },
            &|_| {},
            |_| false,
        )
        .await;
        let mut out: Vec<AccessUser> = results
            .done
            .into_iter()
            .map(|(user, activated)| AccessUser {
                id: user.id.to_string(),
                name: user.display_name(),
                email: user.email.clone(),
                activated,
            })
            .collect();
        out.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(out)
    }

    /// The customer a choice names: an existing one, or (with `create`) one to make.
    async fn choose(
        &self,
        choice: &CustomerChoice,
    ) -> Result<(PlannedCustomer, Option<CustomerId>), AppError> {
        let (title, create, email) = match choice {
            CustomerChoice::Id { customer_id } => {
                let id = parse_customer_id(customer_id)?;
                let customer = self.client.customer(id).await.map_err(|e| match e.is_not_found() {
                    true => not_found(format!("There is no customer with id {id}.")),
                    false => to_app_error(&e),
                })?;
                refuse_public(&customer)?;
                let planned = PlannedCustomer {
                    id: Some(id.to_string()),
                    title: customer.title,
                    email: customer.email,
                };
                return Ok((planned, Some(id)));
            }
            CustomerChoice::Title { title, create, email } => (title.trim(), *create, email),
        };
        if title.is_empty() {
            return Err(invalid("Give the customer's title."));
        }
        match self.client.customer_by_title(title).await.map_err(|e| to_app_error(&e))? {
            Some(customer) => {
                refuse_public(&customer)?;
                let planned = PlannedCustomer {
                    id: Some(customer.id.to_string()),
                    title: customer.title,
                    email: customer.email,
                };
                Ok((planned, Some(customer.id)))
            }
            None if create => {
                let email = email.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned);
                Ok((PlannedCustomer { id: None, title: title.to_owned(), email }, None))
            }
            None => Err(not_found(format!(
                "The tenant has no customer named '{title}' (titles are case-sensitive); choose one, or create it."
            ))),
        }
    }

    /// What sharing a place with a customer would do: what will be assigned, what the customer
    /// already has, and what another customer has. Changes nothing.
    pub async fn plan_share(
        &self,
        tree: &[TreeNode],
        node_id: &str,
        customer: &CustomerChoice,
        user: Option<&NewCustomerUser>,
    ) -> Result<SharePlan, AppError> {
        self.require_tenant_admin().await?;
        let user = match user {
            Some(u) => {
                let email = u.email.trim();
                if email.is_empty() || !email.contains('@') {
                    return Err(invalid(format!("'{email}' is not an e-mail address.")));
                }
                Some(NewCustomerUser { email: email.to_owned(), ..u.clone() })
            }
            None => None,
        };
        let (place, items) = Self::below(tree, node_id)?;
        let (planned, target) = self.choose(customer).await?;
        let (owners, missing) = self.owners(items).await?;
        let mut plan = SharePlan {
            place,
            customer: planned,
            to_assign: Vec::new(),
            already: Vec::new(),
            conflicts: Vec::new(),
            missing,
            user: None,
        };
        for (item, owner) in owners {
            match owner.customer {
                None => plan.to_assign.push(item),
                Some(c) if Some(c) == target => plan.already.push(item),
                Some(_) => plan.conflicts.extend(owner.conflict(&item)),
            }
        }
        if let Some(user) = user {
            let exists = match target {
                Some(id) => self
                    .client
                    .customer_users(id)
                    .await
                    .map_err(|e| to_app_error(&e))?
                    .iter()
                    .any(|u| u.email.eq_ignore_ascii_case(&user.email)),
                None => false,
            };
            plan.user = Some(PlannedUser {
                email: user.email,
                first_name: user.first_name,
                last_name: user.last_name,
                exists,
            });
        }
        Ok(plan)
    }

    /// Carries out a share plan: makes the customer if the plan says so, assigns what no
    /// customer has, moves what another customer has only with [`OnConflict::Move`] and only
    /// what the plan showed, and creates (or finds) the plan's user with its activation link.
    /// Each item's owner is read again right before it changes; a re-run does only what is
    /// missing. A refusal (403) or an ended session stops the run: with nothing changed yet it
    /// is the error, else the summary says where it stopped.
    pub async fn share(
        &self,
        plan: &SharePlan,
        on_conflict: OnConflict,
        progress: &(dyn Fn(SharingProgress) + Send + Sync),
    ) -> Result<ShareSummary, AppError> {
        self.require_tenant_admin().await?;
        let (customer, customer_created) = self.ensure_customer(&plan.customer).await?;
        let target = parse_customer_id(&customer.id)?;
        let planned_conflicts: std::collections::HashSet<&str> =
            plan.conflicts.iter().map(|c| c.item.id.as_str()).collect();
        let mut work = Vec::new();
        let items = plan.to_assign.iter().chain(&plan.already).chain(plan.conflicts.iter().map(|c| &c.item));
        for item in items {
            let movable = on_conflict == OnConflict::Move && planned_conflicts.contains(item.id.as_str());
            work.push((entity_of(item)?, item.clone(), movable));
        }
        let client = self.client;
        let results =
            run::bounded(
                work,
                self.in_flight,
                |(entity, item, movable)| async move {
                    run::share_one(client, target, entity, &item, movable).await
                },
                progress,
                run::Outcome::stops,
            )
            .await;
        let mut summary = ShareSummary {
            customer,
            customer_created,
            assigned: Vec::new(),
            moved: Vec::new(),
            skipped: Vec::new(),
            already: Vec::new(),
            failed: Vec::new(),
            stopped: None,
            user: None,
        };
        let stopped = run::collect_share(results, &mut summary);
        if let Some(error) = stopped {
            let changed = customer_created || !summary.assigned.is_empty() || !summary.moved.is_empty();
            if !changed {
                return Err(error);
            }
            summary.stopped = Some(error.message);
            return Ok(summary);
        }
        if let Some(user) = &plan.user {
            summary.user = Some(run::ensure_user(self.client, target, user).await);
        }
        Ok(summary)
    }

    /// The plan's customer: as planned, read again; or made now, unless someone made one with
    /// that title since the plan (then that one).
    async fn ensure_customer(&self, planned: &PlannedCustomer) -> Result<(CustomerRef, bool), AppError> {
        if let Some(id) = &planned.id {
            let id = parse_customer_id(id)?;
            let customer = self.client.customer(id).await.map_err(|e| match e.is_not_found() {
                true => not_found(format!("The customer {} no longer exists; plan again.", planned.title)),
                false => to_app_error(&e),
            })?;
            return Ok((customer_ref(&customer), false));
        }
        if let Some(customer) =
            self.client.customer_by_title(&planned.title).await.map_err(|e| to_app_error(&e))?
        {
            refuse_public(&customer)?;
            return Ok((customer_ref(&customer), false));
        }
        let body =
            tb_client::proto::customer::SaveCustomer::new(planned.title.clone(), planned.email.clone());
        let customer = self.client.save_customer(&body).await.map_err(|e| to_app_error(&e))?;
        Ok((customer_ref(&customer), true))
    }

    /// What stopping sharing a place with a customer would do: what of it is the customer's
    /// and will be taken back. Changes nothing.
    pub async fn plan_unshare(
        &self,
        tree: &[TreeNode],
        node_id: &str,
        customer: &CustomerChoice,
    ) -> Result<UnsharePlan, AppError> {
        self.require_tenant_admin().await?;
        let (place, items) = Self::below(tree, node_id)?;
        let (planned, target) = self.choose(customer).await?;
        let (Some(target), Some(id)) = (target, planned.id.clone()) else {
            return Err(not_found(format!("The tenant has no customer named '{}'.", planned.title)));
        };
        let (owners, missing) = self.owners(items).await?;
        let mut plan = UnsharePlan {
            place,
            customer: CustomerRef { id, title: planned.title, email: planned.email },
            to_unassign: Vec::new(),
            not_theirs: Vec::new(),
            missing,
        };
        for (item, owner) in owners {
            if owner.customer == Some(target) {
                plan.to_unassign.push(item);
            } else {
                plan.not_theirs.push(item);
            }
        }
        Ok(plan)
    }

    /// Carries out an unshare plan: takes back each item the customer still has when the run
    /// reaches it (read right before), and leaves alone what went elsewhere since.
    pub async fn unshare(
        &self,
        plan: &UnsharePlan,
        progress: &(dyn Fn(SharingProgress) + Send + Sync),
    ) -> Result<UnshareSummary, AppError> {
        self.require_tenant_admin().await?;
        let target = parse_customer_id(&plan.customer.id)?;
        let mut work = Vec::new();
        for item in &plan.to_unassign {
            work.push((entity_of(item)?, item.clone()));
        }
        let client = self.client;
        let results = run::bounded(
            work,
            self.in_flight,
            |(entity, _)| run::unshare_one(client, target, entity),
            progress,
            run::Outcome::stops,
        )
        .await;
        let mut summary = UnshareSummary {
            customer: plan.customer.clone(),
            unassigned: Vec::new(),
            unchanged: Vec::new(),
            failed: Vec::new(),
            stopped: None,
        };
        if let Some(error) = run::collect_unshare(results, &mut summary) {
            if summary.unassigned.is_empty() {
                return Err(error);
            }
            summary.stopped = Some(error.message);
        }
        Ok(summary)
    }
}
